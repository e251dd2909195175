"""Sandbox of the identity platforms (人口库 / 法人库), mounted at ``/sandbox/identity/``.

The same HTTP contract as ``integrations.identity.client`` (see its docstring), with its
own tables: a register of demo people (``SandboxPerson``: name, keyed digest and masked
form of the ID number, alive or deceased), of demo enterprises (``SandboxEnterprise``:
USCC, name, legal representative, 存续/吊销/注销), and a log of the questions it answered
(``SandboxIdentityQuery``, which tests count). The framework's knobs apply
(``/sandbox/identity/_control/``). ``seed_demo`` fills it with the demo accounts'
identities and the demo enterprises (``integrations.identity.demo``).
"""

import json
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from integrations.identity.hashing import id_number_hash, masked
from integrations.identity.models import SandboxEnterprise, SandboxIdentityQuery, SandboxPerson
from integrations.sandbox import framework
from portal.validators import normalize_id_number, normalize_uscc, validate_id_number, validate_uscc

NAME = "identity"
SOURCE = "sandbox"


def _clear() -> None:
    SandboxIdentityQuery.objects.all().delete()
    SandboxPerson.objects.all().delete()
    SandboxEnterprise.objects.all().delete()


SANDBOX = framework.register(NAME, _("人口库与法人库（沙箱）"), reset=_clear)


# --- the registers, in-process (seed, tests, demos) ------------------------------------


def add_person(name: str, id_number: str, *, alive: bool = True) -> SandboxPerson:
    """Put a person in the register (or update them): the number is kept as digest + mask."""
    person, _created = SandboxPerson.objects.update_or_create(
        id_number_hash=id_number_hash(id_number),
        defaults={"name": name.strip(), "id_number_masked": masked(id_number), "alive": alive},
    )
    return person


def add_enterprise(
    uscc: str, name: str, legal_representative: str, status: str = "存续"
) -> SandboxEnterprise:
    enterprise, _created = SandboxEnterprise.objects.update_or_create(
        uscc=normalize_uscc(uscc),
        defaults={"name": name, "legal_representative": legal_representative, "status": status},
    )
    return enterprise


def queries(kind: str | None = None) -> int:
    """How many questions the sandbox has answered (of one kind)."""
    rows = SandboxIdentityQuery.objects.all()
    return (rows.filter(kind=kind) if kind else rows).count()


def _log(kind: str, subject: str, answer: str) -> None:
    try:
        with transaction.atomic():
            SandboxIdentityQuery.objects.create(kind=kind, subject=subject[:64], answer=answer)
    except IntegrityError:  # pragma: no cover - a log row never breaks an answer
        pass


# --- endpoints -------------------------------------------------------------------------


@require_POST
def verify_person(request):
    """Does this name go with this ID number? matched / mismatched / not_found / deceased."""
    try:
        body = json.loads(request.body or b"{}")
        name = str(body["name"]).strip()
        number = normalize_id_number(str(body["id_number"]))
        if not name or len(name) > 50:
            raise ValueError
        validate_id_number(number)
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
        return framework.error(400, "bad_request", "name（姓名）和 id_number（18位身份证号码）必填且须有效")
    digest = id_number_hash(number)
    person = SandboxPerson.objects.filter(id_number_hash=digest).first()
    if person is None:
        result = "not_found"
    elif not person.alive:
        result = "deceased"
    elif person.name != name:
        result = "mismatched"
    else:
        result = "matched"
    _log(SandboxIdentityQuery.Kind.PERSON, digest, result)
    return JsonResponse({"result": result, "source": SOURCE, "reference": uuid.uuid4().hex})


@require_GET
def enterprise(request, uscc: str):
    code = normalize_uscc(uscc)
    try:
        validate_uscc(code)
    except ValidationError:
        return framework.error(400, "bad_request", "统一社会信用代码格式不正确")
    record = SandboxEnterprise.objects.filter(uscc=code).first()
    _log(SandboxIdentityQuery.Kind.ENTERPRISE, code, record.status if record else "not_found")
    if record is None:
        return framework.error(404, "not_found", "法人库中没有该统一社会信用代码的登记信息")
    return JsonResponse(
        {
            "uscc": record.uscc,
            "name": record.name,
            "legal_representative": record.legal_representative,
            "status": record.status,
            "source": SOURCE,
            "reference": uuid.uuid4().hex,
        },
        json_dumps_params={"ensure_ascii": False},
    )


urlpatterns = [
    path("people/verify/", framework.endpoint(NAME)(verify_person), name="identity-verify-person"),
    path("enterprises/<str:uscc>/", framework.endpoint(NAME)(enterprise), name="identity-enterprise"),
]
