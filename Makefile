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

clean-venv:
	rm -rf $(VENV)
