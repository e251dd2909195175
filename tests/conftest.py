import pytest
from django.db import connection

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rolled-back rows must not survive in a process cache between tests."""
    from django.core.cache import cache

    from matters import search
    from portal import workdays

    cache.clear()
    workdays._exceptions_for.cache_clear()
    workdays._local_version[:] = [0, 0.0]
    search.clear_synonym_cache()
    yield


@pytest.fixture(autouse=True)
def _publisher_not_paused():
    """A test that stopped the broker must not leave the next test's tasks unpublished."""
    from portal import publishing

    yield
    publishing.publisher.forget_broker_failure()


@pytest.fixture(autouse=True)
def _default_language():
    """A test that requests an English page must not leave English active for the next one."""
    yield
    from django.utils import translation

    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded and issued files of a test never land in the project folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def department(db):
    return factories.DepartmentFactory(name="中山市市场监督管理局")


@pytest.fixture
def other_department(db):
    return factories.DepartmentFactory(name="中山市公安局")


@pytest.fixture
def staff(department):
    return factories.StaffFactory(username="staff", department=department)


@pytest.fixture
def other_staff(other_department):
    return factories.StaffFactory(username="other-staff", department=other_department)


@pytest.fixture
def supervisor(db):
    return factories.SupervisorFactory(username="supervisor")


@pytest.fixture
def citizen(db):
    return factories.UserFactory(username="citizen", real_name="李四")


@pytest.fixture
def matter(department):
    return factories.MatterFactory(department=department, name="食品经营许可证核发")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` run only when the database is PostgreSQL (CI)."""
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip)
