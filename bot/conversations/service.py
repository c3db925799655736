"""The workflow's one entry point for every surface (widget API, console, Slack, worker).

``Workflow`` is framework-free: methods take keyword-only arguments and raise
:class:`~bot.conversations.errors.WorkflowError` subclasses with stable codes. Actors are
plain strings (``"agent@example.com"``, ``"slack:U123"``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations import decisions, inbox, queue, reply_notice, verification, views
from bot.conversations import photos as photos_mod
from bot.conversations.context import WorkflowConfig, WorkflowContext
from bot.conversations.models import Conversation, Message
from bot.conversations.notifications import ReviewNotifier
from bot.conversations.schemas import (
    AttentionItem,
    ConversationStatus,
    DecisionOutcome,
    DraftDetail,
    DraftJob,
    DraftSummary,
    MessagePublic,
    NewConversation,
    ReceivedMessage,
    ReplyOutcome,
    ThreadMessage,
)
from bot.conversations.states import DraftStatus
from bot.drafting.interface import Drafter
from bot.events import EventPublisher
from bot.facts import DraftReply
from knowledge_base.clock import Clock, utcnow


class Workflow:
    """Conversations, drafts and decisions over one database."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        drafter: Drafter,
        events: EventPublisher,
        notifiers: list[ReviewNotifier] | None = None,
        config: WorkflowConfig | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.ctx = WorkflowContext(
            session_factory=session_factory, drafter=drafter, events=events,
            notifiers=notifiers if notifiers is not None else [],
            config=config or WorkflowConfig(), clock=clock,
        )

    @property
    def config(self) -> WorkflowConfig:
        return self.ctx.config

    @property
    def notifiers(self) -> list[ReviewNotifier]:
        """The live list of notifiers; append to register one (e.g. Slack)."""
        return self.ctx.notifiers

    @property
    def drafter(self) -> Drafter:
        return self.ctx.drafter

    def add_wakeup(self, wake: Callable[[], None]) -> None:
        """Called after a message is queued (the in-process worker registers here)."""
        self.ctx.wakeups.append(wake)

    # --- buyers -------------------------------------------------------------------------

    def start_conversation(
        self, *, buyer_name: str | None = None, locale: str | None = None,
        channel: str = "widget",
    ) -> NewConversation:
        return inbox.start_conversation(self.ctx, buyer_name=buyer_name, locale=locale,
                                        channel=channel)

    def authenticate_buyer(self, *, conversation_id: str, token: str) -> str:
        return inbox.authenticate_buyer(self.ctx, conversation_id=conversation_id, token=token)

    def receive_buyer_message(
        self, *, conversation_id: str, text: str, received_at: datetime | None = None,
        acknowledge: bool = True, on_stored: Callable[[Session, Message], None] | None = None,
    ) -> ReceivedMessage:
        return inbox.receive_buyer_message(
            self.ctx, conversation_id=conversation_id, text=text, received_at=received_at,
            acknowledge=acknowledge, on_stored=on_stored,
        )

    def receive_buyer_photos(
        self, *, conversation_id: str, photos: Sequence[photos_mod.UploadedPhoto],
        caption: str | None, store: photos_mod.PhotoStore,
    ) -> ReceivedMessage:
        """Damage photos (1–3 JPEG/PNG/WebP, 5 MB each) as one buyer message; PhotoRefused
        before anything is stored when one is not acceptable."""
        types = photos_mod.check_photos(photos)
        names = [photos_mod.display_name(p.filename, index=i) for i, p in enumerate(photos, 1)]
        return self.receive_buyer_message(
            conversation_id=conversation_id,
            text=photos_mod.photo_message_text(names, caption),
            on_stored=lambda session, message: photos_mod.record_photos(
                session, message, photos=photos, names=names, types=types, store=store),
        )

    def set_reply_notice(self, *, conversation_id: str, email: str) -> None:
        """The buyer's "tell me when you've answered" address (stored; shown to agents)."""
        cleaned = reply_notice.clean_email(email)
        with self.ctx.transaction() as session:
            reply_notice.set_notice_email(session, conversation_id=conversation_id,
                                          email=cleaned, now=self.ctx.clock())

    def reply_notice_email(self, *, conversation_id: str) -> str | None:
        with self.ctx.reading() as session:
            return reply_notice.notice_email_of(session, conversation_id=conversation_id)

    def buyer_photos(self, *, conversation_id: str) -> list[photos_mod.PhotoPublic]:
        with self.ctx.reading() as session:
            return photos_mod.photos_of(session, conversation_id=conversation_id)

    def buyer_photo(self, *, conversation_id: str, photo_id: int) -> tuple[str, str, str]:
        """(stored path, content type, file name) of one photo; ConversationNotFound else."""
        with self.ctx.reading() as session:
            photo = photos_mod.photo_file(session, conversation_id=conversation_id,
                                          photo_id=photo_id)
            return photo.path, photo.content_type, photo.filename

    def add_delivery(
        self, channel: str, deliver: Callable[[Session, Conversation, Message], None]
    ) -> None:
        """Register how replies on ``channel`` leave (runs in the reply's transaction)."""
        self.ctx.deliveries[channel] = deliver

    def add_order_binder(
        self, channel: str, binder: Callable[[Session, str], Sequence[str]]
    ) -> None:
        """Register which orders conversations on ``channel`` are bound to by the channel
        itself (mail: the order of the relay thread)."""
        self.ctx.order_binders[channel] = binder

    def verify_order(
        self, *, conversation_id: str, order_id: str, last_name: str
    ) -> verification.BoundOrder:
        """The widget buyer verifies an order (its id + the last name on it)."""
        return verification.verify_order(self.ctx, conversation_id=conversation_id,
                                         order_id=order_id, last_name=last_name)

    def bind_order(
        self, *, conversation_id: str, order_id: str, actor: str
    ) -> verification.BoundOrder:
        """An agent binds an order to the conversation; its facts may then be drafted."""
        return verification.bind_order(self.ctx, conversation_id=conversation_id,
                                       order_id=order_id, actor=actor)

    def bound_orders(self, *, conversation_id: str) -> list[str]:
        """The orders whose facts drafts for this conversation may state."""
        return verification.bound_orders(self.ctx, conversation_id=conversation_id)

    def request_person(
        self, *, conversation_id: str, actor: str = "buyer", reason: str = "buyer_asked"
    ) -> ConversationStatus:
        return inbox.request_person(self.ctx, conversation_id=conversation_id, actor=actor,
                                    reason=reason)

    def conversation_status(self, *, conversation_id: str) -> ConversationStatus:
        return inbox.conversation_status(self.ctx, conversation_id=conversation_id)

    def buyer_thread(
        self, *, conversation_id: str, after_id: int | None = None
    ) -> list[MessagePublic]:
        return inbox.buyer_thread(self.ctx, conversation_id=conversation_id, after_id=after_id)

    # --- reviewers ----------------------------------------------------------------------

    def list_drafts(
        self, *, statuses: Collection[DraftStatus] = (DraftStatus.PENDING_REVIEW,),
        limit: int = 200, after_draft_id: int | None = None,
    ) -> list[DraftSummary]:
        return views.list_drafts(self.ctx, statuses=statuses, limit=limit,
                                 after_draft_id=after_draft_id)

    def get_draft(self, *, draft_id: int) -> DraftDetail:
        return views.get_draft(self.ctx, draft_id=draft_id)

    def conversation_thread(self, *, conversation_id: str) -> list[ThreadMessage]:
        return views.conversation_thread(self.ctx, conversation_id=conversation_id)

    def needs_attention(self) -> list[AttentionItem]:
        return views.needs_attention(self.ctx)

    def approve(
        self, *, draft_id: int, actor: str, text: str | None = None,
        override_reason: str | None = None, may_decide_escalated: bool = False,
        may_override: bool = False,
    ) -> DecisionOutcome:
        return decisions.approve_draft(
            self.ctx, draft_id=draft_id, actor=actor, text=text,
            override_reason=override_reason, may_decide_escalated=may_decide_escalated,
            may_override=may_override,
        )

    def reject(
        self, *, draft_id: int, actor: str, reason: str, may_decide_escalated: bool = False
    ) -> DecisionOutcome:
        return decisions.reject_draft(self.ctx, draft_id=draft_id, actor=actor, reason=reason,
                                      may_decide_escalated=may_decide_escalated)

    def escalate(self, *, draft_id: int, actor: str, note: str | None = None) -> DecisionOutcome:
        return decisions.escalate_draft(self.ctx, draft_id=draft_id, actor=actor, note=note)

    def no_response_needed(
        self, *, draft_id: int, actor: str, note: str | None = None,
        may_decide_escalated: bool = False,
    ) -> DecisionOutcome:
        return decisions.mark_no_response_needed(
            self.ctx, draft_id=draft_id, actor=actor, note=note,
            may_decide_escalated=may_decide_escalated,
        )

    def reply_manually(self, *, conversation_id: str, actor: str, text: str) -> ReplyOutcome:
        return decisions.reply_manually(self.ctx, conversation_id=conversation_id, actor=actor,
                                        text=text)

    def request_redraft(self, *, conversation_id: str, actor: str) -> None:
        decisions.request_redraft(self.ctx, conversation_id=conversation_id, actor=actor)

    def close_without_reply(
        self, *, conversation_id: str, actor: str, note: str | None = None
    ) -> None:
        decisions.close_without_reply(self.ctx, conversation_id=conversation_id, actor=actor,
                                      note=note)

    # --- the drafting worker ------------------------------------------------------------

    def claim_next_job(self, *, worker_id: str) -> DraftJob | None:
        return queue.claim_next_job(self.ctx, worker_id=worker_id)

    def store_draft(self, job: DraftJob, reply: DraftReply) -> int | None:
        return queue.store_draft(self.ctx, job, reply)

    def record_failure(self, job: DraftJob, *, error: str) -> bool:
        return queue.record_failure(self.ctx, job, error=error)

    def resume_after_restart(self, *, release_all_claims: bool) -> int:
        return queue.resume_after_restart(self.ctx, release_all_claims=release_all_claims)

    def queue_length(self) -> int:
        return queue.queue_length(self.ctx)

