"""实名核验: the service asks the population database once, keeps result and time, and reuses the
answer within IDENTITY_CHECK_VALID_DAYS (counted on the sandbox's side)."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError

from integrations.identity import selectors, services
from integrations.identity.models import RealNameCheck
from integrations.sandbox import framework
from integrations.sandbox import identity as sandbox
from tests import factories

from .conftest import DECEASED, UNKNOWN_ID, ZHANG

PERSON = sandbox.SandboxIdentityQuery.Kind.PERSON


@pytest.fixture
def user(db):
    return factories.UserFactory(username="zhang", real_name="")


def test_a_match_is_kept_with_its_time_and_source_and_names_the_account(identity, user):
    check, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and check.result == RealNameCheck.Result.MATCHED
    assert check.source == "sandbox" and check.checked_at is not None and check.reference
    user.refresh_from_db()
    assert user.real_name == ZHANG[0]
    status = selectors.real_name_status(user)
    assert status.verified and not status.expired and status.verified_at == check.checked_at


def test_no_second_question_within_the_validity_period(identity, user):
    first, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    again, asked_again = services.check_real_name(user=user, name=f" {ZHANG[0]} ", id_number=ZHANG[1].lower())
    assert asked and not asked_again and again.pk == first.pk
    assert sandbox.queries(PERSON) == 1
    assert RealNameCheck.objects.count() == 1


def test_the_population_database_is_asked_again_after_the_validity_period(identity, user, settings):
    settings.IDENTITY_CHECK_VALID_DAYS = 30
    first, _ = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    RealNameCheck.objects.filter(pk=first.pk).update(
        checked_at=first.checked_at - datetime.timedelta(days=30, seconds=1)
    )
    assert selectors.real_name_status(user).expired
    second, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and second.pk != first.pk
    assert sandbox.queries(PERSON) == 2
    assert not selectors.real_name_status(user).expired


def test_a_validity_of_zero_days_always_asks(identity, user, settings):
    settings.IDENTITY_CHECK_VALID_DAYS = 0
    services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert sandbox.queries(PERSON) == 2


def test_negative_answers_are_kept_and_reused_too(identity, user):
    for name, number, result in (
        ("张叁", ZHANG[1], "mismatched"),
        ("某某", UNKNOWN_ID, "not_found"),
        (*DECEASED, "deceased"),
    ):
        check, asked = services.check_real_name(user=user, name=name, id_number=number)
        assert (check.result, asked) == (result, True)
        assert services.check_real_name(user=user, name=name, id_number=number)[1] is False
    assert sandbox.queries(PERSON) == 3
    assert not selectors.real_name_status(user).verified


def test_another_name_with_the_same_number_is_a_new_question(identity, user):
    services.check_real_name(user=user, name="张叁", id_number=ZHANG[1])
    check, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and check.result == "matched"


def test_a_peer_that_is_down_gives_unavailable_and_is_asked_again_next_time(identity, user):
    framework.configure("identity", fail_rate=1)
    check, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and check.result == RealNameCheck.Result.UNAVAILABLE
    framework.configure("identity", fail_rate=0)
    check, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and check.result == "matched"
    assert sandbox.queries(PERSON) == 1  # the failed ones did nothing on the peer


def test_a_refused_connection_gives_unavailable(peer_down, user):
    check, asked = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    assert asked and check.result == "unavailable"


def test_the_number_is_stored_as_a_keyed_digest_and_a_mask_only(identity, user):
    check, _ = services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    row = RealNameCheck.objects.filter(pk=check.pk).values().get()
    assert not any(ZHANG[1] in str(value) for value in row.values())
    assert row["id_number_masked"] == ZHANG[1][:6] + "********" + ZHANG[1][-4:]
    # Keyed: a plain SHA-256 of the number (which anyone could brute-force) is not what is stored.
    assert row["id_number_hash"] != hashlib.sha256(ZHANG[1].encode()).hexdigest()


def test_the_digest_key_is_configurable(identity, settings):
    from integrations.identity.hashing import id_number_hash

    before = id_number_hash(ZHANG[1])
    settings.IDENTITY_HASH_KEY = "another key"
    assert id_number_hash(ZHANG[1]) != before


@pytest.mark.parametrize(
    ("name", "number", "field", "message"),
    [
        ("", ZHANG[1], "name", "请填写姓名。"),
        ("张三", "", "id_number", "请填写身份证号码。"),
        ("张三", "44200019900101123", "id_number", "身份证号码应为18位，当前为17位。"),
        (
            "张三",
            ZHANG[1][:-1] + ("0" if ZHANG[1][-1] != "0" else "1"),
            "id_number",
            "身份证号码校验位不正确",
        ),
        ("张" * 51, ZHANG[1], "name", "姓名不能超过50个字。"),
    ],
)
def test_malformed_input_gets_chinese_field_errors_and_asks_nobody(
    identity, user, name, number, field, message
):
    with pytest.raises(ValidationError) as caught:
        services.check_real_name(user=user, name=name, id_number=number)
    assert message in " ".join(caught.value.message_dict[field])
    assert sandbox.queries() == 0 and not RealNameCheck.objects.exists()


def test_a_number_verified_by_another_account_is_refused(identity, user):
    services.check_real_name(user=user, name=ZHANG[0], id_number=ZHANG[1])
    other = factories.UserFactory(username="other")
    with pytest.raises(services.RealNameRefused) as caught:
        services.check_real_name(user=other, name=ZHANG[0], id_number=ZHANG[1])
    assert caught.value.code == "id_number_taken"
    assert sandbox.queries(PERSON) == 1


def test_questions_per_day_are_limited(identity, user, settings):
    settings.IDENTITY_CHECK_DAILY_LIMIT = 2
    services.check_real_name(user=user, name="甲", id_number=ZHANG[1])
    services.check_real_name(user=user, name="乙", id_number=ZHANG[1])
    with pytest.raises(services.RealNameRefused) as caught:
        services.check_real_name(user=user, name="丙", id_number=ZHANG[1])
    assert caught.value.code == "too_many_checks" and "2次" in caught.value.message
    # A reused answer is not a question: still fine.
    assert services.check_real_name(user=user, name="甲", id_number=ZHANG[1])[1] is False
    assert sandbox.queries(PERSON) == 2
