"""The composition root's core: every long-lived client is built here once and handed out.

``create_app`` (bot/web), the CLI and the worker call :func:`build_services`; nothing else
constructs engines, indexes, embedders or chat models.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, sessionmaker

from bot.checks.context import ReplyRules
from bot.checks.redaction import install_log_redaction
from bot.conversations.context import WorkflowConfig
from bot.conversations.notifications import ReviewNotifier
from bot.conversations.service import Workflow
from bot.database import upgrade_to_head
from bot.events import EventBus
from bot.mail.files import MAIL_FILES_FOLDER, PHOTO_FILES_FOLDER, MailFiles
from bot.mail.inbox import MAIL_CHANNEL
from bot.mail.reply_notices import ReplyNoticeMail
from bot.orders.errors import SellingPartnerNotConfigured
from bot.protection.crypto import (
    DataKeyMissing,
    DataKeyring,
    bind_data_keys,
    keyring_for,
    load_data_keys,
)
from bot.settings import Settings
from knowledge_base.db import make_engine, make_session_factory
from knowledge_base.error_base import DraftdeskError

# An API-only process (``serve --api-only``) neither drafts nor searches: the drafting
# pipeline, retrieval (bm25s, scipy, numpy), ingestion (langchain, pypdf, docx), Chroma and
# the Selling Partner clients are imported where they are built, so that process starts in
# well under 2 s (issue 17). tests/integration/test_api_only_imports.py keeps them out.
if TYPE_CHECKING:
    from bot.drafting.interface import Drafter
    from bot.drafting.llm import LlmComposer
    from bot.drafting.pipeline import (
        DraftingConfig,
        DraftingPipeline,
        OrderLookup,
        PolicyDecider,
    )
    from bot.facts import CheckResult, DraftReply, OrderFacts, PolicyVerdict
    from bot.mail.channel import MailChannel
    from bot.orders.lwa import LwaAccessTokens, LwaCredentials
    from bot.orders.sp_api import SellingPartnerOrdersClient
    from bot.orders.sync import OrderFetcher, OrderSync, OrderSyncLoop
    from bot.reports.monitor import QualityAlertMonitor
    from bot.reports.service import Reports
    from bot.retrieval.items import ItemVocabulary
    from bot.retrieval.kb_calibration import DevMessage, KbCalibrationReport
    from ingest.embedder import Embedder, SentenceTransformerEmbedder, Vectors
    from ingest.index import DenseHit, IndexedChunk, SearchIndex
    from ingest.sync import SyncReport

log = logging.getLogger(__name__)

WIDGET_CHANNEL = "widget"
# The share of the KB's chunks an ingest must change before the bar is fitted again.
RECALIBRATE_SHARE = 0.1


class ServicesError(DraftdeskError):
    code = "services_error"
    status = 500


@dataclass
class Services:
    """Long-lived clients shared by every request, command and worker of one process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    embedder: Embedder
    index: SearchIndex
    drafter: Drafter
    # The real pipeline (None when a test wires a fake drafter).
    pipeline: DraftingPipeline | None = None
    # How this process waits before retrying an outside service (Slack's Retry-After);
    # None: each component's own wait, which ends early at shutdown. Tests pass a recorder.
    retry_sleep: Callable[[float], None] | None = None
    # Live events (SSE) and review notifiers (Slack appends its own) — see bot/conversations.
    events: EventBus = field(default_factory=EventBus)
    notifiers: list[ReviewNotifier] = field(default_factory=list)
    # The Amazon inbox (bot/mail), set with the workflow: see ``workflow``.
    mail_channel: MailChannel | None = None

    @cached_property
    def marketplace_orders(self) -> MarketplaceOrders | None:
        """Orders from the Selling Partner API, when configured (else None)."""
        try:
            return build_marketplace_orders(self.settings, self.session_factory)
        except SellingPartnerNotConfigured as exc:
            log.warning("orders from the marketplace are off: %s", exc.message)
            return None

    @cached_property
    def workflow(self) -> Workflow:
        """Conversations, drafts and decisions (shared by the API, console, Slack, worker)."""
        workflow = Workflow(
            session_factory=self.session_factory,
            drafter=self.drafter,
            events=self.events,
            notifiers=self.notifiers,
            config=workflow_config(self.settings),
        )
        # Replies on mail conversations are queued in the approval's own transaction, so
        # the channel registers its delivery before anyone can approve.
        self.mail_channel = build_mail_channel(
            self.settings, workflow=workflow, session_factory=self.session_factory,
            events=self.events, files_keyring=self.data_keys,
        )
        workflow.add_order_binder(MAIL_CHANNEL, mail_thread_order)
        sender = self.mail_channel.sender
        if sender is not None:  # "tell me when you've answered" goes out by the same outbox
            workflow.add_delivery(WIDGET_CHANNEL, ReplyNoticeMail(
                sender_domain=self.mail_channel.config.sender_domain,
                seller_name=self.settings.seller_name, wake_sender=sender.wake,
            ))
        if self.marketplace_orders is not None:
            # A relay mail about an order we do not have yet: read it from the marketplace
            # before the message is queued, so its draft can state the order's facts.
            self.mail_channel.inbox.fetch_order = self.marketplace_orders.fetcher
        return workflow

    @cached_property
    def data_keys(self) -> DataKeyring:
        """The keys buyer data is encrypted with at rest (bound to this database's engine)."""
        return keyring_for(self.engine.dialect)

    @cached_property
    def buyer_photo_files(self) -> MailFiles:
        """Where chat photos are kept: the mail channel's content-addressed store, encrypted."""
        return MailFiles(self.settings.data_dir / PHOTO_FILES_FOLDER, keyring=self.data_keys)

    @cached_property
    def reports(self) -> Reports:
        """The leads' reports: review figures and product-quality signals (issue 18)."""
        from bot.reports.service import Reports

        return Reports(session_factory=self.session_factory)

    @cached_property
    def quality_monitor(self) -> QualityAlertMonitor:
        """Announces quality alerts once; started by :func:`start_quality_monitor`."""
        from bot.reports.monitor import QualityAlertMonitor

        return QualityAlertMonitor(session_factory=self.session_factory)

    def resync_index(self) -> SyncReport:
        """Bring the search index in line with the published KB (after any publish change)."""
        from bot.retrieval.retriever import mark_index_changed
        from ingest.pipeline import resync

        report = resync(
            session_factory=self.session_factory, index=self.index, embedder=self.embedder
        )
        mark_index_changed(self.index)  # every process's retriever rebuilds once
        if self.pipeline is not None:
            self.pipeline.retriever.refresh()
        return report

    def calibrate_kb(self, *, dev: Sequence[DevMessage] = ()) -> KbCalibrationReport:
        """Fit the KB's answer/hand-off bar and keep it with the index (kb calibrate)."""
        if self.pipeline is None:
            raise ServicesError("calibration needs the real drafting pipeline")
        from bot.retrieval.kb_calibration import calibrate_kb

        return calibrate_kb(self.pipeline.retriever, dev=dev)

    def calibrate_if_changed(self, *, changed: int, total: int) -> KbCalibrationReport | None:
        """Re-fit after an ingest that changed at least a tenth of the KB's chunks (or when
        the index has no calibration yet); small edits keep the current bar."""
        if self.pipeline is None or total == 0:
            return None
        from bot.retrieval import CALIBRATION_KEY

        uncalibrated = self.index.read_metadata(CALIBRATION_KEY) is None
        if not uncalibrated and changed < RECALIBRATE_SHARE * total:
            return None
        return self.calibrate_kb()

    def close(self) -> None:
        if self.mail_channel is not None:
            self.mail_channel.stop()
        monitor = self.__dict__.get("quality_monitor")  # only when it was built
        if monitor is not None:
            monitor.stop()
        orders = self.__dict__.get("marketplace_orders")  # only when it was built
        if orders is not None:
            orders.close()
        self.events.close()
        self.engine.dispose()


