import importlib
import importlib.util
import pkgutil

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Subpackages of integrations that are not peers.
NOT_PEERS = {"sandbox", "management", "migrations", "models", "templates"}


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("系统对接")

    def ready(self):
        # Each peer registers its outbox destination in integrations/<peer>/senders.py.
        for info in pkgutil.iter_modules(self.module.__path__):
            if not info.ispkg or info.name in NOT_PEERS:
                continue
            module = f"{self.name}.{info.name}.senders"
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
        if getattr(settings, "SANDBOX_ENABLED", False):
            from integrations.sandbox import framework

            framework.autodiscover()
