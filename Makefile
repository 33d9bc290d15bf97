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
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	-$(BIN)/bgkit local down
	rm -rf $(VENV) build .pytest_cache .ruff_cache

# `make tour`: every notebook headless on a fresh local cloud, on autopilot; a short report.
.PHONY: tour
tour: install
	$(BIN)/bgkit tour

# `make bench`: every benchmark (walkthrough, reroute, listener overhead, start-up and memory),
# bounded and on loopback; tables printed, JSON in benchmarks/results/. See benchmarks/README.md.
.PHONY: bench
bench: install
	$(BIN)/python benchmarks/run_all.py
