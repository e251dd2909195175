#!/usr/bin/env python
# ruff: noqa: E501 -- the hand-written SQL statements are kept whole, column lists on one line each
"""The least one submission must cost the database layer, next to the bench's insert view.

Issue 3 asks ``POST /api/v1/applications/`` (a form and a 200 KB PDF, submitted at once) to
reach 30% of the throughput of a minimal view that authenticates a token and inserts one row.
This script measures, in process and without HTTP, what no implementation of the issue can
avoid, against the insert view's own database work measured in the same run:

* ``insert``: the comparison's work: the token lookup, then one row in one transaction;
* ``orm``: the token lookup, then the rows the issue itself requires of a submission, written
  with the ORM in one transaction: the submission (申办) and its case (办件), the document in
  the applicant's store (资料库) and the material pointing at it, the serial counter row locked
  and advanced, the process record, the case's pointer to it (and its serial and state), the
  outbox message for the provincial exchange and the applicant's notification. Nothing is
  checked, parsed, rendered or written to disk;
* ``sql``: the same rows in hand-written SQL (no ORM), for reference.

The ratio ``insert / orm`` is the most a submission could reach with the ORM if request
handling, validation, the upload and the response cost nothing at all.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python tests/bench/submission_floor.py [--count 30] [--rounds 5]

``make bench`` runs it after bench_applications.py (it reports; it has no target). Needs the
bench database (``make bench`` or bench_applications.py builds it). Every side
commits (the commit is part of the cost), so its rows stay in the bench database, marked
``floor-`` (serials, keys) and never numbered by the serial rule.
"""

