"""Our data ↔ the Guangdong exchange tables (EX_GDBS_*); the whole mapping is written out in
docs/provincial-exchange.md.

Push: ``records_for(envelope)`` turns an outbox message of topic ``case.process_record``
(the plain data of ``applications.services.exchange_record``) into the rows of the record
sets it creates or changes, each with its ``VERSION``. Versions live in
``ExchangeRecord``: a row that changes gets ``version + 1``; the same message sent again
(a retry) gets exactly the same rows and versions back.

Pull: ``matter_values(data)`` maps a matter of the province's catalogue feed onto our
``Matter`` fields; ``case_values(data)`` maps a case of the cases feed onto what
``applications.services`` takes.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations import delivery
from integrations.provincial.models import ExchangeRecord, RecordSet

# --- code tables -----------------------------------------------------------------------

# SQRZJLX for an organisation applying: the USCC (observed; GA/T 2000.156 has no code for it).
ORG_ID_TYPE = "001"
# SLZTDM: acceptance outcome.
ACCEPTED, NOT_ACCEPTED = "1", "2"
# SPJG: the decision of an approval step.
DECISIONS = {"approved": "1", "denied": "2"}
# BJJGDM: how the case ended.
BJ_APPROVED, BJ_DENIED, BJ_NOT_ACCEPTED, BJ_WITHDRAWN = "1", "2", "3", "4"
BJ_CODES = {"approved": BJ_APPROVED, "denied": BJ_DENIED}
# TBCXLX: code table A.7.
TBCX_EXTENSION, TBCX_OTHER = "1", "2"
# SDFS: delivery method (logistics writes ``method`` into the 送达 record).
DELIVERY_METHODS = {"express": "2", "window": "1", "electronic": "3", "": "9"}

# Fields each table must carry (the sandbox refuses a row without them, as the province does).
REQUIRED = {
    RecordSet.SB: ("SBLSH", "SXBM", "SQRLX", "SQRMC", "SBSJ", "TJFS", "XZQHDM", "VERSION"),
    RecordSet.SL: ("SBLSH", "SXBM", "SLBMZZJGDM", "SLSJ", "SLZTDM", "VERSION"),
    RecordSet.SP: ("SBLSH", "SXBM", "XH", "BLHJDM", "BLHJMC", "BLSJ", "VERSION"),
    RecordSet.BZGZ: ("SBLSH", "SXBM", "XH", "BZGZSJ", "BZCLQD", "VERSION"),
    RecordSet.BZSL: ("SBLSH", "SXBM", "XH", "BZSLSJ", "VERSION"),
    RecordSet.TBCX: ("SBLSH", "SXBM", "XH", "TBCXLX", "TBCXKSSJ", "VERSION"),
    RecordSet.BJ: ("SBLSH", "SXBM", "BJSJ", "BJJGDM", "VERSION"),
}
# Code fields and their allowed values (checked by the sandbox).
CODES = {
    "SQRLX": {"1", "2", "3"},
    "TJFS": {"1", "2", "3", "4", "9"},
    "SLZTDM": {ACCEPTED, NOT_ACCEPTED},
    "TBCXLX": {TBCX_EXTENSION, TBCX_OTHER},
    "BJJGDM": {BJ_APPROVED, BJ_DENIED, BJ_NOT_ACCEPTED, BJ_WITHDRAWN},
}
# Sets with several rows per case: their identity is SBLSH + XH.
PER_STEP = frozenset({RecordSet.SP, RecordSet.BZGZ, RecordSet.BZSL, RecordSet.TBCX})


def when(value) -> str:
    """ISO date-time → "YYYY-MM-DD HH:MM:SS" in the hall's time zone (the tables' format)."""
    if not value:
        return ""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def division(code: str) -> str:
    """12-digit division code → 6 (county and above) or 9 digits (town), as the tables carry."""
    code = (code or "").strip()
    while len(code) > 6 and code.endswith("000"):
        code = code[:-3]
    return code


def short_serial(serial: str) -> str:
    """SBLSH_SHORT: date and daily sequence (the last 12 characters)."""
    return (serial or "")[-12:]


# --- push: one message → the rows it creates or changes ----------------------------------


@dataclass(frozen=True)
class Row:
    table: str
    fields: dict  # including VERSION

    def as_json(self) -> dict:
        return {"table": self.table, "fields": self.fields}


def _common(p: dict) -> dict:
    return {"SBLSH": p["serial"], "SXBM": p["implementation_code"]}


def _office(p: dict) -> str:
    return p.get("actor_department_uscc") or p.get("department_uscc") or ""


def sb_fields(p: dict, original_serial: str = "") -> dict:
    """申办 (EX_GDBS_SB), from the submission."""
    organisation = p.get("applicant_type") == "2" and p.get("org_code")
    return {
        **_common(p),
        "SBLSH_SHORT": short_serial(p["serial"]),
        "SXQXBM": "",
        "SBXMMC": p.get("matter_name", ""),
        "SQRLX": p.get("applicant_type") or "1",
        "SQRMC": p.get("applicant_name", ""),
        "SQRZJLX": ORG_ID_TYPE if organisation else p.get("applicant_id_type", ""),
        "SQRZJHM": p.get("org_code") if organisation else p.get("applicant_id_number", ""),
        "LXRXM": p.get("contact_name", ""),
        "LXRSJ": p.get("contact_mobile", ""),
        "SBCLQD": "",
        "TJFS": p.get("channel", ""),
        "WSSBQD": p.get("sub_channel", ""),
        "SBHZH": p["serial"],
        "SBSJ": when(p.get("submitted_at") or p.get("at")),
        "XZQHDM": division(p.get("division_code", "")),
        "YSBLSH": original_serial,
        "PROJECT_CODE": "",
    }


def sl_fields(p: dict, *, accepted: bool) -> dict:
    """受理 (EX_GDBS_SL), from an acceptance or a refusal to accept."""
    details = p.get("details") or {}
    return {
        **_common(p),
        "SLBMZZJGDM": _office(p),
        "SLRXM": p.get("actor_name", ""),
        "SLSJ": when(p.get("at")),
        "SLZTDM": ACCEPTED if accepted else NOT_ACCEPTED,
        "BSLYY": ""
        if accepted
        else "；".join(x for x in (details.get("reason", ""), p.get("opinion", "")) if x),
        "SLHZH": p["serial"],
        "SWSL": "1" if details.get("deemed") else "0",
        "CNBJSJ": p.get("promised_due_date") or "",
        "FDBJSJ": p.get("legal_due_date") or "",
        "XZQHDM": division(p.get("division_code", "")),
    }


def sp_fields(p: dict) -> dict:
    """审批过程 (EX_GDBS_SP): one row per step."""
    decision = (p.get("details") or {}).get("decision", "") if p.get("action") in ("approve", "deny") else ""
    return {
        **_common(p),
        "XH": str(p["sequence"]),
        "BLHJDM": p.get("action", ""),
        "BLHJMC": p.get("action_label", ""),
        "BLRXM": p.get("actor_name", ""),
        "BLBMZZJGDM": _office(p),
        "BLSJ": when(p.get("at")),
        "BLYJ": p.get("opinion", ""),
        "SPJG": DECISIONS.get(decision, ""),
        "HJYS": str(p.get("step_seconds") or 0),
        "XZQHDM": division(p.get("division_code", "")),
    }


def bzgz_fields(p: dict) -> dict:
    """补正告知 (EX_GDBS_BZGZ)."""
    items = (p.get("details") or {}).get("items") or []
    return {
        **_common(p),
        "XH": str(p["sequence"]),
        "BZGZSJ": when(p.get("at")),
        "BZGZYY": p.get("opinion", ""),
        "BZCLQD": "；".join(items) or p.get("opinion", ""),
        "GZRXM": p.get("actor_name", ""),
        "GZBMZZJGDM": _office(p),
    }


def bzsl_fields(p: dict, notice: dict | None) -> dict:
    """补正受理 (EX_GDBS_BZSL): the applicant supplied what the notice asked."""
    return {
        **_common(p),
        "XH": str(p["sequence"]),
        "BZGZXH": (notice or {}).get("XH", ""),
        "BZCLQD": (notice or {}).get("BZCLQD", ""),
        "BZSLSJ": when(p.get("at")),
        "BZSM": p.get("opinion", ""),
        "TZGZR": str((p.get("details") or {}).get("stopped_workdays", 0)),
    }


def tbcx_fields(p: dict, *, kind: str) -> dict:
    """特别程序 (EX_GDBS_TBCX), begun (or an extension, begun and ended at once)."""
    details = p.get("details") or {}
    extension = kind == TBCX_EXTENSION
    return {
        **_common(p),
        "XH": str(p["sequence"]),
        "TBCXLX": kind,
        "TBCXZL": "延长审批" if extension else details.get("reason", ""),
        "TBCXKSSJ": when(p.get("at")),
        "TBCXPZR": p.get("actor_name", ""),
        "TBCXYJ": p.get("opinion", ""),
        "TBCXSX": str(details.get("days", "")) if extension else "",
        "TBCXJSSJ": when(p.get("at")) if extension else "",
        "TBCXJG": "",
    }


def bj_fields(p: dict, code: str) -> dict:
    """办结 (EX_GDBS_BJ)."""
    return {
        **_common(p),
        "BJSJ": when(p.get("completed_at") or p.get("at")),
        "BJJGDM": code,
        "BJJGMS": p.get("opinion", "") or (p.get("details") or {}).get("reason", ""),
        "BJBMZZJGDM": _office(p),
        "BJRXM": p.get("actor_name", ""),
        "SDFS": "",
        "SDSJ": "",
        "KDDH": "",
        "XZQHDM": division(p.get("division_code", "")),
    }


def _key(table: str, fields: dict) -> str:
    return f"{fields['SBLSH']}-{fields['XH']}" if table in PER_STEP else fields["SBLSH"]


def _fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _stored(table: str, key: str) -> ExchangeRecord | None:
    return ExchangeRecord.objects.select_for_update().filter(record_set=table, record_key=key).first()


def _version(table: str, fields: dict, message_key: str, *, only_if_changed: bool = False) -> Row | None:
    """The row with its VERSION: 1 when new, the stored one when unchanged or when this very
    message set it (a retry), ``+1`` when the content changed. ``only_if_changed``: None
    instead of an unchanged row (a refresh that changed nothing is not re-sent)."""
    key = _key(table, fields)
    fingerprint = _fingerprint(fields)
    row = _stored(table, key)
    if row is None:
        row = ExchangeRecord.objects.create(
            record_set=table,
            record_key=key,
            serial=fields["SBLSH"],
            version=1,
            fingerprint=fingerprint,
            fields=fields,
            message_key=message_key,
        )
    elif row.message_key == message_key:
        pass  # the same message again: same rows, same versions
    elif row.fingerprint == fingerprint:
        if only_if_changed:
            return None
    else:
        row.version += 1
        row.fingerprint = fingerprint
        row.fields = fields
        row.message_key = message_key
        row.save(update_fields=["version", "fingerprint", "fields", "message_key", "updated_at"])
    return Row(table, {**row.fields, "VERSION": row.version})


def _latest(table: str, serial: str, **match) -> ExchangeRecord | None:
    rows = ExchangeRecord.objects.select_for_update().filter(record_set=table, serial=serial).order_by("-id")
    for row in rows:
        if all(row.fields.get(name) == value for name, value in match.items()):
            return row
    return None


def _refresh(table: str, serial: str, changes: dict, message_key: str, **match) -> Row | None:
    """Re-report a row already sent with some fields changed (VERSION + 1), if it changed."""
    row = ExchangeRecord.objects.filter(
        record_set=table, serial=serial, message_key=message_key
    ).first() or _latest(table, serial, **match)  # a retry of this message finds the row it changed
    if row is None:
        return None
    return _version(table, {**row.fields, **changes}, message_key, only_if_changed=True)


def _original_serial(p: dict) -> str:
    if p.get("origin") != "provincial":
        return ""
    from integrations.provincial.models import ProvincialCase

    return (
        ProvincialCase.objects.filter(case__serial=p["serial"]).values_list("province_id", flat=True).first()
        or ""
    )


@transaction.atomic
def records_for(payload: dict, message_key: str) -> list[Row]:
    """The rows one process record creates or changes, versioned (see the module docstring)."""
    # Bookkeeping that a database crash may lose only together with the delivery's outcome
    # (the WAL is written in order): the message is sent again and gets the same versions.
    delivery.relax_commit()
    p = payload
    action = p.get("action", "")
    serial = p["serial"]
    details = p.get("details") or {}
    rows: list[Row | None] = []
    due_dates = {"CNBJSJ": p.get("promised_due_date") or "", "FDBJSJ": p.get("legal_due_date") or ""}
    if action == "submit":
        rows.append(_version(RecordSet.SB, sb_fields(p, _original_serial(p)), message_key))
    elif action == "accept":
        rows.append(_version(RecordSet.SL, sl_fields(p, accepted=True), message_key))
    elif action == "reject":
        rows.append(_version(RecordSet.SL, sl_fields(p, accepted=False), message_key))
        rows.append(_version(RecordSet.BJ, bj_fields(p, BJ_NOT_ACCEPTED), message_key))
    elif action == "request_correction":
        rows.append(_version(RecordSet.BZGZ, bzgz_fields(p), message_key))
    elif action == "supply_correction":
        notice = _latest(RecordSet.BZGZ, serial)
        rows.append(_version(RecordSet.BZSL, bzsl_fields(p, notice.fields if notice else None), message_key))
    elif action == "begin_special_procedure":
        rows.append(_version(RecordSet.TBCX, tbcx_fields(p, kind=TBCX_OTHER), message_key))
    elif action == "end_special_procedure":
        ended = {"TBCXJSSJ": when(p.get("at")), "TBCXJG": p.get("opinion", "")}
        rows.append(_refresh(RecordSet.TBCX, serial, ended, message_key, TBCXLX=TBCX_OTHER, TBCXJSSJ=""))
        rows.append(_refresh(RecordSet.SL, serial, due_dates, message_key))
    elif action == "extend":
        rows.append(_version(RecordSet.TBCX, tbcx_fields(p, kind=TBCX_EXTENSION), message_key))
        rows.append(_refresh(RecordSet.SL, serial, due_dates, message_key))
    elif action in ("complete", "complete_immediately"):
        code = BJ_CODES.get(details.get("decision") or p.get("decision") or "approved", BJ_APPROVED)
        rows.append(_version(RecordSet.BJ, bj_fields(p, code), message_key))
    elif action == "withdraw":
        rows.append(_version(RecordSet.BJ, bj_fields(p, BJ_WITHDRAWN), message_key))
    elif action == "deliver":
        delivered = {
            "SDFS": DELIVERY_METHODS.get(details.get("method", ""), "9"),
            "SDSJ": when(p.get("at")),
            "KDDH": details.get("tracking_number", ""),
        }
        rows.append(_refresh(RecordSet.BJ, serial, delivered, message_key))
    rows = [row for row in rows if row is not None]
    if not rows or action in ("sign", "start_review", "approve", "deny", "deliver", "end_special_procedure"):
        # Every step is also a row of the approval process.
        rows.append(_version(RecordSet.SP, sp_fields(p), message_key))
    return rows


def exchange_body(payload: dict, message_key: str) -> dict:
    """The JSON posted to ``records/`` for one process record."""
    return {
        "SBLSH": payload["serial"],
        "XH": payload.get("sequence", 0),
        "BLHJDM": payload.get("action", ""),
        "records": [row.as_json() for row in records_for(payload, message_key)],
    }


def serial_body(payload: dict) -> dict:
    """The JSON posted to ``serials/`` (a number the hall made while the numbering service was down)."""
    return {
        "SBLSH": payload["serial"],
        "SXBM": payload["implementation_code"],
        "SBSJ": when(payload.get("submitted_at")),
        "TJFS": payload.get("channel", ""),
    }


def validate_row(table: str, fields) -> list[tuple[str, str]]:
    """Problems of one row as (code, field), the province's checks (used by the sandbox)."""
    if table not in REQUIRED:
        return [("unknown_table", table)]
    if not isinstance(fields, dict):
        return [("bad_request", "fields")]
    problems = [
        ("missing_field", name)
        for name in REQUIRED[table]
        if fields.get(name) in (None, "") and name != "VERSION"
    ]
    version = fields.get("VERSION")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(("bad_version", "VERSION"))
    for name, allowed in CODES.items():
        if (
            name in fields
            and fields[name] not in allowed
            and not (fields[name] == "" and name not in REQUIRED[table])
        ):
            problems.append(("invalid_code", name))
    if len(str(fields.get("SBLSH", ""))) > 50:
        problems.append(("invalid_value", "SBLSH"))
    return problems


