# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SCENARIOS := scenarios/status_quo.toml scenarios/plan.toml
REPLICATIONS ?= 8

.PHONY: run test test-fast figure dashboard-figure baseline clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,viz]"
	touch $@

run: $(VENV)/.installed
	@for s in $(SCENARIOS); do \
		$(PY) run_sim.py run $$s --replications $(REPLICATIONS) --force || exit $$?; \
	done
	$(PY) run_sim.py plot results/status_quo results/plan --out results/status_quo_vs_plan.png --force

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

# The fast tier (no test marked slow): under a minute, for the edit loop.
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m "not slow"

# Regenerate the README's figure (committed under docs/).
figure: run
	cp results/status_quo_vs_plan.png docs/urbanization.png

# Regenerate the README's screenshot of the dashboard (docs/dashboard.png) by the
# browser test's own flow (needs Debian's chromium: apt-get install -y chromium).
dashboard-figure: $(VENV)/.installed-dev
	URBSIM_DASHBOARD_SCREENSHOT=docs/dashboard.png $(PY) -m pytest -q tests/test_dashboard_browser.py

# Refresh the seeded regression baseline on purpose (tests/baseline/).
baseline: $(VENV)/.installed-dev
	$(PY) scripts/refresh_baseline.py

clean:
	rm -rf .venv .venv-newer results/*/ results/*.png
