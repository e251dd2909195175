from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.payments"
    label = "payments"
    verbose_name = _("统一网上缴费")

    def ready(self):
        from applications import signals, workflow
        from integrations.payments import services

        signals.case_transitioned.connect(services.on_case_transitioned, dispatch_uid="payments-orders")
        workflow.add_guard(services.payment_guard)

    def seed_demo(self, stdout) -> None:
        """``seed_demo``: the demo fee matters' online fees and the sandbox bank's merchant key."""
        from integrations.payments import demo

        demo.seed(stdout)
