# Tenderhall: `make run` starts the whole platform, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The address links in e-mails and the demo's messages point to (the server itself is on HOST:PORT).
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test install lint format messages bench bench-opening clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tenderhall needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	SITE_URL=$(SITE_URL) exec $(PY) manage.py serve --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs GNU gettext (apt-get install gettext): refresh the catalogues, then compile them.
messages: install
	$(PY) manage.py makemessages --all --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py makemessages --all --domain=djangojs --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

# Deadline burst against daphne + PostgreSQL (DATABASE_URL, default th_bench_burst on 127.0.0.1); see the README.
bench: install
	$(PY) -m bench.deadline_burst

# The opening's two benchmarks: fan-out to 2,000 watchers (PostgreSQL + Redis db 5), and speed
# and memory of opening 1,000 bids of 1 MB against a plain decryption loop; see the README.
bench-opening: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/th_bench_fanout} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/5} $(PY) -m bench.opening_fanout
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/th_bench_opening} $(PY) -m bench.opening_speed

clean:
	rm -rf $(VENV) var/static
