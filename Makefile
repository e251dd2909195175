# One-command set-up: `make run` serves the portal, `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test e2e bench lint messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Tasks run inline in the suite (also against CI's Redis, which then serves the cache): the
# production shape of the broker is tested where it matters, by tests that switch it on
# (tests/integrations/test_reliability_redis.py, test_outbox_embedded.py) and by .ci/run's worker.
TEST_ENV = CELERY_TASK_ALWAYS_EAGER=$${CELERY_TASK_ALWAYS_EAGER:-true}

test: install
	$(TEST_ENV) $(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

e2e: install
	$(TEST_ENV) $(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Every benchmark of tests/bench/, each against its comparison measured in the same run
# (the applications API reuses the million cases the case-queue bench has just built;
# submission_floor.py then reports the least a submission can cost, ADR 0009).
# A missed target fails `make bench` at the end, after every script has reported.
bench: install
	@status=0; \
	$(PY) tests/bench/run.py $(BENCH_ARGS) || status=1; \
	$(PY) tests/bench/bench_case_queue.py $(BENCH_ARGS) || status=1; \
	$(PY) tests/bench/bench_applications.py --keep-db $(BENCH_ARGS) || status=1; \
	$(PY) tests/bench/submission_floor.py || status=1; \
	$(PY) tests/bench/bench_outbox.py $(BENCH_ARGS) || status=1; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: install
	$(PY) manage.py makemessages -l en --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' \
		--ignore 'media/*' --ignore 'private_media/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
