"""Rows that belong to the back office of cases (applications.admin), not to the cases themselves.

Imported at the end of ``applications.models`` so Django registers the model in this app.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedCaseFilter(models.Model):
    """A staff member's own named view of the work queue: the query string of the case list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        on_delete=models.CASCADE,
        related_name="saved_case_filters",
    )
    name = models.CharField(_("名称"), max_length=30)
    query = models.CharField(_("筛选条件"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        app_label = "applications"
        verbose_name = _("常用筛选")
        verbose_name_plural = _("常用筛选")
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_saved_case_filter")]

    def __str__(self) -> str:
        return self.name
