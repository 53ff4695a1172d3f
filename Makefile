# crm360: `make run` sets up, simulates demo data and runs the pipeline; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Demo population: about a minute to simulate and a few minutes to run on 2 cores.
CUSTOMERS ?= 5000
DAYS ?= 365
SEED ?= 42
# Three scales for the growth curve; `make bench BENCH_CUSTOMERS=1000000` for one (docs/performance.md).
BENCH_CUSTOMERS ?= 100000,300000,1000000

.PHONY: setup run test lint bench dagster docs clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/crm360 simulate --customers $(CUSTOMERS) --days $(DAYS) --seed $(SEED) --out data/landing
	$(BIN)/crm360 run --data-dir data

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/crm360 bench --customers $(BENCH_CUSTOMERS)

dagster: setup
	$(BIN)/dagster dev -w workspace.yaml

docs: setup
	$(BIN)/python -m sources.contracts_doc > docs/sources.md
	$(BIN)/python -m sources.dbt_sources > dbt_project/models/staging/_sources.yml
	$(BIN)/python -m pipelines.kpi.dbt_vars --write
	$(BIN)/python -m pipelines.config_doc > docs/configuration.md

clean:
	rm -rf data .pytest_cache .ruff_cache dbt_project/target dbt_project/logs
