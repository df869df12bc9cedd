# skillmix: `make demo` plans the example team, `make test` runs the tests.
# Both create .venv with Python 3.11+ on first use and install the LOCKED
# dependency set (uv.lock) into it with uv, which is itself bootstrapped from
# PyPI into .venv/uv (pinned below). `make lock` refreshes the lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := $(VENV)/uv/bin/uv
LATEST := .venv-latest
# uv never downloads a Python: it uses the one that made .venv
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test test-latest lock lint bench clean chromium serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  --target $(VENV)/uv uv==$(UV_VERSION)

# the locked runtime and test set, exactly (uv sync removes anything else),
# compiled to bytecode once, with our own sources: where Python may not write
# its caches (PYTHONDONTWRITEBYTECODE, a read-only install) every command
# would compile them again (0.5 s of a 600-person caseload's 2.2 s)
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --compile-bytecode --python $(BIN)/python
	$(BIN)/python -m compileall -q optimiser cli.py
	touch $@

demo: $(VENV)/.installed
	$(BIN)/skillmix validate scenarios/cmht-north.yaml
	$(BIN)/skillmix solve scenarios/cmht-north.yaml -o out/cmht-north

test: $(VENV)/.installed chromium
	$(BIN)/python -m pytest

# the planners' web app on http://127.0.0.1:8321/ (data in ./skillmix-data)
serve: $(VENV)/.installed
	$(BIN)/skillmix serve

# The suite on the newest releases pyproject.toml allows, ignoring the lock, in
# its own venv: shows a breaking upstream release before anyone relocks.
test-latest: $(UV) chromium
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(UV) pip install --quiet --refresh --python $(LATEST)/bin/python -e '.[dev]'
	$(UV) pip list --python $(LATEST)/bin/python --format freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m pytest -p no:cacheprovider

# Re-resolve the lock to the newest versions within pyproject.toml's bounds.
# Run it after changing dependencies in pyproject.toml, or when test-latest
# passes on newer releases you want to ship; commit uv.lock with the change.
lock: | $(UV)
	$(UV) lock --upgrade

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
	$(UV) sync --locked --extra dev --extra bench --python $(BIN)/python
	$(BIN)/python benchmarks/bench_solve.py

clean:
	rm -rf $(VENV) $(LATEST) out build *.egg-info .pytest_cache .hypothesis
