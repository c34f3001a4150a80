# Parcours — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test bench bench-data lock install messages clean-data

install: $(STAMP)

# Re-installs only when requirements.lock changes; uv makes a fresh install take seconds.
$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	@$(BIN)/python -m services.bootstrap
	@echo "Parcours : http://localhost:$${STREAMLIT_SERVER_PORT:-8501}"
	@$(BIN)/streamlit run app.py

test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

# Large synthetic dataset in its own SQLite database (kept between runs), then page timings.
bench: install
	@$(BIN)/python -m bench $(BENCH_ARGS)

# After marking texts with _() / N_() / ngettext(): extract them and update the English catalogue
# (new texts arrive untranslated: translate them in i18n/locales/en/LC_MESSAGES/messages.po;
# tests/unit/test_translations.py fails until every one is).
messages: install
	@$(BIN)/pybabel --quiet extract -F babel.cfg --no-location --sort-output --project=Parcours \
		-o $(VENV)/messages.pot app.py app_pages ui services models i18n
	@$(BIN)/pybabel --quiet update -i $(VENV)/messages.pot -d i18n/locales -l en --no-wrap \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

lock: install
	@$(BIN)/uv pip compile --quiet requirements.in requirements-dev.in --python-version 3.11 --universal -o requirements.lock

clean-data:
	rm -rf data/
