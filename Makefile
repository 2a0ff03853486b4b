# SCPLN: `make up` runs the whole system locally; `make test` runs the whole test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test install lint schemas samples bench clean browser-deps smoke-plan-run

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/scpln up

browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "chromium could not be installed: browser tests will be skipped"; }

TEST_WORKERS ?= 0
# 0: one process. TEST_WORKERS=2 runs the suite on two pytest-xdist workers, a module each at a
# time (about 350 s instead of 590 on two cores), but the heavy end-to-end tests (the full disk,
# the scale-out cluster) then share two cores and may miss their deadlines.

test: install browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadscope

lint: install
	$(BIN)/ruff check .

smoke-plan-run:  # a plan on a sample, its run found in the history (the running system: SCPLN_DATA_DIR, SCPLN_URL)
	$(BIN)/python scripts/smoke_plan_run.py

schemas: install
	$(BIN)/python -m contracts.schema_gen
	$(BIN)/python -m scpln.asyncapi

samples: install
	$(BIN)/scpln samples --write-shipped

bench: install
	@for script in e2e_latency simulator plans registry_queries registry_replay gateway throughput; do \
	  echo "== bench/$$script.py"; $(BIN)/python bench/$$script.py || exit 1; done

clean:
	rm -rf $(VENV) data
