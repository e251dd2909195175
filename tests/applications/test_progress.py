"""/progress/: the public progress query, its proofs, its rate limits and what it never shows."""

import re

import pytest
from django.urls import reverse

from applications.models import State

pytestmark = pytest.mark.django_db

URL = "/progress/"


def text(response) -> str:
    return response.content.decode()


def without_echoes(page: str, *typed: str) -> str:
    """The page without what differs by construction: CSRF tokens and what the visitor typed."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    for value in typed:
        page = page.replace(value, "TYPED")
    return page


def ask(client, serial: str, method: str, proof: str, **extra):
    return client.post(URL, {"serial": serial, "method": method, "proof": proof}, **extra)


@pytest.fixture
def case(build):
    case = build(State.ACCEPTED)
    case.submission.refresh_from_db()
    return case


def test_the_page_is_mounted_where_receipts_and_notices_say():
    assert reverse("applications:progress") == URL


def test_the_query_form_needs_no_login(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'name="serial"' in text(response)


def test_the_query_code_shows_the_timeline(client, case):
    response = ask(client, case.serial, "code", case.query_code)
    page = text(response)
    assert response.status_code == 200
    assert "查询结果" in page
    assert case.matter.name in page
    for step in ("提交申请", "签收预审", "受理"):
        assert step in page
    assert "已受理" in page


def test_the_query_code_is_not_case_sensitive(client, case):
    assert ask(client, case.serial.lower(), "code", case.query_code.lower()).status_code == 200


def test_the_applicants_name_proves_it_too(client, case):
    assert ask(client, case.serial, "name", case.submission.applicant_name).status_code == 200


def test_the_last_six_characters_of_the_id_number_prove_it_too(client, case):
    assert ask(client, case.serial, "id_tail", case.submission.applicant_id_number[-6:]).status_code == 200


def test_a_wrong_proof_and_an_unknown_serial_get_the_same_answer(client, case):
    wrong_code = ask(client, case.serial, "code", "ZZZZZZ")
    unknown = ask(client, case.serial[:-4] + "9999", "code", case.query_code)
    assert wrong_code.status_code == unknown.status_code == 404
    unknown_serial = case.serial[:-4] + "9999"
    assert without_echoes(text(wrong_code), case.serial, "ZZZZZZ") == without_echoes(
        text(unknown), unknown_serial, case.query_code
    )
    assert "未查询到办件" in text(wrong_code)
    assert case.matter.name not in text(wrong_code)


def test_a_wrong_name_is_refused(client, case):
    assert ask(client, case.serial, "name", "王五").status_code == 404


def test_a_draft_cannot_be_queried(client, build):
    draft = build(State.DRAFT)
    assert ask(client, "None", "code", draft.query_code).status_code == 404


def test_the_result_shows_no_personal_data(client, case):
    submission = case.submission
    page = text(ask(client, case.serial, "code", case.query_code))
    assert "李*" in page
    assert submission.applicant_name not in page
    assert submission.applicant_id_number not in page
    assert submission.contact_mobile not in page
    assert "窗口甲" not in page  # the clerk's name
    assert case.query_code not in page.split("查询结果", 1)[1]


def test_opinions_are_not_shown_publicly(client, build):
    case = build(State.REJECTED)
    page = text(ask(client, case.serial, "code", case.query_code))
    assert "不予受理" in page
    assert "申请人不符合受理条件。" not in page


def test_a_missing_serial_is_said_next_to_its_field(client):
    response = client.post(URL, {"serial": "", "method": "code", "proof": "ABCDEF"})
    assert response.status_code == 400
    assert 'id="id_serial_error"' in text(response)


def test_more_than_ten_queries_a_minute_from_one_address_are_refused(client, case):
    for _ in range(10):
        ask(client, case.serial, "code", "ZZZZZZ")
    response = ask(client, case.serial, "code", case.query_code)
    assert response.status_code == 429
    assert "查询过于频繁" in text(response)
    assert int(response["Retry-After"]) > 0
    assert case.matter.name not in text(response)


def test_another_address_is_counted_separately(client, case):
    for _ in range(10):
        ask(client, case.serial, "code", "ZZZZZZ", REMOTE_ADDR="10.0.0.1")
    assert ask(client, case.serial, "code", case.query_code, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_daily_limit_applies_too(client, case, settings):
    settings.PROGRESS_RATE_LIMITS = ("1000/min", "3/day")
    for _ in range(3):
        ask(client, case.serial, "code", case.query_code)
    assert ask(client, case.serial, "code", case.query_code).status_code == 429


def test_a_serial_with_too_many_wrong_answers_is_locked_for_everyone(client, case, settings):
    settings.PROGRESS_FAILURES_PER_SERIAL = 3
    for number in range(3):
        ask(client, case.serial, "name", f"猜{number}", REMOTE_ADDR=f"10.0.1.{number}")
    response = ask(client, case.serial, "code", case.query_code, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429


def test_the_receipt_link_prefills_the_serial(client, case):
    page = text(client.get(URL, {"serial": case.serial}))
    assert f'value="{case.serial}"' in page