@dataclass(frozen=True)
class Database:
    """The SQL engine and its session factory (the one place they are built)."""

    engine: Engine
    session_factory: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Engine + session factory for the configured database, migrated to the newest schema."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    keyring, generated = data_keyring(settings)
    if generated and holds_encrypted_buyer_data(engine):
        settings.default_data_key_file.unlink()
        engine.dispose()
        raise DataKeyMissing(
            f"the database holds encrypted buyer data but {settings.default_data_key_file} is "
            "missing: restore the key file (or set DRAFTDESK_DATA_KEY)"
        )
    if generated:
        # Info, not a warning: a first start must not add lines to every command's output.
        log.info("generated a data key in %s: keep a copy in a safe place, apart from the "
                 "backups", settings.default_data_key_file)
    bind_data_keys(engine, keyring)
    if migrate:
        upgrade_to_head(engine)
    return Database(engine=engine, session_factory=make_session_factory(engine))


def data_keyring(settings: Settings) -> tuple[DataKeyring, bool]:
    """The keys that encrypt buyer data at rest, and whether a key file was just generated.

    Only a local data dir gets a generated key; with an outside database in production the
    key must be given, since every process sharing that database needs the same one.
    """
    outside_production = settings.database_url is not None and settings.environment == "production"
    return load_data_keys(
        key=settings.data_key.get_secret_value() if settings.data_key else None,
        key_file=settings.data_key_file,
        default_file=None if outside_production else settings.default_data_key_file,
    )


