# The two commands of the README: `make run` and `make test`. Everything they need is installed
# here, so both work on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE ?= portal.settings.dev

.PHONY: run test install install-test system-deps search-node lint demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py update_index

run: demo
	@echo "门户地址：http://127.0.0.1:$(PORT)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Debian packages the test suite needs: a JDK and Maven for the Elasticsearch test node.
SYSTEM_PACKAGES := default-jdk-headless maven
system-deps:
	@if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then \
		echo "Installing $(SYSTEM_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

# The Elasticsearch node of the search tests, from Maven Central, cached under .cache/.
search-node: install-test system-deps
	$(BIN)/python -m search.testing.es_node fetch

lint: install-test
	$(BIN)/ruff check .

test: install-test system-deps search-node lint
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
