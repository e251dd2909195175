#!/usr/bin/env python
"""The applications API under load, on PostgreSQL with gunicorn (tests/bench/run.py's method).

(a) Submissions: ``POST /api/v1/applications/`` with ``"submit": true``, a form and a 200 KB PDF
    (a different file on every request, so the document store really stores it), 16 concurrent
    clients with API tokens, measured with wrk against ``POST /api/v1/_bench/insert/`` (a minimal
    token-authenticated Django view that inserts one row in a transaction) in the same run.
    Target: at least 30% of the baseline's throughput. Afterwards the database is checked: no
    duplicate serial numbers, the daily sequences gap-free (as many cases as the last number),
    one case per request answered, no non-2xx answer.
(b) Lists over 1,000,000 cases: my cases (``GET /api/v1/applications/?page_size=50``) and the staff
    queue (``GET /api/v1/queue/?page_size=50`` with its filters and a cursor page), 16 clients.
    Target: at least 1/20 of the baseline's throughput (the insert view; run.py's bare page view
    is measured and reported too).

Rounds of pairs, as run.py measures: in each round every endpoint is measured right next to the
insert view, the side measured first alternating; a ratio is the median over the rounds. The
million cases come from tests/bench/bench_case_queue.py's SQL builder (``prepare``); the bench's
own 40 matters (a form and one PDF material each) and 16 applicant accounts with API tokens are
created on first use, and each applicant is topped up to two pages of cases through the API.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python tests/bench/bench_applications.py [--keep-db] [--rounds 5] [--duration 8]

Options: --cases N, --applicants N (of the generated cases), --duration S per measurement,
--rounds R, --connections C, --workers W, --keep-db (use the data as it is; migrations still
run). Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/11: the cache and the broker the
submissions' tasks are queued on, dropped at the end). Results: tests/bench/results/applications.json;
exits non-zero when a target is missed or a check fails.
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
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench import bench_case_queue as case_queue  # noqa: E402  -- the 1,000,000-case builder
from tests.bench.run import (  # noqa: E402  -- shared helpers of `make bench`
    DEFAULT_DB,
    RESULTS,
    bench_env,
    combine,
    ensure_database,
    free_port,
    log,
    manage,
    start_gunicorn,
    to_ms,
)

DEFAULT_REDIS = "redis://127.0.0.1:6379/11"  # its own database: the broker queue is dropped at the end
API_APPLICANTS = 16  # one token per client connection (wrk rotates them)
BENCH_MATTERS = 40  # submissions rotate over them: 9,999 serial numbers a day each
MATTER_PREFIX = "47"  # basic codes 47xxxxxxxxxx: the bench's own matters
PDF_SIZE = 200 * 1024
MARK = b"0" * 16  # in the PDF's /Title; replaced per request (same length: offsets stay right)
BOUNDARY = "----benchApplicationsBoundary7MA4YWxkTrZu0gW"
INSERT_PATH = "/api/v1/_bench/insert/"
SUBMIT_PATH = "/api/v1/applications/"
SPEC = {
    "fields": [
        {"key": "applicant_name", "label": "申请人姓名", "type": "text", "max_length": 50, "prefill": "name"},
        {"key": "shop_name", "label": "店铺名称", "type": "text", "max_length": 50},
        {"key": "area", "label": "经营面积（平方米）", "type": "decimal", "min": 0, "max": 100000},
        {"key": "staff", "label": "从业人员数", "type": "integer", "min": 1, "max": 500},
        {"key": "start", "label": "开始日期", "type": "date"},
        {"key": "end", "label": "结束日期", "type": "date"},
        {
            "key": "mode",
            "label": "经营方式",
            "type": "choice",
            "options": ["personal|个人经营", "family|家庭经营"],
        },
    ],
    "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
}


def _id_number(first17: str) -> str:
    """GB 11643: the check character over the first 17 digits (STANDARDS.md)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


ID_NUMBER = _id_number("44200019900101123")
ANSWERS = {
    "applicant_name": "陈伟",
    "shop_name": "陈记小食店",
    "area": "35.50",
    "staff": 3,
    "start": "2030-01-01",
    "end": "2030-12-31",
    "mode": "family",
}

