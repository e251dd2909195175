"""Role groups and their permissions, kept in sync after every ``migrate``.

A role is a Django group named in ``portal.models``; its model permissions are written
here as data, so every deployment (and every test database) gets the same groups. What
a person may see inside a model (their department's matters only) is not a permission:
the admin querysets scope it through ``matters.selectors``.

Later parts of the hall add their models to ``ROLE_PERMISSIONS``; the sync replaces a
group's permissions with exactly what is listed (hand-made changes do not survive a
deployment, on purpose).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

from portal.models import CATALOGUE_EDITORS_GROUP, DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP

ALL = ("view", "add", "change", "delete")
VIEW = ("view",)

# The catalogue's models, by model name (app "matters").
CATALOGUE_REFERENCE_MODELS = ("region", "department", "theme", "tag")
MATTER_MODELS = ("matter", "matterstep", "materialrequirement", "matterrelation", "formspec")
GUIDANCE_MODELS = ("synonym", "guidequestion", "guideoption")
HISTORY_MODELS = (
    "historicalmatter",
    "historicalmatterstep",
    "historicalmaterialrequirement",
    "historicalmatterrelation",
)

# Cases (app "applications"). Staff change a case only through the workflow's buttons
# (applications.services); "change" is what lets them open those forms at all.
CASE_MODELS = ("case",)
CASE_RECORD_MODELS = ("processrecord",)

# {group: {app_label: {model_name: actions}}}
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # 部门工作人员: their own department's matters (the admin scopes rows to the
    # department and refuses to delete a matter that is not a draft); the reference
    # tables only to pick from them.
    DEPARTMENT_STAFF_GROUP: {
        "matters": {
            **dict.fromkeys(MATTER_MODELS, ALL),
            **dict.fromkeys(CATALOGUE_REFERENCE_MODELS, VIEW),
            **dict.fromkeys(HISTORY_MODELS, VIEW),
        },
        # Their departments' cases (scoped by applications.selectors), changed only
        # through the workflow; process records are read.
        "applications": {
            **dict.fromkeys(CASE_MODELS, ("view", "change")),
            **dict.fromkeys(CASE_RECORD_MODELS, VIEW),
            # Wording of their own matters (the admin scopes the rows).
            "statewording": ALL,
        },
    },
    # 编目管理员: the whole catalogue. Memberships are not included: who works in a
    # department is user administration, left to superusers.
    CATALOGUE_EDITORS_GROUP: {
        "matters": {
            **dict.fromkeys(MATTER_MODELS + CATALOGUE_REFERENCE_MODELS + GUIDANCE_MODELS, ALL),
            **dict.fromkeys(HISTORY_MODELS, VIEW),
        },
        "portal": {"notice": ALL, "notificationtemplate": ALL},
        # What applicants read for each state, per matter or as the default.
        "applications": {"statewording": ALL},
    },
    # 监督人员: read everything in the catalogue, change nothing.
    SUPERVISORS_GROUP: {
        "matters": dict.fromkeys(
            MATTER_MODELS
            + CATALOGUE_REFERENCE_MODELS
            + GUIDANCE_MODELS
            + ("departmentmembership",)
            + HISTORY_MODELS,
            VIEW,
        ),
        "portal": {"notice": VIEW},
        # Every case and its records, read-only (no workflow transition either).
        "applications": dict.fromkeys(CASE_MODELS + CASE_RECORD_MODELS, VIEW),
    },
}


def sync_role_groups(*, using: str = DEFAULT_DB_ALIAS, apps=global_apps) -> None:
    """Create the role groups and set their permissions to exactly ``ROLE_PERMISSIONS``.

    Idempotent. ``apps`` is the migration state when called from ``post_migrate``.
    """
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated yet
        return
    # post_migrate reaches portal before the other apps have their permissions: make sure
    # the ones we hand out exist.
    labels = {label for spec in ROLE_PERMISSIONS.values() for label in spec}
    for label in labels:
        try:
            app_config = global_apps.get_app_config(label)
        except LookupError:
            continue
        create_permissions(app_config, verbosity=0, using=using, apps=apps)

    for group_name, spec in ROLE_PERMISSIONS.items():
        wanted = {
            (label, f"{action}_{model}")
            for label, models in spec.items()
            for model, actions in models.items()
            for action in actions
        }
        codenames = {codename for _, codename in wanted}
        candidates = (
            Permission.objects.using(using).filter(codename__in=codenames).select_related("content_type")
        )
        permissions = [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        group.permissions.set(permissions)


def sync_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """``post_migrate`` receiver (connected in ``PortalConfig.ready``)."""
    sync_role_groups(using=using, apps=apps)
