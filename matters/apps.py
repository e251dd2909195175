from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "matters"
    verbose_name = _("事项目录")

    def ready(self) -> None:
        # Keeps the search index in step with catalogue edits (jieba itself loads on first use).
        from matters import signals  # noqa: F401