SETUP = """
import json
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from matters import codes
from matters.forms_spec import load_spec
from matters.models import Department, MaterialRequirement, Matter
from portal.models import User

spec = json.loads({spec!r})
staff = User.objects.get(username="{staff}")
staff_department = staff.memberships.values_list("department_id", flat=True).first()
# The bench's matters sit in another department: the staff queue measured is the generated one.
department = (
    Department.objects.exclude(pk=staff_department).filter(matters__status="published").order_by("pk").first()
)
template = Matter.objects.filter(department=department, status="published").order_by("pk").first()
out = {{"matters": [], "tokens": [], "staff_token": Token.objects.get_or_create(user=staff)[0].key}}
for n in range(1, {matters} + 1):
    basic = "{prefix}" + f"{{n:010d}}"
    code = codes.build_implementation_code(department.uscc, template.level, basic)
    matter = Matter.objects.filter(implementation_code=code).first()
    if matter is None:
        matter = Matter.objects.get(pk=template.pk)
        matter.pk = matter.id = None
        matter._state.adding = True
        matter.basic_code, matter.implementation_code = basic, code
        matter.name = f"基准测试事项{{n}}（食品经营许可）"
        matter.status, matter.online_apply = "published", True
        matter.trust_online_review = matter.allows_deficiency_acceptance = False
        matter.save()
    load_spec(matter, spec)
    requirement, _ = MaterialRequirement.objects.get_or_create(
        matter=matter, name="营业执照", defaults={{"sort_order": 1, "key_material": True}}
    )
    MaterialRequirement.objects.filter(matter=matter).exclude(pk=requirement.pk).delete()
    out["matters"].append({{"code": code, "requirement": requirement.pk}})
for n in range(1, {applicants} + 1):
    user, _ = User.objects.get_or_create(
        username=f"bench-api-applicant-{{n}}",
        defaults={{"real_name": "陈伟", "mobile": f"139{{n:08d}}", "email": f"bench-api-{{n}}@example.cn"}},
    )
    out["tokens"].append(Token.objects.get_or_create(user=user)[0].key)
out["staff_matter"] = (
    Matter.objects.filter(department_id=staff_department, status="published").order_by("pk")
    .values_list("implementation_code", flat=True).first()
)
print(json.dumps(out))
"""

# What the run wrote, counted afterwards in the database.
VERIFY = """
import json
from django.db.models import Count
from applications.models import Case, SerialCounter
from portal.models import Notification

codes = {codes!r}
# The API's cases only (the generated ones may have drawn these matters too).
cases = Case.objects.filter(matter__implementation_code__in=codes, serial__isnull=False).exclude(
    external_id="{marker}"
)
duplicates = list(
    Case.objects.filter(serial__isnull=False).values("serial").annotate(n=Count("pk")).filter(n__gt=1)
    .values_list("serial", flat=True)[:10]
)
gaps = []
for code, day, last in SerialCounter.objects.filter(implementation_code__in=codes).values_list(
    "implementation_code", "day", "last_value"
):
    numbered = cases.filter(matter__implementation_code=code, serial__startswith=code + f"{{day:%Y%m%d}}")
    if numbered.count() != last:
        gaps.append([code, str(day), numbered.count(), last])
print(json.dumps({{
    "cases": cases.count(),
    "drafts_left": Case.objects.filter(matter__implementation_code__in=codes, serial__isnull=True).count(),
    "duplicates": duplicates,
    "gaps": gaps,
    "inserted": Notification.objects.filter(template_key="bench").count(),
}}))
"""


