#!/usr/bin/env python
"""Where the time of one API submission goes (issue 3's submission throughput).

Runs N submissions of bench_applications.py's request (a form and a 200 KB PDF) in process,
through the Django test client, against the bench database that ``make bench`` built, and
prints the time and queries per submission, the most expensive query shapes and the
project's functions by cumulative time. Run ``make bench`` (or bench_applications.py) once
first: it creates the bench matters and the API applicants.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python tests/bench/profile_submit.py [--count 20]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class QueryTimer:
    """Each statement and its time in the driver (Django's own log rounds to milliseconds)."""

    def __init__(self) -> None:
        self.captured: list[tuple[str, float]] = []

    def __len__(self) -> int:
        return len(self.captured)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured.append((sql, time.perf_counter() - started))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument(
        "--no-profile", action="store_true", help="time only (cProfile roughly doubles the time)"
    )
    parser.add_argument(
        "--queries", action="store_true", help="list every query of the first submission measured"
    )
    args = parser.parse_args()
    from tests.bench.run import setup_in_process

    setup_in_process(
        "profile-submit",
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
        CELERY_TASK_ALWAYS_EAGER="false",
        API_THROTTLE_USER="1000000/min",
        BENCH_ENDPOINTS="true",  # the insert view, as the bench's gunicorn mounts it
    )
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from matters.models import Matter
    from tests.bench import bench_applications as bench

    token = Token.objects.filter(user__username__startswith="bench-api-applicant-").first()
    matter = Matter.objects.filter(basic_code__startswith=bench.MATTER_PREFIX).first()
    if token is None or matter is None:
        raise SystemExit("no bench data: run tests/bench/bench_applications.py once")
    head, tail = bench.multipart_parts(
        {"code": matter.implementation_code, "requirement": matter.materials.order_by("pk")[0].pk},
        bench.bench_pdf(),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    base = int(time.time() * 1000) * 1000

    def submit(number: int) -> None:
        response = client.generic(
            "POST",
            bench.SUBMIT_PATH,
            head + b"%016d" % number + tail,
            content_type=f"multipart/form-data; boundary={bench.BOUNDARY}",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )
        assert response.status_code == 201, response.content[:300]

    for number in range(3):  # warm-up
        submit(base + number)

    def insert() -> None:  # the bench's comparison: a minimal token-authenticated insert view
        response = client.post(bench.INSERT_PATH, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 201, response.content[:300]

    # Timed without the profiler, in alternating batches (this machine's speed drifts): the
    # median per request of each side, and what 30% of the insert view's rate allows.
    insert()
    numbers = iter(range(10**6, 2 * 10**6))
    timings: dict[str, list[float]] = {"insert": [], "submit": []}
    for _round in range(5):
        for name, call in (("insert", insert), ("submit", lambda: submit(base + next(numbers)))):
            started = time.perf_counter()
            for _number in range(args.count):
                call()
            timings[name].append((time.perf_counter() - started) / args.count)
    baseline, submission = (statistics.median(timings[name]) for name in ("insert", "submit"))
    print(
        f"minimal insert view {baseline * 1000:.1f} ms, submission {submission * 1000:.1f} ms per request: "
        f"ratio {baseline / submission:.1%} (30% needs a submission in {baseline / 0.3 * 1000:.1f} ms)"
    )
    profile = cProfile.Profile()
    queries = QueryTimer()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        if not args.no_profile:
            profile.enable()
        for number in range(3, 3 + args.count):
            submit(base + number)
        profile.disable()
        elapsed = time.perf_counter() - started
    if args.queries:
        per_submission = len(queries) // args.count
        for sql, seconds in queries.captured[:per_submission]:
            print(f"{seconds * 1000:6.2f} ms  {sql[:160]}")
    print(f"{elapsed / args.count * 1000:.0f} ms and {len(queries) / args.count:.0f} queries per submission")
    count: Counter = Counter()
    spent: Counter = Counter()
    for sql, seconds in queries.captured:
        shape = sql[:90]
        count[shape] += 1
        spent[shape] += seconds
    for shape, seconds in spent.most_common(15):
        print(f"{seconds / args.count * 1000:6.2f} ms  {count[shape] / args.count:4.1f}×  {shape}")
    if args.no_profile:
        return 0
    if os.environ.get("PROFILE_BY_AREA"):  # own time summed per package / module folder
        areas: Counter = Counter()
        for (filename, _line, _name), entry in pstats.Stats(profile).stats.items():
            tottime = entry[2]
            path = filename.split("site-packages/")[-1].split("/work/main/")[-1]
            if path == "~":  # built-ins: by name (a database driver's execute, say)
                path = f"~/{_name}"
            areas["/".join(path.split("/")[: int(os.environ["PROFILE_BY_AREA"])])] += tottime
        for area, seconds in areas.most_common(25):
            print(f"{seconds / args.count * 1000:7.2f} ms  {area}")
        return 0
    if os.environ.get("PROFILE_CALLEES"):
        pstats.Stats(profile).sort_stats("cumulative").print_callees(os.environ["PROFILE_CALLEES"])
        return 0
    if os.environ.get("PROFILE_SORT"):
        pstats.Stats(profile).sort_stats(os.environ["PROFILE_SORT"]).print_stats(30)
        return 0
    pstats.Stats(profile).sort_stats("cumulative").print_stats(
        r"work/main/(applications|integrations|portal|matters)|/(applications|integrations|portal|matters)/",
        40,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
