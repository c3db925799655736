"""Orders from the marketplace: sync the Selling Partner API's changed orders into the store,
and fetch one order a buyer wrote about that the store does not know yet.

* :class:`OrderSync` asks ``getOrders`` for orders changed since the stored cursor
  (``order_sync_state.synced_until``), reads each one's items, and upserts them page by page
  through :func:`~bot.orders.sources.import_from_source`. The cursor moves only after a
  whole sync succeeded, to the moment the API says it listed up to (its
  ``LastUpdatedBefore``), so the next sync asks only for later changes and nothing falls in
  between. A lease in the same row keeps several processes from syncing at once.
* :class:`OrderSyncLoop` runs a sync whenever one is due (the worker's periodic job).
* :class:`OrderFetcher` reads one unknown order with ``getOrder`` + ``getOrderItems``,
  waiting a bounded time, so a caller (the mail inbox) is never held up by the API.

Plain values only: the composition root builds these from settings.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.orders.errors import OrderSyncBusy
from bot.orders.files import DEFAULT_ORDER_TIMEZONE
from bot.orders.models import OrderSyncState
from bot.orders.repository import get_order, normalise_order_id
from bot.orders.schemas import ImportFailure, OrderImportReport
from bot.orders.sources import SourceBatch, import_from_source
from bot.orders.sp_api import SellingPartnerOrdersClient
from bot.orders.sp_api_source import SellingPartnerOrderById, SellingPartnerOrderSource
from knowledge_base.clock import Clock, utcnow
from knowledge_base.db import transaction

log = logging.getLogger(__name__)

SP_API_SOURCE = "sp_api"
# getOrders only lists changes at least two minutes old; a cursor newer than that has
# nothing to ask for yet. Without an upper bound in the answer, the next sync starts this
# far before the last one did (an overlap changes nothing: unchanged orders are skipped).
API_DELAY = timedelta(minutes=2)
FALLBACK_OVERLAP = timedelta(minutes=5)


def default_owner() -> str:
    """Who holds a lease: host, process and a random suffix (several syncs per process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class OrderSyncReport(BaseModel):
    """What one sync did."""

    source: str = SP_API_SOURCE
    since: datetime  # changes at or after this moment were asked for
    synced_until: datetime | None  # the cursor after this sync (the next one starts there)
    pages: int = 0
    imported: int = 0  # orders written or already up to date
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[ImportFailure] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, report: OrderImportReport) -> None:
        self.imported += report.imported
        self.inserted += report.inserted
        self.updated += report.updated
        self.unchanged += report.unchanged
        self.failed.extend(report.failed)


@dataclass(frozen=True)
class SyncClaim:
    """A held lease and the cursor it found."""

    owner: str
    synced_until: datetime | None


class _Batch:
    """An already-read batch as an :class:`~bot.orders.sources.OrderSource`."""

    name = SP_API_SOURCE

    def __init__(self, batch: SourceBatch) -> None:
        self._batch = batch

    def read(self) -> SourceBatch:
        return self._batch


# --- the state row: cursor and lease ---------------------------------------------------------


def _ensure_state_row(session: Session, *, source: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            make_insert(OrderSyncState)
            .values(source=source, updated_at=now)
            .on_conflict_do_nothing(index_elements=[OrderSyncState.source])
        )
    elif session.get(OrderSyncState, source) is None:
        session.execute(insert(OrderSyncState).values(source=source, updated_at=now))


