# Convention — the two commands: `make run` serves the seeded platform, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := convention
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_MEMBERS ?= 2000

.PHONY: run test install assets translations db seed demo-shift clean lint

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 est requis ($(PYTHON) introuvable)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed assets translations

# Bootstrap comes from the npm registry and is served by the app (never from a CDN).
convention/static/vendor/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p convention/static/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map convention/static/vendor/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map convention/static/vendor/
	@touch $@

assets: convention/static/vendor/.stamp

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations | tail -1

db: install
	$(BIN)/flask db upgrade

# The archive convention and the demo convention (its amendment phase open on the day of the first seed).
seed: db
	$(BIN)/flask seed --demo --members $(DEMO_MEMBERS)

# Days later: move the demo's dates so that its amendment phase is open today (PHASE=members_vote…).
PHASE ?= amendments
demo-shift: db
	$(BIN)/flask demo shift --phase $(PHASE)

run: seed
	@echo
	@echo "Convention est servie sur http://$(HOST):$(PORT)/ (Ctrl-C pour arrêter)"
	@$(BIN)/flask demo-accounts
	FLASK_RUN_HOST=$(HOST) FLASK_RUN_PORT=$(PORT) $(BIN)/flask run

# SQLite pass, then (CI=true or TEST_POSTGRES=1) a PostgreSQL + Redis pass; PYTEST_ARGS go to pytest.
test: install
	bash .ci/test-suite $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check convention seed workers tests config.py

clean:
	rm -rf $(VENV) node_modules convention/static/vendor instance/convention.db
