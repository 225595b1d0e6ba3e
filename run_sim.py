#!/usr/bin/env python3
"""Command line of the urbanization simulation: ``python run_sim.py --help``."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
