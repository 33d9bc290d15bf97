# `make lab`: set up and open the walkthrough on the local cloud.  `make test`: set up and test.
# Both need only Python 3.10+ and make; everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the learner's install (the package and what the notebooks need), and the one with the test tools
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

# JupyterLab refuses to run as root unless told to: containers and cloud VMs run as root.
USER_ID := $(shell id -u)
# Without a display (a server, a container, SSH) there is no browser to open: JupyterLab only
# prints its URL. A display, $BROWSER or macOS: it opens one.
OS := $(shell uname -s)
LAB_FLAGS := $(if $(filter 0,$(USER_ID)),--allow-root) \
	$(if $(DISPLAY)$(WAYLAND_DISPLAY)$(BROWSER)$(filter Darwin,$(OS)),,--no-browser)
# more options for JupyterLab: `make lab LAB_ARGS=--port=8890`
LAB_ARGS ?=

.PHONY: install install-dev lab test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(INSTALLED)

# the dev extra holds everything of the learner's install too
$(INSTALLED_DEV): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED) $(INSTALLED_DEV)

install: $(INSTALLED)

install-dev: $(INSTALLED_DEV)

# JupyterLab's root is the checkout (the notebooks link to the README), opened on notebooks/;
# it listens on 127.0.0.1 only, and reaches kernels that support it over encrypted sockets.
LAB := $(BIN)/jupyter lab --ServerApp.root_dir='$(CURDIR)' --LabApp.default_url=/lab/tree/notebooks \
	--ServerApp.ip=127.0.0.1 --KernelManager.transport_encryption=auto

lab: install
	$(BIN)/bgkit local up
	$(LAB) $(strip $(LAB_FLAGS)) $(LAB_ARGS)

lint: install-dev
	$(BIN)/ruff check bgkit tests
	$(BIN)/lint-imports

# The suite in two passes: first every test that may run beside others, in parallel processes
# (TEST_WORKERS, default one a core; a file's tests stay in one process, so they share its
# fixtures), then those marked `alone` (load, faults, browser, event-loop stalls) one at a time;
# the second pass runs even when the first failed, and make test fails if either did.
TEST_WORKERS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not alone"; parallel=$$?; \
	$(BIN)/python -m pytest -m alone; alone=$$?; \
	test $$parallel -eq 0 && test $$alone -eq 0

clean:
	-$(BIN)/bgkit local down
	rm -rf $(VENV) build .pytest_cache .ruff_cache

# `make tour`: every notebook headless on a fresh local cloud, on autopilot; a short report.
.PHONY: tour
tour: install
	$(BIN)/bgkit tour

# `make bench`: every benchmark (walkthrough, reroute, listener against nginx, start-up and
# memory), bounded and on loopback; tables printed, JSON in benchmarks/results/, then each goal
# beside its figure. The listener's needs Debian's wrk and nginx (installed here when apt-get is
# there and they are missing). See benchmarks/README.md.
.PHONY: bench
bench: install
	@command -v wrk >/dev/null && (command -v nginx >/dev/null || test -x /usr/sbin/nginx) || \
		{ command -v apt-get >/dev/null && apt-get install -y wrk nginx-light; } || \
		echo "wrk and nginx are needed for the listener benchmark: apt-get install -y wrk nginx"
	$(BIN)/python benchmarks/run_all.py
