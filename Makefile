# partnerdesk: `make run` serves a demo installation, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint check bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $(DEV_STAMP)

install: $(STAMP)
	$(BIN)/partnerdesk compilecatalogs

install-dev: $(DEV_STAMP)
	$(BIN)/partnerdesk compilecatalogs

run: install
	$(BIN)/partnerdesk migrate --no-input
	$(BIN)/partnerdesk demo
	$(BIN)/partnerdesk serve 127.0.0.1:8000

test: install-dev
	$(BIN)/pytest -n auto

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src/partnerdesk/hours src/partnerdesk/contracts/pricing.py src/partnerdesk/billing/documents.py src/partnerdesk/billing/lines.py src/partnerdesk/billing/vat.py src/partnerdesk/billing/periods.py src/partnerdesk/manual/analysis.py src/partnerdesk/manual/rendering.py src/partnerdesk/reports/charts.py

check: install-dev
	$(BIN)/partnerdesk makemigrations --check --dry-run

bench: install-dev
	$(BIN)/python bench/bench_hours.py
	PYTHONPATH=src $(BIN)/python bench/bench_masking.py
	$(BIN)/python bench/bench_manual.py --sqlite

clean:
	rm -rf $(VENV) var
