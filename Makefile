# mimamori — the two commands are `make demo` and `make test`; both set everything up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
DEMO_ARGS ?=

.PHONY: demo test lint format bench bench-ingest bench-disaster bench-watch bench-trackers system-deps venv clean schema

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	./scripts/ensure-system-deps

demo: $(STAMP)
	$(BIN)/mimamori demo $(DEMO_ARGS)

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/python -m protocol.schema_export

bench: bench-ingest bench-disaster bench-watch bench-trackers

bench-ingest: $(STAMP) system-deps
	$(BIN)/python -m bench.ingest

bench-disaster: $(STAMP)
	$(BIN)/python -m bench.disaster

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

bench-watch: $(STAMP)
	$(BIN)/python -m bench.watch

bench-trackers: $(STAMP)
	$(BIN)/python -m bench.trackers
