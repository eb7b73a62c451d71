# Retail Data Factory — the two commands are `make demo` and `make test`.
# Everything else is installed from the locks: Python packages from uv.lock (with a pinned uv),
# Node packages (Azurite) from package-lock.json.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

# No telemetry from any tool the project runs, and uv never downloads a Python of its own.
export DO_NOT_TRACK := 1
export UV_PYTHON_DOWNLOADS := never
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := False

.PHONY: help install browser up down demo test test-range lint docs clean

help:
	@echo "make up     install, start Azurite and Airflow (UI, scheduler) on 127.0.0.1, DAGs unpaused"
	@echo "make down   stop what make up (or make demo) started"
	@echo "make demo   install, simulate a chain, start the stack, run the chain on the scheduler, print a summary"
	@echo "make test   install and run the whole test suite (starts and stops its own services)"
	@echo "make test-range  the end-to-end test on a two-day range (backfill = days one by one; ~13 min)"
	@echo "make lint   ruff over the code"
	@echo "make docs   regenerate docs/contracts.md from the contracts in code"
	@echo "make clean  remove the local environments, Airflow home and demo output"

# --clear: a first install stopped half-way leaves a venv without pip, which would fail every make after.
$(UV):
	$(PYTHON) -m venv --clear $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set (CI, this image) every
# process would otherwise compile what it imports (Great Expectations: 9 s instead of 4 per task).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.synced node_modules/.installed

up: install
	$(BIN)/retail-factory up

down:
	@if [ -x $(BIN)/retail-factory ]; then $(BIN)/retail-factory down; else echo "nothing installed, nothing to stop"; fi

# Options of `retail-factory demo --help`, e.g. `make demo ARGS="--stores 5 --backfill"`.
ARGS ?=
demo: install
	$(BIN)/retail-factory demo $(ARGS)

# Two workers, one test file each at a time (module fixtures stay in one process): the suite is
# mostly single-threaded dbt, Airflow and GX work, so two cores run two files side by side.
# Files are handed out in collection order (tests/conftest.py puts the longest first), not by
# their number of tests.
TEST_WORKERS ?= 2
PYTEST_ARGS ?=  # e.g. make test PYTEST_ARGS=--durations=20

# The end-to-end test drives Debian's Chromium with Playwright (Playwright's own browser downloads
# are not used): installed here when missing, as root (CI); otherwise the message says how.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then echo "the e2e test needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; }

test: install browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The end-to-end test with a two-day range: both days triggered one by one, then backfilled as
# one range from a fresh warehouse (four days through the scheduler: ~13 min on 2 cores).
test-range: install browser
	RETAIL_FACTORY_E2E_DAYS=2 $(BIN)/pytest tests/e2e/test_stack_ui.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: install
	$(BIN)/retail-factory contracts --markdown > docs/contracts.md

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .airflow .demo .stack
