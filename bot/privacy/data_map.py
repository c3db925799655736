"""The map of buyer personal data: every column, file, index entry and outside copy that can
hold it, and what retention (the purge) and erasure (a buyer's request) do to each.

This is the one list the purge and erasure in :mod:`bot.privacy.erasure` follow, and
``tests/unit/test_privacy_data_map.py`` walks the SQLAlchemy metadata against it: a new
text column that is neither here nor in :data:`NOT_PII` fails the test, so nobody adds a
place for buyer text without deciding its retention.

What is kept after a purge: counts of conversations, messages and drafts, their statuses,
decisions, who decided and when, confidence, hand-off reasons, languages and citations
(article usage) — nothing that names or locates the buyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Retention(StrEnum):
    """What happens to a place on the map when its conversation is purged or erased."""

    CLEARED = "value replaced by an empty one"
    SCRUBBED = "JSON kept with its buyer fields removed"
    ROW_DELETED = "row deleted"
    FILE_DELETED = "file deleted from the data dir"
    INDEX_ENTRY_REMOVED = "row deleted and the index re-synced (Chroma + BM25)"
    CARD_REDACTED = "Slack message replaced by a redacted card (chat.update)"
    MASKED_WHEN_WRITTEN = "PII masked before it is written (bot.checks.redaction)"
    NOT_REACHABLE = "a copy outside draftdesk: documented, cannot be recalled"


@dataclass(frozen=True)
class PiiColumn:
    """A column that can hold buyer personal data."""

    table: str
    column: str
    holds: str
    retention: Retention


@dataclass(frozen=True)
class PiiPlace:
    """A place outside the SQL tables: a file, an index, a log or an outside service."""

    name: str
    holds: str
    retention: Retention


# The retention clock, for every place below: 30 days (DRAFTDESK_RETENTION_DAYS, at most 30)
# after the conversation's order was delivered, or after its last activity when it has no
# delivered order; a conversation still waiting for a person is never purged.
RETENTION_RULE = (
    "purged DRAFTDESK_RETENTION_DAYS (default and maximum 30) after the order's delivery, or "
    "after the conversation's last activity without a delivered order; erased at once on a "
    "buyer's request"
)

PII_COLUMNS: tuple[PiiColumn, ...] = (
    PiiColumn("conversations", "buyer_name", "the name the buyer gave", Retention.CLEARED),
    PiiColumn(
        "conversations", "last_error", "a drafting error may quote buyer text", Retention.CLEARED
    ),
    PiiColumn("messages", "text", "buyer messages and the replies sent to them", Retention.CLEARED),
    PiiColumn(
        "messages", "text_sha256", "a digest that confirms a guessed reply text", Retention.CLEARED
    ),
    PiiColumn("drafts", "text", "the drafted reply (name, order, address)", Retention.CLEARED),
    PiiColumn("drafts", "final_text", "the reply as an agent edited it", Retention.CLEARED),
    PiiColumn("drafts", "decision_note", "an agent's note on the decision", Retention.CLEARED),
    PiiColumn("drafts", "override_reason", "why an agent overrode a check", Retention.CLEARED),
    PiiColumn(
        "drafts", "evidence", "buyer name, order facts and cited passages", Retention.CLEARED
    ),
    PiiColumn("drafts", "order_facts", "order id, tracking number, items", Retention.CLEARED),
    PiiColumn("drafts", "checks", "failing sentences quoted from the reply", Retention.SCRUBBED),
    PiiColumn(
        "drafts", "final_checks", "failing sentences of the edited reply", Retention.SCRUBBED
    ),
    PiiColumn(
        "drafts", "verdicts", "policy verdicts may name the order and its dates", Retention.SCRUBBED
    ),
    PiiColumn("review_events", "text_before", "the draft before a decision", Retention.CLEARED),
    PiiColumn("review_events", "text_after", "the text an agent sent", Retention.CLEARED),
    PiiColumn(
        "review_events", "note", "a rejection, escalation or closing note", Retention.CLEARED
    ),
    PiiColumn(
        "idempotency_keys",
        "response_body",
        "the stored answer to a buyer request",
        Retention.ROW_DELETED,
    ),
    PiiColumn("idempotency_keys", "key", "a key the buyer's widget chose", Retention.ROW_DELETED),
    PiiColumn("order_bindings", "order_id", "the buyer's order", Retention.ROW_DELETED),
    PiiColumn("orders", "order_id", "the buyer's order id", Retention.ROW_DELETED),
    PiiColumn("orders", "buyer_name", "the name on the order", Retention.ROW_DELETED),
    PiiColumn(
        "orders", "tracking_number", "locates the parcel and the buyer", Retention.ROW_DELETED
    ),
    PiiColumn("order_items", "order_id", "the buyer's order id", Retention.ROW_DELETED),
    PiiColumn("mail_threads", "relay_address", "the buyer's relay address", Retention.CLEARED),
    PiiColumn(
        "mail_threads",
        "relay_address_index",
        "keyed HMAC of the relay address (links the buyer's threads)",
        Retention.CLEARED,
    ),
    PiiColumn("mail_threads", "order_key", "the buyer's order id", Retention.CLEARED),
    PiiColumn("mail_threads", "subject", "the relay subject (order id, item)", Retention.CLEARED),
    PiiColumn("mail_threads", "asin", "the item the buyer bought", Retention.CLEARED),
    PiiColumn("mail_inbound", "from_address", "the buyer's relay address", Retention.CLEARED),
    PiiColumn("mail_inbound", "subject", "the mail's subject", Retention.CLEARED),
    PiiColumn("mail_inbound", "raw_path", "where the raw mail is stored", Retention.CLEARED),
    PiiColumn(
        "mail_inbound", "reason", "why a mail was kept apart (quotes headers)", Retention.CLEARED
    ),
    PiiColumn("mail_inbound", "order_id", "the buyer's order id", Retention.CLEARED),
    PiiColumn("mail_inbound", "references", "Message-IDs of the thread", Retention.CLEARED),
    PiiColumn(
        "mail_inbound", "attachments", "names and paths of the buyer's files", Retention.CLEARED
    ),
    PiiColumn(
        "mail_inbound", "source", "the mailbox or file the mail came from", Retention.CLEARED
    ),
    PiiColumn("mail_outbox", "to_address", "the buyer's relay address", Retention.CLEARED),
    PiiColumn("mail_outbox", "subject", "the reply's subject", Retention.CLEARED),
    PiiColumn("mail_outbox", "body", "the reply sent to the buyer", Retention.CLEARED),
    PiiColumn("mail_outbox", "in_reply_to", "the buyer mail's Message-ID", Retention.CLEARED),
    PiiColumn("mail_outbox", "references", "Message-IDs of the thread", Retention.CLEARED),
    PiiColumn(
        "mail_outbox", "attachments", "the seller documents sent (by name)", Retention.CLEARED
    ),
    PiiColumn(
        "mail_outbox",
        "server_reply",
        "the SMTP server's answer (quotes the address)",
        Retention.CLEARED,
    ),
    PiiColumn(
        "mail_outbox", "last_error", "a sending error (quotes the address)", Retention.CLEARED
    ),
    PiiColumn(
        "slack_actions", "text", "an edited reply or a reason typed in Slack", Retention.CLEARED
    ),
    PiiColumn(
        "kb_suggestions", "draft_text", "the draft a suggestion was learned from", Retention.CLEARED
    ),
    PiiColumn(
        "kb_suggestions", "final_text", "the agent's edit it was learned from", Retention.CLEARED
    ),
    PiiColumn(
        "kb_suggestions", "changes", "sentences taken from the agent's edit", Retention.CLEARED
    ),
    PiiColumn(
        "buyer_photos", "filename", "the name of a photo the buyer attached", Retention.CLEARED
    ),
    PiiColumn("buyer_photos", "path", "where the photo file is stored", Retention.FILE_DELETED),
    PiiColumn("buyer_photos", "sha256", "confirms a known picture", Retention.CLEARED),
    PiiColumn(
        "reply_notices",
        "email",
        "where the buyer asked to hear about a reply",
        Retention.ROW_DELETED,
    ),
    PiiColumn(
        "learned_questions",
        "text",
        "a buyer question learned for an article",
        Retention.INDEX_ENTRY_REMOVED,
    ),
    PiiColumn(
        "audit_log",
        "detail",
        "order ids and agents' notes about a conversation",
        Retention.SCRUBBED,
    ),
)

# Text columns that never hold buyer data, and why (the map test requires a reason).
NOT_PII: dict[tuple[str, str], str] = {
    **{
        (table, "conversation_id"): "a random uuid"
        for table in (
            "idempotency_keys",
            "mail_threads",
            "messages",
            "order_bindings",
            "order_verification_attempts",
            "drafts",
            "mail_inbound",
            "mail_outbox",
            "review_events",
            "slack_cards",
            "privacy_erasures",
            "conversation_assignments",
            "buyer_photos",
            "reply_notices",
        )
    },
    ("conversation_assignments", "assignee"): "an agent",
    ("buyer_photos", "content_type"): "an image type",
    ("canned_replies", "title"): "the seller's own reply template",
    ("canned_replies", "text"): "the seller's own reply template",
    ("canned_replies", "updated_by"): "an agent or lead",
    ("conversation_assignments", "assigned_by"): "an agent or lead",
    ("draft_viewers", "agent"): "an agent",
    ("conversations", "id"): "a random uuid",
    ("conversations", "channel"): "widget or mail",
    ("conversations", "locale"): "a language code",
    ("conversations", "token_hash"): "sha256 of a random token",
    ("conversations", "state"): "a status",
    ("conversations", "needs_person_reason"): "a reason code",
    ("conversations", "claim_token"): "a random worker claim",
    ("conversations", "claimed_by"): "a worker's host and pid",
    ("messages", "role"): "buyer, seller or system",
    ("messages", "status"): "a status",
    ("messages", "approved_by"): "an agent, not a buyer",
    ("drafts", "message_ids"): "row ids",
    ("drafts", "status"): "a status",
    ("drafts", "handoff_reason"): "a reason code",
    ("drafts", "language"): "a language code",
    ("drafts", "sentiment"): "a mood label",
    ("drafts", "intents"): "topic labels",
    ("drafts", "citations"): "article ids, revisions and titles (kept: article usage)",
    ("drafts", "kb_revisions"): "article revisions",
    ("drafts", "composer"): "offline or the LLM's name",
    ("drafts", "decided_by"): "an agent",
    ("review_events", "actor"): "an agent or the bot",
    ("review_events", "action"): "an action name",
    ("idempotency_keys", "request_sha256"): "sha256 of a request (deleted with its row)",
    ("order_bindings", "source"): "buyer or agent",
    ("order_bindings", "bound_by"): "an agent or 'buyer'",
    ("orders", "status"): "an order status",
    ("orders", "carrier"): "a carrier name",
    ("orders", "fulfillment_channel"): "AFN or MFN",
    ("orders", "marketplace"): "a marketplace name",
    ("orders", "currency"): "a currency code",
    ("orders", "source"): "where the order came from",
    ("orders", "content_hash"): "sha256 of the import (deleted with its row)",
    ("order_items", "sku"): "the seller's product code",
    ("order_items", "title"): "the seller's product title",
    ("order_items", "category"): "a product category",
    ("order_sync_state", "source"): "a source name",
    ("order_sync_state", "lease_owner"): "a process",
    ("order_sync_state", "last_error"): "an SP-API error (no order content)",
    ("mail_threads", "marketplace"): "a marketplace domain",
    ("mail_inbound", "message_id"): "an opaque Message-ID, kept so a mail is never re-read",
    ("mail_inbound", "kind"): "a kind",
    ("mail_outbox", "message_id"): "our own Message-ID",
    ("mail_outbox", "status"): "a status",
    ("mail_outbox", "claim_token"): "a random claim",
    ("mail_cursors", "mailbox"): "the seller's mailbox",
    ("slack_cards", "channel"): "the review channel (the card itself is redacted)",
    ("slack_cards", "ts"): "a Slack timestamp",
    ("slack_cards", "thread_ts"): "a Slack timestamp",
    ("slack_cards", "shown_status"): "a status",
    ("slack_cards", "last_error"): "a Slack error code",
    ("slack_cards", "reminders_sent"): "hours",
    ("slack_actions", "key"): "derived from Slack's payload ids",
    ("slack_actions", "user_id"): "an agent's Slack id",
    ("slack_actions", "decision"): "a decision",
    ("slack_actions", "channel"): "a Slack channel",
    ("slack_actions", "status"): "a status",
    ("slack_actions", "outcome"): "an outcome code",
    ("slack_summaries", "day"): "a date",
    ("slack_summaries", "channel"): "a Slack channel",
    ("slack_summaries", "ts"): "a Slack timestamp",
    ("kb_suggestions", "article_id"): "an article",
    ("kb_suggestions", "status"): "a status",
    ("kb_suggestions", "decided_by"): "a lead",
    ("learned_questions", "article_id"): "an article",
    ("learned_questions", "learned_from"): "draft:<id>",
    ("learned_questions", "approved_by"): "an agent",
    ("articles", "id"): "seller content",
    ("articles", "status"): "a status",
    ("articles", "source"): "seller content",
    ("articles", "updated_by"): "a lead",
    ("article_revisions", "article_id"): "seller content",
    ("article_revisions", "title"): "seller content",
    ("article_revisions", "body"): "seller content",
    ("article_revisions", "intents"): "seller content",
    ("article_revisions", "questions"): "the seller's example questions",
    ("article_revisions", "tags"): "seller content",
    ("article_revisions", "locale"): "a language code",
    ("article_revisions", "translation_of"): "an article",
    ("article_revisions", "content_hash"): "a digest of seller content",
    ("article_revisions", "note"): "a lead's note",
    ("article_revisions", "created_by"): "a lead",
    ("audit_log", "actor"): "an agent, lead or 'buyer'",
    ("audit_log", "action"): "an action name",
    ("audit_log", "entity_type"): "a record type",
    ("audit_log", "entity_id"): "a record id",
    ("users", "email"): "staff, not buyers",
    ("users", "role"): "a role",
    ("users", "password_hash"): "a password hash",
    ("api_tokens", "token_hash"): "a token hash",
    ("api_tokens", "label"): "a staff label",
    ("web_sessions", "token_hash"): "a session hash",
    ("privacy_erasures", "reason"): "purge or erase",
    ("privacy_erasures", "subject_kind"): "how the buyer was named",
    ("privacy_erasures", "subject_sha256"): "a digest, never the subject",
    ("privacy_erasures", "requested_by"): "an admin or the retention job",
    ("privacy_erasures", "removed"): "counts only",
}

PII_PLACES: tuple[PiiPlace, ...] = (
    PiiPlace(
        "$DRAFTDESK_DATA_DIR/buyer-photos/",
        "photos buyers attached in the chat",
        Retention.FILE_DELETED,
    ),
    PiiPlace("$DRAFTDESK_DATA_DIR/mail/raw/", "raw buyer mails (.eml)", Retention.FILE_DELETED),
    PiiPlace(
        "$DRAFTDESK_DATA_DIR/mail/attachments/", "files buyers attached", Retention.FILE_DELETED
    ),
    PiiPlace(
        "search index (Chroma + BM25)",
        "learned questions (buyer text)",
        Retention.INDEX_ENTRY_REMOVED,
    ),
    PiiPlace(
        "knowledge gaps (/kb)",
        "computed from buyer messages at view time: an emptied message leaves the gap list",
        Retention.CLEARED,
    ),
    PiiPlace(
        "Slack review cards",
        "buyer name, messages and the draft, posted by us",
        Retention.CARD_REDACTED,
    ),
    PiiPlace("logs", "anything a log line quotes", Retention.MASKED_WHEN_WRITTEN),
    PiiPlace(
        "eval drafts outcome files",
        "buyer-voice messages and drafts",
        Retention.MASKED_WHEN_WRITTEN,
    ),
    PiiPlace(
        "sent e-mails",
        "replies sent through the relay, and our Bcc copy in the "
        "seller's mailbox: the seller's mail server keeps them",
        Retention.NOT_REACHABLE,
    ),
)


def pii_columns_of(table: str) -> tuple[PiiColumn, ...]:
    """The map's columns of one table."""
    return tuple(column for column in PII_COLUMNS if column.table == table)
