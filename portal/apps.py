from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户与账户")

    def ready(self) -> None:
        from portal import roles

        # Every deployment (and every test database) gets the role groups and their permissions.
        post_migrate.connect(roles.sync_after_migrate, sender=self, dispatch_uid="portal.roles.sync")
