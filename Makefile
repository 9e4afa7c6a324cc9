# audiowidget: every target installs what it needs first.
#   make demo    JupyterLab on notebooks/demo.ipynb (no browser opened; prints the URL)
#   make test    installs everything (Python, npm, Debian's chromium) and runs every test
#   make report  executes the demo notebook and writes its HTML export to build/
#   make lint    ruff, mypy and the TypeScript type check
#   make bench   benchmarks in bench/

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8888
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test report lint bench install chromium report-assets clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	touch $@

# Editable install: the hatch build hook runs `npm ci` and the esbuild bundle on the way.
$(VENV)/.installed: $(VENV)/.created pyproject.toml js/package-lock.json
	$(PIP) install --quiet -e ".[test,demo]"
	touch $@

# Rebuild the bundle when the front end changed after the install.
audiowidget/static/index.js: $(VENV)/.installed $(shell find js/src -type f) js/build.mjs
	cd js && npm run --silent build
	touch $@

install: audiowidget/static/index.js

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

tests/report_assets/node_modules/.package-lock.json: tests/report_assets/package-lock.json
	cd tests/report_assets && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

report-assets: tests/report_assets/node_modules/.package-lock.json

lint: install
	$(VENV)/bin/ruff check audiowidget tests bench
	$(VENV)/bin/ruff format --check audiowidget tests bench
	$(VENV)/bin/mypy
	cd js && npm run --silent typecheck

test: install chromium report-assets lint
	$(VENV)/bin/pytest

demo: install
	@echo "Starting JupyterLab on notebooks/demo.ipynb; open the URL printed below."
	$(VENV)/bin/jupyter lab notebooks/demo.ipynb --no-browser --ip=$(HOST) --port=$(PORT) --allow-root

report: install
	mkdir -p build
	$(VENV)/bin/jupyter nbconvert --to html --execute notebooks/demo.ipynb --output-dir build
	@echo "Wrote build/demo.html"

bench: install
	$(PIP) install --quiet -e ".[bench]"
	$(PY) bench/transport.py
	$(PY) bench/analysis.py
	$(PY) bench/scale.py
	$(PY) bench/browser_scale.py
	$(PY) bench/live.py

clean:
	rm -rf $(VENV) build audiowidget/static js/node_modules tests/report_assets/node_modules
