from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.logistics"
    label = "logistics"
    verbose_name = _("统一物流")

    def ready(self):
        from applications.signals import case_transitioned
        from integrations.logistics import services

        case_transitioned.connect(services.on_case_transitioned, dispatch_uid="logistics-shipments")
