"""The completeness check lists missing and invalid answers, one line per field, before submission."""

import pytest

from applications import forms_engine, services
from applications.services import ApplicantData
from matters.forms_spec import load_spec

pytestmark = pytest.mark.django_db

SPEC = {
    "fields": [
        {"key": "name", "label": "经营者姓名", "type": "text"},
        {"key": "mobile", "label": "联系电话", "type": "mobile"},
        {"key": "area", "label": "经营面积", "type": "decimal", "min": 0},
        {"key": "start", "label": "开始日期", "type": "date"},
        {"key": "end", "label": "结束日期", "type": "date"},
    ],
    "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
}


def draft(citizen, matter, form_data):
    return services.create_draft(
        applicant=citizen, matter=matter, data=ApplicantData(name="李四"), form_data=form_data
    )


def test_missing_and_invalid_answers_are_listed_one_line_per_field(citizen, matter):
    load_spec(matter, SPEC)
    case = draft(
        citizen, matter, {"name": "李四", "mobile": "138", "start": "2025-05-02", "end": "2025-05-01"}
    )
    assert forms_engine.problems(case) == [
        "「联系电话」：请输入11位手机号码，例如 13800138000。",
        "「经营面积」：请填写此项。",
        "「结束日期」：「结束日期」应晚于「开始日期」。",
    ]


def test_a_complete_form_has_no_problems(citizen, matter):
    load_spec(matter, SPEC)
    answers = {
        "name": "李四",
        "mobile": "13800138000",
        "area": "20",
        "start": "2025-05-01",
        "end": "2025-06-01",
    }
    assert forms_engine.problems(draft(citizen, matter, answers)) == []


def test_a_matter_without_a_form_has_no_form_problems(citizen, matter):
    assert forms_engine.problems(draft(citizen, matter, {})) == []


def test_answers_to_questions_removed_from_the_form_do_not_block_submission(citizen, matter):
    load_spec(matter, {"fields": [SPEC["fields"][0]]})
    assert forms_engine.problems(draft(citizen, matter, {"name": "李四", "old_question": "x"})) == []


def test_the_checker_is_part_of_the_submission_check(citizen, matter):
    load_spec(matter, SPEC)
    case = draft(citizen, matter, {})
    assert "「经营者姓名」：请填写此项。" in services.completeness_problems(case)
