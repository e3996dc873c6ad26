# stmails: the two commands are `make run` and `make test` (see README).
# Starting and stopping processes lives in bin/run; this file only prepares.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Holds the hash of the pyproject.toml last installed: a changed file reinstalls.
STAMP := $(VENV)/.stmails-installed
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/stmails_bench

.PHONY: help install run test test-fast lint format bench migrations-check docs

help:
	@echo "make run               start web (http://127.0.0.1:9000), Celery worker and beat"
	@echo "make test              run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make test-fast         the inner loop: every test not marked slow (pytest -m 'not slow')"
	@echo "make lint              ruff check + ruff format --check"
	@echo "make format            ruff format + ruff check --fix"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make bench             run bench/*.py, each on its own database named after BENCH_DATABASE_URL's or DATABASE_URL's"
	@echo "make install           create .venv and install stmails with its dev tools"
	@echo "make docs              build the docs site (docs/, mkdocs.yml) into var/site, strictly"

install:
	@if [ ! -x $(PY) ]; then \
		command -v $(PYTHON) >/dev/null || { echo "stmails needs $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }; \
		echo "creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$(sha256sum pyproject.toml)" ]; then \
		echo "installing stmails and its dependencies into $(VENV)"; \
		$(PY) -m pip install --quiet --upgrade pip; \
		$(PY) -m pip install --quiet -e '.[dev]'; \
		sha256sum pyproject.toml > $(STAMP); \
	fi

run: install
	@exec bin/run

# pytest's exit 5 (no test collected) is a failure too, said plainly.
test: install
	@status=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status = 5 ]; then echo "make test: FAILED: pytest collected no tests" >&2; fi; \
	exit $$status

# The inner loop: what `make test` runs minus the tests marked slow (real
# services, browsers, fuzzing; see docs/development/testing.md).
test-fast: install
	@$(MAKE) --no-print-directory test PYTEST_ARGS='-m "not slow" $(PYTEST_ARGS)'

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	@SECRET_KEY=$${SECRET_KEY:-migrations-check-only-0123456789abcdef0123456789} \
	STMAILS_ENCRYPTION_KEY=$${STMAILS_ENCRYPTION_KEY:-dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=} \
	$(PY) manage.py makemigrations --check --dry-run

# Each script prints its own report; those that know their figures also append
# them to $$BENCH_RESULTS (bench/harness.py emit), and bench/summary.py ends
# the run with one table of every figure, its target and its floor.
bench: install
	@base=$${DATABASE_URL:-$(BENCH_DATABASE_URL)}; \
	export BENCH_RESULTS=$$(mktemp -t stmails-bench-XXXXXX.jsonl); \
	status=0; \
	for script in bench/bench_*.py; do \
		export DATABASE_URL=$$($(PY) bench/database_for.py "$$base" $$script); \
		echo "== $$script (DATABASE_URL=$$DATABASE_URL)"; \
		rc=0; BENCH_SCRIPT=$$(basename $$script) $(PY) $$script || rc=$$?; \
		[ $$rc = 0 ] || status=1; \
		echo "{\"script\": \"$$(basename $$script)\", \"status\": $$rc}" >> $$BENCH_RESULTS; \
	done; \
	$(PY) bench/summary.py $$BENCH_RESULTS; \
	exit $$status

docs: install
	@NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet
	@echo "docs built into var/site (open var/site/index.html)"
