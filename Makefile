# The two commands of the quick start: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-unit test-integration lint schemas bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## Embedded broker + worker + sample data + reports; Ctrl-C stops it.
run: $(STAMP)
	$(BIN)/insights demo

## The whole test suite (unit, agents, integration, reliability) on the embedded broker,
## testcontainers' Kafka when a Docker engine answers, or KAFKA_BOOTSTRAP_SERVERS.
test: $(STAMP)
	$(BIN)/pytest -q

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/agents

test-integration: $(STAMP)
	$(BIN)/pytest -q tests/integration tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check workers schemas tests bench

## Regenerate schemas/json/*.json and schemas/asyncapi.json from the models.
schemas: $(STAMP)
	$(BIN)/python -m schemas.export

bench: $(STAMP)
	bash bench/run_all.sh

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
