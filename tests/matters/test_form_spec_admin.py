"""The back office of application forms: edit fields and rules inline, validated on save, versioned,
previewed; department staff only for their own department's matters."""

import importlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, clear_url_caches, reverse

from matters import form_admin  # noqa: F401 -- registers the admin until matters/admin.py imports it
from matters.forms_spec import FormSpec, load_spec
from tests import factories

pytestmark = pytest.mark.django_db

SPEC = {
    "fields": [
        {"key": "name", "label": "申请人姓名", "type": "text", "max_length": 50},
        {"key": "kind", "label": "申请类型", "type": "choice", "options": ["new|新办", "renew|换证"]},
        {"key": "start", "label": "开始日期", "type": "date"},
        {"key": "end", "label": "结束日期", "type": "date"},
    ],
    "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
}
FORM_PERMISSIONS = ("view_formspec", "add_formspec", "change_formspec", "delete_formspec")


@pytest.fixture(autouse=True)
def _form_admin_urls():
    """The URLconf may have been built before this module registered the admin: rebuild it then."""
    try:
        reverse("admin:matters_formspec_changelist")
    except NoReverseMatch:
        import portal.urls

        importlib.reload(portal.urls)
        clear_url_caches()


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="matters", codename__in=codenames)
    )
    return user


@pytest.fixture
def editor(db):
    return grant(factories.CatalogueEditorFactory(username="editor"), *FORM_PERMISSIONS)


@pytest.fixture
def department_staff(department):
    return grant(factories.StaffFactory(username="dept-staff", department=department), *FORM_PERMISSIONS)


@pytest.fixture
def outsider(other_department):
    return grant(factories.StaffFactory(username="outsider", department=other_department), *FORM_PERMISSIONS)


@pytest.fixture
def spec(matter):
    return load_spec(matter, SPEC)


@pytest.fixture
def foreign_spec(other_department):
    matter = factories.MatterFactory(department=other_department, name="居民身份证换领")
    return load_spec(matter, SPEC)


def change_url(spec):
    return reverse("admin:matters_formspec_change", args=[spec.pk])


def preview_url(spec):
    return reverse("admin:matters_formspec_preview", args=[spec.pk])


FIELD_ATTRS = (
    "sort_order", "key", "label", "field_type", "prefill", "help_text", "placeholder", "min_length",
    "max_length", "pattern", "pattern_message", "min_value", "max_value", "decimal_places", "min_date",
    "max_date", "min_items", "max_items", "default",
)  # fmt: skip
RULE_ATTRS = ("sort_order", "kind", "field", "other_field", "column", "limit", "message")


def post_data(spec, *, fields=None, rules=None) -> dict:
    """The change form as the browser posts it, from the spec's rows (or dicts replacing them)."""
    field_rows = fields if fields is not None else [_field_row(f) for f in spec.ordered_fields()]
    rule_rows = rules if rules is not None else [_rule_row(r) for r in spec.ordered_rules()]
    data = {"intro": spec.intro}
    for prefix, rows in (("fields", field_rows), ("rules", rule_rows)):
        initial = sum(1 for row in rows if row.get("id"))
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items() if value is not None}
            data[f"{prefix}-{index}-spec"] = str(spec.pk)
    return data


def _field_row(field) -> dict:
    row = {attr: "" if getattr(field, attr) is None else str(getattr(field, attr)) for attr in FIELD_ATTRS}
    row["id"] = str(field.pk)
    row["required"] = "on" if field.required else None
    row["options"] = "\n".join(f"{o['value']}|{o['label']}" for o in field.options)
    row["columns"] = json.dumps(field.columns, ensure_ascii=False) if field.columns else ""
    return row


def _rule_row(rule) -> dict:
    row = {attr: "" if getattr(rule, attr) is None else str(getattr(rule, attr)) for attr in RULE_ATTRS}
    row["id"] = str(rule.pk)
    row["field_keys"] = ", ".join(rule.field_keys)
    row["values"] = ", ".join(rule.values)
    row["allow_equal"] = "on" if rule.allow_equal else None
    return row


def save(client, spec, data):
    return client.post(change_url(spec), data, follow=True)


# --- Editing -------------------------------------------------------------------------------


def test_the_change_page_shows_the_fields_and_rules_inline(client, editor, spec):
    client.force_login(editor)
    page = client.get(change_url(spec)).content.decode()
    assert 'value="申请人姓名"' in page
    assert "new|新办" in page
    assert "先后 / 大小" in page
    assert "预览表单" in page


