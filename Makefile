# `make lab`: set up and open the walkthrough on the local cloud.  `make test`: set up and test.
# Both need only Python 3.10+ and make; everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install lab test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

lab: install
	$(BIN)/bgkit local up
	$(BIN)/jupyter lab notebooks/

lint: install
	$(BIN)/ruff check bgkit tests

test: lint
	$(BIN)/python -m pytest

clean:
	-$(BIN)/bgkit local down
	rm -rf $(VENV) build .pytest_cache .ruff_cache
