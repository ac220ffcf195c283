# Kubu Raya Smart City. `make demo` and `make test` set everything up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_REPORTS ?= 3000
DEMO_BUSINESSES ?= 2000

.PHONY: citus-test help demo test setup venv db migrate boundaries demo-data serve bench fuzz clean-state portal-assets browser edge-deps citus citus-stop

help:
	@echo "make demo   set up everything, load real boundaries and demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   set up the same and run the whole test suite"
	@echo "make bench  run the benchmarks in bench/ (loads 1,000,000 synthetic reports)"
	@echo "make fuzz   fuzz the whole OpenAPI with schemathesis against gunicorn (no 5xx allowed)"
	@echo "make citus  build Citus if missing, start coordinator + 2 workers (.state/citus), serve on it"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-nodeps.txt scripts/sysdeps.sh
	@bash scripts/sysdeps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements.txt
	@$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	@touch $@
	@echo "[venv] $(VENV) ready"

db: venv
	@bash scripts/db.sh

migrate: db
	@$(PY) manage.py migrate --noinput -v 1

boundaries: migrate
	@$(PY) manage.py geo_load_kubu_raya --commit

setup: boundaries portal-assets
	@$(PY) manage.py collectstatic --noinput -v 0

demo-data: setup
	@$(PY) manage.py announcements_vapid_keys
	@$(PY) manage.py demo_load --reports $(DEMO_REPORTS) --businesses $(DEMO_BUSINESSES)

serve:
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	@if [ -n "$${CELERY_BROKER_URL:-$${REDIS_URL:-}}" ]; then \
	  $(PY) -m celery -A config worker --beat --schedule .state/celerybeat-schedule --loglevel=INFO \
	    > .state/celery.log 2>&1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  echo "[jobs] Celery worker + beat running (pid $$worker, log .state/celery.log)"; \
	else echo "[jobs] no CELERY_BROKER_URL/REDIS_URL: background jobs run inline"; fi; \
	DEBUG=$${DEBUG:-0} $(PY) manage.py runserver --insecure $(HOST):$(PORT)

demo: demo-data serve

test: db portal-assets browser edge-deps
	@$(PY) manage.py collectstatic --noinput -v 0
	@$(VENV)/bin/pytest

bench: setup edge-deps
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

fuzz: setup
	@bash scripts/fuzz.sh

# Portal: vendored Leaflet assets (npm registry) and headless Chromium (Debian).
portal-assets:
	@bash scripts/vendor_js.sh
	@bash scripts/vendor_maplibre.sh

browser:
	@bash scripts/browser_deps.sh

clean-state:
	rm -rf .state media staticfiles

edge-deps:
	@bash scripts/nginx_deps.sh

# Citus (docs/scaling.md): private coordinator + 2 workers; after the migrations
# citus_distribute distributes the reports' tables by regency_code (ops.citus).
# KR_CITUS=1: custom plans and routed row locks (config/settings/base.py).
citus: venv portal-assets
	@bash scripts/citus.sh start >/dev/null
	@export DATABASE_URL=$$(cat .state/citus/database_url) KR_CITUS=1; \
	  $(PY) manage.py migrate --noinput -v 1 && $(PY) manage.py citus_distribute && \
	  $(PY) manage.py geo_load_kubu_raya --commit && \
	  $(PY) manage.py collectstatic --noinput -v 0 && $(MAKE) --no-print-directory serve

citus-stop:
	@bash scripts/citus.sh stop

# The core of the test suite on a Citus coordinator + 2 workers (scripts/citus-suite.sh).
citus-test: venv portal-assets
	@bash scripts/citus-suite.sh
