# `make run`: set up .venv and run the daily job on the sample workspace, then work the sample's
# first week of November (its tickets too: the 72-hour rate), write that week's report (周报) and
# judge October's campaigns on the November it leads to.
# `make test`: set up the same way and run every check and test.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/2026-09.csv data/2026-10.parquet data/agents.csv
DAY := 2026-11-02
WORKED_THROUGH := 2026-11-08

# The test suite runs on PostgreSQL too when a server answers on 127.0.0.1:5432.
PG_ANSWERS := $(shell $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null && echo yes)
ifeq ($(PG_ANSWERS),yes)
ENGINE_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export ENGINE_TEST_DATABASE_URL
endif

.PHONY: run test lint bench clean chromium screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(SAMPLE): | $(STAMP)
	$(BIN)/engine sample --out data

run: $(STAMP) $(SAMPLE)
	$(BIN)/engine check
	$(BIN)/engine import data/2026-09.csv --month 2026-09
	$(BIN)/engine import data/2026-10.parquet --month 2026-10
	$(BIN)/engine agents import data/agents.csv
	$(BIN)/engine segments
	$(BIN)/engine run --date $(DAY)
	$(BIN)/engine calls --agent A001 --date $(DAY) --limit 3
	$(BIN)/engine calls --agent A002 --date $(DAY) --limit 3
	$(BIN)/engine send --date $(DAY)
	$(BIN)/engine report --date $(DAY)
	$(BIN)/engine sample work --from $(DAY) --through $(WORKED_THROUGH)
	$(BIN)/engine tickets report --month 2026-11
	$(BIN)/engine report --week 2026-W45 --output var/周报-2026-W45.html
	$(BIN)/engine import data/2026-11.csv --month 2026-11
	$(BIN)/engine report --month 2026-10

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy outbound

# The browser tests drive Debian's Chromium (no browser download: this network has none).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint chromium
	$(BIN)/pytest

# Screenshots of the main pages for docs/ and the README, taken by the browser tests (with a
# Chinese font, or the pages' Chinese shows as boxes).
screenshots: $(STAMP) chromium
	@fc-list | grep -qi wqy || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }
	ENGINE_SCREENSHOTS=docs/screenshots ENGINE_TEST_DATABASE_URL= $(BIN)/pytest -q tests/browser

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var data .pytest_cache .mypy_cache .ruff_cache .hypothesis
