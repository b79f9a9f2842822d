# The two commands of the README: `make run` and `make test`. Everything they need is installed
# here, so both work on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE ?= portal.settings.dev
# Every absolute URL (QR codes, short links, feeds) starts with the address the portal is served at.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run serve test test-sqlite test-postgresql test-deps install install-test run-deps system-deps print-fonts search-node axe-core lint demo clean messages

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# A PostgreSQL DATABASE_URL needs its driver, a Redis CACHE_URL its client.
comma := ,
space := $(subst ,, )
EXTRA_NAMES := $(strip $(if $(findstring postgres,$(DATABASE_URL)),postgres) $(if $(findstring redis,$(CACHE_URL)),redis))
EXTRAS := $(if $(EXTRA_NAMES),[$(subst $(space),$(comma),$(EXTRA_NAMES))],)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".$(EXTRAS)"
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install run-deps print-fonts
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py refresh_checklists
	$(BIN)/python manage.py refresh_search_text --verbosity 0
	$(BIN)/python manage.py update_index

run: demo
	@echo "门户地址：$(PUBLIC_BASE_URL)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The production stack on this machine (docs/deploy.md): production settings, static files
# collected (hashed, compressed), gunicorn with 2 workers and the task worker, on the demo database.
SERVE_ENV = PORT=$(PORT) DJANGO_SETTINGS_MODULE=portal.settings.production TASKS_BACKEND=database SECRET_KEY="$$(cat var/secret-key)"

var/secret-key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

serve: demo var/secret-key
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) $(BIN)/python manage.py check --deploy
	@echo "门户地址：$(PUBLIC_BASE_URL)/ （gunicorn $${WEB_CONCURRENCY:-2} 个进程 + 任务进程；Ctrl-C 停止）"
	$(SERVE_ENV) $(BIN)/python -m portal.serve

# Debian packages: WeasyPrint's text stack and a CJK font for the printed sheets (the portal),
# plus a JDK and Maven for the Elasticsearch test node, Chromium for the browser tests, the
# sqlite3 shell for the backup test, the PostgreSQL and Redis servers that the tests start
# (portal.testing), Node.js for axe-core (npm too, unless the Node.js build brings its own) and
# gettext for the catalogue test (makemessages, msgfmt).
RUN_PACKAGES := fonts-noto-cjk fontconfig libfontconfig1 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
TEST_PACKAGES := $(RUN_PACKAGES) default-jdk-headless maven chromium sqlite3 postgresql redis-server nodejs gettext
define install_packages
	@missing=$$(for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || echo $$package; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

run-deps:
	$(call install_packages,$(RUN_PACKAGES))

system-deps:
	$(call install_packages,$(TEST_PACKAGES))

# The English catalogue: collect the strings marked for translation (as tests/i18n/test_catalogue.py
# does), translate what is new in locale/en/LC_MESSAGES/django.po, then compile it (the .mo is
# committed: serving needs no gettext tools).
messages: install system-deps
	$(BIN)/python manage.py makemessages --locale en --no-obsolete --no-location \
		--ignore migrations --ignore testing --ignore tests --ignore benchmarks --ignore var --ignore docs --ignore test-artifacts
	msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

# The print face of the PDF sheets, cut from the CJK font once (printing.fonts; skipped when up
# to date): sheets render faster and weigh half as much.
print-fonts: install run-deps
	$(BIN)/python manage.py build_print_fonts

# The Elasticsearch node of the search tests, from Maven Central, cached under .cache/.
search-node: install-test system-deps
	$(BIN)/python -m search.testing.es_node fetch

# axe-core, the accessibility checker the browser tests inject into each public page, from npm
# into .cache/ (installed again when the pinned version changes).
AXE_VERSION := 4.11.4
AXE_DIR := .cache/axe-core
axe-core: system-deps
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm)
	@grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json || \
		npm install --prefix $(AXE_DIR) --no-audit --no-fund --no-package-lock axe-core@$(AXE_VERSION)

lint: install-test
	$(BIN)/ruff check .

# The whole suite twice: on SQLite (in memory) and on a throw-away PostgreSQL server that the
# test setup starts (TEST_DATABASE=postgresql, portal.testing.pg_server). PYTEST_ARGS narrows both.
# The two passes run at the same time (much of a pass waits on servers, browsers and renders, so
# together they take little longer than one): the SQLite pass reports as it goes, the PostgreSQL
# pass into var/test-postgresql.log, printed when both have ended.
test_pass = DJANGO_SETTINGS_MODULE=portal.settings.test TEST_DATABASE=$(1) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: test-deps
	@mkdir -p var; echo "PostgreSQL pass in the background, reporting to var/test-postgresql.log"; \
	$(call test_pass,postgresql) > var/test-postgresql.log 2>&1 & postgresql=$$!; \
	$(call test_pass,sqlite); sqlite_status=$$?; \
	wait $$postgresql; postgresql_status=$$?; \
	echo "===== PostgreSQL pass (var/test-postgresql.log) ====="; cat var/test-postgresql.log; \
	echo "SQLite pass: exit $$sqlite_status · PostgreSQL pass: exit $$postgresql_status"; \
	test $$sqlite_status -eq 0 && test $$postgresql_status -eq 0

test-deps: install-test system-deps print-fonts search-node axe-core lint

test-sqlite: test-deps
	$(call test_pass,sqlite)

test-postgresql: test-deps
	$(call test_pass,postgresql)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
