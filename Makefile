# cnnbook — two commands: `make lab` and `make test`. Each sets itself up.
#   make lab                      JupyterLab on notebooks/ (LAB_ARGS=--no-browser on a server)
#   make test                     every test: unit tests, then nbval on notebooks/
#   make test-browser             the widgets in JupyterLab + headless Chromium (/usr/bin/chromium)
#   make venv                     only create .venv and install requirements + cnnbook
#   make execute [NB=notebooks/03_convolution_forward.ipynb]
#                                 re-run notebooks in a fresh kernel and save them clean
#   make figures                  regenerate figures/ (PNG + SVG)
#   make bench                    time the fast path against the reference and torch
# Variables: PYTHON (interpreter that makes the venv), VENV (its folder), PYTEST_ARGS.

PYTHON ?= python3
VENV ?= .venv
LAB_ARGS ?=
PYTEST_ARGS ?=
NB ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.cnnbook-installed
BROWSER_STAMP := $(VENV)/.cnnbook-browser-installed
# JupyterLab refuses to start as root (containers, CI machines) unless told it may.
ROOT_FLAG := $(shell [ "$$(id -u 2>/dev/null)" = 0 ] && echo --allow-root)

.PHONY: venv lab test test-browser execute figures bench clean

venv: $(STAMP)

# Re-install whenever the requirements or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing requirements and cnnbook (editable) into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --quiet -r requirements.txt -e .
	@touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# --nbval runs every notebook in notebooks/ in a fresh kernel and compares each cell's
# text output with the saved one (options in pyproject.toml; tests/nbval-sanitize.cfg
# masks addresses and ids). The browser tests are left out: `make test-browser`.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval -p no:cacheprovider -m "not browser" $(PYTEST_ARGS)

# The widgets end to end: JupyterLab runs chapters 5 and 7, headless Chromium moves their
# sliders (tests/test_browser.py). Needs Debian's Chromium (apt-get install chromium);
# Playwright (requirements-browser.txt) is installed here, never into `make lab`'s path.
$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	@echo "installing the browser-test requirements into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --quiet -r requirements-browser.txt
	@touch $@

test-browser: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m browser tests/test_browser.py $(PYTEST_ARGS)

# Re-execute notebooks (all, or NB=...) before committing them.
execute: $(STAMP)
	$(BIN)/python .ci/execute_notebooks.py $(NB)

figures: $(STAMP)
	$(BIN)/python -m cnnbook.figures figures

# Speed of the fast path against the reference loops and (when installed) torch; see benchmarks/README.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
