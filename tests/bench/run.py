#!/usr/bin/env python
"""`make bench`: serve the portal with gunicorn on PostgreSQL and measure it with wrk.

Each page is measured as a ratio to a minimal Django view served by the same gunicorn
configuration in the same run (RECIPES.md: absolute numbers depend on the machine, the
ratio does not).

Catalogue pages come from a cache that a catalogue edit empties (ADR 0007). The guide and
catalogue URLs name catalogue objects, a closed set that a portal serves warm between edits:
each of them is first visited once (the "first visit" figures: the render of an uncached
page) and then measured. Search URLs are what people type, an open set: the search terms are
measured as they come, their first renders inside the measurement.

Targets come from the issues; the run prints PASS/FAIL per target, writes
tests/bench/results/latest.json and exits non-zero when a target is missed.

Options: --matters N (default 10000), --duration S per measurement (default 8), --rounds R
(default 5: each page measured R times, each time next to the minimal view), --connections C
(default 16), --workers W (default 2), --keep-db (reuse the bench database as it is).
Needs: PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portal_bench),
Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/13; the cache of the production shape,
shared by the gunicorn workers; set it empty to use each worker's local-memory cache) and `wrk`
(apt-get install wrk). Each round starts with a cold catalogue cache.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
RESULTS = ROOT / "tests" / "bench" / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"

# What people type: names and pieces of names, everyday words (synonyms), full pinyin and
# initials, broad words that match most of the catalogue, and a few that find nothing. Enough of
# them that the search page is measured with its cache filling, not only served from it.
SEARCH_TERMS = [
    "身份证",
    "居民身份证换领",
    "sfz",
    "shenfenzheng",
    "身份证丢了",
    "公积金提取",
    "gjj",
    "提公积金",
    "公积金贷款",
    "营业执照",
    "yyzz",
    "开饭店",
    "开奶茶店",
    "开公司",
    "注销公司",
    "个体户",
    "结婚登记",
    "离婚",
    "生孩子",
    "上户口",
    "出生登记",
    "社保卡",
    "shebaoka",
    "失业金",
    "退休",
    "异地医保",
    "食品经营许可",
    "港澳通行证",
    "去香港",
    "办护照",
    "驾照到期",
    "不动产登记",
    "过户",
    "无犯罪证明",
    "低保",
    "居住证",
    "上学报名",
    "证明",
    "申请",
    "建设工程规划许可证核发",
    "退税",
    "宠物狗登记",
]


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_in_process(name: str, **settings: str) -> None:
    """Django in this process on the bench database, configured as the bench's gunicorn runs
    (no debug, connections kept), for the scripts that measure in process; ``settings`` are
    more environment variables."""
    os.environ.update(
        {
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
            "DEBUG": "false",
            "CONN_MAX_AGE": "600",
            "PRIVATE_MEDIA_ROOT": tempfile.mkdtemp(prefix=f"{name}-"),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **settings,
        }
    )
    import django

    django.setup()


def bench_env(database_url: str, redis_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "BENCH_ENDPOINTS": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # Anonymous pages only: no broker needed, and the API throttle must not skew figures.
            "API_THROTTLE_ANON": "1000000/min",
            "API_THROTTLE_USER": "1000000/min",
            "CONN_MAX_AGE": "600",
        }
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        # The production shape caches in Redis; pages enqueue nothing, so no worker is needed.
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict, *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def ensure_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    import psycopg2

    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def prepare_data(env: dict, matters: int) -> None:
    log("migrating the bench database")
    manage(env, "migrate", "--noinput", "-v", "0")
    count = int(
        manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from matters.models import Matter; "
            "print(Matter.objects.filter(basic_code__startswith='49').count())",
        ).strip()
        or 0
    )
    if count < matters:
        log("loading the demo frame and generating synthetic matters (first run only)")
        manage(env, "seed_demo")
        manage(env, "seed_bulk", "--matters", str(matters - count))
    manage(
        env, "shell", "-c", "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"
    )


def bump_catalogue_version(env: dict) -> None:
    """A cold start: nothing of an earlier round or run (or of another catalogue) is served."""
    manage(env, "shell", "--no-imports", "-c", "from matters.cache import bump_catalogue_version as b; b()")


def catalogue_version(env: dict) -> str:
    code = "from matters.cache import catalogue_version; print(catalogue_version())"
    return manage(env, "shell", "--no-imports", "-c", code).strip()


def sample_paths(env: dict) -> dict[str, list[str]]:
    code = (
        "from matters.models import Matter\n"
        "qs = Matter.objects.published().order_by('?')\n"
        "codes = list(qs.values_list('implementation_code', flat=True)[:200])\n"
        "print('\\n'.join(codes))"
    )
    codes = manage(env, "shell", "--no-imports", "-c", code).split()
    return {
        "minimal": ["/_bench/minimal/"],
        "guide": [f"/matters/{c}/" for c in codes],
        "catalogue": [f"/matters/?page={n}" for n in range(1, 41)]
        + ["/matters/?audience=enterprise", "/matters/?online_apply=true&page=2", "/matters/?matter_type=01"],
        "search": [f"/search/?q={urllib.parse.quote(t)}" for t in SEARCH_TERMS],
        "api_list": [f"/api/v1/matters/?page={n}" for n in range(1, 21)],
    }


LUA = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port: int, paths: list[str], duration: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text(LUA)
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        # Warm up caches and connections, then measure.
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", "-d3s", "-s", str(script), f"http://127.0.0.1:{port}"],
            env={**os.environ, "WRK_PATHS": str(path_file)},
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            env={**os.environ, "WRK_PATHS": str(path_file)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = to_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


# The groups whose URLs are each visited once before they are measured (see the docstring).
PRIMED = ("guide", "catalogue")


def prime(port: int, paths: list[str], connections: int) -> dict:
    """Visit every URL once, ``connections`` at a time: the figures of uncached pages."""

    def visit(path: str) -> float:
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
            response.read()
        return (time.perf_counter() - start) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        latencies = sorted(pool.map(visit, paths))
    return {
        "first_visit_mean_ms": sum(latencies) / len(latencies),
        "first_visit_max_ms": latencies[-1],
        "first_visit_rps": len(paths) / (time.perf_counter() - started),
    }


def combine(runs: list[dict]) -> dict:
    """The rounds of one page: mean req/s, median p50, worst p99."""
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
        "rounds_rps": [r["rps"] for r in runs],
    }


def combine_first(visits: list[dict]) -> dict:
    if not visits:
        return {}
    return {
        "first_visit_mean_ms": statistics.mean(v["first_visit_mean_ms"] for v in visits),
        "first_visit_max_ms": max(v["first_visit_max_ms"] for v in visits),
        "first_visit_rps": statistics.mean(v["first_visit_rps"] for v in visits),
    }


def check_status(port: int, paths: list[str]) -> None:
    for path in paths[:3]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            assert response.status == 200, (path, response.status)


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "portal.wsgi:application",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/minimal/", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


TARGETS = [
    # (name, check, description)
    ("guide", lambda r: r["ratio"] >= 0.40, "guide page ≥ 40% of the minimal view's req/s"),
    ("search", lambda r: r["ratio"] >= 0.25, "search ≥ 25% of the minimal view's req/s"),
    ("search", lambda r: r["p99_ratio"] < 10, "search p99 < 10× the minimal view's p99"),
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matters", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    env = bench_env(database_url, os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    ensure_database(database_url)
    if not args.keep_db:
        prepare_data(env, args.matters)
    paths = sample_paths(env)

    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    runs: dict[str, list[dict]] = {name: [] for name in paths}
    ratios: dict[str, list[dict]] = {name: [] for name in paths if name != "minimal"}
    first_visits: dict[str, list[dict]] = {name: [] for name in PRIMED}
    changed = False
    try:
        for group in paths.values():
            check_status(port, group)
        # Rounds of pairs: each page is measured right next to the minimal view, and compared
        # with that measurement, so that a busy moment of the shared machine weighs on both
        # sides of a ratio. Each round starts with a cold catalogue cache.
        for number in range(1, args.rounds + 1):
            log(f"round {number}/{args.rounds}: {len(ratios)} pages, each next to the minimal view")
            bump_catalogue_version(env)
            version = catalogue_version(env)
            for name in ratios:
                if name in PRIMED:
                    first_visits[name].append(prime(port, paths[name], args.connections))
                # Alternate which side goes first, so a machine getting busier or quieter
                # during a pair does not always favour the same side.
                if number % 2:
                    base_run = run_wrk(port, paths["minimal"], args.duration, args.connections)
                    run = run_wrk(port, paths[name], args.duration, args.connections)
                else:
                    run = run_wrk(port, paths[name], args.duration, args.connections)
                    base_run = run_wrk(port, paths["minimal"], args.duration, args.connections)
                runs["minimal"].append(base_run)
                runs[name].append(run)
                ratios[name].append(
                    {"rps": run["rps"] / base_run["rps"], "p99": run["p99_ms"] / base_run["p99_ms"]}
                )
            changed = changed or catalogue_version(env) != version
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    results = {name: {**combine(runs[name]), **combine_first(first_visits.get(name, []))} for name in paths}
    results["minimal"].update(ratio=1.0, p99_ratio=1.0)
    for name, pairs in ratios.items():
        results[name]["ratio"] = statistics.median(pair["rps"] for pair in pairs)
        results[name]["p99_ratio"] = statistics.median(pair["p99"] for pair in pairs)

    if changed:
        # Something wrote to the catalogue during a round: pages were measured re-rendering.
        log("WARNING: the catalogue changed during the run (another process wrote to it)")

    print()
    print(
        f"{'endpoint':<12}{'req/s':>10}{'ratio':>9}{'p50 ms':>10}{'p99 ms':>10}{'p99 ratio':>11}"
        f"{'non-2xx':>9}{'first visit: mean ms':>22}{'max ms':>9}"
    )
    for name, r in results.items():
        figures = (
            f"{r['rps']:>10.1f}{r['ratio']:>8.0%} {r['p50_ms']:>9.2f}{r['p99_ms']:>10.2f}"
            f"{r['p99_ratio']:>10.1f}×{r['non_2xx']:>9}"
        )
        if "first_visit_mean_ms" in r:
            figures += f"{r['first_visit_mean_ms']:>22.1f}{r['first_visit_max_ms']:>9.1f}"
        print(f"{name:<12}{figures}")
    print()
    print(
        "req/s: mean of the rounds; ratio and p99 ratio: median over the rounds of the page against "
        "the minimal view measured next to it; p50: median; p99: worst round."
    )
    failed = 0
    for name, check, description in TARGETS:
        ok = check(results[name]) and results[name]["non_2xx"] == 0
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {description}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "matters": args.matters,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "cache": "redis" if env.get("REDIS_URL") else "local memory",
        "primed": list(PRIMED),
        "results": results,
    }
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