# The first migration whose database stores buyer data encrypted (0016_encrypt_buyer_data).
FIRST_ENCRYPTED_REVISION = 16


def holds_encrypted_buyer_data(engine: Engine) -> bool:
    """Whether the database stores conversations encrypted under some data key already (an
    older schema still holds clear text, which its migration encrypts with a new key)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None or not revision.isdigit() or int(revision) < FIRST_ENCRYPTED_REVISION:
            return False
        first = connection.execute(sql_text("SELECT 1 FROM conversations LIMIT 1")).first()
        return first is not None


def start_event_relay(services: Services) -> bool:
    """On PostgreSQL, relay live events across processes (LISTEN/NOTIFY); True when started."""
    if services.engine.dialect.name != "postgresql":
        return False
    url = services.engine.url.set(drivername="postgresql")
    services.events.relay_through_postgres(url.render_as_string(hide_password=False))
    return True


def start_quality_monitor(services: Services) -> None:
    """Check for quality alerts after buyer messages (and every few minutes) in the
    background; the check never runs in a buyer's request."""
    monitor = services.quality_monitor
    services.workflow.add_wakeup(monitor.poke)
    monitor.start()


def start_mail(services: Services) -> bool:
    """Run the mailbox poller and the reply sender (when configured and wanted); True when
    the mail threads started. ``serve`` and ``worker`` call this (and
    :func:`start_order_sync`) once."""
    services.workflow  # noqa: B018 - building the workflow builds the channel
    channel = services.mail_channel
    if channel is None or not services.settings.mail_in_process:
        return False
    if channel.poller is None and channel.sender is None:
        return False
    channel.start()
    return True


# --- orders from the marketplace (Selling Partner API) ----------------------------------------


@dataclass(frozen=True)
class SellingPartnerSetup:
    """The Selling Partner API settings, resolved (secrets read from their files)."""

    credentials: LwaCredentials
    endpoint: str
    token_url: str
    marketplace_ids: tuple[str, ...]


