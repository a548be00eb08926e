# orgportal — `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test test-slow bench lint format install install-dev clean screenshots translations messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@ $(VENV)/.run-installed

# The compiled message catalogues (*.mo), built from the committed locale/*/LC_MESSAGES/*.po
# by Django's compilemessages (GNU gettext's msgfmt); never committed.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

locale/%.mo: locale/%.po | $(VENV)/.run-installed
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (apt-get install gettext)"; exit 1; }
	env -u DJANGO_SETTINGS_MODULE $(BIN)/django-admin compilemessages --ignore=.venv --ignore=node_modules --locale $(word 1,$(subst /, ,$*)) >/dev/null

translations: $(MO_FILES)

install: $(VENV)/.run-installed
install-dev: $(VENV)/.dev-installed

## Start the Logto emulator (demo data), the portal on 127.0.0.1 and the task worker; Ctrl-C
## stops all three.
## Installs the development lock: the emulator is a development dependency.
run: $(VENV)/.dev-installed translations
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py rundev --port $(PORT)

## Lint, types, the layering contract, then the fast tier: every suite but the browser,
## production-shape and two-instance ones (about 3 minutes on 2 cores). `make test-slow` runs
## those, and the services, views, API and integration suites again on PostgreSQL and Redis;
## CI (.ci/run) runs both.
SLOW_SUITES := tests/e2e tests/production tests/instances

test: $(VENV)/.dev-installed translations
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(addprefix --ignore=,$(SLOW_SUITES))

## The slow tier: real Chromium, gunicorn with PostgreSQL and Redis, two instances, then the
## services, views, API and integration suites on PostgreSQL and Redis (tests start and stop
## their own servers).
test-slow: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest $(SLOW_SUITES)
	ORGPORTAL_TEST_SERVERS=1 $(BIN)/python -m pytest tests/services tests/views tests/api tests/integration

## Benchmarks (figures for issue notes; never run by `make test`). The last one measures every
## page and main action (calls, time at 0/50/200 ms latency, CPU) into artifacts/bench.md.
bench: $(VENV)/.dev-installed translations
	$(BIN)/python benchmarks/members_page.py
	$(BIN)/python benchmarks/instances.py
	$(BIN)/python benchmarks/invitation_batch.py
	$(BIN)/python benchmarks/portal.py
	$(BIN)/python benchmarks/logto_webhook.py

## The README's pictures (docs/*.png) from the browser tests, at 1280 px.
screenshots: $(VENV)/.dev-installed translations
	ORGPORTAL_README_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e/test_readme_screenshots.py

## Collect every marked string into the catalogues (needs GNU gettext); then translate the
## new entries in locale/<lang>/LC_MESSAGES/*.po (docs/translating.md).
messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location=file --ignore=.venv --ignore=tests --ignore=logto_emulator --ignore=benchmarks --ignore=devtools --ignore=staticfiles
	$(BIN)/python manage.py makemessages --all --no-obsolete --add-location=file -d djangojs --ignore=.venv --ignore=staticfiles --ignore=node_modules

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
