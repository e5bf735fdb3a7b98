# surveyapp: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app surveyapp
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run migrate test test-browser bench eval-text lint format translations seed-demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,dev,deploy]"
	touch $(STAMP)

install: $(STAMP) translations-compiled

translations-compiled: $(STAMP) $(wildcard surveyapp/translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel -q compile -d surveyapp/translations
	touch translations-compiled

migrate: install
	$(FLASK) db upgrade

# The outbox worker runs beside the web server and stops with it.
run: migrate
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

seed-demo: migrate
	$(FLASK) seed-demo

test: install
	$(BIN)/python -m pytest

# Only the end-to-end tests in headless chromium (screenshots in test-artifacts/).
test-browser: install
	$(BIN)/python -m pytest tests/browser

bench: install
	$(BIN)/python -m benchmarks

# Tagger and sentiment measured on the labelled data in ../shared/data.
eval-text: install
	$(BIN)/python -m surveyapp.text.evaluation

lint: install
	$(BIN)/ruff check surveyapp tests benchmarks
	$(BIN)/ruff format --check surveyapp tests benchmarks

format: install
	$(BIN)/ruff check --fix surveyapp tests benchmarks
	$(BIN)/ruff format surveyapp tests benchmarks

# Re-extract the strings to translate and merge them into every catalogue.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o surveyapp/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i surveyapp/translations/messages.pot -d surveyapp/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d surveyapp/translations

clean:
	rm -rf $(VENV) translations-compiled .pytest_cache node_modules test-artifacts
