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

$(STAMP): pyproject.toml setup.py $(wildcard fingerprints/*.c fingerprints/*.h)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "leakprint needs Python 3.11 or newer"; exit 2; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq python3-venv; }
	@# The native scanning core (issue 15) is compiled at install: gcc and the
	@# Python headers come from Debian when missing.
	@command -v gcc >/dev/null 2>&1 && $(PYTHON) -c 'import os, sys, sysconfig; \
	  sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || \
	  { echo "installing Debian's build-essential and python3-dev (native scanning core)"; \
	    $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq build-essential python3-dev; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev,scale]' || \
	  { echo "leakprint: building the package (its native scanning core, fingerprints/_native.c) failed: see the compiler output above"; exit 2; }
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
	@# the differential tests skip without the native core: make sure it was built
	@$(PY) -c 'import sys; from fingerprints import native; sys.exit(not native.available())' || \
	  { echo "leakprint: the native scanning core is not built (run: make clean install)"; exit 2; }
	$(VENV)/bin/pytest -q
	@# the matcher again on the Python reference core (issue 15: same findings)
	LEAKPRINT_PURE_PYTHON=1 $(VENV)/bin/pytest -q tests/fingerprints tests/matchers

# Not part of `make test`: measuring doubles the suite's CPU time (docs/testing.md).
# The crawls, CLI processes and matcher workers are measured too (pyproject.toml).
coverage: $(STAMP) system-deps
	$(VENV)/bin/pytest -q --cov --cov-report=term:skip-covered

demo: $(STAMP) system-deps
	$(VENV)/bin/leakprint demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage .coverage.*
