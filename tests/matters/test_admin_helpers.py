"""Shared builders of the admin tests (no tests here).

``CatalogueEditorFactory`` and ``SupervisorFactory`` in tests/factories.py set ``groups`` with a
LazyFunction, which reaches the model constructor and fails; these build the same users
through UserFactory's ``groups`` hook until that is fixed.
"""

from django.forms.models import model_to_dict

from matters.models import Matter
from portal.models import CATALOGUE_EDITORS_GROUP, DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP
from tests import factories

INLINE_PREFIXES = ("steps", "materials", "relations")


def make_editor(**kwargs):
    return factories.UserFactory(is_staff=True, groups=[CATALOGUE_EDITORS_GROUP], **kwargs)


def make_supervisor(**kwargs):
    return factories.UserFactory(is_staff=True, groups=[SUPERVISORS_GROUP], **kwargs)


def make_department_staff(department, **kwargs):
    return factories.StaffFactory(department=department, groups=[DEPARTMENT_STAFF_GROUP], **kwargs)


def management_form(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def matter_form_data(matter: Matter, **overrides) -> dict:
    """The POST of the matter change form as the browser sends it, with empty inlines."""
    data = {}
    for name, value in model_to_dict(matter).items():
        if name in {"id", "result_sample", "status", "published_at", "popularity"}:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    for prefix in INLINE_PREFIXES:
        data.update(management_form(prefix))
    for name, value in overrides.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return data
