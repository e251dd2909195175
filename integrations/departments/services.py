"""Department systems: their accounts and keys, and what their inbound calls do to cases.

Every case change goes through ``applications.services`` (the same state machine, process
records, clock, notices and provincial outbox messages as a case handled in our back office);
this module only decides *who* acts and *which* case is meant, scoped to the system's
department.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from applications import materials as app_materials
from applications import services as app_services
from applications import uploads, workflow
from applications.models import Case, Document, Origin, State, SubmissionMaterial
from applications.services import ApplicantData
from integrations import credentials
from integrations.departments import applicants
from integrations.departments.models import PEER, DepartmentCase, DepartmentSystem
from integrations.models import PeerCredential
from matters.models import Department, DepartmentMembership, MaterialRequirement, Matter

Role = DepartmentMembership.Role
# The service account handles cases like a full team of the department (no catalogue role).
SERVICE_ROLES = (Role.CLERK, Role.REVIEWER, Role.APPROVER)
# What a department system may push: the back office's transitions, and a withdrawal the
# applicant made at the department (allowed by the workflow only for cases kept under the
# service account, whose applicant the system represents).
PUSHABLE_TRANSITIONS = (*workflow.STAFF_TRANSITIONS, "withdraw")


class DepartmentSystemError(Exception):
    """A refusal of a department system's call: ``status`` and ``code`` for the API answer."""

    def __init__(self, message: str, *, code: str, status: int):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# --- systems, accounts and keys -------------------------------------------------------------


def _username(department: Department) -> str:
    return f"deptsys-{department.uscc.lower()}-{secrets.token_hex(3)}"


@transaction.atomic
def create_system(
    *, department: Department, name: str, note: str = "", created_by=None
) -> tuple[DepartmentSystem, PeerCredential, str]:
    """A department system with its service account and a first key; the secret in clear (show it once)."""
    name = name.strip()
    label = f"{department.short_name or department.name}·{name}"
    account = get_user_model()(
        username=_username(department), real_name=label[:50], is_staff=True, is_active=True
    )
    account.set_unusable_password()  # nobody logs in as a system: it only signs API calls
    account.save()
    DepartmentMembership.objects.bulk_create(
        DepartmentMembership(user=account, department=department, role=role) for role in SERVICE_ROLES
    )
    system = DepartmentSystem.objects.create(
        department=department, name=name, account=account, note=note, created_by=created_by
    )
    credential, secret = add_key(system)
    return system, credential, secret


def add_key(system: DepartmentSystem) -> tuple[PeerCredential, str]:
    """Another key for the system (e.g. a second server, or a rollover without downtime)."""
    return credentials.create(
        peer=PEER, name=f"{system.department.name} {system.name}"[:100], user=system.account
    )


def keys_of(system: DepartmentSystem):
    return PeerCredential.objects.filter(peer=PEER, user=system.account_id).order_by("created_at")


@transaction.atomic
def rotate_keys(system: DepartmentSystem) -> list[tuple[PeerCredential, str]]:
    """New secrets for every active key of the system (the old ones stop working at once)."""
    return [
        (credential, credentials.rotate(credential)) for credential in keys_of(system).filter(is_active=True)
    ]


@transaction.atomic
def set_active(system: DepartmentSystem, active: bool) -> None:
    """Suspend (or resume) a system: its account and its keys with it."""
    DepartmentSystem.objects.filter(pk=system.pk).update(is_active=active)
    get_user_model().objects.filter(pk=system.account_id).update(is_active=active)
    keys_of(system).update(is_active=active)
    system.is_active = active


def system_for(credential) -> DepartmentSystem:
    """The active department system a verified key belongs to, or a 403."""
    system = (
        DepartmentSystem.objects.select_related("department", "account")
        .filter(account_id=getattr(credential, "user_id", None), is_active=True, account__is_active=True)
        .first()
    )
    if system is None:
        raise DepartmentSystemError(
            _("该密钥未绑定启用中的部门业务系统。"), code="not_a_department_system", status=403
        )
    return system


# --- cases ----------------------------------------------------------------------------------


def own_matter(system: DepartmentSystem, implementation_code: str) -> Matter:
    """A published matter of the system's own department, or a 404 (another department's
    matter is not found either: a system learns nothing about matters it cannot handle)."""
    matter = (
        Matter.objects.select_related("department", "region")
        .filter(implementation_code=(implementation_code or "").strip().upper(), department=system.department)
        .first()
    )
    if matter is None or not matter.is_published:
        raise DepartmentSystemError(
            _("未找到本部门已发布的该事项，请核对实施编码。"), code="matter_not_found", status=404
        )
    return matter