def read_sync_state(session: Session, *, source: str = SP_API_SOURCE) -> OrderSyncState | None:
    """The sync state row (None before the first sync)."""
    return session.execute(
        select(OrderSyncState)
        .where(OrderSyncState.source == source)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def claim_sync(
    session_factory: sessionmaker[Session],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    due_before: datetime | None = None,
    source: str = SP_API_SOURCE,
) -> SyncClaim | None:
    """Take the lease if nobody holds it (and, with ``due_before``, if the last sync finished
    before then); None otherwise. One UPDATE decides, so two processes never both win."""
    with transaction(session_factory) as session:
        _ensure_state_row(session, source=source, now=now)
        condition = and_(
            OrderSyncState.source == source,
            or_(OrderSyncState.lease_until.is_(None), OrderSyncState.lease_until < now),
        )
        if due_before is not None:
            condition = and_(
                condition,
                or_(OrderSyncState.finished_at.is_(None), OrderSyncState.finished_at <= due_before),
            )
        taken = session.execute(
            update(OrderSyncState)
            .where(condition)
            .values(lease_owner=owner, lease_until=now + lease, started_at=now, updated_at=now)
            .returning(OrderSyncState.synced_until)
        ).first()
    if taken is None:
        return None
    return SyncClaim(owner=owner, synced_until=taken[0])


def _renew(
    session: Session, *, claim: SyncClaim, now: datetime, lease: timedelta, source: str
) -> None:
    session.execute(
        update(OrderSyncState)
        .where(OrderSyncState.source == source, OrderSyncState.lease_owner == claim.owner)
        .values(lease_until=now + lease, updated_at=now)
    )


def _finish(
    session_factory: sessionmaker[Session],
    *,
    claim: SyncClaim,
    now: datetime,
    source: str,
    synced_until: datetime | None,
    error: str | None,
) -> None:
    values: dict[str, object] = {
        "lease_owner": None,
        "lease_until": None,
        "finished_at": now,
        "updated_at": now,
        "last_error": error[:500] if error else None,
    }
    if synced_until is not None:
        values["synced_until"] = synced_until
    with transaction(session_factory) as session:
        session.execute(
            update(OrderSyncState)
            .where(OrderSyncState.source == source, OrderSyncState.lease_owner == claim.owner)
            .values(**values)
        )


# --- the sync ------------------------------------------------------------------------------


class OrderSync:
    """Changed orders of the seller's marketplaces into the store, one page at a time."""

    def __init__(
        self,
        *,
        client: SellingPartnerOrdersClient,
        session_factory: sessionmaker[Session],
        marketplace_ids: Sequence[str],
        timezone: str = DEFAULT_ORDER_TIMEZONE,
        sku_categories: Mapping[str, str] | None = None,
        first_sync_days: int = 30,
        owner: str | None = None,
        lease_seconds: float = 600.0,
        clock: Clock = utcnow,
    ) -> None:
        self.client = client
        self.session_factory = session_factory
        self.marketplace_ids = list(marketplace_ids)
        self.timezone = timezone
        self.sku_categories = sku_categories
        self.first_sync_days = first_sync_days
        self.owner = owner or default_owner()
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    def run(self, *, since: datetime | None = None) -> OrderSyncReport:
        """Sync now (``draftdesk orders sync``); ``since`` replaces the stored cursor.

        Raises :class:`OrderSyncBusy` while another process syncs, and any API error (the
        cursor then stays where it was, so the next sync asks again)."""
        claim = claim_sync(
            self.session_factory, owner=self.owner, now=self.clock(), lease=self.lease
        )
        if claim is None:
            with self.session_factory() as session:
                state = read_sync_state(session)
            holder = state.lease_owner if state is not None else None
            until = state.lease_until if state is not None else None
            raise OrderSyncBusy(
                f"another order sync is running ({holder}, lease until "
                f"{until.isoformat(timespec='seconds') if until else '?'}); try again later"
            )
        return self._run_claimed(claim, since=since)

    def run_if_due(self, *, interval_seconds: float) -> OrderSyncReport | None:
        """Sync when the last one finished ``interval_seconds`` ago (or never ran) and nobody
        else is syncing; None when not due. Used by the periodic loop of every process."""
        now = self.clock()
        claim = claim_sync(
            self.session_factory,
            owner=self.owner,
            now=now,
            lease=self.lease,
            due_before=now - timedelta(seconds=interval_seconds),
        )
        if claim is None:
            return None
        return self._run_claimed(claim, since=None)

    def _run_claimed(self, claim: SyncClaim, *, since: datetime | None) -> OrderSyncReport:
        started = self.clock()
        start_from = since or claim.synced_until or started - timedelta(days=self.first_sync_days)
        report = OrderSyncReport(since=start_from, synced_until=claim.synced_until)
        try:
            if start_from > started - API_DELAY:
                # Changes this recent are not listed yet: there is nothing to ask for.
                self._end(claim, synced_until=None, error=None)
                return report
            listed_until = self._import_pages(claim, start_from, report)
        except BaseException as exc:
            try:
                self._end(claim, synced_until=None, error=_describe(exc))
            except Exception:  # the lease then simply runs out; the first error matters
                log.exception("could not release the order sync lease")
            raise
        cursor = listed_until or started - FALLBACK_OVERLAP
        if claim.synced_until is not None:
            if since is not None and since > claim.synced_until:
                # Orders changed between the old cursor and ``since`` were not asked for.
                cursor = claim.synced_until
            cursor = max(cursor, claim.synced_until)
        report.synced_until = cursor
        self._end(claim, synced_until=cursor, error=None)
        return report

    def _import_pages(
        self, claim: SyncClaim, start_from: datetime, report: OrderSyncReport
    ) -> datetime | None:
        source = SellingPartnerOrderSource(
            client=self.client,
            marketplace_ids=self.marketplace_ids,
            last_updated_after=start_from,
            timezone=self.timezone,
            sku_categories=self.sku_categories,
        )
        listed_until = None
        for page in source.pages():
            listed_until = page.listed_until
            report.pages += 1
            with transaction(self.session_factory) as session:
                report.add(import_from_source(session, source=_Batch(page.batch)))
                _renew(
                    session, claim=claim, now=self.clock(), lease=self.lease, source=SP_API_SOURCE
                )
        return listed_until

    def _end(self, claim: SyncClaim, *, synced_until: datetime | None, error: str | None) -> None:
        _finish(
            self.session_factory,
            claim=claim,
            now=self.clock(),
            source=SP_API_SOURCE,
            synced_until=synced_until,
            error=error,
        )


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())


