# The README's two commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: run test lint engine-tests bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kartoitus needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/kartoitus run

lint: $(STAMP)
	$(BIN)/ruff check bot adapters storage tests bench
	$(BIN)/mypy

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# Four workers on two cores: much of the suite's wall time is waiting (fault phases of 30 s, subprocesses
# starting, emulators), not computing. worksteal: an idle worker takes tests queued on a busy one, so one
# slow file (tests/test_rounds_cli.py) does not hold the end of the run.
# The engine's own tests (tests/bot) must cover the engine modules' every branch; they run first, under
# coverage, and the rest of the suite runs without the tracer, which cost minutes of CPU on two cores.
# The lint and the engine's tests run side by side (mypy's first run on a clean clone is mostly one core).
# Bytecode first: this environment sets PYTHONDONTWRITEBYTECODE, so without it every `kartoitus` process the
# tests start (hundreds) would compile the project's modules again, about 0.25 s of CPU each.
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m compileall -q bot adapters storage
	$(MAKE) --no-print-directory -j2 lint engine-tests
	$(BIN)/python -m pytest -n 4 --dist worksteal --ignore=tests/bot $(PYTEST_ARGS)

engine-tests: $(STAMP)
	$(BIN)/python -m pytest -n 2 --cov --cov-report= tests/bot $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --fail-under=100 --show-missing

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/slack.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/cli.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage
