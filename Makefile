# Parcours — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.lock | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.9
# axe-core for the accessibility browser test, pinned in tests/browser/a11y/package-lock.json (npm ci: exact, no
# other download); node and npm come with the machine, as chromium does. Without npm the test is skipped (and
# fails in CI, which installs npm).
NPM ?= npm
A11Y := tests/browser/a11y
AXE_STAMP := $(A11Y)/node_modules/.installed-$(shell cat $(A11Y)/package-lock.json | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
BENCH_ARGS ?=
LOAD_ARGS ?=

.PHONY: run test lint format bench load bench-data lock install install-dev messages clean-data deploy-check screenshots

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP) $(AXE_STAMP)

$(VENV)/bin/uv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Re-installs only when a lock changes; uv makes a fresh install take seconds. `make run` installs the
# runtime lock only (what a production server gets); `make test` the development lock (runtime + tools).
$(RUN_STAMP): requirements.lock $(VENV)/bin/uv
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): requirements-dev.lock $(VENV)/bin/uv
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.lock
	@rm -f $(VENV)/.installed-dev-* $(VENV)/.installed-run-*
	@touch $@ $(RUN_STAMP)

$(AXE_STAMP): $(A11Y)/package-lock.json
	@if command -v $(NPM) >/dev/null; then \
		cd $(A11Y) && $(NPM) ci --silent --no-audit --no-fund && touch $(CURDIR)/$@; \
	else \
		echo "npm not found: the accessibility test (axe-core) is skipped; apt-get install npm to run it"; \
	fi

run: install
	@$(BIN)/python -m ops.bootstrap
	@echo "Parcours : http://localhost:$${STREAMLIT_SERVER_PORT:-8501}"
	@$(BIN)/streamlit run server.py

# Lint first (seconds), then the whole suite.
test: lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

# Fixes what ruff can fix by itself and formats the code (then review the diff).
format: install-dev
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

# Large synthetic dataset in its own SQLite database (kept between runs), then page timings.
bench: install-dev
	@$(BIN)/python -m bench $(BENCH_ARGS)

# N simulated users (Streamlit's WebSocket protocol, no browser) against a running app or proxy: p50/p95 per
# page and errors, into bench/results.json's `load` section. LOAD_ARGS="--url http://127.0.0.1:8501 --users 20".
load: install-dev
	@$(BIN)/python -m bench.load $(LOAD_ARGS)

# After marking texts with _() / N_() / ngettext(): extract them and update the English catalogue
# (new texts arrive untranslated: translate them in i18n/locales/en/LC_MESSAGES/messages.po;
# tests/architecture/test_translations.py fails until every one is).
messages: install-dev
	@$(BIN)/pybabel --quiet extract -F babel.cfg --no-location --sort-output --project=Parcours \
		-o $(VENV)/messages.pot app.py app_pages ui services models i18n
	@$(BIN)/pybabel --quiet update -i $(VENV)/messages.pot -d i18n/locales -l en --no-wrap \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

# Every page, phone (390 px) and desktop (1440 px), for the role that shows the most of it, on the demo data
# at the tests' pinned clock, into docs/screenshots/ (palette PNGs); the chart-size checks run on the way.
# Then what a funder is shown (its home, its Espace financeur, each page of the PDF report pack), the
# dashboard of the README (docs/dashboard.png) and a caseworker's home, from their journeys.
screenshots: install-dev
	@rm -f docs/screenshots/*-phone.png docs/screenshots/*-desktop.png docs/screenshots/pack-*.png
	@PARCOURS_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_page_tour.py \
		tests/browser/test_funder_journey.py tests/browser/test_dashboard_journey.py \
		tests/browser/test_login_journey.py -p no:randomly -q -s
	@du -ch docs/screenshots/*.png docs/*.png | tail -1

lock: $(VENV)/bin/uv
	@$(BIN)/uv pip compile --quiet requirements.in --python-version 3.11 --universal -o requirements.lock
	@$(BIN)/uv pip compile --quiet requirements.in requirements-dev.in --python-version 3.11 --universal \
		-o requirements-dev.lock

clean-data:
	rm -rf data/

# The demo back to its first day: the demo database deleted (refused in production, on PostgreSQL, or when the
# database holds anything but the demo data: ops/reset_demo.py), then built and seeded again; `make run` next.
.PHONY: reset-demo
reset-demo: install
	@$(BIN)/python -m ops.reset_demo
	@$(BIN)/python -m ops.bootstrap

# The deployment kit (deploy/) on this machine: PostgreSQL, two app processes, nginx over HTTPS, chromium
# signing in through the proxy and a write on one process seen on the other (tests/deploy/check_deploy.py).
deploy-check: install-dev
	@$(BIN)/python -m pytest tests/deploy/check_deploy.py -p no:randomly -v -s