class OrderSyncLoop:
    """Runs :meth:`OrderSync.run_if_due` until stopped (a daemon thread per process; the
    lease makes one of them sync per interval). Failures are logged and retried when due."""

    def __init__(
        self, sync: OrderSync, *, interval_seconds: float, check_seconds: float = 60.0
    ) -> None:
        self.sync = sync
        self.interval_seconds = interval_seconds
        self.check_seconds = max(0.01, min(check_seconds, interval_seconds))
        self.last_report: OrderSyncReport | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> OrderSyncReport | None:
        try:
            report = self.sync.run_if_due(interval_seconds=self.interval_seconds)
        except Exception as exc:  # a marketplace outage must not end the loop
            self.last_error = _describe(exc)
            log.warning(
                "order sync failed, trying again in %.0f s: %s",
                self.interval_seconds,
                self.last_error,
            )
            return None
        if report is not None:
            self.last_report, self.last_error = report, None
            log.info(
                "order sync: %d orders (%d new, %d updated, %d unchanged, %d failed)",
                report.imported,
                report.inserted,
                report.updated,
                report.unchanged,
                len(report.failed),
            )
        return report

    def run_forever(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.check_seconds)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="order-sync", daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None


# --- one order a buyer wrote about -----------------------------------------------------------

FetchOutcome = Literal["known", "fetched", "not_found", "unreadable"]


class OrderFetcher:
    """Reads an order the store does not know from the API, waiting at most
    ``wait_seconds`` (a slower fetch finishes in the background and is stored then)."""

    def __init__(
        self,
        *,
        client: SellingPartnerOrdersClient,
        session_factory: sessionmaker[Session],
        timezone: str = DEFAULT_ORDER_TIMEZONE,
        sku_categories: Mapping[str, str] | None = None,
        wait_seconds: float = 20.0,
    ) -> None:
        self.client = client
        self.session_factory = session_factory
        self.timezone = timezone
        self.sku_categories = sku_categories
        self.wait_seconds = wait_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="order-fetch")

    def fetch_if_unknown(self, order_id: str) -> FetchOutcome:
        """``known`` (nothing asked), ``fetched``, ``not_found`` (the API does not know it)
        or ``unreadable``; API errors and a timeout (``TimeoutError``) raise."""
        order_id = normalise_order_id(order_id)
        with self.session_factory() as session:
            if get_order(session, order_id=order_id) is not None:
                return "known"
        future = self._pool.submit(self._fetch, order_id)
        try:
            return future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            raise TimeoutError(
                f"order {order_id}: no answer from the Selling Partner API within "
                f"{self.wait_seconds:.0f} s"
            ) from None

    __call__ = fetch_if_unknown

    def _fetch(self, order_id: str) -> FetchOutcome:
        source = SellingPartnerOrderById(
            client=self.client,
            order_id=order_id,
            timezone=self.timezone,
            sku_categories=self.sku_categories,
        )
        batch = source.read()
        if not source.found:
            return "not_found"
        with transaction(self.session_factory) as session:
            report = import_from_source(session, source=_Batch(batch))
        if report.failed:
            log.warning(
                "order %s from the Selling Partner API not imported: %s",
                order_id,
                report.failed[0].error,
            )
            return "unreadable"
        return "fetched"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
