from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.identity"
    label = "identity"
    verbose_name = _("人口库与法人库")

    def seed_demo(self, stdout) -> None:
        """Called by ``manage.py seed_demo``: the identity sandbox knows the demo people and enterprises."""
        from django.conf import settings

        if not settings.SANDBOX_ENABLED:
            return
        from integrations.identity import demo

        people, enterprises = demo.seed()
        stdout.write(f"Identity sandbox: {people} people, {enterprises} enterprises.")