@dataclass
class MarketplaceOrders:
    """The Selling Partner API clients of one process: the sync and the one-order fetch share
    one cached access token. The periodic sync loop runs once :meth:`start_loop` is called."""

    tokens: LwaAccessTokens
    sync: OrderSync
    fetcher: OrderFetcher
    clients: tuple[SellingPartnerOrdersClient, ...]
    loop: OrderSyncLoop | None = None

    def start_loop(self, *, interval_seconds: float) -> OrderSyncLoop:
        if self.loop is None:
            from bot.orders.sync import OrderSyncLoop

            self.loop = OrderSyncLoop(self.sync, interval_seconds=interval_seconds)
            self.loop.start()
        return self.loop

    def close(self) -> None:
        if self.loop is not None:
            self.loop.stop()
        self.fetcher.close()
        for client in self.clients:
            client.close()
        self.tokens.close()


_SP_API_SECRETS = ("sp_api_refresh_token", "sp_api_client_id", "sp_api_client_secret")


def _sp_api_secret(settings: Settings, name: str) -> str | None:
    """A credential from ``DRAFTDESK_<NAME>_FILE`` (which wins) or ``DRAFTDESK_<NAME>``."""
    path: Path | None = getattr(settings, f"{name}_file")
    if path is not None:
        variable = f"DRAFTDESK_{name.upper()}_FILE"
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SellingPartnerNotConfigured(
                f"cannot read {variable} ({path}): {exc.strerror or type(exc).__name__}"
            ) from None
        if not text:
            raise SellingPartnerNotConfigured(f"{variable} ({path}) is empty")
        return text
    value: SecretStr | None = getattr(settings, name)
    return (value.get_secret_value().strip() or None) if value is not None else None


def sp_api_setup(settings: Settings) -> SellingPartnerSetup | None:
    """The Selling Partner API settings; None when none is set. Raises
    :class:`SellingPartnerNotConfigured` naming what is missing when only some are."""
    found = {name: _sp_api_secret(settings, name) for name in _SP_API_SECRETS}
    missing = [f"DRAFTDESK_{name.upper()}" for name, value in found.items() if not value]
    if not settings.sp_api_marketplace_ids:
        missing.append("DRAFTDESK_SP_API_MARKETPLACE_IDS")
    if len(missing) == len(_SP_API_SECRETS) + 1:
        return None
    if missing:
        raise SellingPartnerNotConfigured(
            f"the Selling Partner API is partly configured: set {', '.join(missing)} "
            f"(credentials also as …_FILE)"
        )
    from bot.orders.lwa import LwaCredentials

    return SellingPartnerSetup(
        credentials=LwaCredentials(
            client_id=found["sp_api_client_id"] or "",
            client_secret=found["sp_api_client_secret"] or "",
            refresh_token=found["sp_api_refresh_token"] or "",
        ),
        endpoint=settings.sp_api_url,
        token_url=settings.sp_api_token_url,
        marketplace_ids=tuple(settings.sp_api_marketplace_ids),
    )


def require_sp_api_setup(settings: Settings) -> SellingPartnerSetup:
    """Like :func:`sp_api_setup`, but "not configured" is an error too (``orders sync``)."""
    setup = sp_api_setup(settings)
    if setup is None:
        raise SellingPartnerNotConfigured(
            "the Selling Partner API is not configured: set DRAFTDESK_SP_API_REFRESH_TOKEN, "
            "DRAFTDESK_SP_API_CLIENT_ID, DRAFTDESK_SP_API_CLIENT_SECRET (or their …_FILE) and "
            "DRAFTDESK_SP_API_MARKETPLACE_IDS"
        )
    return setup


