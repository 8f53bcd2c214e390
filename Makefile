# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`;
# `make test-fast` skips the tests marked slow (processes, faults, schemathesis) while you edit.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# A uv already on PATH is used; otherwise one is installed once into $(VENV)/.uv by the interpreter's own pip
# (or, where it has none, a throwaway venv's). The venv itself has no pip: making one with pip cost 6 s of the
# first `make run`, for a tool nothing here uses.
UV := $(shell command -v uv 2>/dev/null || echo $(VENV)/.uv/bin/uv)
# One venv, two stamps: `make run` installs the runtime dependencies only (no dev group: no scipy,
# schemathesis, mypy...), the checks and tests the dev group too. The runtime sync is --inexact, so it never
# removes what a test run installed; the full sync is exact.
SYNCED := $(VENV)/.synced
SYNCED_RUN := $(VENV)/.synced-run

$(VENV)/.uv/bin/uv:
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(VENV)/.uv "uv==$(UV_VERSION)" \
	  2>/dev/null || { $(PYTHON) -m venv $(VENV)/.uv-pip && $(VENV)/.uv-pip/bin/pip install --quiet \
	  --disable-pip-version-check --target $(VENV)/.uv "uv==$(UV_VERSION)" && rm -rf $(VENV)/.uv-pip; }

.PHONY: run test test-fast lint typecheck pytest fuzz openapi bench clean

$(SYNCED): pyproject.toml uv.lock | $(UV)
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --quiet
	@touch $@ $(SYNCED_RUN)

$(SYNCED_RUN): pyproject.toml uv.lock | $(UV)
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --no-dev --inexact --quiet
	@touch $@

run: $(SYNCED_RUN)  ## runtime dependencies only; migrations, demo data on first start, API on http://127.0.0.1:8000 (/docs)
	$(BIN)/ukuk serve --demo-data

test: lint typecheck pytest  ## static checks, then the whole suite on a real PostgreSQL

lint: $(SYNCED)
	$(BIN)/ruff check src migrations tests bench
	$(BIN)/ruff format --check src migrations tests bench

typecheck: $(SYNCED)
	$(BIN)/mypy src tests

pytest: $(SYNCED)
	$(BIN)/pytest

test-fast: $(SYNCED)  ## the suite without the tests marked slow (CLI processes, faults, schemathesis)
	$(BIN)/pytest -m 'not slow'

fuzz: $(SYNCED)  ## schemathesis per role, every phase, 100 examples per operation, a new seed each run
	UKUK_FUZZ_EXAMPLES=$${UKUK_FUZZ_EXAMPLES:-100} UKUK_FUZZ_PHASES=examples,coverage,fuzzing,stateful \
	UKUK_FUZZ_SEED=random $(BIN)/pytest tests/test_schemathesis.py

openapi: $(SYNCED)  ## regenerate the committed contract
	$(BIN)/ukuk openapi --output openapi/openapi.json

bench: $(SYNCED)  ## generated data (100k cases, once), timed requests, attachment throughput, then the API and a bare app with its SQL under wrk
	@# Both parts run; the target fails if either missed a target (each prints which). About 10 minutes once
	@# the data exists; bench/results.md holds the targets table (docs/performance.md, "How to run").
	$(BIN)/python -m bench.run $(BENCH_ARGS); run=$$?; $(BIN)/python -m bench.attachments; files=$$?; \
	$(BIN)/python -m bench.load $(LOAD_ARGS); load=$$?; test $$run -eq 0 -a $$files -eq 0 -a $$load -eq 0

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
