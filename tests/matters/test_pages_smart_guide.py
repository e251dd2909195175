"""智能导办 /guide/: questions configured as data, each step a bookmarkable GET URL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from matters import codes
from matters.models import GuideOption, GuideQuestion
from tests import factories

pytestmark = pytest.mark.django_db

START_URL = reverse("guide:start")


def url(*options) -> str:
    return START_URL + ("?" + "&".join(f"a={option.pk}" for option in options) if options else "")


def href(*options) -> str:
    """The URL as written in an HTML attribute."""
    return url(*options).replace("&", "&amp;")


@pytest.fixture
def tree(department):
    """你是谁 → 发生了什么 → 哪种情形, ending at two matters that share a material."""
    who = GuideQuestion.objects.create(text="您以什么身份办事？", is_start=True)
    what = GuideQuestion.objects.create(text="您遇到了什么事？", help_text="选择最接近的一项")
    which = GuideQuestion.objects.create(text="属于哪种情形？")
    person = GuideOption.objects.create(question=who, label="个人", next_question=what, sort_order=1)
    company = GuideOption.objects.create(question=who, label="企业", next_question=what, sort_order=2)
    restaurant = GuideOption.objects.create(question=what, label="我要开饭店", next_question=which)
    small = GuideOption.objects.create(
        question=which, label="小餐饮店", conclusion="开饭店需先办理营业执照，再申请食品经营许可。"
    )
    licence = factories.MatterFactory(department=department, name="食品经营许可证核发")
    business = factories.MatterFactory(name="个体工商户设立登记")
    draft = factories.MatterFactory(name="尚未发布的事项", status=codes.Status.DRAFT)
    small.matters.add(licence, business, draft)
    factories.MaterialRequirementFactory(matter=licence, name="食品经营许可申请书", originals=1)
    factories.MaterialRequirementFactory(matter=licence, name="经营者身份证件", copies=1)
    factories.MaterialRequirementFactory(matter=business, name="经营者身份证件", originals=1)
    factories.MaterialRequirementFactory(matter=business, name="经营场所证明", copies=1)
    return {
        "who": who,
        "what": what,
        "person": person,
        "company": company,
        "restaurant": restaurant,
        "small": small,
        "licence": licence,
        "business": business,
    }


def test_without_a_start_question_the_page_says_so_and_links_to_the_catalogue(client, db):
    response = client.get(START_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "智能导办暂未开通" in html
    assert 'href="/matters/"' in html


def test_the_first_step_asks_the_start_question_with_each_option_as_a_link(client, tree):
    html = client.get(START_URL).content.decode()

    assert "您以什么身份办事？" in html
    assert f'href="{href(tree["person"])}">个人</a>' in html
    assert f'href="{href(tree["company"])}">企业</a>' in html


def test_every_start_question_is_offered_at_the_beginning(client, tree):
    other = GuideQuestion.objects.create(text="您想查询什么？", is_start=True)
    GuideOption.objects.create(question=other, label="办事进度")

    html = client.get(START_URL).content.decode()

    assert "您以什么身份办事？" in html
    assert "您想查询什么？" in html


def test_an_answer_leads_to_the_next_question_and_shows_the_answers_so_far(client, tree):
    html = client.get(url(tree["person"])).content.decode()

    assert "您遇到了什么事？" in html
    assert "选择最接近的一项" in html
    assert "您以什么身份办事？：<strong>个人</strong>" in html
    assert f'href="{href(tree["person"], tree["restaurant"])}">我要开饭店</a>' in html
    assert f'href="{START_URL}">返回上一步' in html


def test_an_answer_given_can_be_changed_from_later_steps(client, tree):
    html = client.get(url(tree["person"], tree["restaurant"])).content.decode()

    assert "属于哪种情形？" in html
    assert f'href="{href(tree["person"])}">修改' in html  # back to "what happened"
    assert f'href="{href(tree["person"])}">返回上一步' in html


def test_the_end_of_the_path_recommends_the_published_matters_with_the_conclusion(client, tree):
    html = client.get(url(tree["person"], tree["restaurant"], tree["small"])).content.decode()

    assert "开饭店需先办理营业执照，再申请食品经营许可。" in html
    assert f'href="{tree["licence"].get_absolute_url()}">食品经营许可证核发</a>' in html
    assert f'href="{tree["business"].get_absolute_url()}">个体工商户设立登记</a>' in html
    assert "尚未发布的事项" not in html


def test_the_end_combines_the_materials_of_all_recommended_matters_once_by_name(client, tree):
    html = client.get(url(tree["person"], tree["restaurant"], tree["small"])).content.decode()
    table = html[html.index('id="combined-caption"') : html.index("</table>")]

    assert table.count('<th scope="row">经营者身份证件</th>') == 1
    row = table[table.index("经营者身份证件") : table.index("</tr>", table.index("经营者身份证件"))]
    assert "食品经营许可证核发" in row and "个体工商户设立登记" in row
    assert "食品经营许可申请书" in table and "经营场所证明" in table


def test_an_answer_that_does_not_fit_the_path_is_dropped_with_a_notice(client, tree):
    # "小餐饮店" answers the third question, not the second.
    html = client.get(url(tree["person"], tree["small"])).content.decode()

    assert "部分选择已失效" in html
    assert "您遇到了什么事？" in html


def test_garbage_in_the_url_falls_back_to_the_start(client, tree):
    response = client.get(START_URL, {"a": ["abc"]})

    assert response.status_code == 200
    assert "部分选择已失效" in response.content.decode()
    assert "您以什么身份办事？" in response.content.decode()


def test_a_loop_in_the_configured_questions_cannot_make_the_path_endless(client, tree):
    loop = GuideOption.objects.create(question=tree["what"], label="再问一次", next_question=tree["what"])

    response = client.get(url(tree["person"], *[loop] * 50))

    assert response.status_code == 200
    assert "部分选择已失效" in response.content.decode()


def test_the_guidance_end_runs_the_same_number_of_queries_for_few_or_many_matters(client, tree):
    end = url(tree["person"], tree["restaurant"], tree["small"])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(end).status_code == 200
        return len(queries)

    small = count_queries()
    for matter in factories.MatterFactory.create_batch(20):
        tree["small"].matters.add(matter)
        factories.MaterialRequirementFactory(matter=matter, name=f"{matter.name}申请表")
    large = count_queries()

    assert small == large
