"""/me/notifications/: the portal inbox of the applicant."""

import pytest
from django.urls import reverse

from applications.models import State
from portal.models import Notification

pytestmark = pytest.mark.django_db

URL = "/me/notifications/"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def test_the_inbox_lives_at_me_notifications():
    assert reverse("applications:inbox") == URL


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_every_state_change_of_my_case_is_in_my_inbox(logged_in, build):
    case = build(State.ACCEPTED)
    page = text(logged_in.get(URL))
    assert f"您的申请已提交：{case.matter.name}" in page
    assert f"您的申请已受理：{case.matter.name}" in page
    assert "未读消息 3 条" in page  # submitted, signed, accepted


def test_the_inbox_shows_only_my_messages(logged_in, build, other_citizen):
    build(State.SUBMITTED, applicant=other_citizen)
    assert logged_in.get(URL).context["unread"] == 0
    assert "暂无消息" in text(logged_in.get(URL))


def test_opening_a_message_marks_it_read_and_links_to_the_case(logged_in, citizen, build):
    case = build(State.SUBMITTED)
    message = Notification.objects.get(user=citizen)
    response = logged_in.get(reverse("applications:notification", args=[message.pk]))
    message.refresh_from_db()
    assert message.read_at is not None
    assert case.serial in text(response)
    assert f'href="{case.get_absolute_url()}"' in text(response)
    assert logged_in.get(URL).context["unread"] == 0


def test_someone_elses_message_is_not_found(logged_in, build, other_citizen):
    build(State.SUBMITTED, applicant=other_citizen)
    theirs = Notification.objects.get(user=other_citizen)
    assert logged_in.get(reverse("applications:notification", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_off_the_site_is_not_offered(logged_in, citizen):
    message = Notification.objects.create(
        user=citizen,
        key="x",
        template_key="case_submitted",
        title="提醒",
        body="内容",
        link="https://evil.example/",
    )
    assert "evil.example" not in text(logged_in.get(reverse("applications:notification", args=[message.pk])))


def test_all_messages_can_be_marked_read_at_once(logged_in, citizen, build):
    build(State.ACCEPTED)
    response = logged_in.post(reverse("applications:inbox_read_all"), follow=True)
    assert not Notification.objects.filter(user=citizen, read_at__isnull=True).exists()
    assert "已将 3 条消息标为已读" in text(response)
