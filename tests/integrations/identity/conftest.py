"""The identity sandbox on a live server, with a few people and enterprises in its registers."""

import pytest

from integrations.sandbox import framework
from integrations.sandbox import identity as sandbox
from tests import factories

ZHANG = ("张三", factories.make_id_number("19900101", 123))
LI = ("李四", factories.make_id_number("19851231", 456))
DECEASED = ("王五", factories.make_id_number("19300101", 789))
UNKNOWN_ID = factories.make_id_number("20000101", 321)
ACTIVE = (factories.make_uscc(7, "91442000"), "中山市测试科技有限公司", "赵六", "存续")
REVOKED = (factories.make_uscc(8, "91442000"), "中山市旧厂有限公司", "钱七", "吊销")
CANCELLED = (factories.make_uscc(9, "91442000"), "中山市歇业有限公司", "孙八", "注销")
UNKNOWN_USCC = factories.make_uscc(10, "91442000")


@pytest.fixture
def identity(live_server, settings, sandbox_quiet):
    """The sandbox's base URL, the client configured to use it, registers filled."""
    framework.reset("identity")
    base = f"{live_server.url}/sandbox/identity/"
    settings.IDENTITY_URL = base
    settings.IDENTITY_READ_TIMEOUT = 2.0
    settings.IDENTITY_CHECK_VALID_DAYS = 90
    settings.IDENTITY_CHECK_DAILY_LIMIT = 5
    sandbox.add_person(*ZHANG)
    sandbox.add_person(*LI)
    sandbox.add_person(*DECEASED, alive=False)
    for uscc, name, legal, status in (ACTIVE, REVOKED, CANCELLED):
        sandbox.add_enterprise(uscc, name, legal, status)
    yield base
    framework.wait_quiet()
    framework.reset("identity")


@pytest.fixture
def peer_down(settings):
    """Nothing listens there: every call is refused."""
    settings.IDENTITY_URL = "http://127.0.0.1:9/"
    settings.IDENTITY_CONNECT_TIMEOUT = 1.0
