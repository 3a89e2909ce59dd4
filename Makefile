# Quiz Management System — everyday commands. `make run` and `make test` go through `make setup`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: setup run test test-mysql lint migrate seed docs docs-serve clean

setup: $(STAMP)

# Rebuilt whenever a requirements file changes. mysqlclient (a C driver) is added
# only where its headers exist; PyMySQL always serves otherwise.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	if pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists libmariadb 2>/dev/null || command -v mysql_config >/dev/null 2>&1; then \
		$(BIN)/pip install --quiet "mysqlclient==2.3.1" || echo "mysqlclient not installed; PyMySQL will be used"; \
	fi
	touch $(STAMP)

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/python run.py

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-mysql: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306/} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

migrate: setup
	$(BIN)/flask db upgrade

seed: setup
	$(BIN)/flask seed-demo

# The documentation site (mkdocs.yml, docs/). --strict: a broken link or anchor, or a
# page missing from the nav, fails the build. NO_MKDOCS_2_WARNING quiets the theme's banner.
DOCS_STAMP := $(VENV)/.docs-installed
SITE_DIR ?= site

$(DOCS_STAMP): requirements-docs.txt | setup
	$(BIN)/pip install --quiet -r requirements-docs.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(SITE_DIR)

docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

clean:
	rm -rf $(VENV) instance/quiz.db site
