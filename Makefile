# Optline: `make demo` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ROWS ?= 1000000
MESSAGES ?= 20000

# The embedded default: a DuckLake (SQLite catalog data/warehouse.sqlite, Parquet files in
# data/warehouse.files/) + Airflow on SQLite, all inside the project. The tasks and the CLI open
# the same warehouse (OPTLINE_WAREHOUSE, else the default; no `optline_warehouse` connection).
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
# DAGs start unpaused (the imports run on their schedules), except the ones that send or queue
# texts: message_dispatch and welcome_messages say is_paused_upon_creation=True (a person unpauses).
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := False
# `make airflow`'s LocalExecutor runs at most one task per core (Airflow's default: 32 workers).
export AIRFLOW__CORE__PARALLELISM ?= $(shell nproc 2>/dev/null || echo 2)
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= INFO
export OPTLINE_DATA_DIR ?= $(CURDIR)/data
# Lineage (docs/lineage.md): every task's OpenLineage events, their datasets named as the Assets,
# appended to data/lineage/events.jsonl; set AIRFLOW__OPENLINEAGE__TRANSPORT to send them elsewhere.
export AIRFLOW__OPENLINEAGE__TRANSPORT ?= {"type": "file", "log_file_path": "$(OPTLINE_DATA_DIR)/lineage/events.jsonl", "append": true}
export AIRFLOW__OPENLINEAGE__EXTRACTORS := optline.tasks.lineage_extractor.TaskFlowExtractor
export AIRFLOW__OPENLINEAGE__NAMESPACE ?= optline
# Keep compiled bytecode (in .venv/pycache, out of the tree) even where the shell says not to:
# without it every process recompiles Airflow and phonenumbers' 19 MB geocoder (~4 s each).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: help venv demo test test-deps lint airflow airflow-db airflow-check bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies (requirements.lock)

$(VENV)/.installed: pyproject.toml requirements.lock docker/requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --python $(BIN)/python --quiet -r requirements.lock
	# the Celery stack's providers, pinned as in the image (the scale-out test runs them)
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c docker/requirements.lock \
	  apache-airflow-providers-celery apache-airflow-providers-postgres apache-airflow-providers-redis celery
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $@

airflow-db: $(AIRFLOW_HOME)/.ready ## Prepare Airflow's SQLite metadata database, its pools and connections (config/airflow_settings.yaml)

# The pools and connections come right after the metadata database, from one file (compose and the
# tests apply the same one): without `duckdb_writer` the scheduler never runs the writing tasks.
$(AIRFLOW_HOME)/.ready: $(VENV)/.installed config/airflow_settings.yaml
	@mkdir -p $(AIRFLOW_HOME) $(OPTLINE_DATA_DIR)/lineage
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	$(BIN)/python -m optline.tasks.settings
	$(BIN)/optline init-key
	@touch $@

demo: venv airflow-db ## Write sample inputs, run each DAG once (real runs, one process), print what came of it
	$(BIN)/optline demo

test: venv test-deps lint ## Run the linters, then the whole test suite (two workers: -n 2)
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart=0 --durations=15

lint: venv ## ruff (with Airflow's AIR rules) over the Python, sqlfluff (DuckDB dialect) over sql/
	$(BIN)/ruff check --quiet .
	PYTHONWARNINGS="ignore::UserWarning:multiprocessing.resource_tracker" $(BIN)/sqlfluff lint --disable-progress-bar --nocolor --processes 2 sql

test-deps: ## Install what the tests need outside Python: Chromium for the report test, PostgreSQL and Redis (Debian packages)
	@scripts/servers.sh install || echo "postgresql/redis-server cannot be installed here: the PostgreSQL-backend and scale-out tests will be skipped"
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium (Debian package) for the report test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and cannot be installed here: the browser test will be skipped"; fi; }

airflow-check: venv airflow-db ## Fail on a DAG import error, a DAG warning or a missing pool (also run by make airflow)
	$(BIN)/python -m optline.tasks.airflow_check

airflow: venv airflow-db airflow-check ## Start the Airflow UI and scheduler (airflow standalone) on localhost:8080
	@echo "Airflow UI on http://localhost:8080 (user admin; the password is printed below and kept in .airflow/)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/airflow standalone

bench: venv ## Import ROWS rows (default 1,000,000), then queue and send MESSAGES welcomes (default 20,000); print figures
	$(BIN)/python bench/import_bench.py --rows $(ROWS)
	$(BIN)/python bench/dispatch_bench.py --messages $(MESSAGES)

lock: ## Re-pin every dependency (requirements.lock; docker/requirements.lock for the image) after editing pyproject.toml
	$(BIN)/uv pip compile --python $(BIN)/python pyproject.toml --extra deploy -o docker/requirements.lock
	$(BIN)/uv pip compile --python $(BIN)/python pyproject.toml --extra test -c docker/requirements.lock -o requirements.lock

clean: ## Remove the demo's data and Airflow home (keeps .venv)
	rm -rf data .airflow
