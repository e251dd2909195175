#!/usr/bin/env python
"""Outbox drain rate to the provincial sandbox, against a plain loop of the same POSTs.

The sandbox is served by gunicorn on PostgreSQL (tests/bench/run.py's helpers), the portal's
``/sandbox/provincial/records/`` endpoint: it validates each record and keeps one copy per
idempotency key in its tables. In this process:

* **outbox**: N process-record messages (``case.process_record``, the payload shape of
  ``applications.services.exchange_record``, 8 records per case, ordering key per case) are
  enqueued, then ``delivery.drain(destination="provincial", limit=N)`` delivers them: one
  worker, the production path (claims with SKIP LOCKED, the mapping to the EX_GDBS tables
  with its versions, PeerClient with its request log, the outcome written).
* **plain**: the same payloads, already mapped to the same bodies, POSTed one after the other
  with ``http.client`` (a new connection per request, as PeerClient does), nothing written.

Rounds of pairs, the side measured first alternating (run.py's method); the ratio is the
median over the rounds of outbox msg/s over plain msg/s. Target: at least 50%.
Results: tests/bench/results/outbox.json; exits non-zero when the target is missed or a
message was not delivered exactly once.

    .venv/bin/python tests/bench/bench_outbox.py [--keep-db] [--rounds 5] [--duration 8]

Options: --messages N per measurement (default: as many as --duration seconds of the plain
loop allow, measured in a warm-up, at least 400), --duration S, --rounds R, --workers W
(gunicorn), --keep-db (do not migrate). Database: BENCH_OUTBOX_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/portal_bench_outbox).
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.run import (  # noqa: E402  -- shared helpers of `make bench`
    RESULTS,
    bench_env,
    ensure_database,
    free_port,
    log,
    manage,
    start_gunicorn,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench_outbox"
TARGET = 0.50
STEPS = (
    ("submit", "提交申请"),
    ("sign", "签收预审"),
    ("accept", "受理"),
    ("start_review", "审查"),
    ("extend", "延长审批"),
    ("approve", "审批（准予）"),
    ("complete", "办结"),
    ("deliver", "送达"),
)
CODE = "11442000MB2C90416X3440000000001"  # a 31-character implementation code


def payload(serial: str, sequence: int) -> dict:
    """A process record as applications.services.exchange_record writes it."""
    action, label = STEPS[(sequence - 1) % len(STEPS)]
    at = f"2026-03-0{1 + sequence // 4}T09:{sequence:02d}:00+08:00"
    details = {
        "submit": {"pre_review_due_date": "2026-03-09"},
        "extend": {"days": 5, "special_procedure_type": "1"},
        "approve": {"decision": "approved"},
        "complete": {"decision": "approved"},
        "deliver": {"method": "express", "tracking_number": f"SF{sequence}"},
    }.get(action, {})
    extended = sequence >= 5
    return {
        "serial": serial,
        "serial_pending_reconciliation": False,
        "implementation_code": CODE,
        "matter_name": "食品经营许可证核发",
        "department_uscc": "11442000MB2C90416X",
        "division_code": "442000000000",
        "channel": "2",
        "sub_channel": "0",
        "origin": "portal",
        "applicant_type": "1",
        "applicant_name": "陈伟",
        "applicant_id_type": "111",
        "applicant_id_number": "44200019900101123X",
        "contact_name": "陈伟",
        "contact_mobile": "13800138000",
        "org_code": "",
        "sequence": sequence,
        "action": action,
        "action_label": label,
        "from_state": "",
        "to_state": "",
        "actor_name": "窗口甲",
        "actor_department_uscc": "11442000MB2C90416X",
        "opinion": "同意" if action in ("approve", "extend") else "",
        "reason_code": "",
        "details": details,
        "at": at,
        "step_seconds": 60,
        "submitted_at": "2026-03-01T09:00:00+08:00",
        "accepted_at": "2026-03-01T10:00:00+08:00" if sequence >= 3 else None,
        "deemed_accepted": False,
        "completed_at": at if sequence >= 7 else None,
        "promised_due_date": ("2026-03-20" if extended else "2026-03-13") if sequence >= 3 else None,
        "legal_due_date": ("2026-03-30" if extended else "2026-03-23") if sequence >= 3 else None,
        "stopped_workdays": 0,
        "extended_days": 5 if extended else 0,
        "decision": "approved" if sequence >= 6 else "",
    }


def messages(prefix: str, count: int) -> list[tuple[str, str, dict]]:
    """(key, ordering key, payload) of ``count`` records, 8 per case, cases numbered under ``prefix``."""
    out = []
    for n in range(count):
        case, sequence = divmod(n, len(STEPS))
        serial = f"{CODE}{prefix}{case:06d}"
        out.append(
            (f"{prefix}-case-{case}-record-{sequence + 1}", f"{prefix}-case-{case}", (serial, sequence + 1))
        )
    return [(key, ordering, payload(*args)) for key, ordering, args in out]


def clear() -> None:
    from integrations.models import OutboxMessage, PeerRequestLog
    from integrations.provincial.models import ExchangeRecord, SandboxExchangeMessage, SandboxExchangeRow

    SandboxExchangeRow.objects.all().delete()
    SandboxExchangeMessage.objects.all().delete()
    ExchangeRecord.objects.all().delete()
    OutboxMessage.objects.filter(destination="provincial").delete()
    PeerRequestLog.objects.filter(peer="provincial").delete()


def run_outbox(prefix: str, count: int) -> dict:
    from django.db import transaction

    from integrations import delivery, outbox
    from integrations.models import OutboxMessage
    from integrations.provincial.models import SandboxExchangeMessage

    batch = messages(prefix, count)
    with transaction.atomic():
        for key, ordering, data in batch:
            outbox.enqueue(
                topic="case.process_record",
                destination="provincial",
                key=key,
                ordering_key=ordering,
                payload=data,
            )
    started = time.perf_counter()
    sent = 0
    while sent < count:
        result = delivery.drain(destination="provincial", limit=count - sent)
        sent += result.sent
        if not result.attempted or result.retrying or result.dead:
            break
    elapsed = time.perf_counter() - started
    keys = [key for key, _ordering, _data in batch]
    delivered = OutboxMessage.objects.filter(idempotency_key__in=keys, state="sent").count()
    stored = SandboxExchangeMessage.objects.filter(idempotency_key__in=keys).count()
    return {
        "messages": count,
        "seconds": elapsed,
        "rate": sent / elapsed,
        "delivered": delivered,
        "stored": stored,
    }


def run_plain(prefix: str, count: int, base_url: str) -> dict:
    from integrations.provincial import mapping
    from integrations.provincial.models import SandboxExchangeMessage

    # The same bodies the outbox posts (mapped outside the measurement).
    bodies = [
        (key, json.dumps(mapping.exchange_body(data, key), ensure_ascii=False).encode())
        for key, _ordering, data in messages(prefix, count)
    ]
    parts = urlsplit(base_url)
    path = f"{parts.path}records/"
    started = time.perf_counter()
    ok = 0
    for key, body in bodies:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key},
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        ok += response.status == 200
    elapsed = time.perf_counter() - started
    stored = SandboxExchangeMessage.objects.filter(idempotency_key__startswith=f"{prefix}-").count()
    return {"messages": count, "seconds": elapsed, "rate": count / elapsed, "ok": ok, "stored": stored}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_OUTBOX_DATABASE_URL", DEFAULT_DB)
    env = bench_env(database_url, "")
    env.update({"SANDBOX_ENABLED": "true", "OUTBOX_KICK": "none", "CELERY_TASK_ALWAYS_EAGER": "true"})
    ensure_database(database_url)
    if not args.keep_db:
        log("migrating the bench database")
    manage(env, "migrate", "--noinput", "-v", "0")

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/sandbox/provincial/"
    env["PROVINCIAL_EXCHANGE_URL"] = base_url
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from integrations.sandbox import framework

    framework.reset("provincial")
    clear()
    server = start_gunicorn(env, port, args.workers)
    pairs = []
    try:
        warm = run_plain("warm", 80, base_url)
        count = args.messages or max(400, int(warm["rate"] * args.duration) // len(STEPS) * len(STEPS))
        run_outbox("warmo", 80)
        clear()
        log(f"{args.rounds} rounds of {count} messages each side (plain warm-up: {warm['rate']:.0f} msg/s)")
        for number in range(1, args.rounds + 1):
            sides = ("outbox", "plain") if number % 2 else ("plain", "outbox")
            pair = {}
            for side in sides:
                prefix = f"r{number}{side[0]}"
                pair[side] = (
                    run_outbox(prefix, count) if side == "outbox" else run_plain(prefix, count, base_url)
                )
            pair["ratio"] = pair["outbox"]["rate"] / pair["plain"]["rate"]
            rates = f"outbox {pair['outbox']['rate']:.0f} msg/s, plain {pair['plain']['rate']:.0f} msg/s"
            log(f"round {number}: {rates}, ratio {pair['ratio']:.0%}")
            pairs.append(pair)
            clear()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    ratio = statistics.median(p["ratio"] for p in pairs)
    outbox_rate = statistics.median(p["outbox"]["rate"] for p in pairs)
    plain_rate = statistics.median(p["plain"]["rate"] for p in pairs)
    exact = all(
        p["outbox"]["delivered"] == p["outbox"]["stored"] == p["outbox"]["messages"]
        and p["plain"]["ok"] == p["plain"]["stored"] == p["plain"]["messages"]
        for p in pairs
    )
    ok = ratio >= TARGET and exact
    print()
    print(f"outbox drain (one worker): {outbox_rate:.1f} msg/s   plain POST loop: {plain_rate:.1f} msg/s")
    rounds = ", ".join(f"{pair['ratio']:.0%}" for pair in pairs)
    print(f"ratio (median of {len(pairs)} rounds): {ratio:.0%}   rounds: {rounds}")
    print(f"{'PASS' if ratio >= TARGET else 'FAIL'}  outbox drain rate ≥ {TARGET:.0%} of the plain loop")
    print(f"{'PASS' if exact else 'FAIL'}  every message delivered and stored exactly once")
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "messages_per_side": pairs[0]["outbox"]["messages"] if pairs else 0,
        "rounds": args.rounds,
        "gunicorn_workers": args.workers,
        "outbox_msg_per_s": outbox_rate,
        "plain_msg_per_s": plain_rate,
        "ratio": ratio,
        "target": TARGET,
        "exactly_once": exact,
        "pairs": pairs,
    }
    (RESULTS / "outbox.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
