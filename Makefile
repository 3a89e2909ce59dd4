# Quiz Management System — everyday commands. `make run` and `make test` go through `make setup`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: setup lock run test test-mysql lint migrate seed docs docs-serve clean

setup: $(STAMP)

# Installs exactly the locked versions, each file checked against its hash
# (requirements*.lock, generated from the requirements*.txt pins by `make lock`).
# Rebuilt whenever a lock changes. mysqlclient (a C driver) is added only where its
# headers exist; PyMySQL always serves otherwise.
$(STAMP): requirements.lock requirements-dev.lock requirements-mysqlclient.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	if pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists libmariadb 2>/dev/null || command -v mysql_config >/dev/null 2>&1; then \
		$(BIN)/pip install --quiet --require-hashes -r requirements-mysqlclient.lock || echo "mysqlclient not installed; PyMySQL will be used"; \
	fi
	touch $(STAMP)

# Regenerates the locks from the pins, for Python 3.11 on x86-64 Linux, with the hash of
# every file PyPI holds for each version. Versions already locked stay where they are
# unless a pin moves them; the docs lock is constrained by the dev lock so that both
# install into one .venv. Commit the requirements*.txt change and the locks together.
UV_COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11.7 \
	--python-platform x86_64-unknown-linux-gnu --index-url https://pypi.org/simple \
	--custom-compile-command "make lock"

lock: setup
	for name in requirements requirements-dev requirements-mysqlclient; do \
		$(UV_COMPILE) $$name.txt -o $$name.lock || exit 1; \
	done
	$(UV_COMPILE) --constraint requirements-dev.lock requirements-docs.txt -o requirements-docs.lock

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

$(DOCS_STAMP): requirements-docs.lock | setup
	$(BIN)/pip install --quiet --require-hashes -r requirements-docs.lock
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(SITE_DIR)

docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

clean:
	rm -rf $(VENV) instance/quiz.db site
