"""Catalogue and case pulls from the sandbox's feeds over real HTTP, and one full cycle."""

import pytest
from django.core.management import call_command

from applications.models import Case, Origin, State
from integrations.models import OutboxMessage
from integrations.provincial import services
from integrations.provincial.models import CatalogueChangeApplied, FeedCursor, ProvincialCase
from integrations.sandbox import framework
from integrations.sandbox import provincial as sandbox
from matters import codes
from matters.models import Matter
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def entry(department, basic="440000000101", **changes):
    code = codes.build_implementation_code(department.uscc, "3", basic)
    data = {
        "SXMC": "小餐饮经营许可",
        "JBBM": basic,
        "SXBM": code,
        "SXLX": "01",
        "XSCJ": "3",
        "SSJGTYSHXYDM": department.uscc,
        "XZQHDM": department.region.code[:6],
        "FWDX": "1,2",
        "BLXS": ["1", "2"],
        "SDYJ": "《广东省小餐饮管理条例》",
        "SLTJ": "有固定经营场所。",
        "FDBJSX": 20,
        "CNBJSX": 10,
        "BJLX": "2",
        "BLDD": "中山市行政服务中心",
        "BLSJ": "工作日 8:30-12:00",
        "ZXDH": "0760-12345678",
        "JDTSDH": "0760-12345679",
        "DBCS": 0,
        "WBSD": 4,
        "SFWSSB": "1",
    }
    data.update(changes)
    return data


def test_new_changed_and_withdrawn_matters_become_catalogue_versions(exchange, department):
    data = entry(department)
    sandbox.add_catalogue_change("upsert", data)
    result = services.pull_catalogue()
    assert (result.applied, result.failed, result.error) == (1, 0, "")
    matter = Matter.objects.get(implementation_code=data["SXBM"])
    assert matter.status == codes.Status.PUBLISHED and matter.name == "小餐饮经营许可"
    assert matter.audience == "both" and matter.handling_forms == ["1", "2"] and matter.online_apply
    sandbox.add_catalogue_change("upsert", {**data, "SXMC": "小餐饮经营许可（登记）", "CNBJSX": 5})
    sandbox.add_catalogue_change("withdraw", {"SXBM": data["SXBM"], "CXYY": "省目录调整"})
    assert services.pull_catalogue().applied == 2
    matter.refresh_from_db()
    assert matter.status == codes.Status.WITHDRAWN and matter.promised_limit_days == 5
    reasons = list(matter.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert len(reasons) == 4 and "撤销：省目录调整" in reasons[-1]  # created, published, changed, withdrawn
    assert (
        FeedCursor.objects.get(feed="catalogue").position
        == CatalogueChangeApplied.objects.latest("change_id").change_id
    )
    # Nothing new: nothing applied again.
    assert services.pull_catalogue().applied == 0 and matter.history.count() == 4


def test_entries_the_hall_cannot_apply_are_recorded_and_skipped(exchange, department):
    sandbox.add_catalogue_change("upsert", entry(department, SSJGTYSHXYDM=factories.make_uscc(999)))
    sandbox.add_catalogue_change("upsert", entry(department, basic="440000000102", ZXDH="0760-12345679"))
    sandbox.add_catalogue_change("upsert", entry(department, basic="440000000103"))
    result = services.pull_catalogue()
    assert (result.applied, result.skipped, result.failed) == (1, 1, 1)
    outcomes = dict(CatalogueChangeApplied.objects.values_list("outcome", "message"))
    assert "本地没有实施主体" in outcomes["skipped"]
    assert outcomes["failed"]  # consultation and supervision phones must differ (rule 7)
    assert Matter.objects.filter(basic_code="440000000103", status="published").exists()


def test_cases_of_the_provincial_hall_are_created_once_with_our_serial(exchange, matter):
    for n in (1, 2):
        sandbox.add_case(
            {
                "SBLSH": f"GD-2026-{n}",
                "SXBM": matter.implementation_code,
                "SQRLX": "1",
                "SQRMC": "王五",
                "SQRZJLX": "111",
                "SQRZJHM": factories.make_id_number(serial=200 + n),
                "LXRSJ": "13900139000",
                "TJFS": "3",
                "WSSBQD": "3",
                "BDSJ": {"shop": "王记"},
            }
        )
    sandbox.add_case({"SBLSH": "GD-2026-9", "SXBM": "0" * 31, "SQRMC": "赵六"})
    result = services.pull_cases()
    assert (result.applied, result.failed) == (2, 1)
    cases = list(Case.objects.filter(origin=Origin.PROVINCIAL).order_by("pk"))
    assert [c.external_id for c in cases] == ["GD-2026-1", "GD-2026-2"]
    assert all(c.state == State.SUBMITTED and c.serial.startswith(matter.implementation_code) for c in cases)
    assert cases[0].channel == "3" and cases[0].sub_channel == "3"
    assert cases[0].submission.form_data == {"shop": "王记"}
    assert ProvincialCase.objects.get(province_id="GD-2026-9").outcome == "failed"
    # The feed again from the start: nothing created twice.
    FeedCursor.objects.filter(feed="cases").update(position=0)
    assert services.pull_cases().applied == 0 and Case.objects.filter(origin=Origin.PROVINCIAL).count() == 2
    # The new cases go back to the province with our serial and the province's as YSBLSH.
    call_command("provincial_sync")
    sb = sandbox.SandboxExchangeRow.objects.get(serial=cases[0].serial, table="EX_GDBS_SB").fields
    assert sb["YSBLSH"] == "GD-2026-1" and sb["TJFS"] == "3"


def test_a_failing_feed_keeps_its_cursor(exchange, matter):
    sandbox.add_case({"SBLSH": "GD-1", "SXBM": matter.implementation_code, "SQRMC": "王五"})
    framework.configure("provincial", fail_rate=1.0)
    result = services.pull_cases()
    assert result.applied == 0 and "503" in result.error
    assert FeedCursor.objects.get(feed="cases").position == 0
    assert "503" in FeedCursor.objects.get(feed="cases").last_error
    framework.configure("provincial", fail_rate=0.0)
    assert services.pull_cases().applied == 1


def test_one_cycle_pulls_and_pushes(exchange, department, matter, capsys):
    sandbox.add_catalogue_change("upsert", entry(department))
    sandbox.add_case({"SBLSH": "GD-7", "SXBM": matter.implementation_code, "SQRMC": "王五"})
    call_command("provincial_sync")
    out = capsys.readouterr().out
    assert "catalogue: 1 applied" in out and "cases: 1 applied" in out and "push: 1 sent" in out
    assert OutboxMessage.objects.get(destination="provincial").state == OutboxMessage.State.SENT


def test_not_configured_does_nothing(db, settings, capsys):
    settings.PROVINCIAL_EXCHANGE_URL = ""
    call_command("provincial_sync")
    assert "not configured" in capsys.readouterr().out
