"""Process records → the Guangdong exchange tables, through the outbox, the real client and the
sandbox over real HTTP (live server): rows, versions, error bodies and timeouts."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.db import transaction

from applications import services
from integrations import delivery, outbox
from integrations.errors import PeerRejected, PeerUnavailable
from integrations.models import OutboxMessage
from integrations.provincial import mapping
from integrations.provincial.client import ExchangeClient
from integrations.provincial.models import (
    ExchangeRecord,
    SandboxExchangeMessage,
    SandboxExchangeRow,
    SandboxSerialReport,
)
from integrations.sandbox import framework

from .conftest import drain_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_pdfs(monkeypatch):
    """Issued PDFs are applications' business (and take seconds each): only scheduled here."""
    from applications import tasks

    monkeypatch.setattr(tasks.render_issued_document, "delay", lambda issued_id: None)


def rows(serial, table=None):
    found = SandboxExchangeRow.objects.filter(serial=serial).order_by("message_id", "id")
    if table:
        found = found.filter(table=table)
    return list(found)


def test_a_whole_case_arrives_as_its_record_sets_with_versions(exchange, submitted, people):
    case = submitted()
    services.sign(case=case, actor=people["clerk"])
    services.accept(case=case, actor=people["clerk"], opinion="材料齐全")
    services.start_review(case=case, actor=people["reviewer"])
    services.extend(case=case, actor=people["approver"], opinion="需现场核查", days=5)
    services.approve(case=case, actor=people["approver"], opinion="同意")
    services.complete(case=case, actor=people["clerk"], opinion="准予许可")
    services.deliver(
        case=case, actor=people["clerk"], details={"method": "express", "tracking_number": "SF1"}
    )
    assert drain_all() == 8

    serial = case.serial
    tables = [(r.table, r.version) for r in rows(serial)]
    assert tables == [
        ("EX_GDBS_SB", 1),
        ("EX_GDBS_SP", 1),  # 签收预审
        ("EX_GDBS_SL", 1),
        ("EX_GDBS_SP", 1),  # 审查
        ("EX_GDBS_TBCX", 1),  # 延长审批
        ("EX_GDBS_SL", 2),  # the due dates moved: re-reported
        ("EX_GDBS_SP", 1),  # 审批（准予）
        ("EX_GDBS_BJ", 1),
        ("EX_GDBS_BJ", 2),  # delivered: re-reported with the delivery
        ("EX_GDBS_SP", 1),  # 送达
    ]
    sb = rows(serial, "EX_GDBS_SB")[0].fields
    assert sb["SBLSH"] == serial and sb["SXBM"] == case.matter.implementation_code
    assert sb["SQRLX"] == "1" and sb["SQRMC"] == "李四" and sb["SQRZJLX"] == "111"
    assert sb["LXRSJ"] == "13800138000" and sb["TJFS"] == "2" and sb["WSSBQD"] == "0"
    assert sb["SBHZH"] == serial and sb["SBLSH_SHORT"] == serial[-12:] and sb["VERSION"] == 1
    first_sl, second_sl = (r.fields for r in rows(serial, "EX_GDBS_SL"))
    assert first_sl["SLZTDM"] == "1" and first_sl["SLRXM"] == "窗口甲"
    assert second_sl["CNBJSJ"] != first_sl["CNBJSJ"] and second_sl["SLSJ"] == first_sl["SLSJ"]
    tbcx = rows(serial, "EX_GDBS_TBCX")[0].fields
    assert tbcx["TBCXLX"] == "1" and tbcx["TBCXSX"] == "5" and tbcx["TBCXPZR"] == "负责人丙"
    bj1, bj2 = (r.fields for r in rows(serial, "EX_GDBS_BJ"))
    assert bj1["BJJGDM"] == "1" and bj1["SDFS"] == ""
    assert bj2["SDFS"] == "2" and bj2["KDDH"] == "SF1" and bj2["BJSJ"] == bj1["BJSJ"]
    approval = next(r.fields for r in rows(serial, "EX_GDBS_SP") if r.fields["BLHJDM"] == "approve")
    assert approval["SPJG"] == "1" and approval["BLYJ"] == "同意"
    # One message per process record, in order, each kept once.
    sequences = list(
        SandboxExchangeMessage.objects.filter(serial=serial).order_by("id").values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, 9))
    # Our side remembers the versions it reported.
    assert ExchangeRecord.objects.get(record_set="EX_GDBS_SL", record_key=serial).version == 2


