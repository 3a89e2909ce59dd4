# Quiz Management System — everyday commands. `make run` and `make test` go through `make setup`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: setup run test test-mysql lint migrate seed clean

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

clean:
	rm -rf $(VENV) instance/quiz.db
