# Two commands set up and run everything: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: run test lint install install-test lock clean

run: $(VENV)/.installed
	$(PY) pipeline.py run

# Two workers by default (pytest-xdist): the suite is dominated by real crawls and
# trainings that wait on subprocesses. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# ruff (the rules and the format check in pyproject.toml) and import-linter (the layer
# table of DESIGN.md, [tool.importlinter] in pyproject.toml). .ci/run runs it before the tests.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Exact versions from the lock, then the project itself (editable, so the shipped
# models/ folder is the one beside the code), without re-resolving dependencies.
$(VENV)/.installed: $(VENV)/bin/python requirements.lock pyproject.toml
	$(PY) -m pip install --quiet -r requirements.lock
	@# setuptools announces every editable install with a boxed notice; the project folder
	@# is meant to be importable, so the notice tells us nothing and would bury real errors.
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install --quiet -r requirements-test.lock
	touch $@

# Test and lint tools and what they pull in: requirements-test.lock, not requirements.lock.
# (click stays in requirements.lock: uvicorn needs it at run time.)
TEST_TOOLS := ^(aiosmtpd|atpublic|pytest|pytest-timeout|pytest-xdist|execnet|iniconfig|pluggy|ruff|import-linter|grimp|rich|markdown-it-py|mdurl|httpx2|httpcore2|truststore|selenium|trio|trio-websocket|outcome|sniffio|sortedcontainers|wsproto|websocket-client|PySocks|hypothesis)==

# Re-pin after changing dependencies in pyproject.toml (then retrain: see README).
lock: $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	{ echo "# Exact versions of every runtime package, installed by make so a fresh machine"; \
	  echo "# gets the versions the shipped model was trained with. Regenerate: make lock"; \
	  echo "# setuptools and wheel are pinned too: make builds the project without build isolation."; \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v -E "^pip==" | grep -v -E '$(TEST_TOOLS)'; } > requirements.lock
	{ echo "# Test tools, pinned like requirements.lock (which this file includes)."; \
	  echo "-r requirements.lock"; \
	  $(PY) -m pip freeze | grep -E '$(TEST_TOOLS)'; } > requirements-test.lock

clean:
	rm -rf $(VENV) build *.egg-info
