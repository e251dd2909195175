"""Answers read back with their labels, for the case pages and the back office."""

import pytest
from django.template.loader import render_to_string

from applications.forms_engine import display_answers, get_spec
from matters.forms_spec import load_spec

pytestmark = pytest.mark.django_db

SPEC = {
    "fields": [
        {
            "key": "mode",
            "label": "经营方式",
            "type": "choice",
            "options": ["personal|个人经营", "family|家庭经营"],
        },
        {"key": "kinds", "label": "经营项目", "type": "multi_choice", "options": ["a|热食类", "b|冷食类"]},
        {"key": "online", "label": "网络经营", "type": "boolean", "required": False},
        {"key": "site", "label": "经营场所", "type": "address"},
        {"key": "note", "label": "备注", "type": "text", "required": False},
        {
            "key": "members",
            "label": "家庭成员",
            "type": "table",
            "columns": [
                {"key": "name", "label": "姓名", "type": "text"},
                {
                    "key": "relation",
                    "label": "关系",
                    "type": "choice",
                    "options": ["spouse|配偶", "child|子女"],
                },
            ],
        },
    ]
}
ANSWERS = {
    "mode": "family",
    "kinds": ["a", "b"],
    "online": False,
    "site": {"region": "442000100000", "region_name": "中山市小榄镇", "detail": "升平中路8号"},
    "note": None,
    "members": [{"name": "王五", "relation": "spouse"}],
}


def test_answers_are_shown_by_label_in_form_order(matter):
    load_spec(matter, SPEC)
    answers = display_answers(get_spec(matter), ANSWERS)
    assert [(a.label, a.text) for a in answers if not a.is_table] == [
        ("经营方式", "家庭经营"),
        ("经营项目", "热食类、冷食类"),
        ("网络经营", "否"),
        ("经营场所", "中山市小榄镇升平中路8号"),
        ("备注", ""),
    ]
    assert answers[-1].rows == [[("姓名", "王五"), ("关系", "配偶")]]


def test_the_answers_partial_shows_labels_values_and_table_rows(matter):
    load_spec(matter, SPEC)
    html = render_to_string(
        "applications/form/answers.html", {"answers": display_answers(get_spec(matter), ANSWERS)}
    )
    assert "<dt>经营方式</dt>" in html and "家庭经营" in html
    assert '<th scope="col">关系</th>' in html and "<td>配偶</td>" in html
    assert "—" in html  # the unanswered note
