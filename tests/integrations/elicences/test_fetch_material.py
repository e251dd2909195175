"""从电子证照库调取, end to end through the apply pages: the licence is found, verified, kept in
the applicant's 资料库 and attached; refusals are shown in Chinese next to the material."""

import pytest
from django.urls import reverse

from applications import materials
from applications.models import Document, State, SubmissionMaterial
from integrations.elicences.models import HolderCodeType, LicenceDocument, LicenceStatus
from integrations.sandbox import framework
from matters.models import MaterialRequirement
from tests import factories

from .conftest import ID_CARD, PERSON, put_licence

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def id_card(matter):
    return factories.MaterialRequirementFactory(
        matter=matter,
        name="申请人身份证明",
        source=MaterialRequirement.Source.ELICENCE,
        licence_type_code=ID_CARD,
        medium=MaterialRequirement.Medium.ELECTRONIC,
    )


@pytest.fixture
def draft(build, id_card):
    return build.draft()


def materials_url(case):
    return reverse(
        "applications:apply_materials", args=[case.matter.implementation_code, case.submission.public_id]
    )


def fetch_url(case, requirement):
    return reverse("elicences:fetch_material", args=[case.submission.public_id, requirement.pk])


def person_licence(**kwargs):
    return put_licence(
        holder=PERSON,
        type_code=ID_CARD,
        type_name="居民身份证",
        number=PERSON[1],
        code_type=HolderCodeType.ID_CARD,
        **kwargs,
    )


def test_the_applicant_fetches_the_licence_as_the_material(client, sandbox_url, people, draft, id_card):
    licence = person_licence(trust_level="A")
    client.force_login(people["citizen"])
    page = client.get(materials_url(draft))
    assert "从电子证照库调取" in page.content.decode()

    answer = client.post(fetch_url(draft, id_card), {"next": materials_url(draft)}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "电子证照 · 可信等级A" in html and PERSON[1] in html

    material = SubmissionMaterial.objects.get(submission=draft.submission, requirement=id_card)
    assert material.document.kind == Document.Kind.ELICENCE
    assert PERSON[1] in material.note and "可信等级 A" in material.note
    info = LicenceDocument.objects.get(document=material.document)
    assert (info.licence_number, info.identifier, info.trust_level) == (PERSON[1], licence.identifier, "A")
    assert info.origin == LicenceDocument.Origin.FETCHED and info.verified_at is not None
    assert material.document in materials.library(people["citizen"])
    library = client.get(reverse("applications:documents")).content.decode()
    assert "电子证照 · 可信等级A" in library

    review = client.get(
        reverse(
            "applications:apply_review", args=[draft.matter.implementation_code, draft.submission.public_id]
        )
    )
    assert "缺少必要材料《申请人身份证明》" not in review.content.decode()
    submitted = client.post(
        reverse(
            "applications:apply_submit", args=[draft.matter.implementation_code, draft.submission.public_id]
        )
    )
    assert submitted.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED

    # The department's staff see on the case page where the material came from and its trust level.
    client.force_login(people["clerk"])
    staff_page = client.get(reverse("admin:applications_case_change", args=[draft.pk])).content.decode()
    assert "电子证照 · 可信等级A" in staff_page and PERSON[1] in staff_page


def test_without_htmx_the_applicant_is_sent_back_to_the_page(client, sandbox_url, people, draft, id_card):
    person_licence()
    client.force_login(people["citizen"])
    answer = client.post(fetch_url(draft, id_card), {"next": materials_url(draft)})
    assert answer.status_code == 302 and answer.url == materials_url(draft)
    assert SubmissionMaterial.objects.filter(submission=draft.submission, requirement=id_card).exists()


def _error_next_to_material(client, draft, id_card) -> str:
    answer = client.post(fetch_url(draft, id_card), {"next": materials_url(draft)}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    start = html.index(f'id="material-{id_card.pk}"')
    block = html[start : html.index("</article>", start)]
    assert 'role="alert"' in block
    assert not SubmissionMaterial.objects.filter(submission=draft.submission, requirement=id_card).exists()
    return block


def test_no_licence_in_the_library_is_said_next_to_the_material(client, sandbox_url, people, draft, id_card):
    client.force_login(people["citizen"])
    block = _error_next_to_material(client, draft, id_card)
    assert "电子证照库中未找到您的《申请人身份证明》" in block


def test_a_revoked_licence_is_refused(client, sandbox_url, people, draft, id_card):
    person_licence(status=LicenceStatus.REVOKED)
    client.force_login(people["citizen"])
    assert "已被吊销或撤销" in _error_next_to_material(client, draft, id_card)


def test_an_expired_licence_is_refused(client, sandbox_url, people, draft, id_card):
    import datetime

    from django.utils import timezone

    person_licence(valid_until=timezone.localdate() - datetime.timedelta(days=3))
    client.force_login(people["citizen"])
    assert "已过有效期" in _error_next_to_material(client, draft, id_card)


def test_a_platform_that_is_down_is_said_and_the_page_still_works(
    client, sandbox_url, people, draft, id_card
):
    person_licence()
    framework.configure("elicences", fail_rate=1)
    client.force_login(people["citizen"])
    assert "电子证照库暂时无法访问" in _error_next_to_material(client, draft, id_card)


def test_another_user_cannot_fetch_into_someone_elses_application(
    client, sandbox_url, people, draft, id_card
):
    person_licence()
    client.force_login(people["other"])
    assert client.post(fetch_url(draft, id_card)).status_code == 404


def test_a_material_that_is_not_an_e_licence_cannot_be_fetched(client, sandbox_url, people, draft, matter):
    plain = factories.MaterialRequirementFactory(matter=matter, name="经营场所证明")
    client.force_login(people["citizen"])
    answer = client.post(fetch_url(draft, plain), HTTP_HX_REQUEST="true")
    assert "不支持从电子证照库调取" in answer.content.decode()