def case_of(system: DepartmentSystem, external_id: str) -> DepartmentCase:
    """A case this system registered, by its own id; another system's case is a 404."""
    link = (
        DepartmentCase.objects.select_related("case", "case__matter", "case__department", "case__submission")
        .filter(system=system, external_id=external_id)
        .first()
    )
    if link is None:
        raise DepartmentSystemError(_("未找到该部门办件编号对应的办件。"), code="case_not_found", status=404)
    return link


@dataclass(frozen=True)
class MaterialInfo:
    """A material the department holds (metadata only: the file stays in its system)."""

    name: str
    requirement_id: int | None = None
    status: str = SubmissionMaterial.Status.PROVIDED
    promise_date: object = None
    note: str = ""


def _record_materials(case: Case, items: list[MaterialInfo]) -> None:
    requirements = MaterialRequirement.objects.in_bulk(
        [item.requirement_id for item in items if item.requirement_id], field_name="pk"
    )
    rows = []
    for item in items:
        requirement = requirements.get(item.requirement_id)
        if requirement is not None and requirement.matter_id != case.matter_id:
            raise DepartmentSystemError(
                _("材料“%(name)s”不属于该事项。") % {"name": item.name or requirement.name},
                code="validation_error",
                status=400,
            )
        rows.append(
            SubmissionMaterial(
                submission=case.submission,
                requirement=requirement,
                requirement_name=(item.name or (requirement.name if requirement else ""))[:200],
                status=item.status,
                promise_date=item.promise_date,
                note=item.note[:300],
            )
        )
    SubmissionMaterial.objects.bulk_create(rows)


@transaction.atomic
def register_case(
    *,
    system: DepartmentSystem,
    external_id: str,
    matter: Matter,
    applicant: ApplicantData,
    form_data: dict,
    materials: list[MaterialInfo],
    channel: str,
    sub_channel: str,
) -> DepartmentCase:
    """Register (and submit) a case the department received in its own system.

    It gets a unified serial number like every case; the materials are recorded as the
    department describes them (it keeps the files and has checked them, so completeness is
    its call). The applicant's own account is used when it is known and verified
    (``applicants.matching_account``); otherwise the case stays under the service account.
    """
    if matter.department_id != system.department_id:
        raise DepartmentSystemError(
            _("未找到本部门已发布的该事项，请核对实施编码。"), code="matter_not_found", status=404
        )
    existing = (
        DepartmentCase.objects.filter(system=system, external_id=external_id).select_related("case").first()
    )
    if existing is not None:
        raise DepartmentSystemError(
            _("部门办件编号 %(id)s 已登记为办件 %(serial)s。")
            % {"id": external_id, "serial": existing.case.serial},
            code="case_exists",
            status=409,
        )
    account = None
    if applicant.applicant_type == "1":
        account = applicants.matching_account(
            name=applicant.name, id_type=applicant.id_type, id_number=applicant.id_number.strip().upper()
        )
    case = app_services.create_draft(
        applicant=account or system.account,
        matter=matter,
        data=applicant,
        form_data=form_data,
        channel=channel,
        sub_channel=sub_channel,
        origin=Origin.DEPARTMENT_SYSTEM,
        external_id=external_id,
    )
    if materials:
        _record_materials(case, materials)
    case = app_services.submit(case=case, actor=None, check_completeness=False)
    return DepartmentCase.objects.create(
        system=system, external_id=external_id, case=case, applicant_matched=account is not None
    )


# A result may be sent once the case is accepted (an immediate case), and after completion (a
# corrected licence): the workflow checks again when 办结 names it.
RESULT_STATES = frozenset(
    {State.ACCEPTED, State.UNDER_REVIEW, State.DECIDED, State.COMPLETED, State.DELIVERED}
)


def store_result(*, system: DepartmentSystem, case: Case, upload, transition: str | None = None) -> Document:
    """The result document (证照/批文) the department issued, kept in the applicant's store like
    a result uploaded in the back office. With ``transition`` (办结 with the file) it is refused
    before anything is stored when the system may not fire that transition now."""
    if transition:
        workflow.require(case, transition, system.account)
    elif not workflow.staff_roles(system.account, case) or case.state not in RESULT_STATES:
        raise workflow.TransitionNotAllowed(
            _("办件当前状态为“%(state)s”，不能上传办理结果。") % {"state": case.get_state_display()},
            code="invalid_state",
        )
    checked = uploads.check(upload)  # raises ValidationError (type, size, content)
    return app_materials.store_document(
        owner=case.applicant,
        checked=checked,
        kind=Document.Kind.RESULT,
        title=case.matter.result_name or _("办理结果"),
        org_code=case.submission.org_code,
    )
