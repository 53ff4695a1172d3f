# crm360: `make run` sets up, simulates demo data and runs the pipeline; `make test` runs every test
# but Spark's, `make test-fast` all but the integration tests, `make test-spark` the Spark engine's.
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

.PHONY: setup run test test-fast test-spark lint bench bench-spark dagster docs clean

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
	$(BIN)/python -m pytest -m "not spark"

# The Spark engine's extra: pyspark and dbt-spark. Java comes from the machine (.ci/run installs it).
$(VENV)/.spark-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

# The dbt models on local Spark (local[*]) against the DuckDB build of the same data: equal tables.
test-spark: $(VENV)/.spark-installed
	JAVA_HOME="$${JAVA_HOME:-$$($(BIN)/python -m pipelines.spark.java_home)}" && export JAVA_HOME && \
		$(BIN)/python -m pytest -m spark

# Everything but the tests marked `integration` (real dbt builds, whole pipeline runs): minutes, not tens.
test-fast: setup
	$(BIN)/python -m pytest -m "not integration"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/crm360 bench --customers $(BENCH_CUSTOMERS)

# The same benchmark with CRM360_ENGINE=spark: each run also builds every model on local Spark.
bench-spark: $(VENV)/.spark-installed
	JAVA_HOME="$${JAVA_HOME:-$$($(BIN)/python -m pipelines.spark.java_home)}" && export JAVA_HOME && \
		$(BIN)/crm360 bench --engine spark --customers $(BENCH_CUSTOMERS)

# The UI on data/dagster, the instance `make run` wrote its runs to (crm360 ui sets DAGSTER_HOME).
dagster: setup
	$(BIN)/crm360 ui --data-dir data

docs: setup
	$(BIN)/python -m sources.contracts_doc > docs/sources.md
	$(BIN)/python -m sources.dbt_sources > dbt_project/models/staging/_sources.yml
	$(BIN)/python -m pipelines.dbt_vars --write
	$(BIN)/python -m pipelines.config_doc > docs/configuration.md
	$(BIN)/python -m pipelines.defs.graph_snapshot > tests/snapshots/asset_graph.json
	@if [ -f data/warehouse/crm360.duckdb ]; then $(BIN)/crm360 docs --data-dir data; \
	else echo "dbt docs: no warehouse in data/ yet (make run builds one), catalog not generated"; fi

clean:
	rm -rf data .pytest_cache .ruff_cache dbt_project/target dbt_project/logs