def build_marketplace_orders(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    setup: SellingPartnerSetup | None = None,
) -> MarketplaceOrders | None:
    """The Selling Partner API clients, sync and fetcher (None when not configured)."""
    setup = setup or sp_api_setup(settings)
    if setup is None:
        return None
    from bot.orders.lwa import LwaAccessTokens
    from bot.orders.sp_api import SellingPartnerOrdersClient
    from bot.orders.sync import OrderFetcher, OrderSync

    tokens = LwaAccessTokens(setup.credentials, token_url=setup.token_url, timeout_seconds=15.0)
    sync_client = SellingPartnerOrdersClient(base_url=setup.endpoint, access_token=tokens)
    # A mail waits for its order at most briefly: few attempts, short back-off and timeouts.
    fetch_client = SellingPartnerOrdersClient(
        base_url=setup.endpoint,
        access_token=tokens,
        max_attempts=2,
        max_backoff_seconds=5.0,
        timeout_seconds=10.0,
    )
    return MarketplaceOrders(
        tokens=tokens,
        sync=OrderSync(
            client=sync_client,
            session_factory=session_factory,
            marketplace_ids=setup.marketplace_ids,
            first_sync_days=settings.sp_api_first_sync_days,
        ),
        fetcher=OrderFetcher(client=fetch_client, session_factory=session_factory),
        clients=(sync_client, fetch_client),
    )


def start_order_sync(services: Services) -> bool:
    """Sync orders from the marketplace every ``sp_api_sync_seconds`` (when configured; the
    lease in the database lets one process of many sync per interval)."""
    orders = services.marketplace_orders
    interval = services.settings.sp_api_sync_seconds
    if orders is None or interval <= 0:
        return False
    orders.start_loop(interval_seconds=interval)
    return True


def mail_thread_order(session: Session, conversation_id: str) -> list[str]:
    """The order a mail conversation is bound to: its relay thread's, when the relay's own
    subject names it (a buyer's words alone bind nothing)."""
    from bot.mail.repository import thread_of

    thread = thread_of(session, conversation_id=conversation_id)
    if thread is None or not thread.order_key or thread.order_key not in thread.subject:
        return []
    return [thread.order_key]


def build_mail_channel(
    settings: Settings, *, workflow: Workflow, session_factory: sessionmaker[Session],
    events: EventBus | None = None, files_keyring: DataKeyring | None = None,
) -> MailChannel:
    """The Amazon inbox from settings (servers optional: replies queue until SMTP is set);
    raw mails and attachments are encrypted on disk with ``files_keyring``."""
    from bot.mail.channel import MailChannel, MailChannelConfig
    from bot.mail.endpoints import parse_server_url
    from bot.mail.inbox import SenderRules
    from bot.mail.relay import DEFAULT_RELAY_DOMAINS

    def server(url: SecretStr | None, password_file: Path | None, kind: Any) -> Any:
        if url is None:
            return None
        password = password_file.read_text().strip() if password_file else None
        return parse_server_url(url.get_secret_value(), kind=kind, password=password)

    return MailChannel(
        config=MailChannelConfig(
            files_dir=settings.data_dir / MAIL_FILES_FOLDER,
            files_keyring=files_keyring,
            imap=server(settings.mail_imap_url, settings.mail_imap_password_file, "imap"),
            smtp=server(settings.mail_smtp_url, settings.mail_smtp_password_file, "smtp"),
            from_address=settings.mail_from,
            copy_to=settings.mail_copy_to or settings.mail_from,
            ca_file=str(settings.mail_ca_file) if settings.mail_ca_file else None,
            rules=SenderRules(
                relay_domains=tuple(settings.mail_relay_domains) or DEFAULT_RELAY_DOMAINS,
                require_authentication=settings.mail_require_authentication,
                trusted_authserv_ids=tuple(settings.mail_trusted_authserv_ids),
            ),
            max_reply_chars=settings.mail_max_reply_chars,
            poll_seconds=settings.mail_poll_seconds,
        ),
        workflow=workflow, session_factory=session_factory, events=events,
    )


