# IncomeTrack: `make run` serves the demo, `make test` runs the whole suite. Everything a fresh
# machine needs is installed from here (Python into .venv, GOV.UK Frontend from npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
BUILD := incometrack/static/build

.PHONY: run worker test lint bench bench-scale loadtest install assets db demo clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BUILD)/app.css: node_modules/.installed assets/app.scss
	mkdir -p $(BUILD)
	npm run --silent build
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(BUILD)/

assets: $(BUILD)/app.css

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) load-demo --if-empty

# The web server and, beside it, a worker for long downloads and imports (stopped with it).
run: install assets demo
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

worker: install db
	$(FLASK) worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# PYTEST_ARGS="-n auto" runs a pytest-xdist worker a core, each with a database of its own; on this
# 2-core machine that took as long as one process (the suite's own subprocesses already use both).

test: install assets lint
	$(BIN)/pytest $(PYTEST_ARGS)

loadtest: install
	$(BIN)/python -m tests.load.run $(LOAD_ARGS)

bench: install
	$(BIN)/python -m tests.benchmarks.run

bench-scale: install
	$(BIN)/python -m tests.benchmarks.scale

clean:
	rm -rf $(VENV) node_modules $(BUILD) .pytest_cache .ruff_cache
