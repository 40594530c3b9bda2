# UtilityDesk — two commands: `make run` and `make test`. Everything else is plumbing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6.1 needs Python >= 3.12 (docs/decisions/0001-python-version.md).
PYTHON_BOOT ?= $(shell for p in python3.13 python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 /root/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.13; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/utilitydesk
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: loadtest prod-check screens help run test deps system-deps python-deps assets messages lint migrate-check test-sqlite test-postgres bench clean lock

help:
	@echo "make run   - install what is missing, migrate, load the demo company, serve on http://127.0.0.1:8000"
	@echo "make test  - install what is missing, lint, and run every test on SQLite and PostgreSQL"
	@echo "make bench - benchmarks on PostgreSQL, written to docs/benchmarks.md"
	@echo "make loadtest - the cold-morning load test on the benchmark city, to docs/benchmarks.md"
	@echo "make screens - screenshots of every role's pages into docs/screens/"

# --- installs (idempotent) -------------------------------------------------------------
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing="$$missing fonts-noto-cjk"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing="$$missing fonts-wqy-zenhei"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v pg_isready >/dev/null || missing="$$missing postgresql-client"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON_BOOT)" || { echo "Python >= 3.12 not found"; exit 1; }
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

python-deps: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

assets: node_modules/.installed

messages: python-deps system-deps
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

deps: system-deps python-deps assets messages

# --- run -------------------------------------------------------------------------------
run: deps
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_demo
	@echo "Serving http://127.0.0.1:8000 (gunicorn and its companion process; Ctrl-C stops both)"
	DEBUG=$${DEBUG:-0} BACKGROUND_MODE=$${BACKGROUND_MODE:-thread} $(VENV)/bin/honcho --procfile Procfile start

# --- test ------------------------------------------------------------------------------
lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r utilitydesk -x '*/migrations/*,*/tests/*' -c pyproject.toml
	DJANGO_SETTINGS_MODULE=utilitydesk.settings $(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy utilitydesk

migrate-check: python-deps
	$(PY) manage.py makemigrations --check --dry-run -v 1

test-sqlite: deps
	@echo "== tests on SQLite =="
	UTILITYDESK_VAR_DIR=$(CURDIR)/var/test DATABASE_URL=sqlite:///$(CURDIR)/var/test/test.sqlite3 \
	  $(VENV)/bin/pytest -q $(PYTEST_ARGS)

test-postgres: deps
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "== tests on PostgreSQL =="; \
	  UTILITYDESK_VAR_DIR=$(CURDIR)/var/test DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -q $(PYTEST_ARGS); \
	else echo "PostgreSQL is not reachable on 127.0.0.1:5432: PostgreSQL tests skipped"; fi

test: lint migrate-check test-sqlite test-postgres prod-check

# The production stack on loopback: nginx → gunicorn → PostgreSQL, Redis, Celery worker and
# beat, started from deploy/ (tests/system/test_production_stack.py).
prod-check: deps
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "== the production stack (nginx, gunicorn, Celery, Redis, PostgreSQL) =="; \
	  PROD_CHECK=1 UTILITYDESK_VAR_DIR=$(CURDIR)/var/test $(VENV)/bin/pytest -q \
	    tests/system/test_production_stack.py tests/system/test_loadtest.py; \
	else echo "PostgreSQL is not reachable on 127.0.0.1:5432: the production stack check skipped"; fi

bench: deps
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "make bench needs PostgreSQL on 127.0.0.1:5432"; exit 1; }
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/utilitydesk_bench} \
	  $(PY) -m scripts.bench $(BENCH_ARGS)
	@echo "== growth: the read paths on a city a tenth the size =="
	mkdir -p var/bench-small
	BENCH_DOCS_DIR=var/bench-small \
	DATABASE_URL=$${BENCH_SMALL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/utilitydesk_bench_small} \
	  $(PY) -m scripts.bench --customers 100000 --cases 300000 --open-cases 3000 \
	  --only screen_pop pages kpi_counts dashboards arrears
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/utilitydesk_bench} \
	  $(PY) -m scripts.bench --growth-from var/bench-small/benchmarks.json

# The cold morning (scripts/loadtest.py): the production stack on the benchmark city under
# locust's mix of people for 10 minutes; the table goes to docs/benchmarks.md.
loadtest: deps
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "make loadtest needs PostgreSQL on 127.0.0.1:5432"; exit 1; }
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/utilitydesk_bench} \
	  $(PY) -m scripts.loadtest $(LOADTEST_ARGS)

# Each role's home and main page at its viewport, from the demo company (docs/screens/).
screens: deps
	$(PY) -m scripts.screens

lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^utilitydesk' > requirements.txt

clean:
	rm -rf $(VENV) node_modules var/test
