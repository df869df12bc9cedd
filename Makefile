# skillmix: `make demo` plans the example team, `make test` runs the tests.
# Both create .venv with Python 3.11+ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/skillmix validate scenarios/cmht-north.yaml
	$(BIN)/skillmix solve scenarios/cmht-north.yaml -o out/cmht-north

test: $(VENV)/.installed chromium
	$(BIN)/python -m pytest

# Debian's Chromium for the report's browser tests: installed when run as root;
# otherwise (or if the install fails) those tests are skipped with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else \
	    echo "chromium not installed (needs root): the browser tests will be skipped"; \
	  fi; }

lint: $(VENV)/.installed
	$(BIN)/ruff check optimiser cli.py tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/bench_solve.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .hypothesis