import argparse
import datetime
import hashlib
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def forget_rows() -> None:
    """Delete what the sides wrote (marked ``floor-``), so that the bench's own checks and pages
    see only the bench's cases. Plain SQL: process records refuse deletion through the ORM."""
    from django.db import connection, transaction

    statements = [
        "DELETE FROM portal_notification WHERE key LIKE 'floor-%'",
        "DELETE FROM integrations_outboxmessage WHERE idempotency_key LIKE 'floor-%'",
        "CREATE TEMPORARY TABLE floor_submissions AS"
        " SELECT submission_id FROM applications_case WHERE serial LIKE 'floor-%'",
        "UPDATE applications_case SET current_record_id = NULL WHERE serial LIKE 'floor-%'",
        "DELETE FROM applications_processrecord"
        " WHERE case_id IN (SELECT id FROM applications_case WHERE serial LIKE 'floor-%')",
        "DELETE FROM applications_case WHERE serial LIKE 'floor-%'",
        "DELETE FROM applications_submissionmaterial WHERE submission_id IN (SELECT * FROM floor_submissions)",
        "DELETE FROM applications_submission WHERE id IN (SELECT * FROM floor_submissions)",
        "DELETE FROM applications_document WHERE file LIKE 'floor/%'",
        "DROP TABLE floor_submissions",
        "DELETE FROM applications_serialcounter WHERE day = '2000-01-01'",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from tests.bench.run import setup_in_process

    setup_in_process("submission-floor")
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from applications.models import (
        Case,
        Document,
        ProcessRecord,
        SerialCounter,
        Submission,
        SubmissionMaterial,
    )
    from integrations.models import OutboxMessage
    from matters.models import Matter
    from portal.models import Notification
    from tests.bench import bench_applications as bench

    token = Token.objects.filter(user__username__startswith="bench-api-applicant-").first()
    matter = Matter.objects.filter(basic_code__startswith=bench.MATTER_PREFIX).first()
    if token is None or matter is None:
        raise SystemExit("no bench data: run tests/bench/bench_applications.py once")
    requirement = matter.materials.order_by("pk")[0]
    # A counter of its own (a day no submission is ever numbered on): the bench's gap-free check
    # counts today's numbers.
    code, day = matter.implementation_code, datetime.date(2000, 1, 1)
    SerialCounter.objects.get_or_create(implementation_code=code, day=day)

    def authenticate():
        return Token.objects.select_related("user").get(key=token.key).user

    def insert() -> None:
        user = authenticate()
        with transaction.atomic():
            Notification.objects.create(
                user=user, key=f"floor-{uuid.uuid4().hex}", template_key="bench", title="bench", body=""
            )

    def orm() -> None:
        user = authenticate()
        now = timezone.now()
        with transaction.atomic():
            submission = Submission.objects.create(
                applicant=user,
                applicant_type="1",
                applicant_name="王小明",
                applicant_id_number="440101199001011234",
                contact_name="王小明",
                contact_mobile="13800138000",
                form_data={"shop_name": "小明便利店", "area": "35.5"},
            )
            case = Case.objects.create(
                submission=submission, matter=matter, department_id=matter.department_id, applicant=user
            )
            document = Document.objects.create(
                owner=user,
                title=requirement.name,
                original_name="材料.pdf",
                file=f"floor/{uuid.uuid4().hex}.pdf",
                extension=".pdf",
                content_type="application/pdf",
                size=bench.PDF_SIZE,
                sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                pages=1,
            )
            SubmissionMaterial.objects.create(
                submission=submission,
                requirement=requirement,
                requirement_name=requirement.name,
                document=document,
                status=SubmissionMaterial.Status.PROVIDED,
            )
            counter = SerialCounter.objects.select_for_update().get(implementation_code=code, day=day)
            SerialCounter.objects.filter(pk=counter.pk).update(last_value=counter.last_value + 1)
            record = ProcessRecord.objects.create(
                case=case,
                sequence=1,
                action="submit",
                action_label="提交申请",
                from_state="draft",
                to_state="submitted",
                actor=user,
                actor_name="王小明",
                details={},
                created_at=now,
            )
            Case.objects.filter(pk=case.pk).update(
                serial=f"floor-{uuid.uuid4().hex}", state="submitted", current_record=record, submitted_at=now
            )
            OutboxMessage.objects.create(
                topic="floor", destination="floor", idempotency_key=f"floor-{uuid.uuid4().hex}", payload={}
            )
            Notification.objects.create(
                user=user,
                key=f"floor-{uuid.uuid4().hex}",
                template_key="floor",
                title="已提交",
                body="已提交",
            )

    def sql() -> None:
        user = authenticate()
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO applications_submission (public_id, applicant_id, applicant_type, applicant_name,"
                " applicant_id_type, applicant_id_number, org_name, org_code, contact_name, contact_mobile,"
                " form_data, form_version, created_at, updated_at)"
                " VALUES (%s, %s, '1', '王小明', '111', '440101199001011234', '', '', '王小明', '13800138000',"
                " %s, 1, %s, %s) RETURNING id",
                [uuid.uuid4(), user.pk, json.dumps({"shop_name": "小明便利店"}), now, now],
            )
            submission_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO applications_case (submission_id, matter_id, department_id, applicant_id,"
                " serial_pending_reconciliation, query_code, channel, sub_channel, origin, external_id, state,"
                " decision, created_at, stopped_workdays, extended_days, correction_count, deemed_accepted)"
                " VALUES (%s, %s, %s, %s, false, 'ABCDEF', '2', '1', 'api', '', 'draft', '', %s, 0, 0, 0, false)"
                " RETURNING id",
                [submission_id, matter.pk, matter.department_id, user.pk, now],
            )
            case_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO applications_document (owner_id, org_code, kind, title, original_name, file,"
                " extension, content_type, size, sha256, pages, requirement_name, created_at)"
                " VALUES (%s, '', 'upload', %s, '材料.pdf', %s, '.pdf', 'application/pdf', %s, %s, 1, '', %s)"
                " RETURNING id",
                [
                    user.pk,
                    requirement.name,
                    f"floor/{uuid.uuid4().hex}.pdf",
                    bench.PDF_SIZE,
                    hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
                    now,
                ],
            )
            document_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO applications_submissionmaterial (submission_id, requirement_id, requirement_name,"
                " document_id, status, note, added_at) VALUES (%s, %s, %s, %s, 'provided', '', %s)",
                [submission_id, requirement.pk, requirement.name, document_id, now],
            )
            cursor.execute(
                "SELECT id, last_value FROM applications_serialcounter"
                " WHERE implementation_code = %s AND day = %s FOR UPDATE",
                [code, day],
            )
            counter_id, last_value = cursor.fetchone()
            cursor.execute(
                "UPDATE applications_serialcounter SET last_value = %s WHERE id = %s",
                [last_value + 1, counter_id],
            )
            cursor.execute(
                "INSERT INTO applications_processrecord (case_id, sequence, action, action_label, from_state,"
                " to_state, actor_id, actor_name, opinion, reason_code, details, created_at, step_seconds)"
                " VALUES (%s, 1, 'submit', '提交申请', 'draft', 'submitted', %s, '王小明', '', '', '{}', %s, 0)"
                " RETURNING id",
                [case_id, user.pk, now],
            )
            record_id = cursor.fetchone()[0]
            cursor.execute(
                "UPDATE applications_case SET serial = %s, state = 'submitted', current_record_id = %s,"
                " submitted_at = %s WHERE id = %s",
                [f"floor-{uuid.uuid4().hex}", record_id, now, case_id],
            )
            cursor.execute(
                "INSERT INTO integrations_outboxmessage (topic, destination, ordering_key, idempotency_key,"
                " payload, state, attempts, next_attempt_at, last_error, created_at, claim_token)"
                " VALUES ('floor', 'floor', '', %s, '{}', 'pending', 0, %s, '', %s, '')",
                [f"floor-{uuid.uuid4().hex}", now, now],
            )
            cursor.execute(
                "INSERT INTO portal_notification (user_id, key, template_key, title, body, link, sms_text,"
                " send_email, created_at) VALUES (%s, %s, 'floor', '已提交', '已提交', '', '', false, %s)",
                [user.pk, f"floor-{uuid.uuid4().hex}", now],
            )

    sides = {"insert": insert, "orm": orm, "sql": sql}
    for side in sides.values():  # warm-up
        for _ in range(3):
            side()
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for _round in range(args.rounds):  # alternating: this machine's speed drifts
        for name, side in sides.items():
            started = time.perf_counter()
            for _ in range(args.count):
                side()
            timings[name].append((time.perf_counter() - started) / args.count)
    forget_rows()
    medians = {name: statistics.median(values) for name, values in timings.items()}
    base = medians["insert"]
    print(f"{'side':<8}{'ms':>8}{'insert / side':>16}")
    for name, seconds in medians.items():
        print(f"{name:<8}{seconds * 1000:>8.2f}{base / seconds:>16.1%}")
    print(
        "orm: the required rows written with the ORM and nothing else; a submission through the API "
        "(parsing, checks, upload, response) cannot be faster than this."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
