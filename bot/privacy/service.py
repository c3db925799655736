"""Purge (retention) and erasure (a buyer's request) across every place on the data map.

One :class:`PrivacyDesk` per process, built by the surfaces (CLI, console, the periodic job)
with what it needs from outside the database: where mail files live, how to redact a Slack
card, how to re-sync the search index. Each conversation is erased in its own transaction
together with its audit row, so an interrupted purge resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.mail.models import InboundMail
from bot.privacy.erasure import (
    ConversationErasure,
    SlackCardRef,
    delete_order,
    erase_conversation,
    erase_inbound_mail,
)
from bot.privacy.export import export_records
from bot.privacy.models import PrivacyErasure
from bot.privacy.retention import (
    RetentionPolicy,
    due_conversations,
    due_kept_aside_mail,
    due_orders,
    orders_of_waiting_conversations,
)
from bot.privacy.subjects import BuyerReference, parse_buyer_reference, records_of
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)
RETENTION_ACTOR = "retention"


class SlackCardRedactor(Protocol):
    """Replaces a Slack card we posted with one that shows no buyer data."""

    def __call__(self, card: SlackCardRef) -> None: ...


@dataclass
class PrivacyReport:
    """What a purge or an erasure removed (counts per place; never the values)."""

    conversations: list[str] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)
    slack_cards_redacted: int = 0
    slack_cards_failed: int = 0
    index_resynced: bool = False
    dry_run: bool = False

    @property
    def nothing_left(self) -> bool:
        return not any(self.removed.values()) and not self.slack_cards_redacted

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "conversations": self.conversations,
            "removed": dict(sorted(self.removed.items())),
            "slack_cards_redacted": self.slack_cards_redacted,
            "slack_cards_failed": self.slack_cards_failed,
            "index_resynced": self.index_resynced,
        }


@dataclass
class PrivacyDesk:
    """Purge, erase and export buyer data (see :mod:`bot.privacy.data_map`)."""

    session_factory: sessionmaker[Session]
    mail_files_root: Path
    # Where chat photos are stored (None: their rows are emptied, the files stay).
    photo_files_root: Path | None = None
    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    redact_card: SlackCardRedactor | None = None
    resync_index: Callable[[], object] | None = None
    # Rewrites storage files so erased values do not linger in them (bot.privacy.storage);
    # the argument says whether the search index changed too.
    compact_storage: Callable[[bool], object] | None = None
    clock: Clock = utcnow

    def purge(self, *, dry_run: bool = False) -> PrivacyReport:
        """Remove buyer data that is past the retention period everywhere on the map."""
        now = self.clock()
        report = PrivacyReport(dry_run=dry_run)
        with self.session_factory() as session:
            due = due_conversations(session, policy=self.policy, now=now)
            orders = due_orders(
                session, policy=self.policy, now=now, keep=orders_of_waiting_conversations(session)
            )
        report.conversations = due
        if dry_run:
            report.removed.update({"conversations_due": len(due), "orders_due": len(orders)})
            return report
        for conversation_id in due:
            self._erase_one(
                BuyerReference("conversation", conversation_id),
                conversation_id,
                reason="purge",
                actor=RETENTION_ACTOR,
                report=report,
            )
        self._delete_orders(orders, reason="purge", actor=RETENTION_ACTOR, report=report)
        self._erase_kept_aside_mail(report)
        self._after(report)
        return report

    def _erase_kept_aside_mail(self, report: PrivacyReport) -> None:
        """Mail that never became a conversation goes after the period too."""
        with self.session_factory() as session, session.begin():
            for mail_id in due_kept_aside_mail(session, policy=self.policy, now=self.clock()):
                mail = session.get(InboundMail, mail_id)
                if mail is not None:
                    erase_inbound_mail(
                        mail, mail_files_root=self.mail_files_root, removed=report.removed
                    )

    def erase(self, buyer: str, *, actor: str) -> PrivacyReport:
        """Erase every copy of one buyer's data at once (idempotent: a second run removes
        nothing and says so)."""
        reference = parse_buyer_reference(buyer)
        with self.session_factory() as session:
            records = records_of(session, reference)
        report = PrivacyReport(conversations=list(records.conversation_ids))
        for conversation_id in records.conversation_ids:
            self._erase_one(reference, conversation_id, reason="erase", actor=actor, report=report)
        self._delete_orders(
            records.order_ids, reason="erase", actor=actor, report=report, reference=reference
        )
        if not records.conversation_ids and not records.order_ids:
            self._audit(reference, None, reason="erase", actor=actor, removed=Counter())
        self._after(report)
        return report

    def export(self, buyer: str) -> dict[str, Any]:
        """Everything stored about one buyer, as JSON-ready data."""
        reference = parse_buyer_reference(buyer)
        with self.session_factory() as session:
            return {
                "buyer": {"kind": reference.kind},
                **export_records(session, records_of(session, reference)),
            }

    def _erase_one(
        self,
        reference: BuyerReference,
        conversation_id: str,
        *,
        reason: str,
        actor: str,
        report: PrivacyReport,
    ) -> None:
        with self.session_factory() as session, session.begin():
            erasure = erase_conversation(
                session,
                conversation_id=conversation_id,
                mail_files_root=self.mail_files_root,
                photo_files_root=self.photo_files_root,
            )
            session.add(
                self._audit_row(
                    reference, conversation_id, reason=reason, actor=actor, removed=erasure.removed
                )
            )
        report.removed.update(erasure.removed)
        self._redact_cards(erasure, report)
        report.index_resynced |= erasure.learned_questions_removed

    def _delete_orders(
        self,
        order_ids: list[str],
        *,
        reason: str,
        actor: str,
        report: PrivacyReport,
        reference: BuyerReference | None = None,
    ) -> None:
        for order_id in order_ids:
            with self.session_factory() as session, session.begin():
                deleted = delete_order(session, order_id=order_id)
                if deleted:
                    session.add(
                        self._audit_row(
                            reference or BuyerReference("order_id", order_id),
                            None,
                            reason=reason,
                            actor=actor,
                            removed=Counter({"orders": deleted}),
                        )
                    )
            report.removed["orders"] += deleted

    def _redact_cards(self, erasure: ConversationErasure, report: PrivacyReport) -> None:
        if self.redact_card is None:
            return
        for card in erasure.slack_cards:
            try:
                self.redact_card(card)
            except Exception as exc:  # Slack down: the rows are erased; say what is left
                log.warning(
                    "could not redact the Slack card of draft %d: %s",
                    card.draft_id,
                    type(exc).__name__,
                )
                report.slack_cards_failed += 1
            else:
                report.slack_cards_redacted += 1

    def _after(self, report: PrivacyReport) -> None:
        report.removed = +report.removed
        if report.index_resynced and self.resync_index is not None:
            self.resync_index()
        else:
            report.index_resynced = False
        if report.removed and self.compact_storage is not None:
            self.compact_storage(report.index_resynced)

    def _audit(
        self,
        reference: BuyerReference,
        conversation_id: str | None,
        *,
        reason: str,
        actor: str,
        removed: Counter[str],
    ) -> None:
        with self.session_factory() as session, session.begin():
            session.add(
                self._audit_row(
                    reference, conversation_id, reason=reason, actor=actor, removed=removed
                )
            )

    def _audit_row(
        self,
        reference: BuyerReference,
        conversation_id: str | None,
        *,
        reason: str,
        actor: str,
        removed: Counter[str],
    ) -> PrivacyErasure:
        return PrivacyErasure(
            reason=reason,
            subject_kind=reference.kind,
            subject_sha256=reference.digest,
            conversation_id=conversation_id,
            requested_by=actor[:200],
            removed=dict(+removed),
            created_at=self.clock(),
        )
