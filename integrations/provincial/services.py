"""The provincial exchange's write operations: pull the catalogue and the cases, and one full
sync cycle (``manage.py provincial_sync``, beat ``provincial-sync``).

Each pulled item is applied in its own transaction together with the feed's cursor, so an
item is applied once even if the job dies half-way: the next run starts after the last item
that committed. An item the hall cannot apply (an unknown department, a guide that breaks a
rule, a withdrawn matter) is recorded with its reason (admin: 省事项目录变更 / 省网办件) and
skipped; it does not block the feed.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import delivery
from integrations.errors import PeerError
from integrations.provincial import mapping
from integrations.provincial.client import ExchangeClient, exchange_url
from integrations.provincial.models import CatalogueChangeApplied, FeedCursor, Outcome, ProvincialCase

logger = logging.getLogger(__name__)

DESTINATION = "provincial"
MAX_PAGES = 50  # per feed and run: a backlog is caught up over several runs


def page_size() -> int:
    return int(getattr(settings, "PROVINCIAL_PULL_PAGE_SIZE", 100))


@dataclass
class PullResult:
    applied: int = 0
    skipped: int = 0
    failed: int = 0
    position: int = 0
    error: str = ""
    notes: list = field(default_factory=list)


def _cursor(feed: str) -> FeedCursor:
    cursor, _created = FeedCursor.objects.get_or_create(feed=feed)
    return cursor


def _advance(feed: str, position: int) -> None:
    """Move the cursor (inside the item's transaction), never backwards."""
    cursor = FeedCursor.objects.select_for_update().get(feed=feed)
    if position > cursor.position:
        cursor.position = position
        cursor.save(update_fields=["position", "updated_at"])


def _finish(feed: str, error: str = "") -> None:
    FeedCursor.objects.filter(feed=feed).update(last_run_at=timezone.now(), last_error=error[:500])


def _pull(feed: str, fetch, apply_item) -> PullResult:
    result = PullResult()
    position = _cursor(feed).position
    try:
        for _page in range(MAX_PAGES):
            page = fetch(since=position, limit=page_size())
            for item in page.items:
                outcome = apply_item(item)
                setattr(result, outcome, getattr(result, outcome) + 1)
                position = max(position, int(item.get("id", position)))
            if page.next > position:
                with transaction.atomic():
                    _advance(feed, page.next)
                position = page.next
            if not page.more or not page.items:
                break
    except PeerError as exc:
        result.error = str(exc)
        logger.warning("provincial %s feed: %s", feed, exc)
    result.position = _cursor(feed).position
    _finish(feed, result.error)
    return result


# --- catalogue ---------------------------------------------------------------------------


def _apply_matter(data: dict, *, change_id: int) -> tuple[str, str, object]:
    from matters import services as catalogue
    from matters.models import Department, Matter, Region

    missing = [name for name in mapping.REQUIRED_MATTER if not data.get(name)]
    if missing:
        return Outcome.SKIPPED, _("缺少字段：%(fields)s") % {"fields": "、".join(missing)}, None
    department = Department.objects.filter(uscc=str(data["SSJGTYSHXYDM"]).upper()).first()
    if department is None:
        return Outcome.SKIPPED, _("本地没有实施主体 %(uscc)s") % {"uscc": data["SSJGTYSHXYDM"]}, None
    region = Region.objects.filter(code=mapping.region_code(data)).first() or department.region
    matter = Matter.objects.filter(implementation_code=str(data["SXBM"])).first() or Matter()
    is_new = matter.pk is None
    for name, value in mapping.matter_values(data).items():
        setattr(matter, name, value)
    matter.department = department
    matter.region = region
    reason = _("省事项目录同步（变更 #%(id)s）") % {"id": change_id}
    matter = catalogue.save_matter(matter=matter, actor=None, reason=reason)
    if matter.status != "published":
        catalogue.publish(matter=matter, actor=None)
    return Outcome.APPLIED, _("新增并发布") if is_new else _("已更新"), matter


def _withdraw_matter(data: dict, code: str) -> tuple[str, str, object]:
    from matters import services as catalogue
    from matters.models import Matter

    matter = Matter.objects.filter(implementation_code=code).first()
    if matter is None:
        return Outcome.SKIPPED, _("本地没有该事项"), None
    if matter.status != "published":
        return Outcome.SKIPPED, _("事项未发布，无需撤销"), matter
    reason = str(data.get("CXYY") or _("省事项目录已撤销"))[:90]
    catalogue.withdraw(matter=matter, actor=None, reason=reason)
    return Outcome.APPLIED, _("已撤销"), matter


def apply_catalogue_change(item: dict) -> str:
    """One entry of the catalogue feed, applied once (by its id) through the matters services."""
    from matters.services import CatalogueError

    change_id = int(item["id"])
    operation = str(item.get("operation", ""))
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    code = str(item.get("SXBM") or data.get("SXBM") or "")[:31]
    if CatalogueChangeApplied.objects.filter(change_id=change_id).exists():
        return "skipped"
    try:
        with transaction.atomic():
            if operation == "withdraw":
                outcome, message, matter = _withdraw_matter(data, code)
            elif operation == "upsert":
                outcome, message, matter = _apply_matter(data, change_id=change_id)
            else:
                outcome, message, matter = Outcome.SKIPPED, _("未知操作 %(op)s") % {"op": operation}, None
            CatalogueChangeApplied.objects.create(
                change_id=change_id,
                operation=operation[:12],
                implementation_code=code,
                matter=matter,
                outcome=outcome,
                message=str(message)[:500],
            )
            _advance(FeedCursor.Feed.CATALOGUE, change_id)
    except (CatalogueError, ValidationError, PermissionDenied, ValueError, TypeError) as exc:
        text = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []) or [str(exc)])
        with transaction.atomic():
            CatalogueChangeApplied.objects.create(
                change_id=change_id,
                operation=operation[:12],
                implementation_code=code,
                outcome=Outcome.FAILED,
                message=str(text)[:500],
            )
            _advance(FeedCursor.Feed.CATALOGUE, change_id)
        logger.warning("provincial catalogue change %s not applied: %s", change_id, text)
        return "failed"
    return "applied" if outcome == Outcome.APPLIED else "skipped"


