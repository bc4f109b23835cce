# Endpoint Console: set-up, demo, tests.
#   make demo   set up, migrate, create the demo logins and workflow, serve
#               on 127.0.0.1:$(PORT) (make demo PORT=8001 for another port),
#               with the fake OAuth 2.0 provider and its vendor fakes in the
#               background
#   make test   set up, lint, check, run the whole test suite
#   make manage ARGS="..."  run manage.py with the demo's vendor settings, to
#               reach the demo's fakes while make demo runs
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
# The port of the demo's fake OAuth 2.0 provider, which also serves the
# vendor fakes (make demo DEMO_PROVIDER_PORT=8011).
DEMO_PROVIDER_PORT ?= 8010
DEMO_FAKES := http://127.0.0.1:$(DEMO_PROVIDER_PORT)
# The vendor URLs that are settings point at the vendor fakes. The demo's
# Slack and Microsoft endpoints connect with the demo apps of the fakes
# (endpoints/testing/fake_slack.py and fake_microsoft.py), which exist only
# there.
DEMO_VENDOR_ENV := DEMO_OAUTH_PROVIDER_PORT=$(DEMO_PROVIDER_PORT) \
  SLACK_CLIENT_ID=console-demo-slack \
  SLACK_CLIENT_SECRET=demo-slack-client-secret \
  SLACK_URL=$(DEMO_FAKES)/slack SLACK_API_URL=$(DEMO_FAKES)/slack/api \
  MICROSOFT_CLIENT_ID=7d3c8a4e-0000-4000-8000-00000000de70 \
  MICROSOFT_CLIENT_SECRET=demo-microsoft-client-secret \
  MICROSOFT_TENANT=fake-tenant.test \
  MICROSOFT_LOGIN_URL=$(DEMO_FAKES)/microsoft \
  MICROSOFT_GRAPH_URL=$(DEMO_FAKES)/microsoft/graph \
  ZOOM_TOKEN_URL=$(DEMO_FAKES)/zoom/oauth/token
# The demo's server is the console's public address, whatever .env says.
DEMO_ENV := CONSOLE_BASE_URL=http://127.0.0.1:$(PORT) $(DEMO_VENDOR_ENV)

.PHONY: demo serve manage test lint check install chromium bench

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

manage: $(INSTALLED)
	$(DEMO_ENV) $(BIN)/python manage.py $(ARGS)

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
