# Endpoint Console: set-up, demo, tests.
#   make demo   set up, migrate, create the demo logins and workflow, serve
#               on 127.0.0.1:$(PORT) (make demo PORT=8001 for another port),
#               with the fake OAuth 2.0 provider in the background
#   make test   set up, lint, check, run the whole test suite
#   make bench  set up, run the benchmark against its floors (docs/benchmarks.md);
#               BENCH_ARGS="--database-url postgres://..." adds the PostgreSQL case
# Both install what they need on first use: a virtualenv in .venv with the
# packages of pyproject.toml, and for the tests Debian's chromium.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_ENV := DJANGO_SETTINGS_MODULE=tests.settings
PORT ?= 8000
# The demo's server is the console's public address, whatever .env says.
DEMO_ENV := CONSOLE_BASE_URL=http://127.0.0.1:$(PORT)

.PHONY: demo serve test lint check install chromium bench

$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "$(PYTHON) was not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

chromium:
	scripts/install-chromium

demo: $(INSTALLED)
	$(BIN)/python -m console.envfile --port $(PORT)
	$(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py demo --port $(PORT)
	@# The fake OAuth 2.0 provider of the demo's OAuth endpoints runs in the
	@# background and stops when the server stops.
	$(DEMO_ENV) $(BIN)/python manage.py fake_oauth_provider & provider=$$!; \
	trap 'kill $$provider 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

check: $(INSTALLED)
	$(TEST_ENV) $(BIN)/python manage.py check --fail-level WARNING
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

test: $(INSTALLED) chromium lint check
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(INSTALLED)
	$(BIN)/python -m bench $(BENCH_ARGS)
