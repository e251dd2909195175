"""Helpers of the applicant's pages that no shared module offers yet.

* ``draft_answers(form)``: what to keep of a half-filled form when a draft is saved. A draft
  keeps every answer, valid or not, so that nothing the applicant typed is lost; the
  validation (``forms_engine.validate_data``) runs again at submission. Belongs in
  ``applications.forms_engine`` next to ``to_json``.
* ``find_draft(user, matter)`` and ``profile_for(...)``: reads of the apply pages.
  ``find_draft`` belongs in ``applications.selectors``.
* ``linked_problems(...)``: the completeness problems (``SubmissionIncomplete.problems``), each
  with the anchor of the field or material it is about, so the applicant can jump to it.
* ``mark_read`` / ``mark_all_read``: the inbox's writes. Belong in ``portal.notifications``.

State changes never happen here: the views call ``applications.services`` for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from applications import forms_engine, materials
from applications.models import Case, State, Submission
from matters.forms_spec import MAX_TABLE_ROWS, FieldType
from portal.models import Notification

T = FieldType
# A raw (not yet valid) answer kept in a draft is capped: valid answers have their own limits.
RAW_TEXT_LIMIT = 5000


def _raw_text(value) -> str | None:
    if value is None:
        return None
    text = str(value)[:RAW_TEXT_LIMIT]
    return text if text.strip() else None


def _raw_json(f, raw) -> Any:
    """A widget's raw input as a JSON answer that ``forms_engine.to_field_input`` reads back."""
    t = f.field_type
    if t == T.BOOLEAN:
        return bool(raw)
    if t == T.MULTI_CHOICE:
        return [str(v)[:200] for v in raw or []][:200] if isinstance(raw, list | tuple) else []
    if t == T.ADDRESS:
        region, detail = ([*raw, None, None][:2]) if isinstance(raw, list | tuple) else (None, None)
        region, detail = _raw_text(region), _raw_text(detail)
        return {"region": region, "detail": detail} if (region or detail) else None
    if t == T.TABLE:
        rows = []
        columns = {c.key: c for c in f.column_fields}
        for row in (raw or [])[:MAX_TABLE_ROWS]:
            if not isinstance(row, dict):
                continue
            rows.append({key: _raw_json(columns[key], value) for key, value in row.items() if key in columns})
        return rows
    return _raw_text(raw)


def draft_answers(form: forms_engine.SpecForm) -> dict[str, Any]:
    """Every answer of a bound spec form, cleaned where valid and as typed where not.

    Works whether or not ``is_valid()`` was called; cross-field rules are not checked (a draft
    may break them).
    """
    answers: dict[str, Any] = {}
    for f in form.spec.fields:
        field = form.fields[f.key]
        raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(f.key))
        if f.field_type == T.TABLE and raw is None:
            raw = []
        try:
            answers[f.key] = forms_engine.to_json(f, field.clean(raw))
        except ValidationError:
            answers[f.key] = _raw_json(f, raw)
    return answers


def find_draft(user, matter) -> Case | None:
    """The applicant's latest draft for the matter (resumed instead of starting another)."""
    if not user or not user.is_authenticated:
        return None
    return (
        Case.objects.filter(applicant=user, matter=matter, state=State.DRAFT)
        .select_related("submission", "matter", "department")
        .order_by("-submission__updated_at", "-pk")
        .first()
    )


def profile_for(submission: Submission, user) -> dict[str, str]:
    """What fills the form in advance (``forms_engine`` prefill keys): the identity chosen for
    the draft, then the account."""
    person = submission.contact_name if submission.org_code else submission.applicant_name
    return {
        "name": person or user.real_name,
        "id_number": submission.applicant_id_number,
        "mobile": submission.contact_mobile or user.mobile,
        "email": user.email,
        "org_name": submission.org_name,
        "org_code": submission.org_code,
    }


@dataclass(frozen=True)
class Problem:
    """One thing that stops the submission, and where on the pages it can be fixed."""

    text: str
    href: str = ""


def field_anchor(f) -> str:
    """The id of the first control of a spec field as ``forms_engine`` renders it."""
    if f.field_type == T.ADDRESS:
        return f"id_{f.key}_region"
    return f"id_{f.key}"  # an input, or the container of radios, tick boxes and table rows


def linked_problems(
    case: Case, problems: list[str], *, form_url: str | None = None, materials_url: str = ""
) -> list[Problem]:
    """Each problem with a link: a material to its block on ``materials_url`` ("" = this page),
    a form answer to its field on ``form_url`` (None = no link: the form is not editable).
    The texts are those of the completeness checkers, matched as they are, so a checker
    added later still shows (without a link)."""
    by_text: dict[str, str] = {}
    for report in materials.requirement_reports(case.submission, matters=[case.matter]):
        for text in report.problems:
            by_text.setdefault(text, f"{materials_url}#material-{report.requirement.pk}")
    by_label: list[tuple[str, str]] = []
    if form_url is not None:
        spec = forms_engine.get_spec(case.matter)
        by_label = [(f"「{f.label}」：", f"{form_url}#{field_anchor(f)}") for f in spec.fields]
    out = []
    for text in problems:
        href = by_text.get(text, "")
        if not href:
            href = next((anchor for prefix, anchor in by_label if text.startswith(prefix)), "")
        out.append(Problem(text, href))
    return out


# --- Inbox ---------------------------------------------------------------------------------


def inbox(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(notification: Notification) -> Notification:
    """Opened: read from now on (the first reading time is kept)."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