def test_correction_and_special_procedure(exchange, submitted, people):
    case = submitted()
    services.request_correction(case=case, actor=people["clerk"], items=["营业执照复印件", "场所平面图"])
    services.supply_correction(case=case, actor=case.applicant)
    services.accept(case=case, actor=people["clerk"])
    services.start_review(case=case, actor=people["reviewer"])
    services.begin_special_procedure(case=case, actor=people["reviewer"], kind="testing", opinion="送检")
    services.end_special_procedure(case=case, actor=people["reviewer"], opinion="检测合格")
    drain_all()
    serial = case.serial
    notice = rows(serial, "EX_GDBS_BZGZ")[0].fields
    assert notice["BZCLQD"] == "营业执照复印件；场所平面图"
    supplied = rows(serial, "EX_GDBS_BZSL")[0].fields
    assert supplied["BZCLQD"] == notice["BZCLQD"] and supplied["BZGZXH"] == notice["XH"]
    begun, ended = (r.fields for r in rows(serial, "EX_GDBS_TBCX"))
    assert begun["TBCXLX"] == "2" and begun["TBCXZL"] == "检测" and begun["TBCXJSSJ"] == ""
    assert ended["VERSION"] == 2 and ended["XH"] == begun["XH"] and ended["TBCXJG"] == "检测合格"
    assert ended["TBCXJSSJ"]


def test_a_refusal_to_accept_is_an_acceptance_row_and_an_end(exchange, submitted, people):
    case = submitted()
    services.reject(case=case, actor=people["clerk"], reason_code="ineligible", opinion="不符合条件")
    drain_all()
    sl = rows(case.serial, "EX_GDBS_SL")[0].fields
    bj = rows(case.serial, "EX_GDBS_BJ")[0].fields
    assert sl["SLZTDM"] == "2" and "不符合条件" in sl["BSLYY"]
    assert bj["BJJGDM"] == "3"


def test_a_retry_of_the_same_message_maps_to_the_same_rows(db, submitted, people):
    case = submitted()
    services.accept(case=case, actor=people["clerk"])
    services.start_review(case=case, actor=people["reviewer"])
    services.extend(case=case, actor=people["approver"], opinion="延长", days=3)
    messages = list(OutboxMessage.objects.filter(destination="provincial").order_by("id"))
    bodies = []
    for message in messages:  # in order, each mapped twice (a retry comes before the next message)
        first = mapping.exchange_body(message.payload, message.idempotency_key)
        assert mapping.exchange_body(message.payload, message.idempotency_key) == first
        bodies.append(first)
    assert [r["fields"]["VERSION"] for r in bodies[-1]["records"]] == [1, 2]  # TBCX new, SL re-reported


def test_a_replay_gets_the_first_answer_and_changes_nothing(exchange, submitted):
    case = submitted()
    message = OutboxMessage.objects.get(destination="provincial")
    body = mapping.exchange_body(message.payload, message.idempotency_key)
    client = ExchangeClient()
    first = client.post_records(body, idempotency_key=message.idempotency_key)
    second = client.post_records(body, idempotency_key=message.idempotency_key)
    assert not first.replay and second.replay and first.stored == second.stored
    assert SandboxExchangeMessage.objects.filter(idempotency_key=message.idempotency_key).count() == 1
    assert len(rows(case.serial)) == 1
    with pytest.raises(PeerRejected) as reused:
        client.post_records({**body, "XH": 99}, idempotency_key=message.idempotency_key)
    assert reused.value.status == 409 and reused.value.code == "idempotency_key_reused"
    with pytest.raises(PeerRejected) as stale:
        client.post_records(body, idempotency_key="another-key")
    assert stale.value.status == 409 and stale.value.code == "stale_version"


