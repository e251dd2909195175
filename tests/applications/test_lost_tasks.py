"""A task lost while the broker was down (SMS/e-mail of a notice, a PDF) is done late, once,
by the sweeps (portal.notifications.resend_unsent, applications.pdf.render_missing)."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from applications import pdf
from applications.models import Document, IssuedDocument, State
from portal import notifications
from portal.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(citizen, monkeypatch, django_capture_on_commit_callbacks):
    """A notice whose task was never published."""
    citizen.mobile = "13800138000"
    citizen.email = "chen@example.cn"
    citizen.save()
    with django_capture_on_commit_callbacks(execute=False):
        return notifications.notify(user=citizen, template_key="case_submitted", context={}, key="k-1")


def test_a_lost_notice_is_sent_once_after_ten_minutes(lost, sms, mailoutbox):
    assert notifications.resend_unsent() == (0, 0)  # too fresh: its task may still be on its way
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        assert notifications.resend_unsent() == (1, 0)
        assert notifications.resend_unsent() == (0, 0)
    assert len(sms) == 1 and len(mailoutbox) == 1
    lost.refresh_from_db()
    assert lost.sms_sent_at and lost.email_sent_at


def test_a_notice_older_than_a_day_stays_in_the_inbox_only(lost, sms, mailoutbox):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        call_command("notifications_resend")
    assert sms == [] and mailoutbox == []
    assert Notification.objects.filter(pk=lost.pk, read_at__isnull=True).exists()


def test_an_account_without_a_mobile_or_e_mail_is_not_due(citizen, sms):
    citizen.mobile = ""
    citizen.email = ""
    citizen.save()
    notifications.notify(user=citizen, template_key="case_submitted", context={}, key="k-2")
    assert not notifications.unsent(
        older_than=datetime.timedelta(0), within=datetime.timedelta(days=1)
    ).exists()


def test_a_lost_rendering_task_is_done_by_the_sweep(build, citizen, rendered_documents):
    case = build(State.ACCEPTED)  # rendered_documents: the tasks were scheduled, never run
    issued = IssuedDocument.objects.get(case=case, kind=IssuedDocument.Kind.RECEIPT)
    assert not issued.file
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        call_command("render_missing_documents")
        assert pdf.render_missing() == (0, 0)
    issued.refresh_from_db()
    assert issued.file
    assert Document.objects.filter(owner=citizen, case=case, kind=Document.Kind.NOTICE).count() == 1
