from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElicencesConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.elicences"
    label = "elicences"
    verbose_name = _("电子证照")
