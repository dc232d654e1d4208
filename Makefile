# Two commands for a fresh machine: `make run` (the main job) and `make test` (lint + all tests).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test wheel-check lowest-check lint format bench install install-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,dask]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## The main job on embedded defaults (SQLite store, Prefect's embedded API).
run: install
	$(BIN)/aduan demo

## Lint and the whole test suite (PostgreSQL at 127.0.0.1:5432 must be running). The tests run in
## TEST_WORKERS processes (pytest-xdist): most of the slow ones wait on servers, timeouts and
## killed processes, so three share two cores well (8-12 minutes instead of 20-29 on 2 cores).
TEST_WORKERS ?= 3
test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

## Build the wheel, install it into a fresh venv outside the checkout, run `aduan demo --no-serve`
## from a temp folder (ADUAN_HOME there too). Needs only the package registry.
wheel-check: install-dev
	PYTHON=$(PYTHON) bash .ci/wheel-check

## pyproject's lower bounds: the oldest allowed release of every dependency, installed together
## (uv --resolution lowest-direct) into .venv-lowest, then the tests that need no server or browser.
lowest-check: install-dev
	rm -rf .venv-lowest
	$(BIN)/uv venv -q --python $(PYTHON) .venv-lowest
	VIRTUAL_ENV=.venv-lowest $(BIN)/uv pip install -q --resolution lowest-direct -e '.[dev]'
	.venv-lowest/bin/python -m pytest -q -m "not browser and not server" \
		tests/test_dependencies.py tests/classifier tests/store tests/harvester tests/review

## Debian's Chromium for the review app's browser tests (the machine has no other browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	$(BIN)/python bench/store_bench.py

clean:
	rm -rf $(VENV) .venv-lowest var
