from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申办与办件")

    def ready(self) -> None:
        # Completeness checkers register themselves on import (form answers, materials).
        from applications import forms_engine, materials  # noqa: F401
