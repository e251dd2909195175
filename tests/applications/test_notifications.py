"""The applicant hears of every transition exactly once: inbox, SMS and e-mail after commit."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import NoReverseMatch

from applications import services
from applications.models import Case, State
from applications.workflow import TRANSITIONS, TransitionNotAllowed
from portal import notifications
from portal.models import Notification, NotificationTemplate
from tests.applications.conftest import APPLICANT, INPUTS, PATHS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rendered_documents")]


@pytest.fixture
def citizen(citizen):
    citizen.mobile = "13800138000"
    citizen.save()
    return citizen


def test_every_step_of_a_journey_lands_once_in_the_applicants_inbox(build, citizen):
    build(State.DELIVERED)
    keys = list(
        Notification.objects.filter(user=citizen).order_by("id").values_list("template_key", flat=True)
    )
    assert keys == [TRANSITIONS[name].notice for name in PATHS[State.DELIVERED]]


@pytest.mark.parametrize("name", [n for n in TRANSITIONS if n not in PATHS[State.DELIVERED]])
def test_the_other_transitions_notify_once_too(name, build, immediate_matter, citizen):
    start = {
        "request_correction": State.PRE_REVIEW,
        "supply_correction": State.CORRECTION_REQUESTED,
        "reject": State.PRE_REVIEW,
        "begin_special_procedure": State.UNDER_REVIEW,
        "end_special_procedure": State.SPECIAL_PROCEDURE,
        "extend": State.UNDER_REVIEW,
        "deny": State.UNDER_REVIEW,
        "complete_immediately": State.ACCEPTED,
        "withdraw": State.SUBMITTED,
    }[name]
    case = build(start, matter=immediate_matter if name == "complete_immediately" else None)
    before = Notification.objects.filter(user=citizen).count()
    case = build.step(case, name)
    notes = Notification.objects.filter(user=citizen).order_by("-id")
    assert notes.count() == before + 1
    assert notes[0].template_key == TRANSITIONS[name].notice
    assert case.serial in notes[0].body


def test_the_notice_says_what_happened_in_the_applicants_words(build, clerk, citizen):
    case = build(State.PRE_REVIEW)
    services.request_correction(case=case, actor=clerk, items=INPUTS["request_correction"]["items"])
    note = Notification.objects.filter(user=citizen).latest("id")
    assert note.title == f"请补正申请材料：{case.matter.name}"
    assert "身份证复印件不清晰；缺少营业场所证明" in note.body
    assert note.sms_text.startswith("【中山市政务服务网】")


def test_texts_edited_in_the_admin_are_used(build, citizen):
    NotificationTemplate.objects.create(
        key="case_submitted", description="已提交", title="收到：{matter}", body="流水号{serial}", sms=""
    )
    case = build(State.SUBMITTED)
    note = Notification.objects.get(user=citizen)
    assert note.title == f"收到：{case.matter.name}" and note.body == f"流水号{case.serial}"
    assert note.sms_text == ""


def test_sms_and_email_go_out_once_after_commit(
    build, clerk, citizen, sms, django_capture_on_commit_callbacks
):
    case = build(State.PRE_REVIEW)
    sms.clear()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.accept(case=case, actor=clerk)
        assert sms == []  # nothing leaves before the commit
    assert len(callbacks) >= 1
    assert len(sms) == 1 and sms[0][0] == "13800138000" and "已受理" in sms[0][1]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [citizen.email]
    note = Notification.objects.filter(user=citizen).latest("id")
    notifications.send(note.pk)  # the task delivered twice
    assert len(sms) == 1 and len(mail.outbox) == 1


def test_a_retried_service_call_does_not_notify_twice(
    build, clerk, citizen, sms, django_capture_on_commit_callbacks
):
    case = build(State.PRE_REVIEW)
    sms.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(case=case, actor=clerk)
    with pytest.raises(TransitionNotAllowed), django_capture_on_commit_callbacks(execute=True):
        services.accept(case=case, actor=clerk)
    assert Notification.objects.filter(user=citizen, template_key="case_accepted").count() == 1
    assert len(sms) == 1


def test_a_rolled_back_transition_sends_nothing_and_its_retry_sends_once(
    build, clerk, citizen, sms, django_capture_on_commit_callbacks
):
    case = build(State.PRE_REVIEW)
    sms.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.accept(case=case, actor=clerk)
                raise ConnectionError("the request died before the commit")
        except ConnectionError:
            pass
        assert not Notification.objects.filter(template_key="case_accepted").exists()
        services.accept(case=case, actor=clerk)
    assert Notification.objects.filter(user=citizen, template_key="case_accepted").count() == 1
    assert len(sms) == 1


def test_a_failing_mail_server_does_not_resend_the_sms_on_retry(build, clerk, citizen, sms, monkeypatch):
    case = build(State.PRE_REVIEW)
    services.accept(case=case, actor=clerk)
    note = Notification.objects.filter(user=citizen).latest("id")
    sms.clear()

    def down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", down)
    with pytest.raises(ConnectionRefusedError):
        notifications.send(note.pk)
    monkeypatch.undo()
    notifications.send(note.pk)
    note.refresh_from_db()
    assert len(sms) == 1
    assert note.sms_sent_at and note.email_sent_at


def test_an_applicant_without_mobile_or_email_gets_the_inbox_message_only(build, citizen, sms):
    citizen.mobile = ""
    citizen.email = ""
    citizen.save()
    case = build(State.SUBMITTED)
    note = Notification.objects.get(user=citizen)
    notifications.send(note.pk)
    assert sms == [] and case.serial in note.body


def test_a_window_case_without_an_account_sends_no_portal_notices(matter, clerk, reviewer):
    case = services.register_window_case(staff=clerk, matter=matter, data=APPLICANT)
    services.accept(case=case, actor=clerk)
    assert not Notification.objects.exists()
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_the_notice_links_to_the_case_when_the_pages_exist(build, citizen):
    case = build(State.SUBMITTED)
    note = Notification.objects.get(user=citizen)
    try:
        expected = case.get_absolute_url()
    except NoReverseMatch:  # the applicant's pages are not mounted yet
        expected = ""
    assert note.link == expected
