# Two commands set everything up on a fresh machine (see README "Quick start").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test bench screenshots dist clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-all: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[server,dev]"
	touch $@ $(VENV)/.installed-app

## Install the app and open it on the local database in your user data folder. On Linux, first
## name the Debian packages of any system library Qt's X11 plugin cannot load (silent otherwise).
run: $(VENV)/.installed-app
	@$(BIN)/python installers/linux/check_desktop_libs.py
	$(BIN)/facilitator-app

## Install with the server and test extras, then: ruff, mypy, and the whole pytest suite on a
## throwaway PostgreSQL cluster that .ci/postgres.sh starts and removes (unless
## FFK_TEST_POSTGRES_URL names one). FFK_REQUIRE_POSTGRES=1 makes a missing database a test
## failure, never a skip. Stops at the first of the three that fails.
test: $(VENV)/.installed-all
	$(BIN)/ruff check .
	$(BIN)/mypy
	FFK_REQUIRE_POSTGRES=1 QT_QPA_PLATFORM=offscreen bash .ci/postgres.sh -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## Print the speed figures (store, server, sync, reports, UI).
bench: $(VENV)/.installed-all
	for b in bench/*_bench.py; do QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

## Build the desktop app bundle (dist/facilitator-app) and, on Debian/Ubuntu, its .deb;
## then print the bundle's size and the frozen self-check's time (bench/frozen_bench.py).
dist: $(VENV)/.installed-app
	$(BIN)/python -m pip install --quiet "pyinstaller>=6.10"
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec
	@if [ "$$(uname -s)" = Linux ] && command -v dpkg-deb >/dev/null 2>&1; then \
		$(BIN)/python installers/linux/build_deb.py --bundle dist/facilitator-app --out dist; \
	else echo "Not on Debian/Ubuntu: skipped the .deb (see installers/ for Windows and macOS)."; fi
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/frozen_bench.py --bundle dist/facilitator-app

clean-venv:
	rm -rf $(VENV)
