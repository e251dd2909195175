"""Notifications: a message in the portal inbox, then SMS and e-mail from a Celery task.

Texts are ``NotificationTemplate`` rows editable in the admin; the defaults below are
created on first use. ``notify`` is idempotent by ``key`` (one notification per process
record), so a retried service or task never sends twice.
"""

import datetime
import logging
import string

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from portal import publishing
from portal.db import create_once
from portal.models import Notification, NotificationTemplate, User

logger = logging.getLogger(__name__)

# key: (description, title, inbox body, sms)
DEFAULT_TEMPLATES = {
    "case_submitted": (
        "申请已提交",
        "您的申请已提交：{matter}",
        "您申请的“{matter}”已提交，统一申办流水号 {serial}，查询码 {query_code}。"
        "我们将在{pre_review_days}个工作日内完成预审。",
        "【中山市政务服务网】您申请的{matter}已提交，流水号{serial}，查询码{query_code}。",
    ),
    "case_accepted": (
        "已受理",
        "您的申请已受理：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已于 {accepted_date} 受理，"
        "承诺办结日期为 {due_date}。{opinion}",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）已受理，承诺{due_date}前办结。",
    ),
    "case_correction_requested": (
        "需要补正材料",
        "请补正申请材料：{matter}",
        "您申请的“{matter}”（流水号 {serial}）需要补正材料：{opinion}。请登录“我的办件”一次性补齐。",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）需补正材料，请登录网上办事大厅查看。",
    ),
    "case_rejected": (
        "不予受理",
        "您的申请不予受理：{matter}",
        "您申请的“{matter}”（流水号 {serial}）不予受理。原因：{reason}。{opinion}",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）不予受理，详情请查看不予受理通知书。",
    ),
    "case_sign": (
        "已签收预审",
        "您的申请正在预审：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已由窗口签收，正在预审，预审期限至 {pre_review_due_date}。",
        "",
    ),
    "case_supply_correction": (
        "补正材料已提交",
        "补正材料已收到：{matter}",
        "您申请的“{matter}”（流水号 {serial}）的补正材料已收到，我们将在 {pre_review_due_date} 前完成预审。",
        "",
    ),
    "case_start_review": (
        "进入审查",
        "您的申请进入审查：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已进入审查环节，承诺办结日期为 {due_date}。",
        "",
    ),
    "case_approve": (
        "准予许可",
        "您的申请已审批通过：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已作出准予决定，我们将尽快办结并出具办理结果。{opinion}",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）已审批通过。",
    ),
    "case_deny": (
        "不予准予",
        "您的申请未获准予：{matter}",
        "您申请的“{matter}”（流水号 {serial}）经审查不予准予。原因：{reason}。{opinion}"
        "如不服，可依法申请行政复议或者提起行政诉讼。",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）经审查不予准予，详情请登录查看。",
    ),
    "case_begin_special_procedure": (
        "进入特别程序",
        "您的申请进入特别程序：{matter}",
        "您申请的“{matter}”（流水号 {serial}）进入{reason}程序，所需时间不计入办理时限。{opinion}",
        "",
    ),
    "case_end_special_procedure": (
        "特别程序结束",
        "特别程序已结束：{matter}",
        "您申请的“{matter}”（流水号 {serial}）特别程序已结束，恢复计时，承诺办结日期为 {due_date}。",
        "",
    ),
    "case_extend": (
        "延长审批期限",
        "审批期限已延长：{matter}",
        "您申请的“{matter}”（流水号 {serial}）审批期限延长至 {due_date}。理由：{opinion}",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）审批期限延长至{due_date}。",
    ),
    "case_complete": (
        "已办结",
        "您的申请已办结：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已办结，结果：{decision}。可在“我的办件”下载办结通知书。",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）已办结，请登录查看结果。",
    ),
    "case_complete_immediately": (
        "已办结（即办）",
        "您的申请已办结：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已即时办结。可在“我的办件”下载办结通知书。",
        "【中山市政务服务网】您的{matter}申请（流水号{serial}）已办结。",
    ),
    "case_deliver": (
        "已送达",
        "办理结果已送达：{matter}",
        "您申请的“{matter}”（流水号 {serial}）办理结果已送达。欢迎对本次服务进行评价。",
        "",
    ),
    "case_withdraw": (
        "已撤回",
        "您已撤回申请：{matter}",
        "您申请的“{matter}”（流水号 {serial}）已撤回。",
        "",
    ),
}


