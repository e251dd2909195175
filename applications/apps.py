from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申办与办件")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Completeness checkers register themselves on import (form answers, materials).
        from applications import forms_engine, materials  # noqa: F401
        from applications.models import StateWording
        from matters.signals import catalogue_changed

        # What the applicant reads for a state is kept with the catalogue's cached rows
        # (applications.wording): saving or deleting a wording replaces the catalogue version.
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                catalogue_changed, sender=StateWording, dispatch_uid=f"applications.wording.{name}"
            )

    def seed_demo(self, stdout) -> None:
        """Called by ``manage.py seed_demo`` after the catalogue, forms and demo accounts: the demo
        cases (``DEMO_CASE_COUNT``, default 300; 0 for a hall without cases)."""
        from django.conf import settings
        from django.core.management.base import CommandError

        from applications import demo

        count = getattr(settings, "DEMO_CASE_COUNT", demo.CASE_COUNT)
        if not count:
            return
        try:
            demo.seed_cases(stdout=stdout, count=count)
        except demo.DemoCasesError as error:
            raise CommandError(f"Demo cases: {error}") from None
