# orgportal — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench lint format install install-dev clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-dev: $(VENV)/.dev-installed

## Start the Logto emulator (demo data), the portal on 127.0.0.1 and the task worker; Ctrl-C
## stops all three.
## Installs the development lock: the emulator is a development dependency.
run: $(VENV)/.dev-installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py rundev --port $(PORT)

## Lint, types, the layering contract, then the whole test suite (unit, integration, browser,
## production shape), then the services, views, API and integration suites again on PostgreSQL
## and Redis. The tests start (and stop) their own PostgreSQL and Redis on free loopback ports.
test: $(VENV)/.dev-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
	ORGPORTAL_TEST_SERVERS=1 $(BIN)/python -m pytest tests/services tests/views tests/api tests/integration

## Benchmarks (figures for issue notes; never run by `make test`). The last one measures every
## page and main action (calls, time at 0/50/200 ms latency, CPU) into artifacts/bench.md.
bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/members_page.py
	$(BIN)/python benchmarks/instances.py
	$(BIN)/python benchmarks/invitation_batch.py
	$(BIN)/python benchmarks/portal.py

## The README's pictures (docs/*.png) from the browser tests, at 1280 px.
screenshots: $(VENV)/.dev-installed
	ORGPORTAL_README_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e/test_readme_screenshots.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache artifacts
