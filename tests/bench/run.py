#!/usr/bin/env python
"""`make bench`: serve the portal with gunicorn on PostgreSQL and measure it with wrk.

Each page is measured as a ratio to a minimal Django view served by the same gunicorn
configuration in the same run (RECIPES.md: absolute numbers depend on the machine, the
ratio does not). Targets come from the issues; the run prints PASS/FAIL per target,
writes tests/bench/results/latest.json and exits non-zero when a target is missed.

Options: --matters N (default 10000), --duration S (default 15), --connections C
(default 16), --workers W (default 2), --keep-db (reuse the bench database as it is).
Needs: PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portal_bench),
Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/13; the cache of the production shape,
shared by the gunicorn workers; set it empty to use each worker's local-memory cache) and `wrk`
(apt-get install wrk). Each run starts with a cold catalogue cache.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
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
    ("guide", lambda r, base: r["rps"] >= 0.40 * base["rps"], "guide page ≥ 40% of the minimal view's req/s"),
    ("search", lambda r, base: r["rps"] >= 0.25 * base["rps"], "search ≥ 25% of the minimal view's req/s"),
    ("search", lambda r, base: r["p99_ms"] < 10 * base["p99_ms"], "search p99 < 10× the minimal view's p99"),
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matters", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=15)
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
    # A cold start: nothing of an earlier run (or of another catalogue) is served.
    manage(env, "shell", "-c", "from matters.cache import bump_catalogue_version; bump_catalogue_version()")

    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    results: dict[str, dict] = {}
    try:
        for name, group in paths.items():
            check_status(port, group)
            log(f"measuring {name} ({len(group)} URLs, {args.duration}s, {args.connections} connections)")
            results[name] = run_wrk(port, group, args.duration, args.connections)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    base = results["minimal"]
    print()
    print(f"{'endpoint':<12}{'req/s':>10}{'ratio':>9}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for name, r in results.items():
        ratio = r["rps"] / base["rps"]
        figures = f"{r['rps']:>10.1f}{ratio:>8.0%} {r['p50_ms']:>9.2f}{r['p99_ms']:>10.2f}{r['non_2xx']:>9}"
        print(f"{name:<12}{figures}")
    print()
    failed = 0
    for name, check, description in TARGETS:
        ok = check(results[name], base) and results[name]["non_2xx"] == 0
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {description}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "matters": args.matters,
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "results": results,
    }
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
