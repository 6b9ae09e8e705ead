# Tenderhall: `make run` starts the whole platform, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
# What runs the platform (requirements.txt), and on top of it the test and lint tools.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# The address links in e-mails and the demo's messages point to (the server itself is on HOST:PORT).
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test install install-dev lint format messages bench bench-opening bench-opendata bench-first-page clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tenderhall needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# uv (from PyPI, pinned) installs the requirements in seconds; where it cannot be installed, or
# fails, pip installs the same pins.
$(UV): | $(PY)
	-$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

define install_requirements
	if [ -x $(UV) ] && $(UV) pip install --quiet --python $(PY) -r $(1); then :; \
	else $(PY) -m pip install --quiet --disable-pip-version-check -r $(1); fi
endef

$(RUNTIME): requirements.txt | $(PY) $(UV)
	@$(call install_requirements,requirements.txt)
	@touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME) | $(PY) $(UV)
	@$(call install_requirements,requirements-dev.txt)
	@touch $@

install: $(RUNTIME)

install-dev: $(DEV)

# Migrate, collect static files, create the cache table, seed the demo, then serve: one process.
run: install
	SITE_URL=$(SITE_URL) exec $(PY) manage.py serve --prepare --host $(HOST) --port $(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs GNU gettext (apt-get install gettext): refresh the catalogues, then compile them.
messages: install
	$(PY) manage.py makemessages --all --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py makemessages --all --domain=djangojs --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

# A fresh clone of HEAD to the first page of `make run`, three times, with empty package caches; see the README.
bench-first-page:
	python3 bench/first_page.py --runs 3

# Deadline burst against daphne + PostgreSQL (DATABASE_URL, default th_bench_burst on 127.0.0.1); see the README.
bench: install-dev
	$(PY) -m bench.deadline_burst

# The opening's two benchmarks: fan-out to 2,000 watchers (PostgreSQL + Redis db 5), and speed
# and memory of opening 1,000 bids of 1 MB against a plain decryption loop; see the README.
bench-opening: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/th_bench_fanout} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/5} $(PY) -m bench.opening_fanout
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/th_bench_opening} $(PY) -m bench.opening_speed

# Open data at scale: following the feed through 100,000 releases and streaming the bulk export (PostgreSQL); see the README.
bench-opendata: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/th_bench_feed} $(PY) -m bench.opendata_feed

clean:
	rm -rf $(VENV) var/static
