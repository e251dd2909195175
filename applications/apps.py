from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申办与办件")

    def ready(self) -> None:
        # Completeness checkers register themselves on import (form answers, materials).
        from applications import forms_engine, materials  # noqa: F401

    def seed_demo(self, stdout) -> None:
        """Called by ``manage.py seed_demo`` after the catalogue, forms and demo accounts: the demo cases."""
        from django.core.management.base import CommandError

        from applications import demo

        try:
            demo.seed_cases(stdout=stdout)
        except demo.DemoCasesError as error:
            raise CommandError(f"Demo cases: {error}") from None
