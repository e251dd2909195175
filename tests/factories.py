"""factory_boy factories shared by every test module."""

import factory
from django.contrib.auth.models import Group

from matters import codes
from matters.models import (
    Department,
    DepartmentMembership,
    MaterialRequirement,
    Matter,
    MatterRelation,
    MatterStep,
    Region,
    Tag,
    Theme,
)
from portal.models import CATALOGUE_EDITORS_GROUP, DEPARTMENT_STAFF_GROUP, SUPERVISORS_GROUP, User
from portal.validators import id_number_check_char, uscc_check_char

PASSWORD = "Test@2026pass"


def make_uscc(serial: int, prefix: str = "11442000") -> str:
    """A well-formed USCC: registration authority 1 (机构编制), category 1 (机关), Zhongshan."""
    first17 = f"{prefix}{serial:09d}"
    return first17 + uscc_check_char(first17)


def make_id_number(birth: str = "19900101", serial: int = 123, region: str = "442000") -> str:
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_number_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    real_name = "张三"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])
        if create:
            self.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "442000000000"
    name = "中山市"
    kind = Region.Kind.CITY


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"中山市测试局{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    region = factory.SubFactory(RegionFactory)
    phone = "0760-88880000"


def _add_group(user, name: str) -> None:
    user.groups.add(Group.objects.get_or_create(name=name)[0])
    user.__dict__.pop("group_names", None)


class StaffFactory(UserFactory):
    """A staff member of a department (pass ``department=``, optionally ``department__role=``)."""

    is_staff = True

    @factory.post_generation
    def department(self, create, extracted, **kwargs):
        if create:
            _add_group(self, DEPARTMENT_STAFF_GROUP)
        if create and extracted:
            role = kwargs.get("role", DepartmentMembership.Role.CLERK)
            DepartmentMembership.objects.create(user=self, department=extracted, role=role)


class SupervisorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def supervisor_group(self, create, extracted, **kwargs):
        if create:
            _add_group(self, SUPERVISORS_GROUP)


class CatalogueEditorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def editor_group(self, create, extracted, **kwargs):
        if create:
            _add_group(self, CATALOGUE_EDITORS_GROUP)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"主题{n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")
    audience = Theme.Audience.CITIZEN


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"标签{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class MatterFactory(factory.django.DjangoModelFactory):
    """A published promised-case licence that passes every catalogue consistency rule."""

    class Meta:
        model = Matter

    department = factory.SubFactory(DepartmentFactory)
    region = factory.SelfAttribute("department.region")
    basic_code = factory.Sequence(lambda n: f"44{n:010d}")
    level = codes.Level.CITY
    implementation_code = factory.LazyAttribute(
        lambda m: codes.build_implementation_code(m.department.uscc, m.level, m.basic_code)
    )
    name = factory.Sequence(lambda n: f"测试事项{n}")
    matter_type = codes.MatterType.LICENSING
    audience = codes.Audience.CITIZEN
    service_objects = factory.LazyFunction(lambda: ["1"])
    handling_forms = factory.LazyFunction(lambda: ["1", "2"])
    legal_basis = "《中华人民共和国行政许可法》"
    acceptance_conditions = "申请人符合法定条件。"
    legal_limit_days = 20
    promised_limit_days = 10
    case_type = codes.CaseType.PROMISED
    review_type = codes.ReviewType.REVIEW_THEN_APPROVE
    handling_place = "中山市行政服务中心（中山市东区松苑路1号）"
    handling_hours = "工作日 8:30-12:00，14:30-17:30"
    consultation_phone = "0760-12345678"
    supervision_phone = "0760-12345679"
    onsite_visits = 0
    online_depth = codes.OnlineDepth.FULL
    online_apply = True
    status = codes.Status.PUBLISHED


class MatterStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatterStep

    matter = factory.SubFactory(MatterFactory)
    sort_order = factory.Sequence(lambda n: n + 1)
    name = "受理"
    duration_days = 1


class MaterialRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialRequirement

    matter = factory.SubFactory(MatterFactory)
    sort_order = factory.Sequence(lambda n: n + 1)
    name = "申请人身份证明"
    copies = 1


class MatterRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatterRelation

    matter = factory.SubFactory(MatterFactory)
    related = factory.SubFactory(MatterFactory)
    kind = codes.RelationKind.RELATED
