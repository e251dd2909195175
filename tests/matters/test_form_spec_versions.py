"""Versions of a form specification, the idempotent loader and the demo forms."""

from pathlib import Path

import pytest
import yaml

from applications import forms_engine
from matters.forms_spec import (
    FormField,
    FormSpec,
    FormSpecVersion,
    dump_spec,
    load_forms_file,
    load_spec,
    record_version,
)
from tests import factories

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "matters" / "fixtures" / "demo"

SPEC = {
    "intro": "请如实填写。",
    "fields": [
        {"key": "name", "label": "姓名", "type": "text", "prefill": "name"},
        {"key": "kind", "label": "类型", "type": "choice", "options": ["a|甲", "b|乙"]},
        {"key": "amount", "label": "金额", "type": "decimal", "min": 0, "max": "9999.99"},
    ],
    "rules": [{"kind": "required_if", "field": "amount", "other": "kind", "values": ["b"]}],
}


def test_a_new_spec_is_version_one_with_its_snapshot(matter):
    spec = load_spec(
        matter, {**SPEC, "fields": [{**SPEC["fields"][2], "required": False}, *SPEC["fields"][:2]]}
    )
    assert spec.version == 1
    assert FormSpecVersion.objects.get(spec=spec).snapshot == dump_spec(matter)


def test_loading_the_same_spec_again_changes_nothing(matter):
    spec_dict = {**SPEC, "fields": [*SPEC["fields"][:2], {**SPEC["fields"][2], "required": False}]}
    first = load_spec(matter, spec_dict)
    field_ids = list(first.fields.values_list("pk", flat=True))
    again = load_spec(matter, spec_dict)
    assert again.version == 1
    assert list(again.fields.values_list("pk", flat=True)) == field_ids
    assert FormSpecVersion.objects.filter(spec=again).count() == 1


def test_a_change_increments_the_version_and_keeps_the_old_content(matter):
    spec_dict = {**SPEC, "fields": [*SPEC["fields"][:2], {**SPEC["fields"][2], "required": False}]}
    load_spec(matter, spec_dict)
    changed = {
        **spec_dict,
        "fields": [*spec_dict["fields"], {"key": "note", "label": "备注", "type": "textarea"}],
    }
    spec = load_spec(matter, changed)
    assert spec.version == 2
    versions = dict(FormSpecVersion.objects.filter(spec=spec).values_list("version", "snapshot"))
    assert [f["key"] for f in versions[1]["fields"]] == ["name", "kind", "amount"]
    assert [f["key"] for f in versions[2]["fields"]] == ["name", "kind", "amount", "note"]


def test_an_edit_of_one_row_increments_the_version_once(matter):
    spec = load_spec(matter, {"fields": [SPEC["fields"][0]]})
    FormField.objects.filter(spec=spec).update(label="申请人姓名")
    assert record_version(spec) is True
    assert record_version(spec) is False
    assert FormSpec.objects.get(pk=spec.pk).version == 2


def test_the_spec_reads_back_in_the_same_format(matter):
    spec_dict = {**SPEC, "fields": [*SPEC["fields"][:2], {**SPEC["fields"][2], "required": False}]}
    load_spec(matter, spec_dict)
    dumped = dump_spec(matter)
    assert dumped["intro"] == "请如实填写。"
    assert dumped["fields"][1] == {
        "key": "kind",
        "label": "类型",
        "type": "choice",
        "options": [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}],
    }
    assert dumped["fields"][2] == {
        "key": "amount",
        "label": "金额",
        "type": "decimal",
        "required": False,
        "min": 0,
        "max": "9999.99",
    }
    assert dumped["rules"] == [{"kind": "required_if", "field": "amount", "other": "kind", "values": ["b"]}]
    load_spec(matter, dumped)
    assert FormSpec.objects.get(matter=matter).version == 1


def test_answers_can_be_read_against_the_version_they_were_filled_in(matter):
    load_spec(matter, {"fields": [{"key": "name", "label": "姓名", "type": "text"}]})
    load_spec(matter, {"fields": [{"key": "name", "label": "申请人姓名", "type": "text"}]})
    assert forms_engine.get_spec(matter, version=1).label("name") == "姓名"
    assert forms_engine.get_spec(matter).label("name") == "申请人姓名"
    assert forms_engine.current_version(matter) == 2


# --- The demo forms --------------------------------------------------------------------------


def demo_forms() -> list[dict]:
    return yaml.safe_load((DEMO / "forms.yaml").read_text(encoding="utf-8"))["forms"]


def test_the_demo_has_forms_for_at_least_twenty_matters_of_the_catalogue():
    catalogue = set()
    for path in (DEMO / "matters").glob("*.yaml"):
        catalogue |= {m["name"] for m in yaml.safe_load(path.read_text(encoding="utf-8"))["matters"]}
    names = [form["matter"] for form in demo_forms()]
    assert len(set(names)) == len(names) >= 20
    assert set(names) <= catalogue


def test_every_demo_form_is_a_valid_spec_and_loads_idempotently(department):
    for form in demo_forms():
        factories.MatterFactory(department=department, name=form["matter"])
    loaded = load_forms_file(DEMO / "forms.yaml")
    assert len(loaded) == len(demo_forms())
    assert {spec.version for spec in loaded} == {1}
    load_forms_file(DEMO / "forms.yaml")
    assert set(FormSpec.objects.values_list("version", flat=True)) == {1}
