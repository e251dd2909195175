"""seed_demo's cases (applications.demo): a working hall on first run, written through the services."""

import datetime
import itertools
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from applications import demo, forms_engine, serials, services
from applications.admin_filters import due_soon_q, overdue_q
from applications.models import Case, Document, IssuedDocument, Origin, ProcessRecord, State
from enterprises.models import Enterprise
from integrations.models import OutboxMessage
from matters import demo as catalogue
from matters.forms_spec import FormSpec, load_forms_file
from matters.management.commands.seed_demo import ensure_demo_accounts
from matters.models import Department, DepartmentMembership, Matter
from portal.models import DEPARTMENT_STAFF_GROUP, Notification, User
from portal.validators import validate_id_number, validate_mobile, validate_uscc

pytestmark = pytest.mark.django_db

Role = DepartmentMembership.Role
# A demo matter run here in "trust online, review later" mode (the demo catalogue has none yet).
TRUST_ONLINE_MATTER = "高龄津贴发放"
COUNTED = (Case, ProcessRecord, OutboxMessage, Notification, IssuedDocument, Document, User, Enterprise)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-cases")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, media):
    """The demo catalogue, forms, accounts and cases, written once for this module and rolled back after it.

    Returns what ``seed_demo`` printed for the cases.
    """
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media / "media", PRIVATE_MEDIA_ROOT=media / "private", PASSWORD_HASHERS=fast
        ),
        transaction.atomic(),
    ):
        catalogue.load_demo(reindex_search=False)
        load_forms_file(catalogue.DEMO_ROOT / "forms.yaml")
        ensure_demo_accounts()
        Matter.objects.filter(name=TRUST_ONLINE_MATTER).update(trust_online_review=True)
        out = StringIO()
        apps.get_app_config("applications").seed_demo(out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _seeded_files(settings, media):
    """The files the seeding stored stay readable in every test of this module."""
    settings.MEDIA_ROOT = media / "media"
    settings.PRIVATE_MEDIA_ROOT = media / "private"


def demo_cases():
    return Case.objects.filter(external_id__startswith=demo.EXTERNAL_PREFIX)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


# --- What the hall looks like -------------------------------------------------------------


def test_about_three_hundred_demo_cases_are_written(seeded):
    assert demo_cases().count() == demo.CASE_COUNT == 300
    assert "Demo cases: 300 new" in seeded


def test_every_state_of_the_workflow_is_reached(seeded):
    assert set(demo_cases().values_list("state", flat=True)) == set(State.values)


def test_both_decisions_are_there_among_decided_cases(seeded):
    decided = set(demo_cases().filter(state=State.DECIDED).values_list("decision", flat=True))
    assert decided == {"approved", "denied"}


def test_every_channel_sub_channel_and_origin_appears(seeded):
    cases = demo_cases().exclude(state=State.DRAFT)
    assert set(cases.values_list("channel", flat=True)) == {"1", "2", "3", "4"}
    mobile = set(cases.filter(channel="3").values_list("sub_channel", flat=True))
    assert {"1", "2", "3", "4"} <= mobile  # app, mobile web, WeChat, Alipay
    assert set(cases.values_list("origin", flat=True)) == set(Origin.values)


def test_window_cases_are_registered_by_a_clerk_of_the_department(seeded):
    for case in demo_cases().filter(origin=Origin.WINDOW, channel="1").select_related("department")[:20]:
        submit = case.records.get(sequence=1)
        assert submit.action == "submit"
        assert DepartmentMembership.objects.filter(
            user=submit.actor, department=case.department, role=Role.CLERK
        ).exists()


def test_every_department_of_the_demo_has_cases(seeded):
    departments = set(Matter.objects.values_list("department_id", flat=True))
    assert set(demo_cases().values_list("department_id", flat=True)) == departments
    assert len(departments) >= 25


def test_everyday_matters_have_more_cases_than_rare_ones(seeded):
    per_matter = Counter(demo_cases().values_list("matter__popularity", flat=True))
    popular = sum(n for popularity, n in per_matter.items() if popularity >= 700)
    rare = sum(n for popularity, n in per_matter.items() if popularity < 200)
    assert popular > rare


def test_demo_citizen_follows_cases_in_at_least_five_states(seeded):
    states = set(demo_cases().filter(applicant__username="demo-citizen").values_list("state", flat=True))
    assert len(states) >= 5
    assert {State.DRAFT, State.CORRECTION_REQUESTED, State.DELIVERED} <= states


def test_demo_enterprise_applies_in_the_name_of_the_demo_enterprise(seeded):
    enterprise = Enterprise.objects.get(memberships__user__username="demo-enterprise")
    cases = demo_cases().filter(applicant__username="demo-enterprise").select_related("submission")
    assert cases.count() >= 5
    for case in cases:
        assert case.submission.applicant_type == "2"
        assert case.submission.org_code == enterprise.uscc
        assert case.submission.org_name == enterprise.name
        assert case.submission.contact_name == "黄晓婷"


def test_serial_numbers_are_well_formed_and_consecutive_per_matter_and_day(seeded):
    sequences = defaultdict(list)
    for serial in demo_cases().exclude(serial=None).values_list("serial", flat=True):
        parsed = serials.parse_serial(serial)
        sequences[(parsed.implementation_code, parsed.day)].append(parsed.sequence)
    assert sum(len(v) for v in sequences.values()) == demo_cases().exclude(state=State.DRAFT).count()
    for key, numbers in sequences.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), key