def build_index(settings: Settings) -> SearchIndex:
    """Chroma server when ``DRAFTDESK_CHROMA_URL`` is set, else embedded under the data dir."""
    from ingest.index import ChromaIndex

    if settings.chroma_url:
        return ChromaIndex.http(settings.chroma_url, collection=settings.chroma_collection)
    return ChromaIndex.persistent(settings.chroma_dir, collection=settings.chroma_collection)


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    index: SearchIndex | None = None,
    chat_model: Any | None = None,
    drafter: Drafter | None = None,
    migrate: bool = True,
) -> Services:
    """Build every client once. Tests pass fakes or shared instances through the keywords."""
    install_log_redaction()  # buyer PII never reaches a log line (issue 16)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(settings, migrate=migrate)
    engine, session_factory = database.engine, database.session_factory
    if index is None:
        # An API-only process opens Chroma (and its ~80 MB of libraries) only when it must.
        index = LazyIndex(settings) if settings.api_only else build_index(settings)
    if settings.api_only:
        # `serve --api-only`: workers draft; this process only re-checks agents' edits, and
        # loads the model only if it must embed (a KB publish, the gaps page).
        embedder = embedder if embedder is not None else LazyEmbedder(settings)
        drafter = drafter if drafter is not None else ChecksOnlyDrafter(settings)
    embedder = embedder if embedder is not None else build_embedder(settings)
    pipeline = None
    if drafter is None:
        pipeline = build_pipeline(
            settings=settings,
            index=index,
            embedder=embedder,
            session_factory=session_factory,
            chat_model=chat_model,
        )
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        embedder=embedder,
        index=index,
        drafter=drafter if drafter is not None else pipeline,  # type: ignore[arg-type]
        pipeline=pipeline,
    )
    if pipeline is not None:
        from bot.learning import LearnFromApprovals

        # What agents approve teaches retrieval (the KB's own material, never a dataset).
        services.notifiers.append(
            LearnFromApprovals(session_factory=session_factory, resync=services.resync_index)
        )
    return services


def embedding_threads(settings: Settings) -> int:
    """PyTorch threads for the embedding model: ``DRAFTDESK_EMBED_THREADS``, else one (serve
    and worker processes share the cores; `draftdesk ingest` asks for all of them)."""
    return settings.embed_threads or 1


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The bundled model, with the process's thread count decided here, once."""
    import torch

    from ingest.embedder import SentenceTransformerEmbedder

    # PyTorch's default (one thread per core in every process) made two workers draft at
    # 0.71x the rate of one on 2 cores, and query p95 ~10x worse under load (issue 17).
    torch.set_num_threads(embedding_threads(settings))
    return SentenceTransformerEmbedder()


class LazyEmbedder:
    """The embedder of an API-only process: built on the first text it must embed."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: Embedder | None = None
        self._lock = threading.Lock()

    def _model(self) -> Embedder:
        with self._lock:
            if self._built is None:
                log.info("API-only process: loading the embedding model on first use")
                self._built = build_embedder(self._settings)
            return self._built

    @property
    def dimension(self) -> int:
        return self._model().dimension

    @property
    def name(self) -> str:
        return self._model().name

    def embed(self, texts: list[str]) -> Vectors:
        return self._model().embed(texts)


class LazyIndex:
    """The vector index of an API-only process: opened on first use (a KB publish, an
    erasure, the gaps page), so serving buyers and agents never loads Chroma."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._opened: SearchIndex | None = None
        self._lock = threading.Lock()

    def _index(self) -> SearchIndex:
        with self._lock:
            if self._opened is None:
                log.info("API-only process: opening the vector index on first use")
                self._opened = build_index(self._settings)
            return self._opened

    def upsert(self, chunks: Sequence[IndexedChunk], vectors: Vectors) -> None:
        self._index().upsert(chunks, vectors)

    def delete(self, ids: Sequence[str]) -> None:
        self._index().delete(ids)

    def query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]:
        return self._index().query(vector, k=k, where=where)

    def nearest(self, vector: Vectors, *, k: int) -> list[tuple[str, float]]:
        return self._index().nearest(vector, k=k)

    def content_hashes(self, article_ids: Sequence[str] | None = None) -> dict[str, str]:
        return self._index().content_hashes(article_ids)

    def article_keys(self) -> dict[str, str]:
        return self._index().article_keys()

    def record_article_keys(self, keys: Mapping[str, str | None]) -> None:
        self._index().record_article_keys(keys)

    def all_chunks(self) -> list[IndexedChunk]:
        return self._index().all_chunks()

    def vectors(self, ids: Sequence[str]) -> Vectors:
        return self._index().vectors(ids)

    def count(self) -> int:
        return self._index().count()

    def read_metadata(self, key: str) -> str | None:
        return self._index().read_metadata(key)

    def write_metadata(self, key: str, value: str) -> None:
        self._index().write_metadata(key, value)


