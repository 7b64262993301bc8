# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test system-deps install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $@

install: $(STAMP)

## Generate sample source systems and run the whole pipeline on them (embedded DuckDB).
demo: $(STAMP)
	$(BIN)/c360 demo

## Install PostgreSQL and Chromium (Debian packages) if missing, then run the test suite on TEST_WORKERS
## pytest-xdist workers, a test module per worker at a time (its module fixtures are built once).
TEST_WORKERS ?= 2
test: $(STAMP) system-deps
	C360_TEST_POSTGRES_URL=$${C360_TEST_POSTGRES_URL:-postgresql+psycopg2://c360:c360@127.0.0.1:5432/c360_test} \
	  $(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

system-deps:
	bash scripts/install-system-deps.sh

## Benchmarks print figures; they are not tests. CUSTOMERS=100000 by default.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingestion.py --customers $${CUSTOMERS:-100000}
	$(BIN)/python benchmarks/bench_transform.py --customers $${CUSTOMERS:-100000}

clean:
	rm -rf data transform/target transform/logs
