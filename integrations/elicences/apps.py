from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElicencesConfig(AppConfig):
    """A peer of issue 4 as its own app: its models (and its sandbox's tables) migrate on their own."""

    name = "integrations.elicences"
    label = "elicences"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        from applications.signals import case_transitioned
        from integrations.elicences import receivers

        case_transitioned.connect(receivers.issue_on_completion, dispatch_uid="elicences-issue-on-completion")

    def seed_demo(self, stdout) -> None:
        """Called by ``manage.py seed_demo``: the matters that yield e-licences, and the demo
        accounts' licences in the sandbox library."""
        from integrations.elicences import demo

        demo.seed(stdout)
