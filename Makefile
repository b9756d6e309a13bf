# 职业技能鉴定站 — two commands on a fresh Debian 12 machine (as root):
#   make demo   set up everything, then run a demo round (forms → signed scans → filed → searched),
#               then serve it on http://127.0.0.1:8000 until Ctrl-C (make demo SERVE=0: stop after filing)
#   make test   set up everything, then run the tests on SQLite and on a real PostgreSQL server
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STATION := $(VENV)/bin/station
DEMO_DATA ?= out/demo
SERVE ?= 1

.PHONY: setup system-packages venv demo test test-sqlite test-postgres bench previews

system-packages:
	@bash scripts/system-packages.sh

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

setup: system-packages venv

demo: setup
	STATION_DATA=$(DEMO_DATA) SERVE=$(SERVE) bash scripts/demo.sh

test: setup test-sqlite test-postgres

test-sqlite:
	$(PY) -m pytest -q -n 2 -p no:cacheprovider

test-postgres:
	bash scripts/with-postgres.sh $(PY) -m pytest -q -n 2 -p no:cacheprovider -m "not nodb and not once"

bench: setup
	$(PY) bench/import_candidates.py
	STATION_DATA=out/bench-forms $(PY) bench/forms.py --candidates 500 --workers 2 --repeat 3
	$(PY) bench/identify.py --pages 500 --repeat 3
	$(PY) bench/ingest.py --repeats 3
	$(PY) bench/search.py
	$(PY) bench/verify.py --gb 2
