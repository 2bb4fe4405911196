# thinfile: `make demo` runs the main job, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit services bench bench-spark clean

$(STAMP): pyproject.toml tests/api/client-generator.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps -r tests/api/client-generator.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/thinfile demo

test: $(STAMP) services
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadfile
	$(BIN)/thinfile demo --smoke

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# PostgreSQL is started by the machine; start it here when it is not running.
services:
	@bash .ci/services.sh

bench: $(STAMP)
	$(BIN)/python bench/loanmath_bench.py

# Local engine against Spark local[2]: policy simulation and batch scoring (needs Java).
bench-spark: $(STAMP) services
	$(BIN)/python bench/bench_spark.py

clean:
	rm -rf $(VENV) build src/*.egg-info
