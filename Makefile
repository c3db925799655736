# draftdesk — `make run` starts the product, `make test` runs every check. Both set up .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ./var
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install lint typecheck imports pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The CPU build of PyTorch goes in first and is pinned by constraints.txt, so the resolver
# can never reach for a CUDA build.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	@mkdir -p $(DATA_DIR)
	@if [ ! -f $(DATA_DIR)/.demo-loaded ]; then \
		echo "First start: loading the demo knowledge base and demo orders into $(DATA_DIR)"; \
		DRAFTDESK_DATA_DIR=$(DATA_DIR) $(BIN)/draftdesk ingest knowledge_base/demo && \
		DRAFTDESK_DATA_DIR=$(DATA_DIR) $(BIN)/draftdesk orders load-demo && \
		DRAFTDESK_DATA_DIR=$(DATA_DIR) $(BIN)/draftdesk users demo-login && \
		touch $(DATA_DIR)/.demo-loaded; \
	fi
	DRAFTDESK_DATA_DIR=$(DATA_DIR) $(BIN)/draftdesk serve

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest

# Two processes, whole files each (module fixtures stay in one process): the suite's wall
# time on two cores is 13 min instead of 21 (CI's budget is 20 min with the install).
TEST_WORKERS ?= 2

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.load

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
