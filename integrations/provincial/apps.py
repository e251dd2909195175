from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvincialConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.provincial"
    label = "provincial"
    verbose_name = _("省网上办事大厅数据交换")
