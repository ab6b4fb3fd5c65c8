# Two commands do all the set-up on a fresh machine with Python >= 3.11:
#   make demo   - the main job: embedded PostgreSQL + MQTT unless DATABASE_URL / MQTT_URL are set
#   make test   - the test suite against real servers (embedded ones unless the URLs are set)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo smoke test lint bench docs

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/envpetition demo

smoke: $(BIN)/.installed
	$(BIN)/envpetition demo --smoke

test: $(BIN)/.installed
	$(BIN)/pytest

docs: $(BIN)/.installed
	$(BIN)/python -m envpetition.cli_reference > docs/cli.md

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