class DraftingElsewhere(ServicesError):
    code = "drafting_elsewhere"
    status = 503


class ChecksOnlyDrafter:
    """The drafter of an API-only process: re-checks agents' edits (pure rules, no model);
    drafting is left to ``draftdesk worker`` processes."""

    def __init__(self, settings: Settings) -> None:
        rules = reply_rules(settings)
        if settings.llm:
            # Edits of LLM drafts are checked against the LLM's instructions too.
            rules = ReplyRules(
                allowed_link_domains=rules.allowed_link_domains,
                allowed_phone_numbers=rules.allowed_phone_numbers,
                instructions_text=build_llm_composer(settings).instructions_text,
            )
        self._rules = rules

    def draft(self, request: object) -> DraftReply:
        raise DraftingElsewhere("this API-only process does not draft: start `draftdesk worker`")

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        from bot.checks import check_draft

        return check_draft(text, draft=draft, buyer_messages=buyer_messages, rules=self._rules)


def build_pipeline(
    *,
    settings: Settings,
    index: SearchIndex,
    embedder: Embedder,
    session_factory: sessionmaker[Session],
    chat_model: Any | None = None,
) -> DraftingPipeline:
    """Wire the real pipeline: topic model, retriever, router, composers, orders, policy."""
    from bot.drafting.offline import OfflineComposer
    from bot.drafting.pipeline import DraftingPipeline
    from bot.retrieval import Calibration, HybridRetriever
    from bot.routing import Router
    from bot.understanding.topics import TopicClassifier, TopicModelError

    topic_model: TopicClassifier | None
    try:
        topic_model = TopicClassifier.load()
    except TopicModelError as exc:
        # Retrieval still works without the topic prior; the hand-off decision is weaker.
        log.warning("no topic model, drafting without a topic prior: %s", exc)
        topic_model = None
    # The KB's own calibration is read from the index (``draftdesk kb calibrate``); until
    # there is one, the defaults (fitted on the demo KB) apply.
    retriever = HybridRetriever(
        index=index, embedder=embedder, topic_model=topic_model, calibration=Calibration(),
        item_vocabulary=CatalogueItems(session_factory),
    )
    retriever.refresh()
    router = Router(retriever=retriever, threshold=settings.handoff_threshold)
    llm = None
    if chat_model is not None or settings.llm:
        llm = build_llm_composer(settings, chat_model=chat_model)
    order_lookup, policy = _orders_and_policy(settings, session_factory)
    return DraftingPipeline(
        router=router,
        offline=OfflineComposer(),
        config=drafting_config(settings),
        llm=llm,
        order_lookup=order_lookup,
        policy=policy,
    )


