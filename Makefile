# annotate: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test test-fast contracts lint format venv messages migrate serve bench-import bench-labelstudio bench-quality bench-datasets bench-dashboard clean-demo labelstudio-demo sync
BENCH_IMPORT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/annotate_benchimport

# One local Label Studio server per demo vendor (Community has no roles: a server serves one vendor).
DEMO_SERVERS := lingua-works:8081 huayu-data:8082

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..."
	@$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	@$(BIN)/python -c "import django, celery, label_studio_sdk" 
	@touch $(STAMP)

venv: $(STAMP)

## make messages: compile the translations (locale/*/LC_MESSAGES/django.po → .mo) with GNU gettext's msgfmt
messages: venv
	@scripts/ensure-gettext >/dev/null
	@$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0

migrate: venv messages
	@$(BIN)/python manage.py migrate --no-input -v 0

## make demo: set up, start the vendors' Label Studio servers, load the demo, label it, serve the app
demo: export ANNOTATE_WEBHOOK_BASE_URL ?= http://$(HOST):$(PORT)
demo: migrate labelstudio-demo
	@$(BIN)/python manage.py demo --label-studio
	@echo "Serving annotate at http://$(HOST):$(PORT)/admin/  (Ctrl-C stops it; the Label Studio servers keep running)"
	@$(BIN)/python manage.py runserver $(HOST):$(PORT)

labelstudio-demo:
	@set -e; for server in $(DEMO_SERVERS); do scripts/labelstudio start $${server%%:*} $${server##*:}; done

## make sync: pull what annotators did in Label Studio since the last sync
sync: venv
	@$(BIN)/python manage.py sync_labelstudio

## make test: set up and run the whole test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: venv messages contracts
	@scripts/labelstudio install
	@scripts/ensure-chromium
	@$(BIN)/python -m pytest

## make test-fast: the edit-test loop: checks and every test but the Label Studio and browser ones (SQLite)
test-fast: venv messages contracts
	@$(BIN)/python -m pytest -m "not labelstudio and not browser"

## make contracts: lint, formatting, migrations in step, import contracts (pyproject.toml), types on the pure core, code sizes
contracts: venv
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/mypy
	@$(BIN)/python scripts/code-sizes

lint: venv
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	@$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## make bench-import: 1,000,000-row JSONL into PostgreSQL (annotate_benchimport); prints rows/s and peak memory
bench-import: venv
	@createdb -h 127.0.0.1 -U postgres annotate_benchimport 2>/dev/null || true
	@DATABASE_URL=$(BENCH_IMPORT_DATABASE_URL) $(BIN)/python manage.py migrate --no-input -v 0
	@DATABASE_URL=$(BENCH_IMPORT_DATABASE_URL) $(BIN)/python bench/import.py

## make bench-labelstudio: push 100,000 tasks and pull 100,000 annotations against a local server
bench-labelstudio: venv
	@$(BIN)/python bench/labelstudio.py

## make bench-quality: a full quality run over 1,000,000 annotations (annotate_benchquality)
bench-quality: venv
	@$(BIN)/python bench/quality.py

## make bench-datasets: build a 300,000-item dataset version and export it to Parquet (annotate_benchdatasets)
bench-datasets: venv
	@$(BIN)/python bench/datasets.py

## make bench-dashboard: dashboard and admin lists over 1,000,000 tasks, 3,000,000 annotations (annotate_benchdashboard)
bench-dashboard: venv
	@$(BIN)/python bench/dashboard.py

## make clean-demo: forget the demo (annotate's database and the demo Label Studio servers' data)
clean-demo:
	rm -f var/annotate.sqlite3 var/demo/answer-key.json
	@for server in $(DEMO_SERVERS); do scripts/labelstudio reset $${server%%:*}; done
