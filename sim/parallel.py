"""The one place that starts worker processes.

Mesa sets the interpreter-wide start method to "spawn" when imported; spawned
workers re-import the whole stack before running anything. On Linux, forking
is far cheaper and safe here (no threads are running when a pool starts), so
pools use an explicit "fork" context there and the platform default elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable


def default_workers(jobs: int) -> int:
    return max(1, min(jobs, os.cpu_count() or 1))


def _context():
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def map_jobs(fn: Callable, jobs: Iterable, workers: int | None = None) -> list:
    """``[fn(job) for job in jobs]``, in order, on a process pool when there is more than one."""
    jobs = list(jobs)
    workers = workers or default_workers(len(jobs))
    if workers == 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        return list(pool.map(fn, jobs, chunksize=1))