def test_drafts_have_no_serial_number(seeded):
    assert not demo_cases().filter(state=State.DRAFT).exclude(serial=None).exists()


def test_cases_are_dated_over_the_last_ninety_days_and_never_in_the_future(seeded):
    now = timezone.now()
    submitted = demo_cases().exclude(submitted_at=None).values_list("submitted_at", flat=True)
    assert min(submitted) >= now - datetime.timedelta(days=96)
    assert max(submitted) <= now
    assert min(submitted) <= now - datetime.timedelta(days=60)  # spread, not all recent
    assert not ProcessRecord.objects.filter(created_at__gt=now).exists()


def test_each_timeline_is_in_order_and_ends_at_the_current_record(seeded):
    for case in demo_cases().exclude(state=State.DRAFT).prefetch_related("records"):
        records = list(case.records.all())
        assert [r.sequence for r in records] == list(range(1, len(records) + 1))
        assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(records))
        assert case.current_record_id == records[-1].pk
        assert records[-1].to_state == case.state
        assert case.submitted_at == records[0].created_at


def test_staff_act_in_office_hours_on_working_days(seeded):
    from portal import workdays

    staff_records = ProcessRecord.objects.filter(
        case__in=demo_cases(), actor_department__isnull=False
    ).exclude(action="submit")
    for record in staff_records:
        local = timezone.localtime(record.created_at)
        assert workdays.is_workday(local.date()), record
        assert datetime.time(8, 30) <= local.time() <= datetime.time(18, 30), record


def test_some_cases_are_overdue_and_some_due_soon(seeded):
    today = timezone.localdate()
    limits = list(Matter.objects.values_list("promised_limit_days", flat=True).distinct())
    assert demo_cases().filter(overdue_q(today)).count() >= 2
    assert demo_cases().filter(due_soon_q(today, limits)).count() >= 2


def test_one_case_was_extended_and_one_deemed_accepted(seeded):
    extended = demo_cases().filter(extended_days__gt=0)
    assert extended.exists()
    assert ProcessRecord.objects.filter(case__in=extended, action="extend").exists()
    deemed = demo_cases().filter(deemed_accepted=True).first()
    assert deemed is not None
    assert deemed.accepted_at == deemed.submitted_at
    assert deemed.records.get(action="accept").actor is None  # the system, by law


