"""Departments' own systems (部门已有网办 / 部门业务系统) and the cases they registered here.

A ``DepartmentSystem`` is one department's business system connected to the hall. It acts
through a service account that belongs to the department (clerk, reviewer and approver
roles, no password, no admin permission) and signs its calls with ``PeerCredential`` keys
(peer ``departments``) bound to that account. ``DepartmentCase`` maps the system's own case
id to our case, so its later calls (transitions, results) address the case by its own id.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PEER = "departments"


class DepartmentSystem(models.Model):
    department = models.ForeignKey(
        "matters.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="business_systems",
    )
    name = models.CharField(_("系统名称"), max_length=100, help_text=_("例如“市场监管业务审批系统”"))
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务账号"),
        on_delete=models.PROTECT,
        related_name="department_system",
        editable=False,
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("部门业务系统")
        verbose_name_plural = _("部门业务系统")
        ordering = ["department__sort_order", "department__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_department_system_name"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.name}"


class DepartmentCase(models.Model):
    """A case registered by a department system, under the system's own case id."""

    system = models.ForeignKey(
        DepartmentSystem, verbose_name=_("部门业务系统"), on_delete=models.PROTECT, related_name="cases"
    )
    external_id = models.CharField(_("部门办件编号"), max_length=64)
    case = models.OneToOneField(
        "applications.Case", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="department_link"
    )
    applicant_matched = models.BooleanField(
        _("已关联申请人账户"),
        default=False,
        help_text=_(
            "按已核验的身份证号码找到了申请人本人的账户；否则办件保留在服务账号下，凭流水号和查询码查询"
        ),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门登记的办件")
        verbose_name_plural = _("部门登记的办件")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["system", "external_id"], name="unique_department_case_id"),
        ]

    def __str__(self) -> str:
        return f"{self.system.name} {self.external_id}"
