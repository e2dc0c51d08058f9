# How Therapy Works — every task a newcomer or operator needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails and feeds name the address `make run` serves on (PORT=8101 links to 8101).
DEV_ENV := DEBUG=1 DATABASE_URL= REDIS_URL= CELERY_BROKER_URL= EMAIL_URL=console:// \
	SITE_URL=http://$(HOST):$(PORT)

.PHONY: help install run test lint fmt check serve worker beat migrate lock clean backup restore-check smoke vnu lighthouse

help:
	@echo "make run     set up everything and serve the demo site at http://$(HOST):$(PORT)"
	@echo "make test    install (if needed) and run the whole test suite"
	@echo "make lint    ruff lint and format check;  make fmt  reformat the code"
	@echo "make check   Django system checks, migrations check, mypy"
	@echo "make serve   production mode: gunicorn + Celery worker + beat (needs .env)"
	@echo "make worker  a Celery worker;  make beat  the Celery scheduler"
	@echo "make lock    recompile the locked requirements from requirements*.in"
	@echo "make backup  dump the database (and list the media bucket) into BACKUP_DIR (needs .env)"
	@echo "make restore-check  restore the newest dump into a scratch database and check it"
	@echo "make smoke   the production smoke test: make serve with DEBUG=0, then pages and an email"
	@echo "make vnu     fetch the W3C HTML checker (npm vnu-jar) for tests/test_html_validity.py"
	@echo "make lighthouse  Lighthouse (mobile) on the main pages: bench/lighthouse.py, bench/README.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs the locked dependencies; reruns only when the lock file changes.
$(VENV)/.installed: requirements-dev.txt | $(BIN)/python
	@if $(BIN)/python -m pip install -q uv 2>/dev/null; then \
		$(BIN)/uv pip sync -q --python $(BIN)/python requirements-dev.txt; \
	else \
		$(BIN)/python -m pip install -q -r requirements-dev.txt; \
	fi
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	@echo "Staff admin: http://$(HOST):$(PORT)/admin/  ·  Site: http://$(HOST):$(PORT)/"
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(DEV_ENV) $(BIN)/python manage.py check
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy accounts courses lessons zoomgroups qa forum newsletter lib config audit outbox ce contact bookmarks

# Production mode: reads .env (see .env.example), collects static files, migrates, then runs
# the Procfile: gunicorn, a Celery worker and Celery beat.
serve: install
	$(BIN)/honcho run $(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/honcho run $(BIN)/python manage.py migrate --noinput
	$(BIN)/honcho start

# Backups (README, "Backups"): read .env like `make serve`; scripts/backup.sh says what they do.
backup:
	$(BIN)/honcho run scripts/backup.sh

restore-check:
	$(BIN)/honcho run scripts/restore-check.sh

# The production smoke test CI runs (scripts/smoke.py): needs PostgreSQL and Redis on loopback.
smoke: install
	$(BIN)/python scripts/smoke.py

# The W3C HTML checker (Nu Html Checker) the HTML test runs with Java; npm puts it in
# .cache/vnu (its install script, which would download a Java, is skipped: Java is installed).
VNU_DIR ?= .cache/vnu
vnu:
	npm install --prefix $(VNU_DIR) --no-audit --no-fund --ignore-scripts vnu-jar@26.9.27

# Lighthouse 12.2.3 (npm) on the main pages, against the benchmark's server and data.
LIGHTHOUSE_DIR ?= .cache/lighthouse
lighthouse: install
	npm install --prefix $(LIGHTHOUSE_DIR) --no-audit --no-fund lighthouse@12.2.3
	$(BIN)/python bench/lighthouse.py --lighthouse $(LIGHTHOUSE_DIR)/node_modules/.bin/lighthouse

worker: install
	$(BIN)/celery -A config worker -l info

beat: install
	$(BIN)/celery -A config beat -l info

# Resolves as the package index stood at LOCK_DATE, so that `make lock` on any machine (any
# cache) writes the same files; move the date forward to take newer releases.
LOCK_DATE ?= 2026-12-06T00:00:00Z
LOCK := $(BIN)/uv pip compile --python-version 3.11 --exclude-newer $(LOCK_DATE) -q --refresh
lock: | $(BIN)/python
	$(BIN)/python -m pip install -q uv
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) staticfiles test-artifacts db.sqlite3
