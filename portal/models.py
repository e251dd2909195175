"""Accounts and site-wide content of the portal."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from portal.validators import mask_mobile, validate_mobile

# Role groups: their permissions are kept in sync by portal.roles after every migrate.
SUPERVISORS_GROUP = "supervisors"
CATALOGUE_EDITORS_GROUP = "catalogue_editors"
DEPARTMENT_STAFF_GROUP = "department_staff"


class User(AbstractUser):
    """One account for everybody: citizens, enterprise agents, staff and supervisors.

    What a person may do comes from their relations, not from a type on the account:
    staff belong to departments (``matters.DepartmentMembership``), supervisors are in
    the ``supervisors`` group, catalogue editors in ``catalogue_editors``.
    """

    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True, validators=[validate_mobile])

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile) if self.mobile else ""

    @cached_property
    def group_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def is_supervisor(self) -> bool:
        return self.is_active and SUPERVISORS_GROUP in self.group_names

    @property
    def is_catalogue_editor(self) -> bool:
        """May edit every department's matters (编目管理员)."""
        return self.is_active and (self.is_superuser or CATALOGUE_EDITORS_GROUP in self.group_names)


class NoticeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__lte=timezone.now()).order_by("-pinned", "-published_at")


class Notice(models.Model):
    """通知公告 shown on the home page."""

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    pinned = models.BooleanField(_("置顶"), default=False)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        ordering = ["-pinned", "-published_at"]

    def __str__(self) -> str:
        return self.title


class CalendarYear(models.Model):
    """A year whose official holiday schedule (State Council notice) is loaded.

    Years without a row fall back to Monday–Friday and the admin shows a warning.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=100, default="chinese-calendar")
    loaded_at = models.DateTimeField(_("导入时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday on a weekday or a working weekend day (调休)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("例如：国庆节、国庆节调休上班"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class NotificationTemplate(models.Model):
    """The text of a notification, editable in the admin; ``{placeholders}`` are filled per case."""

    key = models.CharField(_("标识"), max_length=50, unique=True)
    description = models.CharField(_("用途"), max_length=100)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("站内信内容"))
    sms = models.CharField(_("短信内容"), max_length=300, blank=True, help_text=_("留空则不发短信"))
    send_email = models.BooleanField(_("发送邮件"), default=True)

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} · {self.description}"


class Notification(models.Model):
    """A message in a user's portal inbox (站内信), also sent by SMS / e-mail by a task."""

    user = models.ForeignKey(
        User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(_("去重键"), max_length=128, unique=True)
    template_key = models.CharField(_("模板"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    sms_text = models.CharField(_("短信内容"), max_length=300, blank=True)
    send_email = models.BooleanField(_("发送邮件"), default=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox"),
            # The resend sweep reads the last day's notifications.
            models.Index(fields=["created_at"], name="notification_created"),
        ]

    def __str__(self) -> str:
        return self.title
