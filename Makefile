# skillmix: `make demo` plans the example team, `make test` runs the tests.
# Both create .venv with Python 3.11+ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/skillmix validate scenarios/cmht-north.yaml
	$(BIN)/skillmix solve scenarios/cmht-north.yaml -o out/cmht-north

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check optimiser cli.py tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_solve.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .hypothesis
