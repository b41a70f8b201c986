# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: run test test-cluster install dev lint clean help loadtest bench fuzz

help:
	@echo "make run     serve on http://127.0.0.1:8080 with demo data (embedded PostgreSQL and Valkey)"
	@echo "make test    run the whole test suite"
	@echo "make test-cluster  the suites that touch Redis, against a local Valkey cluster of three masters"
	@echo "make lint    ruff, mypy and the import layers (import-linter)"
	@echo "make loadtest  Locust against a fresh server on 127.0.0.1 (LOAD_ARGS=\"--users 100 --time 120 --workers 2\")"
	@echo "make bench   the benchmark scripts, one table"
	@echo "make fuzz    schemathesis over the API as a buyer, a seller and an admin (about 3 minutes)"
	@echo "make clean   remove .venv and var/"

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when a lock file changes. --require-hashes: the exact files, every time.
$(VENV)/.installed-main: requirements/main.txt requirements/assets.txt | $(VENV)/bin/python
	$(PIP) install -q --require-hashes -r requirements/main.txt
	$(PIP) install -q --require-hashes --no-deps -r requirements/assets.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-main requirements/dev.txt
	$(PIP) install -q --require-hashes -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed-main

dev: $(VENV)/.installed-dev

run: install
	$(PY) -m server run --migrate --seed-demo

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Every test that touches Redis (rooms, auctions, chat, presence, rate limits, sessions, the feed...) against a
# local Valkey cluster of three masters that the session starts, with a live room's slot moved between masters
# (tests/e2e/test_cluster.py). Left out: the unit tests and the browser tests (no Redis of their own), and the
# fault scripts that start a single Valkey or PostgreSQL of their own.
CLUSTER_SKIP := --ignore=tests/unit --ignore=tests/e2e/test_console_browser.py --ignore=tests/e2e/test_redis_faults.py \
	--ignore=tests/e2e/test_database_faults.py --ignore=tests/e2e/test_loadtest.py --ignore=tests/integration/test_embedded.py
test-cluster: dev
	LSC_TEST_REDIS_CLUSTER=1 $(PY) -m pytest $(CLUSTER_SKIP) $(PYTEST_ARGS)

# ruff, mypy, and import-linter's contracts in pyproject.toml (layers, no cycles, pure services, stores).
lint: dev
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

LOAD_ARGS ?= --users 60 --spawn-rate 10 --time 60 --workers 2 --products 2000
loadtest: dev
	$(PY) -u loadtest/run_load.py $(LOAD_ARGS)

bench: dev
	$(PY) -u loadtest/bench_all.py

# Schemathesis over /api/openapi.json as a buyer, a seller and an admin (about a minute each): no 500, no
# response off the document, no undocumented status. CI runs it after `make test`.
fuzz: dev
	$(PY) -u loadtest/fuzz.py $(FUZZ_ARGS)

# Regenerate the lock files from pyproject.toml (needs pip-tools; not part of a normal install).
lock:
	$(PY) -m piptools compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/main.txt pyproject.toml
	$(PY) -m piptools compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements/dev.txt pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
