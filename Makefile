# Developer entry points. `make run` / `make stop` for the local platform, `make test` for CI.
PY ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DURABLE ?=

.PHONY: venv run demo stop status test test-unit lint fmt contracts mutation clean

venv: $(STAMP)

# Reinstalls only when pyproject.toml or constraints.txt change, so repeated calls are fast.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev,devinfra]"
	@touch $@

SPEED ?= 1
CASES ?= 500
DEMO_SPEED ?= 2400

run: venv
	$(BIN)/python -m dev.run_platform start --speed $(SPEED) $(if $(ORIGIN),--origin $(ORIGIN)) $(if $(filter 1 yes true,$(DURABLE)),--durable)

# A simulated day of a service hall against the local platform (started here, accelerated,
# when none runs; it stays up afterwards for a look around: `make stop` ends it).
demo: venv
	$(BIN)/python -m demo.run --cases $(CASES) --speed $(DEMO_SPEED)

stop: venv
	$(BIN)/python -m dev.run_platform stop

status: venv
	$(BIN)/python -m dev.run_platform status

test: venv
	$(BIN)/python -m tests.support.run_tests $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/python -m tests.support.run_tests --unit-only $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

contracts: venv
	$(BIN)/egov contracts export docs/contracts
	$(BIN)/egov contracts picture README.md docs/architecture.md

# Mutation score of the domain packages and shared/calendar (mutmut, one package after the other,
# at low priority; not part of `make test`). Writes docs/mutation/<package>.md; work directories
# in .mutation/. PACKAGE=shared/calendar runs one; MUTATION_ARGS=--fresh drops earlier results.
PACKAGE ?=
MUTATION_ARGS ?=
mutation: venv
	nice -n 19 $(BIN)/python -m tests.support.mutation $(if $(PACKAGE),--package $(PACKAGE)) $(MUTATION_ARGS)

# Stops the local platform, then removes local state (stack data, logs) and tool caches.
# Keeps .venv and .dev/node.
clean:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m dev.run_platform stop; fi
	rm -rf .dev/local .pytest_cache .ruff_cache .mypy_cache .hypothesis .mutation mutants build dist
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
