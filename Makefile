# The two commands a fresh clone needs:
#   make demo   set up, migrate every database, load the demo data, fill the
#               analytics warehouse, serve on 127.0.0.1:8000
#   make test   set up and run the whole test suite: once on the embedded SQLite
#               default, once on a real PostgreSQL topology started for the run
# More:
#   make demo-pg   the demo on the local PostgreSQL topology, its analytics warehouse
#                  subscribed to the other servers (make pg-down stops it)
#   make demo-debug   the demo with DJANGO_DEBUG=true: Django's debug pages and
#                     the debug toolbar, its SQL panel with the routers' reasons
#   make bench, bench-pinning, bench-lag, bench-drill   benchmarks (bench/README.md)
#   make bench-analytics   warehouse reports against the ORM, and replication delay
#   make bench-sharding    across_shards() in parallel against serial fan-out
#   make bench-move        move_shard under live writes: copy rate, write latency
#   make bench-throughput  req/s under gunicorn: connection reuse, against one database
#   make lock      regenerate requirements*.txt, with hashes, from requirements*.in
#   make matrix    the routers' own tests on each supported Python and Django (noxfile.py)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The test pass gets its own servers, so it never touches a running demo-pg; its
# ports sit below Linux's ephemeral range, so no client connection can hold one.
PG_TEST_ENV = PG_TOPOLOGY_DIR=/tmp/multidb-pg-test PG_TOPOLOGY_PORT=25442
TOPOLOGY := $(BIN)/python scripts/pg_topology.py

.PHONY: matrix bench-lag demo demo-pg pg-down test migrations-check lock test-sqlite test-postgres install install-dev lint bench bench-pinning bench-drill bench-analytics bench-sharding bench-move bench-throughput clean

demo: install
	$(BIN)/python manage.py migrate_all
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py demo_history
	$(BIN)/python manage.py sync_warehouse
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The toolbar is a development dependency (requirements-dev.txt).
.PHONY: demo-debug
demo-debug: install-dev
	DJANGO_DEBUG=true $(MAKE) demo

# subscribe comes after migrate_all, which creates the sources' publications and
# the warehouse's tables, and before load_demo, so the warehouse streams the demo rows.
demo-pg: install
	$(TOPOLOGY) up
	set -a && eval "$$($(TOPOLOGY) env)" && set +a && \
	  $(BIN)/python manage.py migrate_all && \
	  $(TOPOLOGY) subscribe && \
	  $(BIN)/python manage.py load_demo && \
	  $(BIN)/python manage.py demo_history && \
	  $(BIN)/python manage.py refresh_reports && \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

pg-down:
	$(TOPOLOGY) down

test: lint migrations-check test-sqlite test-postgres

# A model change without its migration fails here, before any test runs.
migrations-check: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

# Everything but the Postgres-only tests, on the embedded SQLite default.
test-sqlite: install-dev
	$(BIN)/python -m pytest -m "not postgres" $(PYTEST_ARGS)

# Everything that touches a database, on the real topology (browser and compose
# tests already ran above: they start their own server or need no database).
test-postgres: install-dev
	$(PG_TEST_ENV) $(TOPOLOGY) run -- $(BIN)/python -m pytest -m "not sqlite_only" \
	  --ignore=tests/e2e --ignore=tests/compose $(PYTEST_ARGS)

# The routers' version matrix (noxfile.py), its virtualenvs under .nox/. pyenv's
# Pythons go on PATH first, where pyenv has them; NOX_ARGS picks sessions
# (NOX_ARGS="-s 'routers(py3.13-django6.0)'"), `-- -x` passes pytest options.
PYENV_PYTHONS := $(wildcard $(HOME)/.pyenv/versions/3.1[0-3].*/bin)
empty :=
space := $(empty) $(empty)
matrix: install-dev
	PATH="$(subst $(space),:,$(strip $(PYENV_PYTHONS) $(PATH)))" $(BIN)/nox $(NOX_ARGS)

# ruff, then mypy with django-stubs over routers/ and project/ ([tool.mypy]).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The cost of a lag-aware read decision, on the real topology (bench/lag_check.py).
bench-lag: install-dev
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-lag PG_TOPOLOGY_PORT=22482 $(TOPOLOGY) run -- \
	  $(BIN)/python bench/lag_check.py

bench: install-dev
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python bench/run.py

# Read-your-writes under load on its own throwaway PostgreSQL topology.
bench-pinning: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-bench PG_TOPOLOGY_PORT=22462 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/pinning.py $(BENCH_ARGS)

# The replica, blog_db, shop_db and default stopped or hung under live traffic
# (orders included) through gunicorn, on its own throwaway PostgreSQL topology
# (bench/README.md, "Reliability drill").
bench-drill: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-drill PG_TOPOLOGY_PORT=22442 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/drill.py $(BENCH_ARGS)

# The analytics warehouse at 10k and 100k orders: the top-products report from the
# materialized view, the live view and the ORM, and commit-to-warehouse delay, on
# its own throwaway PostgreSQL topology (bench/README.md, "Analytics warehouse").
bench-analytics: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-analytics PG_TOPOLOGY_PORT=24442 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/analytics.py $(BENCH_ARGS)

# across_shards() in parallel against serial fan-out over 100,000 events on two
# shards, on its own throwaway PostgreSQL topology (bench/README.md, "Sharding").
bench-sharding: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-sharding PG_TOPOLOGY_PORT=23442 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/sharding.py $(BENCH_ARGS)

# move_shard under live writes: rows copied a second, and the write latency of
# the moving logical shard and of another, before and during the moves, on its
# own throwaway PostgreSQL topology (bench/README.md, "Moving a logical shard").
bench-move: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-move PG_TOPOLOGY_PORT=23462 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/move.py $(BENCH_ARGS)

# Requests a second under gunicorn for a single-database build and the
# multi-database build with and without connection reuse, on its own throwaway
# PostgreSQL topology (bench/README.md, "Throughput").
bench-throughput: install
	PG_TOPOLOGY_DIR=/tmp/multidb-pg-throughput PG_TOPOLOGY_PORT=23482 \
	  $(TOPOLOGY) run -- $(BIN)/python bench/throughput.py $(BENCH_ARGS)

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The lock files name every package with its hashes: pip refuses anything else.
$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# Regenerate the lock files from requirements*.in: add or change a line there,
# then `make lock`. Versions already locked stay as they are unless an .in line
# changes them; the dev lock takes the runtime one's versions (-c requirements.txt).
LOCK = $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"
lock: install-dev
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) .nox var staticfiles .pytest_cache