def test_a_special_procedure_stopped_the_clock(seeded):
    assert demo_cases().filter(state=State.SPECIAL_PROCEDURE, clock_stopped_at__isnull=False).exists()
    ended = ProcessRecord.objects.filter(case__in=demo_cases(), action="end_special_procedure")
    assert ended.exists()


def test_trust_online_matters_are_accepted_on_submission(seeded):
    cases = demo_cases().filter(matter__name=TRUST_ONLINE_MATTER).exclude(state=State.DRAFT)
    assert cases.count() >= 2
    for case in cases:
        accept = case.records.get(action="accept")
        assert accept.details.get("trust_online") is True
        assert accept.created_at == case.submitted_at


def test_immediate_cases_are_completed_straight_from_acceptance(seeded):
    immediate = ProcessRecord.objects.filter(case__in=demo_cases(), action="complete_immediately")
    assert immediate.count() >= 10


def test_corrections_were_asked_for_once_and_some_supplied(seeded):
    assert demo_cases().filter(state=State.CORRECTION_REQUESTED).exists()
    supplied = demo_cases().filter(records__action="supply_correction")
    assert supplied.exists()
    assert not demo_cases().filter(correction_count__gt=1).exists()


def test_online_applications_were_complete_when_submitted(seeded):
    # A correction notice returns the materials it names to the applicant: those cases are
    # incomplete again until the applicant uploads them (and then complete, checked below).
    online = (
        demo_cases()
        .filter(origin__in=[Origin.PORTAL, Origin.API])
        .exclude(state=State.DRAFT)
        .exclude(state=State.CORRECTION_REQUESTED)
        .exclude(state__in=[State.REJECTED, State.WITHDRAWN], correction_count__gt=0)
    )
    assert online.count() >= 100
    for case in online.select_related("submission", "matter")[:40]:
        # Answers like "planned start: today or later" are checked on the day of submission.
        with demo.Clock(case.submitted_at).running():
            assert services.completeness_problems(case) == [], case.external_id
    uploads = Document.objects.filter(owner__cases__in=online, kind=Document.Kind.UPLOAD).distinct()
    assert {"application/pdf", "image/jpeg"} <= set(uploads.values_list("content_type", flat=True))


def test_approved_completions_carry_their_result_document(seeded):
    completions = ProcessRecord.objects.filter(
        case__in=demo_cases(), action__in=["complete", "complete_immediately"], details__decision="approved"
    ).select_related("case__matter")
    assert completions.exists()
    for record in completions:
        if record.case.matter.result_name:
            assert Document.objects.filter(
                pk=record.details["result_document"], kind=Document.Kind.RESULT
            ).exists()


def test_every_step_wrote_its_message_for_the_provincial_exchange(seeded):
    records = ProcessRecord.objects.filter(case__in=demo_cases())
    keys = {f"case-{case_id}-record-{seq}" for case_id, seq in records.values_list("case_id", "sequence")}
    assert OutboxMessage.objects.filter(idempotency_key__in=keys).count() == len(keys)


def test_applicants_find_their_notices_sent_and_the_old_ones_read(seeded):
    citizen = User.objects.get(username="demo-citizen")
    inbox = Notification.objects.filter(user=citizen)
    assert inbox.count() >= 10
    assert inbox.filter(read_at__isnull=True).exists()
    assert inbox.filter(read_at__isnull=False).exists()
    assert not Notification.objects.filter(sms_sent_at__isnull=True).exclude(sms_text="").exists()


def test_no_pdf_is_rendered_while_seeding(seeded):
    issued = IssuedDocument.objects.filter(case__in=demo_cases())
    assert issued.filter(kind=IssuedDocument.Kind.RECEIPT).count() >= 150
    assert not issued.exclude(file="").exists()