def bench_pdf(size: int = PDF_SIZE) -> bytes:
    """A valid one-page PDF of ``size`` bytes (an uncompressed random image) with ``MARK`` in its /Title."""
    side = int(((size - 1200) / 3) ** 0.5)
    pixels = os.urandom(side * side * 3)
    content = b"q 500 0 0 500 47 171 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (side, side, len(pixels)) + pixels + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (BENCH-" + MARK + b") /Producer (tests/bench) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def multipart_parts(matter: dict, pdf: bytes) -> tuple[bytes, bytes]:
    """The body of one submission split at the PDF's mark: (head, tail)."""

    def field(name: str, value: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()

    head = b"".join(
        [
            field("matter", matter["code"]),
            field("id_number", ID_NUMBER),
            field("form", json.dumps(ANSWERS, ensure_ascii=False)),
            field("submit", "true"),
            (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="material_{matter["requirement"]}"; filename="营业执照.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode(),
        ]
    )
    before, after = pdf.split(MARK)
    return head + before, after + f"\r\n--{BOUNDARY}--\r\n".encode()


# --- wrk ------------------------------------------------------------------------------------------

LUA = """
local dir = os.getenv("WRK_DIR")
local function lines(name)
  local out = {}
  for line in io.lines(dir .. "/" .. name) do out[#out + 1] = line end
  return out
end
local function slurp(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end
local mode = os.getenv("WRK_MODE")
local paths = lines("paths.txt")
local tokens = lines("tokens.txt")
local heads, tails = {}, {}
if mode == "submit" then
  for i = 1, tonumber(os.getenv("WRK_BODIES")) do
    heads[i] = slurp("head" .. i)
    tails[i] = slurp("tail" .. i)
  end
end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local headers = {["Authorization"] = "Token " .. tokens[(counter % #tokens) + 1]}
  local path = paths[(counter % #paths) + 1]
  if mode == "submit" then
    headers["Content-Type"] = "multipart/form-data; boundary=" .. os.getenv("WRK_BOUNDARY")
    local i = (counter % #heads) + 1
    -- A different file every time: 4 digits of the thread, 12 of its counter, in place of the mark.
    local body = heads[i] .. string.format("%04d%012d", tid, counter) .. tails[i]
    return wrk.format("POST", path, headers, body)
  elseif mode == "insert" then
    return wrk.format("POST", path, headers, "")
  end
  return wrk.format("GET", path, headers)
end
"""


def parse_wrk(out: str) -> dict:
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": to_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": to_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def measured(name: str, result: dict) -> dict:
    sockets = f", socket errors {result['socket_errors']}" if result["socket_errors"] else ""
    log(
        f"  {name}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"non-2xx {result['non_2xx']}{sockets}"
    )
    return result


def run_wrk(
    port: int,
    workdir: Path,
    mode: str,
    paths: list[str],
    tokens: list[str],
    duration: int,
    connections: int,
    bodies: int = 0,
) -> dict:
    """Warm up 3 s, then measure; both phases' request counts are returned (the checks need them)."""
    (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
    (workdir / "tokens.txt").write_text("\n".join(tokens) + "\n")
    script = workdir / "bench.lua"
    script.write_text(LUA)
    env = {
        **os.environ,
        "WRK_DIR": str(workdir),
        "WRK_MODE": mode,
        "WRK_BODIES": str(bodies),
        "WRK_BOUNDARY": BOUNDARY,
    }
    url = f"http://127.0.0.1:{port}"
    warm = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", "-d3s", "--latency", "-s", str(script), url],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
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
    result = parse_wrk(out)
    warm_result = parse_wrk(warm)
    result["warmup_requests"] = warm_result["requests"]
    result["warmup_non_2xx"] = warm_result["non_2xx"]
    return result


def call(
    port: int, path: str, token: str, *, data: bytes | None = None, content_type: str = ""
) -> tuple[int, dict]:
    headers = {"Authorization": f"Token {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        headers=headers,
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def submit_one(port: int, matter: dict, pdf: bytes, token: str, number: int) -> int:
    head, tail = multipart_parts(matter, pdf)
    code, _answer = call(
        port,
        SUBMIT_PATH,
        token,
        data=head + b"%016d" % number + tail,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    return code


def top_up(port: int, matters: list[dict], pdf: bytes, tokens: list[str], wanted: int = 2 * 50 + 5) -> int:
    """Every API applicant gets at least ``wanted`` cases (two full pages of 50), through the API."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = []
    for token in tokens:
        _code, page = call(port, f"{SUBMIT_PATH}?page_size=1", token)
        jobs += [token] * max(0, wanted - page["count"])
    if not jobs:
        return 0
    log(f"topping up the API applicants' cases: {len(jobs)} more submissions")
    base = int(time.time() * 1000) * 1000
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda job: submit_one(port, matters[job[0] % len(matters)], pdf, job[1], base + job[0]),
                enumerate(jobs),
            )
        )
    refused = [code for code in codes if code != 201]
    assert not refused, refused[:5]
    return len(jobs)


# --- The run --------------------------------------------------------------------------------------


def environment(database_url: str, media: Path) -> dict:
    env = bench_env(database_url, os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    # Production shape: tasks (notices, outbox, PDFs) go to the broker; no worker is needed for
    # the measurement. Uploaded files go to a folder removed at the end.
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    env["PRIVATE_MEDIA_ROOT"] = str(media)
    return env


def forget_tasks(redis_url: str) -> None:
    """The tasks queued by the submissions (no worker runs during the bench): dropped from the broker."""
    if not redis_url:
        return
    import redis

    redis.Redis.from_url(redis_url).delete("celery")


BASELINE = "insert_baseline"
PAGE_BASELINE = "page_baseline"  # run.py's bare page view, for reference
MEASURED = ("submit", "my_cases", "staff_queue")
MY_CASES = [
    "/api/v1/applications/?page_size=50",
    "/api/v1/applications/?page_size=50&state=submitted",
    "/api/v1/applications/?page_size=50&page=2",
]


def queue_plan(port: int, token: str, matter_code: str) -> list[str]:
    """The staff queue's first page, its second (cursor) page and each filter, checked once."""
    queue = "/api/v1/queue/?page_size=50"
    code, first = call(port, queue, token)
    assert code == 200 and len(first["results"]) == 50, (code, first)
    paths = [
        queue,
        first["next"].split(f"127.0.0.1:{port}", 1)[1],
        f"{queue}&state=under_review",
        f"{queue}&state=submitted&state=pre_review",
        f"{queue}&overdue=true",
        f"{queue}&due_soon=true",
        f"{queue}&matter={matter_code}",
        f"{queue}&channel=1",
    ]
    for path in paths:
        code, answer = call(port, path, token)
        assert code == 200, (path, code, answer)
        log(f"  {path}: {len(answer['results'])} rows")
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--applicants", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    workdir = Path(tempfile.mkdtemp(prefix="bench-applications-"))
    media = workdir / "private_media"
    env = environment(database_url, media)
    ensure_database(database_url)
    if not args.keep_db:
        case_queue.prepare(env, database_url, args.cases, args.applicants)
    else:  # the data as it is, the schema as the code needs it
        manage(env, "migrate", "--noinput", "-v", "0")
    total = case_queue.case_count(database_url)
    setup = json.loads(
        case_queue.shell(
            env,
            SETUP.format(
                spec=json.dumps(SPEC, ensure_ascii=False),
                staff=case_queue.STAFF_USERNAME,
                matters=BENCH_MATTERS,
                prefix=MATTER_PREFIX,
                applicants=API_APPLICANTS,
            ),
        )
        .strip()
        .splitlines()[-1]
    )
    codes = [m["code"] for m in setup["matters"]]
    pdf = bench_pdf()
    for index, matter in enumerate(setup["matters"], start=1):
        head, tail = multipart_parts(matter, pdf)
        (workdir / f"head{index}").write_bytes(head)
        (workdir / f"tail{index}").write_bytes(tail)
    before = json.loads(
        case_queue.shell(env, VERIFY.format(codes=codes, marker=case_queue.MARKER)).strip().splitlines()[-1]
    )

    load = os.getloadavg()[0]
    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    tokens, staff_token = setup["tokens"], setup["staff_token"]
    topped_up = 0
    bodies = len(setup["matters"])
    runs: dict[str, list[dict]] = {name: [] for name in (BASELINE, *MEASURED, PAGE_BASELINE)}
    ratios: dict[str, list[float]] = {name: [] for name in (*MEASURED, PAGE_BASELINE)}
    try:
        # One of each, answered as expected, before measuring.
        assert submit_one(port, setup["matters"][0], pdf, tokens[0], 9_999_999_999_999_999) == 201
        assert call(port, INSERT_PATH, tokens[0], data=b"")[0] == 201
        topped_up = top_up(port, setup["matters"], pdf, tokens)
        queue_paths = queue_plan(port, staff_token, setup["staff_matter"])
        plans = {
            BASELINE: ("insert", [INSERT_PATH], tokens),
            "submit": ("submit", [SUBMIT_PATH], tokens),
            "my_cases": ("get", MY_CASES, tokens),
            "staff_queue": ("get", queue_paths, [staff_token]),
            PAGE_BASELINE: ("get", ["/_bench/minimal/"], tokens),
        }
        for path in MY_CASES:
            code, answer = call(port, path, tokens[1])
            assert code == 200 and len(answer["results"]) == 50, (path, code, answer.get("count"))

        def measure(name: str) -> dict:
            mode, paths, keys = plans[name]
            result = run_wrk(port, workdir, mode, paths, keys, args.duration, args.connections, bodies=bodies)
            runs[name].append(measured(name, result))
            return result

        # Rounds of pairs (run.py's method): each endpoint measured right next to the baseline,
        # the side measured first alternating, so that a busy moment of the shared machine
        # weighs on both sides of a ratio; the ratio is the median over the rounds.
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}: each endpoint next to the minimal insert view")
            for name in ratios:
                if number % 2:
                    base, run = measure(BASELINE), measure(name)
                else:
                    run, base = measure(name), measure(BASELINE)
                ratios[name].append(run["rps"] / base["rps"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    after = json.loads(
        case_queue.shell(env, VERIFY.format(codes=codes, marker=case_queue.MARKER)).strip().splitlines()[-1]
    )
    forget_tasks(env.get("REDIS_URL", ""))
    shutil.rmtree(workdir, ignore_errors=True)

    results = {name: combine(measured_runs) for name, measured_runs in runs.items()}
    results[BASELINE]["ratio"] = 1.0
    for name, values in ratios.items():
        results[name]["ratio"] = statistics.median(values)
        results[name]["rounds_ratio"] = values
    # Every submission wrk sent (warm-up and measured), the check's and the top-up's.
    answered = sum(r["requests"] + r["warmup_requests"] for r in runs["submit"]) + 1 + topped_up
    in_flight = 2 * args.connections * len(runs["submit"])  # wrk stops with requests under way
    created = after["cases"] - before["cases"]
    print()
    print(
        f"{total:,} generated cases; {args.workers} gunicorn workers, {args.connections} connections, "
        f"{args.rounds} rounds of {args.duration}s; load average before the run: {load:.2f}"
    )
    print(f"{'endpoint':<18}{'req/s':>9}{'ratio':>9}{'':<10}{'p50 ms':>9}{'p99 ms':>10}{'non-2xx':>8}")
    for name, r in results.items():
        print(
            f"{name:<18}{r['rps']:>9.1f}{r['ratio']:>9.1%}  1/{1 / r['ratio']:<6.1f}"
            f"{r['p50_ms']:>9.1f}{r['p99_ms']:>10.1f}{r['non_2xx']:>8}"
        )
    print()
    print(
        "req/s: mean of the rounds; ratio: median over the rounds against the minimal insert view "
        "measured next to it; p50: median; p99: worst round."
    )
    print(
        f"submissions answered: {answered} / cases numbered: {created}; duplicate serials: "
        f"{after['duplicates'] or 'none'}; gaps: {after['gaps'] or 'none'}"
    )
    submit = results["submit"]
    page_ratio = results[PAGE_BASELINE]["ratio"]
    checks = [
        (submit["ratio"] >= 0.30, "submissions ≥ 30% of the minimal insert view's req/s"),
        (
            submit["non_2xx"] == 0
            and not any(r["warmup_non_2xx"] for r in runs["submit"])
            and not submit["socket_errors"],
            "submissions: no error",
        ),
        (not after["duplicates"], "no duplicate serial numbers"),
        (not after["gaps"], "daily sequences gap-free (cases = last number of each counter)"),
        (answered <= created <= answered + in_flight, "one numbered case per submission answered"),
    ]
    for name in ("my_cases", "staff_queue"):
        r = results[name]
        checks.append(
            (
                r["ratio"] >= 1 / 20 and r["non_2xx"] == 0 and not r["socket_errors"],
                f"{name} (page of 50 over {total:,} cases) ≥ 1/20 of the minimal insert view's req/s",
            )
        )
        checks.append(
            (r["ratio"] >= page_ratio / 20, f"{name} ≥ 1/20 of the bare page view's req/s (reference)")
        )
    failed = 0
    for ok, description in checks:
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {description}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "applications.json").write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cases": total,
                "workers": args.workers,
                "connections": args.connections,
                "duration_s": args.duration,
                "rounds": args.rounds,
                "load_average_before": load,
                "pdf_bytes": len(pdf),
                "results": results,
                "submissions_answered": answered,
                "cases_numbered": created,
                "duplicates": after["duplicates"],
                "gaps": after["gaps"],
                "checks": [{"ok": ok, "check": description} for ok, description in checks],
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