# --- pull: the province's catalogue and cases → our data ---------------------------------

# Catalogue feed field → Matter field (values already in our code tables unless noted).
MATTER_FIELDS = {
    "SXMC": "name",
    "JBBM": "basic_code",
    "SXBM": "implementation_code",
    "YWBLXBM": "business_item_code",
    "SXLX": "matter_type",  # A.1
    "XSCJ": "level",  # A.2
    "SDYJ": "legal_basis",
    "SLTJ": "acceptance_conditions",
    "SLXZ": "quantity_limit",
    "ZJFW": "intermediary_services",
    "TBCX": "special_procedures",
    "FDBJSX": "legal_limit_days",
    "CNBJSX": "promised_limit_days",
    "SXSM": "limit_explanation",
    "BJLX": "case_type",  # A.6
    "SFSF": "fee_required",
    "SFYJ": "fee_basis",
    "SFBZ": "fee_standard",
    "BLDD": "handling_place",
    "BLSJ": "handling_hours",
    "ZXDH": "consultation_phone",
    "JDTSDH": "supervision_phone",
    "DBCS": "onsite_visits",
    "DXCYY": "onsite_visits_reason",
    "WBSD": "online_depth",
    "BLXS": "handling_forms",  # A.5, a list
    "FWDX": "service_objects",  # A.4, a list
    "SFWSSB": "online_apply",
    "SFYY": "appointment",
    "SFZXZF": "online_payment",
    "SFWLKD": "express_delivery",
    "WSBLDZ": "online_address",
    "BJJGMC": "result_name",
    "CJWT": "faq",
}
REQUIRED_MATTER = ("SXMC", "JBBM", "SXBM", "SXLX", "XSCJ", "SSJGTYSHXYDM")
BOOLEAN_FIELDS = {"fee_required", "online_apply", "appointment", "online_payment", "express_delivery"}
INTEGER_FIELDS = {"legal_limit_days", "promised_limit_days", "onsite_visits", "online_depth"}
LIST_FIELDS = {"handling_forms", "service_objects"}


