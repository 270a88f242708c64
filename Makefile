# annotate: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test lint format venv migrate serve bench-import clean-demo

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) ..."
	@$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	@$(BIN)/python -c "import django, celery, label_studio_sdk" 
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	@$(BIN)/python manage.py migrate --no-input -v 0

## make demo: set up, load the demo project, and serve the app on http://$(HOST):$(PORT)/
demo: migrate
	@$(BIN)/python manage.py demo
	@echo "Serving annotate at http://$(HOST):$(PORT)/admin/  (Ctrl-C stops it)"
	@$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: set up and run the whole test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: venv
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	@$(BIN)/python -m pytest

lint: venv
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	@$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## make bench-import: 1,000,000-row JSONL into the configured database; prints rows/s and peak memory
bench-import: migrate
	@$(BIN)/python bench/import.py

clean-demo:
	rm -f var/annotate.sqlite3