def test_saving_a_change_increments_the_version(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-0-label"] = "经营者姓名"
    response = save(client, spec, data)
    assert "表单已保存，当前为第 2 版。" in response.content.decode()
    spec.refresh_from_db()
    assert spec.version == 2
    assert spec.ordered_fields()[0].label == "经营者姓名"


def test_saving_without_a_change_keeps_the_version(client, editor, spec):
    client.force_login(editor)
    save(client, spec, post_data(spec))
    spec.refresh_from_db()
    assert spec.version == 1


def test_a_pattern_that_does_not_compile_is_refused_next_to_it(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-0-pattern"] = "[a-z"
    page = save(client, spec, data).content.decode()
    assert "正则表达式有误" in page
    spec.refresh_from_db()
    assert spec.version == 1
    assert spec.ordered_fields()[0].pattern == ""


def test_a_maximum_below_the_minimum_is_refused(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-0-min_length"], data["fields-0-max_length"] = "10", "2"
    assert "最多字数不能小于最少字数。" in save(client, spec, data).content.decode()


def test_a_duplicate_key_is_refused_in_chinese(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-1-key"] = "name"
    page = save(client, spec, data).content.decode()
    assert "字段标识「name」与第1个字段重复。" in page
    assert FormSpec.objects.get(pk=spec.pk).ordered_fields()[1].key == "kind"


def test_a_rule_on_a_field_being_deleted_is_refused(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-3-DELETE"] = "on"
    page = save(client, spec, data).content.decode()
    assert "表单中没有标识为「end」的字段。" in page
    assert len(FormSpec.objects.get(pk=spec.pk).ordered_fields()) == 4


def test_a_new_rule_is_checked_against_the_fields_on_the_page(client, editor, spec):
    client.force_login(editor)
    rules = [*(_rule_row(r) for r in spec.ordered_rules())]
    rules.append({"sort_order": "2", "kind": "less_than", "field": "name", "other_field": "start"})
    page = save(client, spec, post_data(spec, rules=rules)).content.decode()
    assert "先后规则只能比较两个日期字段或两个数字字段" in page
    assert spec.rules.count() == 1


def test_options_are_edited_one_per_line(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-1-options"] = "new|新办\nrenew|换证\n补证"
    save(client, spec, data)
    kind = FormSpec.objects.get(pk=spec.pk).ordered_fields()[1]
    assert kind.options[-1] == {"value": "补证", "label": "补证"}


def test_a_new_form_for_a_matter_starts_at_version_one(client, department_staff, matter):
    client.force_login(department_staff)
    response = client.get(reverse("admin:matters_formspec_for_matter", args=[matter.pk]))
    spec = FormSpec.objects.get(matter=matter)
    assert response.url == change_url(spec)
    field = {"sort_order": "1", "key": "name", "label": "姓名", "field_type": "text", "required": "on"}
    field |= {"decimal_places": "2", "options": "", "columns": ""}
    save(client, spec, post_data(spec, fields=[field], rules=[]))
    spec.refresh_from_db()
    assert spec.version == 1
    assert [f.key for f in spec.ordered_fields()] == ["name"]


def test_a_field_added_without_an_order_goes_last(client, editor, spec):
    client.force_login(editor)
    fields = [_field_row(f) for f in spec.ordered_fields()]
    new = {"sort_order": "0", "key": "note", "label": "备注", "field_type": "textarea", "decimal_places": "2"}
    fields.append({**new, "options": "", "columns": ""})
    save(client, spec, post_data(spec, fields=fields))
    assert [f.key for f in FormSpec.objects.get(pk=spec.pk).ordered_fields()][-1] == "note"


def test_department_staff_cannot_delete_a_form_and_its_versions(client, department_staff, spec):
    client.force_login(department_staff)
    url = reverse("admin:matters_formspec_delete", args=[spec.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert FormSpec.objects.filter(pk=spec.pk).exists()


def test_the_versions_of_a_form_are_listed_with_their_content(client, editor, spec):
    client.force_login(editor)
    data = post_data(spec)
    data["fields-0-label"] = "经营者姓名"
    save(client, spec, data)
    url = reverse("admin:matters_formspecversion_changelist") + f"?spec__id__exact={spec.pk}"
    changelist = client.get(url).context["cl"]
    assert [v.version for v in changelist.result_list] == [2, 1]
    version = spec.versions.get(version=1)
    detail = client.get(reverse("admin:matters_formspecversion_change", args=[version.pk])).content.decode()
    assert "申请人姓名" in detail


def test_an_editor_adds_a_form_for_a_matter_with_its_fields(client, editor, matter):
    client.force_login(editor)
    assert client.get(reverse("admin:matters_formspec_add")).status_code == 200
    data = {"matter": str(matter.pk), "intro": "请如实填写。"}
    data |= {
        "fields-TOTAL_FORMS": "1",
        "fields-INITIAL_FORMS": "0",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
    }
    data |= {
        "fields-0-sort_order": "10",
        "fields-0-key": "name",
        "fields-0-label": "姓名",
        "fields-0-required": "on",
    }
    data |= {"fields-0-field_type": "text", "fields-0-decimal_places": "2"}
    client.post(reverse("admin:matters_formspec_add"), data)
    spec = FormSpec.objects.get(matter=matter)
    assert (spec.version, spec.intro, [f.label for f in spec.ordered_fields()]) == (
        1,
        "请如实填写。",
        ["姓名"],
    )


# --- Preview ---------------------------------------------------------------------------------


def test_the_preview_renders_the_generated_form_and_schema(client, editor, spec):
    client.force_login(editor)
    page = client.get(preview_url(spec)).content.decode()
    assert '<label for="id_name">申请人姓名' in page
    assert 'type="date"' in page
    assert "https://json-schema.org/draft/2020-12/schema" in page


def test_the_preview_tries_answers_without_saving_them(client, editor, spec):
    client.force_login(editor)
    answers = {"name": "张三", "kind": "new", "start": "2025-05-02", "end": "2025-05-01"}
    page = client.post(preview_url(spec), answers).content.decode()
    assert "校验未通过" in page
    assert "「结束日期」应晚于「开始日期」。" in page
    page = client.post(preview_url(spec), {**answers, "end": "2025-06-01"}).content.decode()
    assert "校验通过" in page


# --- Least privilege -------------------------------------------------------------------------


def test_department_staff_edit_their_own_departments_form(client, department_staff, spec):
    client.force_login(department_staff)
    data = post_data(spec)
    data["fields-0-help_text"] = "与身份证件一致"
    save(client, spec, data)
    assert FormSpec.objects.get(pk=spec.pk).version == 2


def test_department_staff_cannot_open_another_departments_form(client, department_staff, foreign_spec):
    client.force_login(department_staff)
    assert client.get(change_url(foreign_spec)).status_code == 404
    assert client.get(preview_url(foreign_spec)).status_code == 404


def test_department_staff_cannot_change_another_departments_form(client, department_staff, foreign_spec):
    client.force_login(department_staff)
    data = post_data(foreign_spec)
    data["fields-0-label"] = "被篡改"
    assert client.post(change_url(foreign_spec), data).status_code == 404
    assert FormSpec.objects.get(pk=foreign_spec.pk).ordered_fields()[0].label == "申请人姓名"


def test_department_staff_list_only_their_own_forms(client, department_staff, spec, foreign_spec):
    client.force_login(department_staff)
    page = client.get(reverse("admin:matters_formspec_changelist")).content.decode()
    assert "食品经营许可证核发" in page
    assert "居民身份证换领" not in page


def test_department_staff_cannot_create_a_form_for_another_departments_matter(
    client, department_staff, other_department
):
    matter = factories.MatterFactory(department=other_department, name="居民身份证换领")
    client.force_login(department_staff)
    assert client.get(reverse("admin:matters_formspec_for_matter", args=[matter.pk])).status_code == 404
    data = {"matter": str(matter.pk), "intro": ""}
    for prefix in ("fields", "rules"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    client.post(reverse("admin:matters_formspec_add"), data)
    assert not FormSpec.objects.filter(matter=matter).exists()


def test_a_supervisor_reads_every_form_but_changes_none(client, spec, foreign_spec):
    supervisor = grant(factories.SupervisorFactory(username="supervisor"), "view_formspec")
    client.force_login(supervisor)
    assert client.get(preview_url(foreign_spec)).status_code == 200
    data = post_data(spec)
    data["fields-0-label"] = "被篡改"
    assert client.post(change_url(spec), data).status_code == 403
    assert FormSpec.objects.get(pk=spec.pk).ordered_fields()[0].label == "申请人姓名"