class _Defaulting(dict):
    def __missing__(self, key):
        return ""


def _format(text: str, context: dict) -> str:
    return string.Formatter().vformat(text, (), _Defaulting(context))


def template_for(key: str) -> NotificationTemplate:
    template = NotificationTemplate.objects.filter(key=key).first()
    if template is None:
        description, title, body, sms = DEFAULT_TEMPLATES[key]
        template, _created = NotificationTemplate.objects.get_or_create(
            key=key, defaults={"description": description, "title": title, "body": body, "sms": sms}
        )
    return template


def ensure_default_templates() -> None:
    for key in DEFAULT_TEMPLATES:
        template_for(key)


def notify(*, user: User, template_key: str, context: dict, key: str, link: str = "") -> Notification:
    """Put a message in ``user``'s inbox and send it by SMS / e-mail after commit (once per ``key``)."""
    template = template_for(template_key)
    notification, created = create_once(
        Notification,
        lookup={"key": key},
        defaults={
            "user": user,
            "template_key": template_key,
            "title": _format(template.title, context),
            "body": _format(template.body, context),
            "sms_text": _format(template.sms, context),
            "send_email": template.send_email,
            "link": link,
        },
    )
    if created:
        from portal.tasks import send_notification

        publishing.on_commit(send_notification, notification.pk)
    return notification


def send(notification_id: int) -> None:
    """Send the SMS and e-mail of a notification that were not sent yet (safe to run twice).

    Each channel is marked sent in its own transaction, so a failing e-mail server retried
    by the task never sends the SMS a second time.
    """
    _send_channel(notification_id, "sms")
    _send_channel(notification_id, "email")


def unsent(*, older_than: datetime.timedelta, within: datetime.timedelta):
    """Notifications whose SMS or e-mail is still due (its task was lost: a broker that was
    down at commit, a worker killed), created between ``within`` and ``older_than`` ago."""
    now = timezone.now()
    due_sms = Q(sms_sent_at__isnull=True) & ~Q(sms_text="") & ~Q(user__mobile="")
    due_email = Q(email_sent_at__isnull=True, send_email=True) & ~Q(user__email="")
    return Notification.objects.filter(
        due_sms | due_email, created_at__lte=now - older_than, created_at__gte=now - within
    )


def resend_unsent(
    *, older_than: datetime.timedelta | None = None, within: datetime.timedelta | None = None
) -> tuple[int, int]:
    """Send what is still due (safe to run twice, or beside the tasks): (sent, failed).

    Messages older than ``within`` (default a day) are left alone: a notice that arrives days
    late would confuse more than it helps; it stays in the inbox.
    """
    older_than = older_than if older_than is not None else datetime.timedelta(minutes=10)
    within = within if within is not None else datetime.timedelta(days=1)
    sent = failed = 0
    for notification_id in unsent(older_than=older_than, within=within).values_list("pk", flat=True)[:1000]:
        try:
            send(notification_id)
            sent += 1
        except Exception:
            failed += 1
            logger.warning("notification %s could not be sent", notification_id, exc_info=True)
    return sent, failed


def _send_channel(notification_id: int, channel: str) -> None:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return
        user = notification.user
        if channel == "sms":
            if not notification.sms_text or not user.mobile or notification.sms_sent_at is not None:
                return
            sms_backend().send(user.mobile, notification.sms_text)
            notification.sms_sent_at = timezone.now()
            notification.save(update_fields=["sms_sent_at"])
        else:
            if not notification.send_email or not user.email or notification.email_sent_at is not None:
                return
            send_mail(notification.title, notification.body, settings.DEFAULT_FROM_EMAIL, [user.email])
            notification.email_sent_at = timezone.now()
            notification.save(update_fields=["email_sent_at"])


class ConsoleSMSBackend:
    """Writes SMS to the log (embedded mode); production sets SMS_BACKEND to a gateway client."""

    def send(self, mobile: str, text: str) -> None:
        logger.info("SMS to %s: %s", mobile[:3] + "****" + mobile[-4:], text)


class LocmemSMSBackend:
    """Keeps sent SMS in memory for tests (``LocmemSMSBackend.outbox``)."""

    outbox: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        self.outbox.append((mobile, text))


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
