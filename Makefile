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

## Install the app and open it on the local database in your user data folder.
run: $(VENV)/.installed-app
	$(BIN)/facilitator-app

## Install with the server and test extras, then run the whole test suite.
test: $(VENV)/.installed-all
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

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
