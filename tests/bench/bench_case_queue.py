#!/usr/bin/env python
"""The back office's case queue (办件工作台) over 1,000,000 cases on PostgreSQL.

Builds the cases in bulk with ``INSERT … SELECT generate_series`` (never the ORM row by
row): applicants, submissions, cases with unified serial numbers, one process record per
case; states and dates spread like a working hall (recent cases open, old ones mostly
closed, a few stuck past their due date). Then it serves the portal with gunicorn and
measures, with wrk and a staff member's session, the admin queue pages as a ratio to the
minimal Django view of the same run (tests/bench/run.py's method and helpers), and writes
EXPLAIN (ANALYZE, BUFFERS) of every query of the queue's pages.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python tests/bench/bench_case_queue.py [--cases 1000000] [--proposed-indexes]

Options: --cases N, --applicants N, --duration S (per page and round), --rounds R,
--connections C, --workers W, --proposed-indexes (create the indexes the queue lacks),
--keep-db (use the database as it is), --explain-only (no HTTP measurement).
Results: tests/bench/results/case_queue[_proposed].json and case_queue_explain[_proposed].txt.
Exits non-zero when the queue misses its targets: at least half the throughput of the
catalogue's admin list (Django's own cost of an admin list page, measured in the same run)
and no errors.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.run import (  # noqa: E402  -- shared helpers of `make bench`
    DEFAULT_DB,
    RESULTS,
    bench_env,
    ensure_database,
    free_port,
    log,
    manage,
    start_gunicorn,
    to_ms,
)

# The staff member measured holds every handling role in the department with the most
# matters (the largest queue); the supervisor sees all cases.
STAFF_USERNAME = "bench-staff"
SUPERVISOR_USERNAME = "bench-supervisor"
STAFF_PER_DEPARTMENT = 3
MARKER = "bench-case"  # Case.external_id of generated cases
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"

# The supervisor list, the deadline counts over all departments and the name search need
# indexes that are now part of the models (applications migration 0005): nothing to add.
# --proposed-indexes is kept for measuring further candidates.
PROPOSED_INDEXES: dict[str, str] = {}

SETUP_PEOPLE = """
from django.contrib.auth.models import Group
from matters.models import Department, DepartmentMembership, Matter
from portal.models import DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP, User
from django.db.models import Count, Q

staff_group = Group.objects.get_or_create(name=DEPARTMENT_STAFF_GROUP)[0]
published = Q(matters__status="published")
departments = list(
    Department.objects.annotate(n=Count("matters", filter=published)).filter(n__gt=0).order_by("-n", "pk")
)
Role = DepartmentMembership.Role
for rank, department in enumerate(departments):
    for k in range(1, {per_department} + 1):
        name = "{staff}" if rank == 0 and k == 1 else f"bench-d{{department.pk}}-{{k}}"
        user, _ = User.objects.get_or_create(
            username=name, defaults={{"is_staff": True, "real_name": f"工作人员{{department.pk}}-{{k}}"}}
        )
        user.groups.add(staff_group)
        roles = [Role.CLERK, Role.REVIEWER, Role.APPROVER] if k == 1 else [[Role.CLERK, Role.REVIEWER][k % 2]]
        for role in roles:
            DepartmentMembership.objects.get_or_create(user=user, department=department, role=role)
supervisor, _ = User.objects.get_or_create(
    username="{supervisor}", defaults={{"is_staff": True, "real_name": "监察员"}}
)
supervisor.groups.add(Group.objects.get_or_create(name=SUPERVISORS_GROUP)[0])
print(departments[0].pk)
"""

SESSIONS = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from portal.models import User

for name in ("{staff}", "{supervisor}"):
    user = User.objects.get(username=name)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.create()
    print(name, session.session_key)
"""