def test_the_first_download_of_a_demo_notice_renders_it(seeded, client):
    issued = IssuedDocument.objects.filter(
        case__applicant__username="demo-citizen", kind=IssuedDocument.Kind.RECEIPT
    ).first()
    client.force_login(User.objects.get(username="demo-citizen"))
    response = client.get(reverse("applications:issued_download", args=[issued.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# --- People ------------------------------------------------------------------------------------


def test_demo_residents_have_valid_id_numbers_and_mobiles(seeded):
    numbers = set()
    for id_number, mobile in (
        demo_cases()
        .exclude(submission__applicant_id_number="")
        .values_list("submission__applicant_id_number", "submission__contact_mobile")
    ):
        validate_id_number(id_number)
        validate_mobile(mobile)
        numbers.add(id_number)
    assert len(numbers) >= 30


def test_the_demo_enterprises_have_valid_credit_codes(seeded):
    for uscc in demo_cases().exclude(submission__org_code="").values_list("submission__org_code", flat=True):
        validate_uscc(uscc)


def test_every_department_has_a_clerk_a_reviewer_and_an_approver(seeded):
    for department in Department.objects.filter(matters__isnull=False).distinct():
        roles = set(DepartmentMembership.objects.filter(department=department).values_list("role", flat=True))
        assert {Role.CLERK, Role.REVIEWER, Role.APPROVER} <= roles, department.name


def test_the_market_regulation_bureau_has_demo_clerk_and_approver_beside_demo_staff(seeded):
    department = DepartmentMembership.objects.get(user__username="demo-staff", role=Role.REVIEWER).department
    for username, role in (("demo-clerk", Role.CLERK), ("demo-approver", Role.APPROVER)):
        user = User.objects.get(username=username)
        assert user.is_staff and user.real_name
        assert user.groups.filter(name=DEPARTMENT_STAFF_GROUP).exists()
        assert DepartmentMembership.objects.filter(user=user, department=department, role=role).exists()
    assert ProcessRecord.objects.filter(actor__username="demo-staff", case__in=demo_cases()).exists()


def test_the_answers_to_every_demo_form_pass_the_form_engine(seeded):
    person = demo.Person(
        "陈志华", demo.id_number("19850312", "442000", "M", 0), "13907600001", "chenzhihua01"
    )
    for spec in FormSpec.objects.select_related("matter"):
        answers = demo.FormAnswers(demo.seeded("test"), person, None, timezone.localdate()).for_matter(
            spec.matter
        )
        assert answers, spec.matter.name
        assert forms_engine.validate_data(spec.matter, answers)[1] == {}, spec.matter.name


# --- Running it again ------------------------------------------------------------------------


def test_running_the_seeding_twice_changes_nothing(seeded):
    before = counts()
    result = demo.seed_cases()
    assert result.created == 0
    assert counts() == before


def test_a_larger_count_adds_only_the_missing_cases(seeded):
    before = demo_cases().count()
    result = demo.seed_cases(count=demo.CASE_COUNT + 3)
    assert result.created == 3
    assert demo_cases().count() == before + 3
    assert demo_cases().filter(external_id=f"{demo.EXTERNAL_PREFIX}{demo.CASE_COUNT + 3:03d}").exists()


def test_a_failing_step_writes_nothing(seeded, monkeypatch):
    before = counts()
    calls = []

    def fail_on_the_third_step(self, plan, step):
        calls.append(step.name)
        if len(calls) == 3:
            raise services.TransitionNotAllowed("refused for the test")
        return original(self, plan, step)

    original = demo.Runner.step
    monkeypatch.setattr(demo.Runner, "step", fail_on_the_third_step)
    with pytest.raises(demo.DemoCasesError):
        demo.seed_cases(count=demo.CASE_COUNT + 2)
    assert counts() == before


def test_a_hall_without_demo_cases_can_be_asked_for(seeded, settings):
    settings.DEMO_CASE_COUNT = 0
    before = counts()
    out = StringIO()
    apps.get_app_config("applications").seed_demo(out)
    assert out.getvalue() == ""
    assert counts() == before
