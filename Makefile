# cnnbook — two commands: `make lab` and `make test`. Each sets itself up.
#   make lab                      JupyterLab on notebooks/ (LAB_ARGS=--no-browser on a server)
#   make test                     every test: unit tests, then nbval on notebooks/
#   make test-browser             the widgets in JupyterLab + headless Chromium
#   make venv                     only create .venv and install requirements.lock + cnnbook
#   make lock [UPGRADE=1]         refresh requirements*.lock from requirements*.txt (PyPI)
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
UPGRADE ?=
# the lock tool (uv, from PyPI); `make lock` installs this version into the venv
UV_VERSION ?= 0.13.9

BIN := $(VENV)/bin
STAMP := $(VENV)/.cnnbook-installed
BROWSER_STAMP := $(VENV)/.cnnbook-browser-installed
# JupyterLab refuses to start as root (containers, CI machines) unless told it may.
ROOT_FLAG := $(shell [ "$$(id -u 2>/dev/null)" = 0 ] && echo --allow-root)
# JupyterLab's settings for this course (no news prompt, no update check), installed
# as the venv's overrides.json; binder/postBuild installs the same file on a hub.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: venv lab test test-browser lock execute figures bench clean

venv: $(STAMP)

# Re-install whenever the lock or the package metadata change. The exact versions of
# requirements.lock first, then cnnbook itself (editable, no dependencies: the lock has them).
$(STAMP): requirements.lock pyproject.toml binder/overrides.json
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing requirements.lock and cnnbook (editable) into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --quiet --no-deps --no-build-isolation -e .
	@mkdir -p $(dir $(LAB_OVERRIDES)) && cp binder/overrides.json $(LAB_OVERRIDES)
	@touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate $(LAB_ARGS)

# --nbval runs every notebook in notebooks/ in a fresh kernel and compares each cell's
# text output with the saved one (nbval's options: tests/nbval.args; tests/nbval-sanitize.cfg
# masks addresses and ids). The browser tests are left out: `make test-browser`.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval @tests/nbval.args -p no:cacheprovider -m "not browser" $(PYTEST_ARGS)

# The widgets end to end: JupyterLab runs chapters 5 and 7, headless Chromium moves their
# sliders (tests/test_browser.py). Needs Debian's Chromium (apt-get install chromium);
# Playwright (requirements-browser.lock) is installed here, never into `make lab`'s path.
$(BROWSER_STAMP): $(STAMP) requirements-browser.lock
	@echo "installing the browser-test requirements into $(VENV) ..."
	$(BIN)/python -m pip install --quiet --quiet -r requirements-browser.lock
	@touch $@

test-browser: $(BROWSER_STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m browser tests/test_browser.py $(PYTEST_ARGS)

# Refresh the locks from requirements*.txt against PyPI alone (whatever this machine's
# pip is configured with), for every platform, Python 3.11 as on CI. Versions already
# in a lock are kept unless UPGRADE=1. Then: make execute, make test (see README).
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --no-config \
	--index-url https://pypi.org/simple --custom-compile-command "make lock" \
	$(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) -o requirements.lock requirements.txt
	$(UV_COMPILE) -c requirements.lock -o requirements-browser.lock requirements-browser.txt
	$(UV_COMPILE) -c requirements.lock -o requirements-slides.lock requirements-slides.txt

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