def _post(url, body, key="k-1"):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(f"{url}records/", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _row(table="EX_GDBS_SL", **fields):
    base = {
        "SBLSH": "S1",
        "SXBM": "X",
        "SLBMZZJGDM": "U",
        "SLSJ": "2026-01-05 09:00:00",
        "SLZTDM": "1",
        "VERSION": 1,
    }
    return {"SBLSH": "S1", "XH": 1, "records": [{"table": table, "fields": {**base, **fields}}]}


@pytest.mark.parametrize(
    ("body", "key", "status", "code", "field"),
    [
        (_row(), "", 400, "missing_idempotency_key", None),
        ({"records": []}, "k", 400, "bad_request", None),
        (_row(table="EX_GDBS_XX"), "k", 400, "unknown_table", "EX_GDBS_XX"),
        (_row(SLSJ=""), "k", 400, "missing_field", "SLSJ"),
        (_row(SLZTDM="7"), "k", 400, "invalid_code", "SLZTDM"),
        (_row(VERSION=0), "k", 400, "bad_version", "VERSION"),
        (_row(SBLSH="S2"), "k", 400, "invalid_value", "SBLSH"),
    ],
)
def test_bad_records_get_a_clear_error_body(exchange, body, key, status, code, field):
    answer_status, answer = _post(exchange, body, key)
    assert answer_status == status
    assert answer["error"]["code"] == code and answer["error"]["message"]
    if field and code != "unknown_table":
        assert field in answer["error"]["fields"]
    assert not SandboxExchangeMessage.objects.exists()


def test_a_rejected_record_is_dead_lettered_and_holds_its_case(exchange, submitted, people):
    case = submitted()
    message = OutboxMessage.objects.get(destination="provincial")
    OutboxMessage.objects.filter(pk=message.pk).update(payload={**message.payload, "implementation_code": ""})
    services.accept(case=case, actor=people["clerk"])
    result = delivery.drain(destination="provincial")
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD
    assert "missing_field" in message.last_error and "SXBM" in message.last_error
    assert result.sent == 0 and not SandboxExchangeMessage.objects.exists()  # the acceptance waits


def test_a_timeout_after_the_sandbox_stored_it_is_answered_by_the_replay(exchange, submitted, settings):
    submitted()
    message = OutboxMessage.objects.get(destination="provincial")
    body = mapping.exchange_body(message.payload, message.idempotency_key)
    framework.configure("provincial", slow_rate=1.0, slow_seconds=0.8)
    started = time.monotonic()
    with pytest.raises(PeerUnavailable) as timed_out:
        ExchangeClient(read_timeout=0.3).post_records(body, idempotency_key=message.idempotency_key)
    assert time.monotonic() - started < 0.75 and "0.3s" in str(timed_out.value)
    assert framework.wait_quiet(timeout=10)
    assert SandboxExchangeMessage.objects.count() == 1  # the province has it, the client does not know
    framework.configure("provincial", slow_rate=0.0)
    again = ExchangeClient().post_records(body, idempotency_key=message.idempotency_key)
    assert again.replay and SandboxExchangeMessage.objects.count() == 1


def test_failures_and_garbage_are_unavailable(exchange, submitted):
    submitted()
    message = OutboxMessage.objects.get(destination="provincial")
    body = mapping.exchange_body(message.payload, message.idempotency_key)
    framework.configure("provincial", fail_rate=1.0)
    with pytest.raises(PeerUnavailable) as failed:
        ExchangeClient().post_records(body, idempotency_key=message.idempotency_key)
    assert failed.value.status == 503 and failed.value.code == "sandbox_failure"
    framework.configure("provincial", fail_rate=0.0, garbage_rate=1.0)
    with pytest.raises(PeerUnavailable):
        ExchangeClient().post_records(body, idempotency_key=message.idempotency_key)
    assert not SandboxExchangeMessage.objects.exists()


def test_a_locally_made_serial_is_reported(exchange, matter):
    with transaction.atomic():
        _enqueue_serial(matter)
    assert drain_all() == 1
    report = SandboxSerialReport.objects.get()
    assert report.serial.endswith("5001") and report.body["SBSJ"] == "2026-01-05 09:00:00"


def _enqueue_serial(matter):
    outbox.enqueue(
        topic="case.serial_reconciliation",
        destination="provincial",
        key="case-1-serial",
        ordering_key="case-1",
        payload={
            "serial": f"{matter.implementation_code}202601055001",
            "implementation_code": matter.implementation_code,
            "submitted_at": "2026-01-05T09:00:00+08:00",
            "channel": "2",
        },
    )


def test_signed_requests_when_the_province_has_our_key(exchange, submitted, settings):
    submitted()
    message = OutboxMessage.objects.get(destination="provincial")
    body = mapping.exchange_body(message.payload, message.idempotency_key)
    settings.PROVINCIAL_EXCHANGE_KEY_ID = "zs-hall"
    settings.PROVINCIAL_EXCHANGE_SECRET = "s3cret-value"
    ExchangeClient().post_records(body, idempotency_key=message.idempotency_key)
    status, answer = _post(exchange, body, key="unsigned")
    assert status == 401 and answer["error"]["code"] == "missing_signature"