SAMPLE_CASES = """
from applications.models import Case
from portal.models import User
user = User.objects.get(username="{staff}")
department = user.memberships.values_list("department_id", flat=True).first()
ids = Case.objects.filter(department_id=department, submitted_at__isnull=False).order_by("-submitted_at")
print(" ".join(str(pk) for pk in ids.values_list("pk", flat=True)[:400:8]))
"""

# Every query of the queue's pages, explained in the same database (run in `manage.py shell`).
EXPLAIN = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from applications.admin import forget_quick_counts
from portal.models import User

out = []
for username, paths in {plan}:
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    for path in paths:
        client.get(path, headers={{"host": "localhost"}})  # warm caches
        forget_quick_counts(user)  # but explain the quick filters' counts too
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers={{"host": "localhost"}})
        entry = {{"user": username, "path": path, "status": response.status_code, "queries": []}}
        for query in captured.captured_queries:
            sql = query["sql"]
            if "applications_" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                entry["queries"].append({{"sql": sql, "plan": None}})
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\\n".join(row[0] for row in cursor.fetchall())
            entry["queries"].append({{"sql": sql, "plan": plan}})
        out.append(entry)
print(json.dumps(out))
"""


# Applicants' names: surname + two given-name characters, drawn by the applicant's number
# (applicant 1 is 李伟婷, searched for by the bench).
NAME_PARTS = {
    "surnames": [
        "陈",
        "李",
        "张",
        "黄",
        "梁",
        "刘",
        "林",
        "何",
        "吴",
        "郑",
        "罗",
        "杨",
        "周",
        "谢",
        "冯",
        "余",
    ],
    "given1": "伟芳敏静强磊洋艳杰娟涛明华丽军平刚桂英秀兰玉梅志勇国庆建辉",
    "given2": "婷欣怡佳琪子涵宇轩浩然思远嘉豪梓萱诗雨晨曦俊雅博文",
}


def shell(env: dict, code: str) -> str:
    """Run code in ``manage.py shell`` (without Django 5.2's automatic imports and their banner)."""
    return manage(env, "shell", "--no-imports", "-c", code)


def build_cases(database_url: str, cases: int, applicants: int) -> None:
    """Applicants, submissions, cases and their current process record, all in SQL."""
    import psycopg2

    conn = psycopg2.connect(database_url)
    conn.autocommit = False
    started = time.time()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            CREATE TEMP TABLE bench_matters ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id) AS n, id, department_id, implementation_code,
                   promised_limit_days, legal_limit_days
            FROM matters_matter WHERE status = 'published'
            """
        )
        cur.execute("SELECT count(*) FROM bench_matters")
        matter_count = cur.fetchone()[0]
        if not matter_count:
            raise SystemExit("no published matters: run seed_demo first")
        cur.execute(
            """
            CREATE TEMP TABLE bench_staff ON COMMIT DROP AS
            SELECT m.department_id, row_number() OVER (PARTITION BY m.department_id ORDER BY u.id) AS k,
                   u.id AS user_id, u.real_name
            FROM portal_user u
            JOIN (SELECT DISTINCT user_id, department_id FROM matters_departmentmembership) m
                ON m.user_id = u.id
            WHERE u.username LIKE 'bench-%%'
            """
        )
        log(f"creating {applicants:,} applicant accounts")
        cur.execute(
            """
            INSERT INTO portal_user (password, is_superuser, username, first_name, last_name, email,
                                     is_staff, is_active, date_joined, real_name, mobile)
            SELECT '!', false, 'bench-applicant-' || g, '', '', '', false, true, now(),
                   -- Tens of thousands of different names: a name search finds a few people.
                   (%(surnames)s)[1 + g %% array_length(%(surnames)s, 1)]
                   || substr(%(given1)s, 1 + (g / 20) %% length(%(given1)s), 1)
                   || substr(%(given2)s, 1 + (g / 800) %% length(%(given2)s), 1),
                   ''
            FROM generate_series(1, %(applicants)s) g
            ON CONFLICT (username) DO NOTHING
            """,
            {"applicants": applicants, **NAME_PARTS},
        )
        cur.execute(
            """
            CREATE TEMP TABLE bench_applicants ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id) AS n, id, real_name FROM portal_user
            WHERE username LIKE 'bench-applicant-%%'
            """
        )
        cur.execute("SELECT count(*) FROM bench_applicants")
        applicant_count = cur.fetchone()[0]
        log(f"drawing {cases:,} cases over {matter_count} matters")
        # One row per case with everything decided once: matter, applicant, age, state.
        cur.execute(
            """
            CREATE TEMP TABLE bench_rows ON COMMIT DROP AS
            WITH draws AS (
                SELECT g AS n, 1 + floor(random() * %(matters)s)::int AS mi,
                       1 + floor(random() * %(applicants)s)::int AS ai,
                       random() * 730 AS age, random() AS r, random() AS r2, random() AS r3
                FROM generate_series(1, %(cases)s) g
            ), aged AS (
                SELECT d.*, now() - d.age * interval '1 day' AS submitted_at,
                    CASE
                      WHEN d.age < 2
                        THEN (ARRAY['submitted','pre_review','accepted','under_review'])
                             [1 + floor(d.r * 4)::int]
                      WHEN d.age < 20 THEN CASE
                        WHEN d.r < 0.10 THEN 'pre_review' WHEN d.r < 0.15 THEN 'correction_requested'
                        WHEN d.r < 0.20 THEN 'accepted' WHEN d.r < 0.45 THEN 'under_review'
                        WHEN d.r < 0.48 THEN 'special_procedure' WHEN d.r < 0.55 THEN 'decided'
                        WHEN d.r < 0.75 THEN 'completed' WHEN d.r < 0.93 THEN 'delivered'
                        WHEN d.r < 0.97 THEN 'rejected' ELSE 'withdrawn' END
                      ELSE CASE
                        WHEN d.r < 0.005 THEN 'under_review' WHEN d.r < 0.007 THEN 'special_procedure'
                        WHEN d.r < 0.010 THEN 'decided' WHEN d.r < 0.25 THEN 'completed'
                        WHEN d.r < 0.92 THEN 'delivered' WHEN d.r < 0.97 THEN 'rejected' ELSE 'withdrawn' END
                    END AS state
                FROM draws d
            )
            SELECT a.*, m.id AS matter_id, m.department_id, m.implementation_code,
                   m.promised_limit_days, m.legal_limit_days, p.id AS applicant_id, p.real_name,
                   CASE WHEN a.r2 < 0.25 THEN '1' WHEN a.r2 < 0.85 THEN '2' ELSE '3' END AS channel,
                   a.state IN (
                       'accepted','under_review','special_procedure','decided','completed','delivered'
                   )
                       AS was_accepted
            FROM aged a
            JOIN bench_matters m ON m.n = a.mi
            JOIN bench_applicants p ON p.n = 1 + (a.ai - 1) %% %(applicant_count)s
            """,
            {
                "matters": matter_count,
                "applicants": applicants,
                "cases": cases,
                "applicant_count": applicant_count,
            },
        )
        cur.execute("SELECT coalesce(max(id), 0) FROM applications_submission")
        sub_base = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM applications_case")
        case_base = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM applications_processrecord")
        record_base = cur.fetchone()[0]
        log("inserting submissions")
        cur.execute(
            """
            INSERT INTO applications_submission (id, public_id, applicant_id, applicant_type, applicant_name,
                applicant_id_type, applicant_id_number, org_name, org_code, contact_name, contact_mobile,
                form_data, form_version, created_at, updated_at, submitted_at)
            SELECT %(base)s + n, gen_random_uuid(), applicant_id, '1', real_name, '111',
                   '442000' || to_char(date '1960-01-01' + (n %% 20000), 'YYYYMMDD')
                       || lpad((n %% 1000)::text, 3, '0') || 'X',
                   '', '', real_name, '139' || lpad((n %% 100000000)::text, 8, '0'),
                   '{}'::jsonb, 0, submitted_at, submitted_at, submitted_at
            FROM bench_rows
            """,
            {"base": sub_base},
        )
        log("inserting cases with their serial numbers")
        cur.execute(
            """
            INSERT INTO applications_case (id, submission_id, matter_id, department_id, applicant_id, serial,
                serial_pending_reconciliation, query_code, channel, sub_channel, origin, external_id, state,
                decision, current_record_id, created_at, submitted_at, accepted_at, completed_at,
                pre_review_due_date, promised_due_date, legal_due_date, clock_stopped_at, stopped_workdays,
                extended_days, correction_count, deemed_accepted)
            SELECT %(case_base)s + n, %(sub_base)s + n, b.matter_id, department_id, applicant_id,
                implementation_code || to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
                    || lpad((greatest(coalesce(last_sequence, 0), 5000) + row_number() OVER (
                        PARTITION BY b.matter_id, (submitted_at AT TIME ZONE 'Asia/Shanghai')::date
                        ORDER BY submitted_at, n))::text, 4, '0'),
                false, upper(substr(md5(n::text), 1, 6)), channel,
                CASE WHEN channel = '1' THEN '' WHEN channel = '3' THEN '1' ELSE '0' END,
                CASE WHEN channel = '1' THEN 'window' WHEN r3 < 0.05 THEN 'provincial' ELSE 'portal' END,
                %(marker)s, state,
                CASE WHEN state IN ('decided','completed','delivered') THEN
                    CASE WHEN r3 < 0.05 THEN 'denied' ELSE 'approved' END ELSE '' END,
                %(record_base)s + n, submitted_at, submitted_at,
                CASE WHEN was_accepted THEN submitted_at + interval '1 day' END,
                CASE
                    WHEN state IN ('completed','delivered')
                        THEN submitted_at + interval '1 day'
                            + (r2 * promised_limit_days * 1.4) * interval '1 day'
                    WHEN state IN ('rejected','withdrawn') THEN submitted_at + interval '2 days'
                END,
                (submitted_at + interval '7 days')::date,
                CASE WHEN was_accepted
                    THEN (submitted_at + interval '1 day')::date + ceil(promised_limit_days * 1.4)::int END,
                CASE WHEN was_accepted
                    THEN (submitted_at + interval '1 day')::date + ceil(legal_limit_days * 1.4)::int END,
                CASE WHEN state IN ('special_procedure','correction_requested')
                    THEN submitted_at + interval '3 days' END,
                0, 0, CASE WHEN state = 'correction_requested' THEN 1 ELSE 0 END, false
            FROM bench_rows b
            -- After the numbers already given that day (an earlier run, demo cases): serials stay unique.
            LEFT JOIN (
                SELECT matter_id, (submitted_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
                       max(right(serial, 4)::int) AS last_sequence
                FROM applications_case WHERE serial IS NOT NULL GROUP BY 1, 2
            ) e ON e.matter_id = b.matter_id AND e.day = (b.submitted_at AT TIME ZONE 'Asia/Shanghai')::date
            """,
            {"case_base": case_base, "sub_base": sub_base, "record_base": record_base, "marker": MARKER},
        )
        log("inserting each case's current process record")
        cur.execute(
            """
            INSERT INTO applications_processrecord (id, case_id, sequence, action, action_label,
                from_state, to_state, actor_id, actor_name, actor_department_id, opinion, reason_code,
                details, created_at, step_seconds)
            SELECT %(record_base)s + b.n, %(case_base)s + b.n, 1,
                   CASE b.state WHEN 'submitted' THEN 'submit' WHEN 'pre_review' THEN 'sign'
                     WHEN 'correction_requested' THEN 'request_correction' WHEN 'accepted' THEN 'accept'
                     WHEN 'under_review' THEN 'start_review'
                     WHEN 'special_procedure' THEN 'begin_special_procedure'
                     WHEN 'decided' THEN 'approve' WHEN 'completed' THEN 'complete'
                     WHEN 'delivered' THEN 'deliver'
                     WHEN 'rejected' THEN 'reject' ELSE 'withdraw' END,
                   b.state, '', b.state,
                   CASE WHEN b.state IN ('submitted','withdrawn') THEN b.applicant_id ELSE s.user_id END,
                   CASE WHEN b.state IN ('submitted','withdrawn') THEN b.real_name
                       ELSE coalesce(s.real_name, '系统') END,
                   CASE WHEN b.state IN ('submitted','withdrawn') THEN NULL ELSE b.department_id END,
                   '', '', '{}'::jsonb, b.submitted_at + interval '1 day', 86400
            FROM bench_rows b
            LEFT JOIN bench_staff s ON s.department_id = b.department_id
                AND s.k = 1 + floor(b.r3 * %(per_department)s)::int
            """,
            {"record_base": record_base, "case_base": case_base, "per_department": STAFF_PER_DEPARTMENT},
        )
        for table in ("applications_submission", "applications_case", "applications_processrecord"):
            # The table names are the constants above, never input.
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            cur.execute(sql)
    conn.close()
    log(f"built {cases:,} cases in {time.time() - started:.0f}s")


def set_proposed_indexes(database_url: str, wanted: bool) -> None:
    import psycopg2

    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name, sql in PROPOSED_INDEXES.items():
            cur.execute(sql if wanted else f"DROP INDEX IF EXISTS {name}")
        cur.execute("ANALYZE applications_case")
        cur.execute("ANALYZE applications_submission")
    conn.close()


def vacuum_analyze(database_url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for table in (
            "portal_user",
            "applications_submission",
            "applications_case",
            "applications_processrecord",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def case_count(database_url: str) -> int:
    import psycopg2

    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM applications_case WHERE external_id = %s", [MARKER])
        count = cur.fetchone()[0]
    conn.close()
    return count


def prepare(env: dict, database_url: str, cases: int, applicants: int) -> None:
    log("migrating the bench database")
    manage(env, "migrate", "--noinput", "-v", "0")
    has_matters = shell(
        env, "from matters.models import Matter; print(Matter.objects.published().exists())"
    ).strip()
    if has_matters != "True":
        log("loading the demo catalogue")
        manage(env, "seed_demo")
    shell(
        env,
        SETUP_PEOPLE.format(
            per_department=STAFF_PER_DEPARTMENT, staff=STAFF_USERNAME, supervisor=SUPERVISOR_USERNAME
        ),
    )
    existing = case_count(database_url)
    if existing < cases:
        build_cases(database_url, cases - existing, applicants)
    else:
        log(f"{existing:,} generated cases already there")
    log("VACUUM ANALYZE")
    vacuum_analyze(database_url)


# --- Measuring ------------------------------------------------------------------------------

LUA = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local cookie = os.getenv("WRK_COOKIE")
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end
"""


def run_wrk(
    port: int, paths: list[str], duration: int, connections: int, cookie: str = "", warm_up: int = 3
) -> dict:
    """tests/bench/run.py's measurement, with a session cookie on every request."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text(LUA)
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        env = {**os.environ, "WRK_PATHS": str(path_file), "WRK_COOKIE": cookie}
        url = f"http://127.0.0.1:{port}"
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{warm_up}s", "-s", str(script), url],
            env=env,
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            # A slow answer is measured, not dropped: wrk's default gives up after 2 s.
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": to_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": to_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def wait_idle(port: int, timeout: float = 120) -> None:
    """Wait until the workers have worked off what wrk left queued (slow pages leave a backlog)."""
    import urllib.request

    deadline = time.time() + timeout
    quick = 0
    while time.time() < deadline and quick < 3:
        started = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/minimal/", timeout=30).read()
        except OSError:
            quick = 0
            continue
        quick = quick + 1 if time.perf_counter() - started < 0.05 else 0
        time.sleep(0.2)


def combine(runs: list[dict]) -> dict:
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
        "rounds_rps": [r["rps"] for r in runs],
    }


def check_pages(port: int, paths: list[str], cookie: str) -> None:
    """Each page answers 200 with the queue (not a redirect to the login page)."""
    import urllib.request

    for path in paths[:3]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read().decode()
            assert response.status == 200 and "/admin/login/" not in response.url, (path, response.url)
            assert 'id="changelist"' in body or "case-facts" in body, path


QUEUE = "/admin/applications/case/"


def page_plan(case_ids: list[str]) -> dict[str, tuple[str, list[str]]]:
    """{name: (user, paths)} of the measured pages."""
    return {
        "minimal": ("", ["/_bench/minimal/"]),
        # Django's admin list of the catalogue (10,000s of rows): what an admin list costs here.
        "matter_admin": (STAFF_USERNAME, ["/admin/matters/matter/", "/admin/matters/matter/?p=2"]),
        "queue": (STAFF_USERNAME, [QUEUE] + [f"{QUEUE}?p={n}" for n in range(2, 11)]),
        "queue_overdue": (STAFF_USERNAME, [f"{QUEUE}?deadline=overdue", f"{QUEUE}?deadline=overdue&p=2"]),
        "queue_due_soon": (STAFF_USERNAME, [f"{QUEUE}?deadline=due_soon"]),
        "queue_todo": (STAFF_USERNAME, [f"{QUEUE}?queue=todo", f"{QUEUE}?queue=todo&state=under_review"]),
        # The name of the first generated applicant (see build_cases), and a name nobody has.
        "queue_search": (
            STAFF_USERNAME,
            [f"{QUEUE}?q=" + urllib.parse.quote(n) for n in ("李伟婷", "欧阳无名")],
        ),
        "supervisor_queue": (SUPERVISOR_USERNAME, [QUEUE, f"{QUEUE}?p=2", f"{QUEUE}?deadline=overdue"]),
        "case_page": (STAFF_USERNAME, [f"{QUEUE}{pk}/change/" for pk in case_ids]),
    }


# Pages that need the proposed indexes: measured in one round only without them.
SLOW_WITHOUT_PROPOSED_INDEXES: tuple[str, ...] = ()

# (page, reference page, share, description): an admin list is measured against the
# catalogue's admin list of the same run, the framework's own cost of a list page.
TARGETS = [
    (
        "queue",
        "matter_admin",
        0.5,
        "staff queue (50 of 1,000,000 cases) ≥ 1/2 of the catalogue admin list's req/s",
    ),
    ("queue_overdue", "matter_admin", 0.5, "staff queue, overdue ≥ 1/2 of the catalogue admin list's req/s"),
    ("queue_todo", "matter_admin", 0.5, "staff queue, 待办 ≥ 1/2 of the catalogue admin list's req/s"),
]


def explain(env: dict, plan: dict) -> list[dict]:
    wanted = [(user, paths[:1]) for name, (user, paths) in plan.items() if user and name != "case_page"] + [
        (STAFF_USERNAME, plan["case_page"][1][:1])
    ]
    out = shell(env, EXPLAIN.format(plan=repr(wanted)))
    return json.loads(out.strip().splitlines()[-1])


def write_explain(entries: list[dict], suffix: str = "") -> Path:
    lines = []
    for entry in entries:
        lines.append(
            f"=== {entry['user']} GET {entry['path']} → {entry['status']} ({len(entry['queries'])} queries)"
        )
        for query in entry["queries"]:
            if query["plan"] is None:
                continue
            lines.append(query["sql"])
            lines.append(query["plan"])
            lines.append("")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"case_queue_explain{suffix}.txt"
    path.write_text("\n".join(lines))
    return path


def slowest(entries: list[dict]) -> list[tuple[float, str, str]]:
    found = []
    for entry in entries:
        for query in entry["queries"]:
            if query["plan"]:
                match = re.search(r"Execution Time: ([\d.]+) ms", query["plan"])
                if match:
                    found.append((float(match.group(1)), entry["path"], query["sql"][:160]))
    return sorted(found, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--applicants", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--explain-only", action="store_true")
    parser.add_argument(
        "--proposed-indexes",
        action="store_true",
        help="create the indexes the queue still lacks (else drop them)",
    )
    args = parser.parse_args()
    if not args.explain_only and not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    # The production shape, like run.py: the cache (quick counts, the calendar's version) in Redis,
    # in a database of its own so that run.py's catalogue cache of another bench database is left alone.
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    env = bench_env(database_url, redis_url)
    ensure_database(database_url)
    if not args.keep_db:
        prepare(env, database_url, args.cases, args.applicants)
    set_proposed_indexes(database_url, args.proposed_indexes)
    total = case_count(database_url)
    logins = shell(env, SESSIONS.format(staff=STAFF_USERNAME, supervisor=SUPERVISOR_USERNAME))
    sessions = dict(line.split() for line in logins.strip().splitlines())
    case_ids = shell(env, SAMPLE_CASES.format(staff=STAFF_USERNAME)).split()
    plan = page_plan(case_ids)

    log("EXPLAIN ANALYZE of the queue's queries")
    entries = explain(env, plan)
    explain_path = write_explain(entries, "_proposed" if args.proposed_indexes else "")
    log(f"plans written to {explain_path.relative_to(ROOT)}")
    for ms, path, sql in slowest(entries)[:8]:
        print(f"  {ms:8.2f} ms  {path}  {sql}")
    if args.explain_only:
        return 0

    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    # Rounds: every page is measured once per round, so a busy moment of the machine weighs
    # on all pages alike; the figures are the rounds' mean (req/s), median (p50) and worst (p99).
    rounds: dict[str, list[dict]] = {name: [] for name in plan}
    try:
        for user, paths in plan.values():
            if user:
                check_pages(port, paths, f"sessionid={sessions[user]}")
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}: {len(plan)} pages, {args.duration}s each")
            for name, (user, paths) in plan.items():
                if name in SLOW_WITHOUT_PROPOSED_INDEXES and not args.proposed_indexes and number > 1:
                    continue  # once is enough to show it; its backlog would only delay the others
                cookie = f"sessionid={sessions[user]}" if user else ""
                rounds[name].append(
                    run_wrk(
                        port, paths, args.duration, args.connections, cookie, warm_up=3 if number == 1 else 1
                    )
                )
                wait_idle(port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    results = {name: combine(runs) for name, runs in rounds.items()}

    base = results["minimal"]
    print()
    indexes = "with the proposed indexes" if args.proposed_indexes else "with the model's indexes only"
    print(f"{total:,} generated cases {indexes}")
    print(
        f"{args.workers} gunicorn workers, {args.connections} connections, "
        f"{args.rounds} rounds of {args.duration}s per page"
    )
    print(f"{'page':<18}{'req/s':>10}{'ratio':>9}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for name, r in results.items():
        ratio = r["rps"] / base["rps"]
        figures = f"{r['rps']:>10.1f}{ratio:>8.1%} {r['p50_ms']:>9.2f}{r['p99_ms']:>10.2f}{r['non_2xx']:>9}"
        print(f"{name:<18}{figures}")
    print()
    failed = 0
    for name, reference, share, description in TARGETS:
        r = results[name]
        ok = r["rps"] >= share * results[reference]["rps"] and r["non_2xx"] == 0 and not r["socket_errors"]
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {description}")
    summary = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cases": total,
        "proposed_indexes": args.proposed_indexes,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "results": results,
        "slowest_queries_ms": [
            {"ms": ms, "path": path, "sql": sql} for ms, path, sql in slowest(entries)[:20]
        ],
    }
    (RESULTS / f"case_queue{'_proposed' if args.proposed_indexes else ''}.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
