"""Write operations of the catalogue: the only code that changes a matter's catalogue state.

Status: draft → published → withdrawn, and withdrawn → published again. Each operation
runs in one transaction, checks the actor's right, refuses an invalid move with a
``CatalogueError`` whose message is meant for the user, and leaves a history record
(django-simple-history) naming the actor and the reason. The admin, the API, commands and
sync jobs all call these.

``actor=None`` means the system itself (a provincial sync, a seed command): no person's
rights are checked and the history record carries no user.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matters import codes
from matters.models import DepartmentMembership, Matter, MatterStep

# History keeps the change reason in 100 characters; "撤销：" takes 3 of them.
WITHDRAW_REASON_MAX_LENGTH = 90


class CatalogueError(Exception):
    """A catalogue operation the rules refuse. ``str(error)`` is a Chinese message for the user."""

    def __init__(self, message: str, *, errors: ValidationError | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class TransitionNotAllowed(CatalogueError):
    """The matter's status does not allow this move."""


class MatterNotPublishable(CatalogueError):
    """The guide breaks a consistency rule; ``errors`` holds the field errors."""


# --- Rights ---------------------------------------------------------------------------


def can_edit_department(actor, department_id: int | None) -> bool:
    """Catalogue editors edit every department's matters; department staff their own."""
    if actor is None:
        return True
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        return False
    if actor.is_catalogue_editor:
        return True
    return (
        department_id is not None
        and DepartmentMembership.objects.filter(user=actor, department_id=department_id).exists()
    )


def _require_can_edit(actor, matter: Matter) -> None:
    permission = "matters.change_matter" if matter.pk else "matters.add_matter"
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("您没有维护事项的权限。"))
    stored_department = (
        Matter.objects.filter(pk=matter.pk).values_list("department_id", flat=True).first()
        if matter.pk
        else None
    )
    for department_id in {matter.department_id, stored_department} - {None}:
        if not can_edit_department(actor, department_id):
            raise PermissionDenied(_("您只能维护本部门的事项。"))


# --- History --------------------------------------------------------------------------


def _save_with_history(matter: Matter, *, actor, reason: str) -> None:
    """Save and let simple-history record who did it and why."""
    matter._history_user = actor
    matter._change_reason = reason
    try:
        matter.save()
    finally:
        # Never let the reason of this save stick to a later one.
        del matter._history_user
        del matter._change_reason


def _sync_instance(target: Matter, source: Matter) -> None:
    """Copy the catalogue state written on the locked row back to the caller's instance."""
    target.status = source.status
    target.published_at = source.published_at
    target.updated_at = source.updated_at


def _lock(matter: Matter) -> Matter:
    return Matter.objects.select_for_update().select_related("department").get(pk=matter.pk)


# --- Validation -----------------------------------------------------------------------


def fill_implementation_code(matter: Matter) -> None:
    """An empty implementation code is department USCC + level + basic code (STANDARDS.md)."""
    if not matter.implementation_code and matter.department_id and matter.level and matter.basic_code:
        matter.implementation_code = codes.build_implementation_code(
            matter.department.uscc, matter.level, matter.basic_code
        )


def _describe(errors: ValidationError, model=Matter) -> str:
    parts = []
    for field, messages in errors.message_dict.items():
        label = str(model._meta.get_field(field).verbose_name) if field != "__all__" else ""
        for message in messages:
            parts.append(f"{label}：{message}" if label else message)
    return "；".join(parts)


def publishability_errors(matter: Matter) -> list[str]:
    """What keeps this matter from being published: the guide's rules 1–8 and its materials."""
    problems: list[str] = []
    try:
        matter.full_clean()
    except ValidationError as error:
        problems.append(_describe(error))
    try:
        matter.clean_steps(list(matter.steps.all()))
    except ValidationError as error:
        problems.extend(error.messages)
    for material in matter.materials.all():
        try:
            material.full_clean()
        except ValidationError as error:
            problems.append(
                _("申请材料「%(name)s」：%(errors)s")
                % {"name": material.name, "errors": _describe(error, type(material))}
            )
    return problems


# --- Operations -----------------------------------------------------------------------


@transaction.atomic
def save_matter(
    *, matter: Matter, actor, steps: Iterable[MatterStep] | None = None, reason: str = ""
) -> Matter:
    """Create or edit a matter's guide. The status is not touched here: use publish/withdraw.

    Fills an empty implementation code, checks every consistency rule (and rule 8 when
    ``steps`` are given: the rows about to be saved), and keeps the actor in the history.
    """
    _require_can_edit(actor, matter)
    if matter.pk:
        stored = Matter.objects.select_for_update().get(pk=matter.pk)
        _sync_instance(matter, stored)
    else:
        matter.status = codes.Status.DRAFT
        matter.published_at = None
    fill_implementation_code(matter)
    matter.full_clean()
    if steps is not None:
        matter.clean_steps(list(steps))
    _save_with_history(matter, actor=actor, reason=reason or (_("修改事项") if matter.pk else _("新建事项")))
    return matter


@transaction.atomic
def publish(*, matter: Matter, actor) -> Matter:
    """发布: a draft or withdrawn matter that passes every rule goes on the public catalogue."""
    _require_can_edit(actor, matter)
    locked = _lock(matter)
    if locked.status == codes.Status.PUBLISHED:
        raise TransitionNotAllowed(_("事项「%(name)s」已经发布。") % {"name": locked.name})
    problems = publishability_errors(locked)
    if problems:
        raise MatterNotPublishable(
            _("事项「%(name)s」不能发布：%(problems)s")
            % {"name": locked.name, "problems": "；".join(problems)}
        )
    locked.status = codes.Status.PUBLISHED
    locked.published_at = timezone.now()
    _save_with_history(locked, actor=actor, reason=_("发布"))
    _sync_instance(matter, locked)
    return locked


@transaction.atomic
def withdraw(*, matter: Matter, actor, reason: str) -> Matter:
    """撤销: take a published matter off the public catalogue, saying why."""
    _require_can_edit(actor, matter)
    reason = (reason or "").strip()
    if not reason:
        raise CatalogueError(_("撤销事项须填写撤销原因。"))
    if len(reason) > WITHDRAW_REASON_MAX_LENGTH:
        raise CatalogueError(
            _("撤销原因不能超过%(max)d个字（当前%(length)d个字）。")
            % {"max": WITHDRAW_REASON_MAX_LENGTH, "length": len(reason)}
        )
    locked = _lock(matter)
    if locked.status != codes.Status.PUBLISHED:
        raise TransitionNotAllowed(
            _("事项「%(name)s」当前为“%(status)s”，只有已发布的事项可以撤销。")
            % {"name": locked.name, "status": locked.get_status_display()}
        )
    locked.status = codes.Status.WITHDRAWN
    _save_with_history(locked, actor=actor, reason=_("撤销：%(reason)s") % {"reason": reason})
    _sync_instance(matter, locked)
    return locked
