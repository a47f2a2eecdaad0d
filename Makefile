# leakprint — two commands on a fresh Debian machine with Python 3.11+:
#   make demo   installs everything into .venv, then runs the end-to-end demo
#   make test   installs everything (Debian's chromium too), then runs the whole suite
#   make unit   the fast tests only (no crawls, browsers or serve; docs/testing.md)
#   make coverage   the whole suite under coverage, with the figure at the end

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test lint unit coverage install system-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "leakprint needs Python 3.11 or newer"; exit 2; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,scale]'
	@touch $(STAMP)

# Playwright renders JS pages with Debian's Chromium; browsers are never downloaded.
system-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian's chromium"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Markers: tests/conftest.py applies them; docs/testing.md says which test is which.
unit: $(STAMP)
	$(VENV)/bin/pytest -q -m "not slow and not browser"

test: $(STAMP) system-deps lint
	$(VENV)/bin/pytest -q

# Not part of `make test`: measuring doubles the suite's CPU time (docs/testing.md).
# The crawls, CLI processes and matcher workers are measured too (pyproject.toml).
coverage: $(STAMP) system-deps
	$(VENV)/bin/pytest -q --cov --cov-report=term:skip-covered

demo: $(STAMP) system-deps
	$(VENV)/bin/leakprint demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage .coverage.*
