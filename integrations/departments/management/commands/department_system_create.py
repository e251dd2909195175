"""Connect a department's own system: its service account and a first key (the secret printed once)."""

from django.core.management.base import BaseCommand, CommandError

from integrations.departments import services
from matters.models import Department


class Command(BaseCommand):
    help = "Create a department system (service account + signing key) and print its key id and secret once."

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="the department's USCC (or exact name)")
        parser.add_argument("--name", required=True, help="the system's name, e.g. 市场监管业务审批系统")
        parser.add_argument("--note", default="")

    def handle(self, *args, department, name, note, **options):
        found = (
            Department.objects.filter(uscc=department.strip().upper()).first()
            or Department.objects.filter(name=department.strip()).first()
        )
        if found is None:
            raise CommandError(f"no department with USCC or name {department!r}")
        if found.business_systems.filter(name=name.strip()).exists():
            raise CommandError(
                f"{found.name} already has a system named {name!r}; rotate its key in the admin"
            )
        system, credential, secret = services.create_system(department=found, name=name, note=note)
        self.stdout.write(f"system:  {system} (service account {system.account.username})")
        self.stdout.write(f"X-Key-Id: {credential.key_id}")
        self.stdout.write(f"secret:  {secret}")
        self.stdout.write("Give the secret to the department's administrator now: it is not shown again.")
