"""Enterprises and the people who act for them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from enterprises.models import Enterprise, EnterpriseMembership
from portal.validators import uscc_check_char
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USCC = "91442000MA52K7R32U"


def enterprise(**fields) -> Enterprise:
    values = {"name": "中山市粤中智造科技有限公司", "uscc": USCC, "legal_representative": "林志强"}
    return Enterprise(**{**values, **fields})


def test_an_enterprise_with_a_well_formed_uscc_is_valid():
    enterprise(region_code="442000003000").full_clean()


def test_a_wrong_check_character_is_refused_with_a_chinese_message():
    wrong = USCC[:17] + ("A" if USCC[17] != "A" else "B")

    with pytest.raises(ValidationError) as error:
        enterprise(uscc=wrong).full_clean()

    assert "校验位不正确" in str(error.value.message_dict["uscc"])


def test_a_lower_case_uscc_is_stored_upper_case():
    first17 = "91442000MA52K7R3" + "2"
    company = enterprise(uscc=(first17 + uscc_check_char(first17)).lower())

    company.full_clean()

    assert company.uscc == USCC


def test_a_region_code_has_12_digits():
    with pytest.raises(ValidationError) as error:
        enterprise(region_code="442000").full_clean()

    assert "region_code" in error.value.message_dict


def test_a_person_holds_a_role_in_an_enterprise_once():
    company = enterprise()
    company.save()
    agent = UserFactory()
    EnterpriseMembership.objects.create(user=agent, enterprise=company, role=EnterpriseMembership.Role.AGENT)

    with pytest.raises(IntegrityError):
        EnterpriseMembership.objects.create(
            user=agent, enterprise=company, role=EnterpriseMembership.Role.AGENT
        )


def test_members_are_listed_on_the_enterprise():
    company = enterprise()
    company.save()
    agent = UserFactory(real_name="黄晓婷")
    EnterpriseMembership.objects.create(user=agent, enterprise=company)

    assert list(company.members.all()) == [agent]
    assert str(company.memberships.get()) == "黄晓婷 · 中山市粤中智造科技有限公司 · 经办人"
