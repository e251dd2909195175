"""Bulk actions of the queue: sign several cases, export the list as CSV (masked)."""

import csv
import io

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from applications.models import State
from tests.applications.test_admin_helpers import messages_of, queue_url, reload


def run_action(client, action: str, cases, query: str = ""):
    return client.post(
        queue_url(query), {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in cases], "index": 0}
    )


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_signing_several_cases_takes_each_into_pre_review(client, build, clerk):
    cases = [build(State.SUBMITTED) for _ in range(3)]
    client.force_login(clerk)
    response = run_action(client, "sign_selected", cases)
    assert response.status_code == 302
    assert [reload(c).state for c in cases] == [State.PRE_REVIEW] * 3
    assert "已签收 3 件。" in messages_of(response)


def test_bulk_signing_reports_each_refused_case_with_the_reason(client, build, clerk):
    new = build(State.SUBMITTED)
    accepted = build(State.ACCEPTED)
    client.force_login(clerk)
    response = run_action(client, "sign_selected", [new, accepted])
    shown = messages_of(response)
    assert "已签收 1 件。" in shown
    assert f"{accepted.serial}：办件当前状态为“已受理”，不能执行“签收预审”。" in shown
    assert reload(accepted).state == State.ACCEPTED


def test_bulk_signing_cannot_reach_another_departments_case(client, build, other_department_approver):
    case = build(State.SUBMITTED)
    client.force_login(other_department_approver)
    run_action(client, "sign_selected", [case])
    assert reload(case).state == State.SUBMITTED


def test_bulk_signing_is_refused_for_too_many_cases_at_once(client, build, clerk, monkeypatch):
    from applications import admin as case_admin

    monkeypatch.setattr(case_admin, "BULK_MAX_CASES", 1)
    cases = [build(State.SUBMITTED) for _ in range(2)]
    client.force_login(clerk)
    response = run_action(client, "sign_selected", cases)
    assert "一次最多签收 1 件，请缩小范围后再试。" in messages_of(response)
    assert [reload(c).state for c in cases] == [State.SUBMITTED] * 2


def test_exporting_the_selection_masks_the_applicant(client, build, clerk):
    case = build(State.ACCEPTED)
    client.force_login(clerk)
    rows = csv_rows(run_action(client, "export_selected", [case]))
    assert rows[0][:4] == ["统一申办流水号", "事项", "承办部门", "申请人"]
    id_number = case.submission.applicant_id_number
    assert rows[1][0] == case.serial
    assert rows[1][3] == f"李* {id_number[:6]}********{id_number[-4:]}"
    assert id_number not in "".join(rows[1])


def test_exporting_the_current_list_keeps_its_filters(client, build, clerk):
    build(State.SUBMITTED)
    accepted = build(State.ACCEPTED)
    client.force_login(clerk)
    response = client.get(reverse("admin:applications_case_export") + "?state=accepted")
    assert response["Content-Type"].startswith("text/csv")
    assert [row[0] for row in csv_rows(response)[1:]] == [accepted.serial]


def test_the_export_never_holds_another_departments_case(client, build, other_department_approver):
    build(State.SUBMITTED)
    client.force_login(other_department_approver)
    response = client.get(reverse("admin:applications_case_export"))
    assert csv_rows(response)[1:] == []


def test_a_supervisor_may_export(client, build, supervisor):
    case = build(State.SUBMITTED)
    client.force_login(supervisor)
    response = client.get(reverse("admin:applications_case_export"))
    assert [row[0] for row in csv_rows(response)[1:]] == [case.serial]