def pull_catalogue(client: ExchangeClient | None = None) -> PullResult:
    client = client or ExchangeClient(retries=1)
    return _pull(FeedCursor.Feed.CATALOGUE, client.catalogue_changes, apply_catalogue_change)


# --- cases -------------------------------------------------------------------------------


def case_account():
    """The account that holds cases applied for on the provincial hall (no password, no login)."""
    User = get_user_model()
    username = getattr(settings, "PROVINCIAL_CASE_ACCOUNT", "provincial-exchange")
    user, created = User.objects.get_or_create(
        username=username, defaults={"real_name": str(_("省网上办事大厅")), "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def apply_case(item: dict) -> str:
    """One case of the cases feed → a case here (origin PROVINCIAL, our serial), once per province id."""
    from applications import services as cases
    from applications.models import Origin
    from applications.workflow import TransitionNotAllowed
    from matters.models import Matter

    feed_id = int(item["id"])
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    try:
        values = mapping.case_values(data)
    except (KeyError, ValueError, TypeError) as exc:
        province_id = str(data.get("SBLSH") or f"feed-{feed_id}")[:64]
        return _record_case(
            feed_id, province_id, None, Outcome.FAILED, _("缺少或无效字段：%(f)s") % {"f": exc}
        )
    if ProvincialCase.objects.filter(province_id=values.province_id).exists():
        with transaction.atomic():
            _advance(FeedCursor.Feed.CASES, feed_id)
        return "skipped"
    matter = Matter.objects.filter(implementation_code=values.implementation_code).first()
    if matter is None:
        return _record_case(feed_id, values.province_id, None, Outcome.FAILED, _("本地没有该事项"))
    try:
        with transaction.atomic():
            case = cases.create_draft(
                applicant=case_account(),
                matter=matter,
                data=cases.ApplicantData(**values.applicant),
                form_data=values.form_data,
                channel=values.channel,
                sub_channel=values.sub_channel,
                origin=Origin.PROVINCIAL,
                external_id=values.province_id,
            )
            case = cases.submit(case=case, actor=None, check_completeness=False)
            ProvincialCase.objects.create(
                province_id=values.province_id,
                feed_id=feed_id,
                case=case,
                outcome=Outcome.APPLIED,
                message=case.serial or "",
            )
            _advance(FeedCursor.Feed.CASES, feed_id)
    except (TransitionNotAllowed, ValidationError) as exc:
        text = getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", []) or [str(exc)])
        return _record_case(feed_id, values.province_id, None, Outcome.FAILED, text)
    return "applied"


def _record_case(feed_id, province_id, case, outcome, message) -> str:
    with transaction.atomic():
        ProvincialCase.objects.get_or_create(
            province_id=province_id,
            defaults={"feed_id": feed_id, "case": case, "outcome": outcome, "message": str(message)[:500]},
        )
        _advance(FeedCursor.Feed.CASES, feed_id)
    logger.warning("provincial case %s not created: %s", province_id, message)
    return "failed" if outcome == Outcome.FAILED else "skipped"


def pull_cases(client: ExchangeClient | None = None) -> PullResult:
    client = client or ExchangeClient(retries=1)
    return _pull(FeedCursor.Feed.CASES, client.cases, apply_case)


# --- one cycle ---------------------------------------------------------------------------


@dataclass
class SyncResult:
    catalogue: PullResult | None = None
    cases: PullResult | None = None
    drained: delivery.DrainResult | None = None
    requeued: int = 0


def sync(*, drain_limit: int | None = None, drain_seconds: float | None = None) -> SyncResult:
    """Pull the catalogue, pull the cases, then deliver what waits for the province."""
    result = SyncResult()
    if not exchange_url():
        logger.info("provincial exchange not configured (PROVINCIAL_EXCHANGE_URL): nothing to do")
        return result
    result.catalogue = pull_catalogue()
    result.cases = pull_cases()
    result.requeued = delivery.requeue_stuck()
    result.drained = delivery.drain(destination=DESTINATION, limit=drain_limit, seconds=drain_seconds)
    return result
