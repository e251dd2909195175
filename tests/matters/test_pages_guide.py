"""The service guide page /matters/<implementation code>/ and its printable view."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from applications import urls as applications_urls
from matters import codes
from portal.urls import urlpatterns as portal_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db


def _stub(request, code):
    return HttpResponse("stub")


# A URLconf where the features of later issues exist, to show their buttons appear.
urlpatterns = [
    *[p for p in portal_urlpatterns if getattr(p, "namespace", None) != "applications"],
    path(
        "later/",
        include(
            (
                [
                    path("apply/<str:code>/", _stub, name="apply"),
                    path("appointment/<str:code>/", _stub, name="appointment"),
                    # The rest of the applicant pages, which the layout links to.
                    *[p for p in applications_urls.urlpatterns if p.name not in ("apply", "appointment")],
                ],
                "applications",
            )
        ),
    ),
]


@pytest.fixture
def guide(matter):
    """A matter with a complete guide."""
    matter.summary = "从事食品销售和餐饮服务活动，应当依法取得食品经营许可。"
    matter.acceptance_conditions = "申请人应当取得营业执照等合法主体资格。"
    matter.legal_basis = "《中华人民共和国食品安全法》第三十五条"
    matter.legal_limit_days = 20
    matter.promised_limit_days = 5
    matter.limit_explanation = "不含现场核查时间"
    matter.fee_required = True
    matter.fee_basis = "《广东省物价局关于规范收费的通知》"
    matter.fee_standard = "每证10元"
    matter.online_payment = True
    matter.onsite_visits = 1
    matter.onsite_visits_reason = "需现场核查经营场所"
    matter.online_depth = codes.OnlineDepth.APPLY
    matter.handling_forms = ["1", "2", "4"]
    matter.service_objects = ["1", "2"]
    matter.result_name = "食品经营许可证"
    matter.result_type = codes.ResultType.CERTIFICATE
    matter.result_sample.save("result.pdf", ContentFile(b"%PDF-1.4 sample"), save=False)
    matter.faq = "问：许可证有效期多久？\n答：有效期为5年。"
    matter.save()
    factories.MatterStepFactory(matter=matter, sort_order=2, name="审查", handler="审核人员", duration_days=3)
    factories.MatterStepFactory(matter=matter, sort_order=1, name="受理", handler="窗口人员", duration_days=1)
    form = factories.MaterialRequirementFactory(
        matter=matter,
        sort_order=1,
        name="食品经营许可申请书",
        originals=1,
        copies=0,
        medium="paper",
        specification="A4纸打印，法定代表人签字并加盖公章",
    )
    form.blank_form.save("form.docx", ContentFile(b"blank"), save=True)
    factories.MaterialRequirementFactory(
        matter=matter,
        sort_order=2,
        name="营业执照",
        necessity="conditional",
        condition="已取得营业执照的",
        source="government",
        issuing_body="市场监督管理部门",
        copies=2,
    )
    return matter


def test_the_guide_page_shows_the_basic_information(client, guide):
    html = client.get(guide.get_absolute_url()).content.decode()

    for text in [
        "<h1>食品经营许可证核发</h1>",
        guide.basic_code,
        guide.implementation_code,
        guide.department.uscc,
        "行政许可",
        "中山市市场监督管理局",
        "市级",
        "自然人、企业法人",
        "承诺件",
        "窗口办理、电脑端网上办理、快递申请",
        "三级：网上申报、网上预审",
        "1次",
        "需现场核查经营场所",
    ]:
        assert text in html, text


def test_the_guide_page_shows_conditions_basis_limits_fees_place_and_result(client, guide):
    html = client.get(guide.get_absolute_url()).content.decode()

    for text in [
        "申请人应当取得营业执照等合法主体资格。",
        "《中华人民共和国食品安全法》第三十五条",
        "20个工作日",
        "5个工作日",
        "不含现场核查时间",
        "每证10元",
        "《广东省物价局关于规范收费的通知》",
        "中山市行政服务中心",
        "工作日 8:30-12:00",
        'href="tel:0760-12345678"',
        'href="tel:0760-12345679"',
        "食品经营许可证",
        "出证",
        guide.result_sample.url,
        "有效期为5年",
    ]:
        assert text in html, text


def test_the_process_steps_are_listed_in_order(client, guide):
    html = client.get(guide.get_absolute_url()).content.decode()

    assert html.index("<h3>受理</h3>") < html.index("<h3>审查</h3>")
    assert "窗口人员" in html


def test_the_materials_table_shows_each_requirement(client, guide):
    html = client.get(guide.get_absolute_url()).content.decode()
    table = html[html.index('<table class="materials-table">') : html.index("</table>")]

    for text in [
        "食品经营许可申请书",
        "原件1份",
        "纸质",
        "A4纸打印，法定代表人签字并加盖公章",
        "空白表格",
        "营业执照",
        "视情形提交",
        "已取得营业执照的",
        "政府部门核发",
        "市场监督管理部门",
        "复印件2份",
    ]:
        assert text in table, text
    assert table.index("食品经营许可申请书") < table.index("营业执照")


def test_related_matters_are_grouped_by_relation_kind(client, matter):
    licence = factories.MatterFactory(name="营业执照核发")
    parallel = factories.MatterFactory(name="户外广告设置许可")
    related = factories.MatterFactory(name="食品经营许可证注销")
    hidden = factories.MatterFactory(name="草稿中的事项", status=codes.Status.DRAFT)
    factories.MatterRelationFactory(matter=matter, related=licence, kind=codes.RelationKind.PREREQUISITE)
    factories.MatterRelationFactory(matter=matter, related=parallel, kind=codes.RelationKind.PARALLEL)
    factories.MatterRelationFactory(matter=matter, related=related, kind=codes.RelationKind.RELATED)
    factories.MatterRelationFactory(matter=matter, related=hidden, kind=codes.RelationKind.RELATED)

    html = client.get(matter.get_absolute_url()).content.decode()

    def group(kind):
        start = html.index(f'id="related-{kind}"')
        return html[start : html.index("</div>", start)]

    assert "前置事项" in group("prerequisite") and "营业执照核发" in group("prerequisite")
    assert "并联事项" in group("parallel") and "户外广告设置许可" in group("parallel")
    assert "关联事项" in group("related") and "食品经营许可证注销" in group("related")
    assert "草稿中的事项" not in html


def test_a_guide_without_relations_or_faq_has_no_empty_sections(client, matter):
    html = client.get(matter.get_absolute_url()).content.decode()

    assert 'id="related"' not in html
    assert 'id="faq"' not in html


def test_themes_and_tags_link_to_the_filtered_catalogue(client, matter):
    matter.themes.add(factories.ThemeFactory(name="开办企业", slug="start-up"))
    matter.tags.add(factories.TagFactory(name="餐饮", slug="catering"))

    html = client.get(matter.get_absolute_url()).content.decode()

    assert 'href="/matters/?theme=start-up">开办企业</a>' in html
    assert 'href="/matters/?tag=catering">餐饮</a>' in html


def test_actions_of_features_not_built_yet_are_not_shown(client, matter):
    matter.appointment = True
    matter.save()
    html = client.get(matter.get_absolute_url()).content.decode()

    assert "预约办理" not in html
    assert "我要咨询" not in html


def test_the_apply_button_shows_once_the_feature_exists_and_the_matter_supports_it(client, settings, matter):
    settings.ROOT_URLCONF = __name__
    offline = factories.MatterFactory(
        name="仅限窗口办理", online_apply=False, onsite_visits=1, onsite_visits_reason="现场核验"
    )

    online_html = client.get(matter.get_absolute_url()).content.decode()
    offline_html = client.get(offline.get_absolute_url()).content.decode()

    assert f'href="/later/apply/{matter.implementation_code}/">在线办理' in online_html
    assert "在线办理" not in offline_html


def test_the_appointment_button_shows_only_for_matters_taking_appointments(client, settings, matter):
    settings.ROOT_URLCONF = __name__
    bookable = factories.MatterFactory(name="可预约事项", appointment=True)

    assert "预约办理" in client.get(bookable.get_absolute_url()).content.decode()
    assert "预约办理" not in client.get(matter.get_absolute_url()).content.decode()


def test_an_unknown_implementation_code_is_not_found(client, db):
    assert client.get("/matters/114420000000000013344UNKNOWN0000/").status_code == 404


@pytest.mark.parametrize("status", [codes.Status.DRAFT, codes.Status.WITHDRAWN])
def test_an_unpublished_matter_is_not_found(client, status):
    matter = factories.MatterFactory(status=status)

    assert client.get(matter.get_absolute_url()).status_code == 404
    assert client.get(f"{matter.get_absolute_url()}print/").status_code == 404


def test_the_not_found_page_offers_search_and_the_catalogue(client, db):
    response = client.get("/matters/NOPE/")

    assert response.status_code == 404
    assert "搜索要办的事项" in response.content.decode()


def test_the_print_view_has_the_whole_guide_without_navigation(client, guide):
    response = client.get(f"{guide.get_absolute_url()}print/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>食品经营许可证核发</h1>" in html
    assert "食品经营许可申请书" in html and "<h3>审查</h3>" in html and "每证10元" in html
    assert "css/print.css" in html
    assert 'aria-label="主导航"' not in html
    assert "site-footer" not in html
    assert f'href="{guide.get_absolute_url()}"' in html


def test_the_guide_page_links_to_its_print_view(client, matter):
    html = client.get(matter.get_absolute_url()).content.decode()

    assert f'href="{matter.get_absolute_url()}print/"' in html


def test_the_guide_page_runs_the_same_number_of_queries_for_3_or_30_materials_steps_and_relations(
    client, matter
):
    def add(n):
        for _ in range(n):
            factories.MaterialRequirementFactory(matter=matter)
            factories.MatterStepFactory(matter=matter)
            factories.MatterRelationFactory(matter=matter, kind=codes.RelationKind.RELATED)
            matter.themes.add(factories.ThemeFactory())
            matter.tags.add(factories.TagFactory())
            matter.co_departments.add(factories.DepartmentFactory())

    def count_queries(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(3)
    small = count_queries(matter.get_absolute_url()), count_queries(f"{matter.get_absolute_url()}print/")
    add(27)
    large = count_queries(matter.get_absolute_url()), count_queries(f"{matter.get_absolute_url()}print/")

    assert small == large


def test_a_matter_accepting_missing_non_key_materials_says_so_and_marks_them(client, matter):
    matter.allows_deficiency_acceptance = True
    matter.save()
    factories.MaterialRequirementFactory(matter=matter, name="场所平面图", key_material=False)

    html = client.get(matter.get_absolute_url()).content.decode()

    assert "容缺受理" in html
    assert "可容缺受理" in html


def test_non_key_materials_are_not_marked_when_the_matter_does_not_accept_missing_ones(client, matter):
    factories.MaterialRequirementFactory(matter=matter, name="场所平面图", key_material=False)

    assert "可容缺受理" not in client.get(matter.get_absolute_url()).content.decode()


def test_a_trust_online_matter_explains_that_review_comes_after_acceptance(client, matter):
    matter.trust_online_review = True
    matter.save()

    assert "信任在线，审核在后" in client.get(matter.get_absolute_url()).content.decode()