def _as_list(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [part for part in str(value or "").replace("，", ",").split(",") if part]


def matter_values(data: dict) -> dict:
    """Our Matter field values from a catalogue entry (only the fields it carries)."""
    values = {}
    for source, target in MATTER_FIELDS.items():
        if source not in data:
            continue
        value = data[source]
        if target in BOOLEAN_FIELDS:
            value = (
                str(value).strip() in ("1", "true", "True", "是") if not isinstance(value, bool) else value
            )
        elif target in INTEGER_FIELDS:
            value = int(value)
        elif target in LIST_FIELDS:
            value = _as_list(value)
        else:
            value = "" if value is None else str(value)
        values[target] = value
    if "service_objects" in values:
        objects = set(values["service_objects"])
        person, organisation = "1" in objects, bool(objects - {"1"})
        values["audience"] = (
            "both" if person and organisation else ("enterprise" if organisation else "citizen")
        )
    if "case_type" in values:
        values["review_type"] = "immediate" if values["case_type"] == "1" else "review"
    return values


def region_code(data: dict) -> str:
    """XZQHDM of a catalogue entry, as our 12-digit code."""
    return str(data.get("XZQHDM", "")).ljust(12, "0")[:12]


@dataclass(frozen=True)
class ProvinceCase:
    province_id: str
    implementation_code: str
    applicant: dict  # ApplicantData's fields
    form_data: dict
    channel: str
    sub_channel: str


def case_values(data: dict) -> ProvinceCase:
    """A case of the cases feed (GDBS SB names) → what applications.services takes.

    ``KeyError``/``ValueError`` when a required field is missing."""
    applicant_type = str(data.get("SQRLX") or "1")
    organisation = applicant_type == "2"
    id_number = str(data.get("SQRZJHM", ""))
    applicant = {
        "name": str(data["SQRMC"]),
        "id_type": "111" if organisation else str(data.get("SQRZJLX") or "111"),
        "id_number": "" if organisation else id_number,
        "org_name": str(data["SQRMC"]) if organisation else "",
        "org_code": id_number if organisation else "",
        "mobile": str(data.get("LXRSJ", "")),
        "contact_name": str(data.get("LXRXM", "")),
    }
    if organisation:
        applicant["name"] = str(data.get("LXRXM") or data["SQRMC"])
    province_id = str(data["SBLSH"]).strip()
    if not province_id or len(province_id) > 64:
        raise ValueError("SBLSH")
    channel = str(data.get("TJFS") or "2")
    return ProvinceCase(
        province_id=province_id,
        implementation_code=str(data["SXBM"]),
        applicant=applicant,
        form_data=data.get("BDSJ") if isinstance(data.get("BDSJ"), dict) else {},
        channel=channel if channel in ("2", "3") else "2",
        sub_channel=str(data.get("WSSBQD") or "0"),
    )