class CatalogueItems:
    """The seller's product names from their orders' item titles, re-read at most once a
    minute (orders are imported and synced while the service runs)."""

    def __init__(self, session_factory: sessionmaker[Session], *, ttl_seconds: float = 60.0):
        from bot.retrieval.items import ItemVocabulary

        self._session_factory = session_factory
        self._ttl = ttl_seconds
        self._read_at = -math.inf
        self._vocabulary = ItemVocabulary()
        self._lock = threading.Lock()

    def __call__(self) -> ItemVocabulary:
        # An empty catalogue is read again on every use: the first orders may arrive at any
        # moment (and there are none to pay for re-reading).
        if self._vocabulary and time.monotonic() - self._read_at < self._ttl:
            return self._vocabulary
        with self._lock:
            if not self._vocabulary or time.monotonic() - self._read_at >= self._ttl:
                from bot.orders.repository import catalogue_titles
                from bot.retrieval.items import ItemVocabulary

                with self._session_factory() as session:
                    self._vocabulary = ItemVocabulary(catalogue_titles(session))
                self._read_at = time.monotonic()
        return self._vocabulary


def drafting_config(settings: Settings) -> DraftingConfig:
    from bot.drafting.pipeline import DraftingConfig

    return DraftingConfig(
        seller_name=settings.seller_name,
        signature=settings.sign_off,
        retrieval_top_k=settings.retrieval_top_k,
        reply_rules=reply_rules(settings),
    )


def reply_rules(settings: Settings) -> ReplyRules:
    """The seller's links and phone numbers a reply may contain (drafts and agents' edits)."""
    return ReplyRules(
        allowed_link_domains=tuple(settings.allowed_link_domains),
        allowed_phone_numbers=tuple(settings.allowed_phone_numbers),
    )


def build_llm_composer(settings: Settings, *, chat_model: Any | None = None) -> LlmComposer:
    """``DRAFTDESK_LLM=provider:model`` through ``init_chat_model`` (or a given model)."""
    from bot.drafting.llm import LlmComposer

    who = {"seller_name": settings.seller_name, "signature": settings.sign_off}
    if chat_model is not None:
        return LlmComposer(chat_model, name=f"llm:{type(chat_model).__name__}", **who)
    from langchain.chat_models import init_chat_model

    spec = settings.llm or ""
    provider, _, model = spec.partition(":")
    if not model:
        provider, model = "openai", spec
    kwargs: dict[str, Any] = {"timeout": settings.llm_timeout_seconds, "max_retries": 1}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    if settings.llm_api_key is not None:
        kwargs["api_key"] = settings.llm_api_key.get_secret_value()
    elif settings.llm_base_url:
        kwargs["api_key"] = "not-needed"  # local OpenAI-compatible servers ignore it
    model_obj = init_chat_model(model, model_provider=provider, **kwargs)
    return LlmComposer(model_obj, name=f"llm:{spec}", **who)


def _orders_and_policy(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[OrderLookup, PolicyDecider]:
    """Order lookup (SQL) and the policy engine over the seller's rules file."""
    from bot.orders.repository import lookup_order_facts
    from bot.policy import detect_return_reason, load_policy, verdicts_for_topic

    rules = load_policy(settings.resolved_policy_file)

    def lookup(order_id: str) -> OrderFacts | None:
        with session_factory() as session:
            return lookup_order_facts(session, order_id=order_id)

    def decide(topic: str | None, order: OrderFacts | None, text: str) -> list[PolicyVerdict]:
        if topic is None:
            return []
        return list(
            verdicts_for_topic(
                rules,
                topic=topic,
                order=order,
                reason=detect_return_reason(text),
                today=datetime.now(UTC),
                message=text,
            )
        )

    return lookup, decide


def workflow_config(settings: Settings) -> WorkflowConfig:
    """The workflow's knobs from settings (fields absent from Settings keep their defaults)."""
    defaults = WorkflowConfig()
    knobs = {
        name: getattr(settings, name, getattr(defaults, name))
        for name in WorkflowConfig.__dataclass_fields__
    }
    # An API-only process stays small (issue 17: ≤ 200 MB): no letter-statistics model.
    knobs["statistical_language_detection"] = not settings.api_only
    return WorkflowConfig(**knobs)
