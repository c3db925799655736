"""The Amazon inbox: relay threads, inbound mails, the outbox and the IMAP cursor (issue 14)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_threads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("relay_address", sa.String(length=320), nullable=False),
        sa.Column("order_key", sa.String(length=40), nullable=False),
        sa.Column("marketplace", sa.String(length=40), nullable=True),
        sa.Column("asin", sa.String(length=20), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id"),
        sa.UniqueConstraint("relay_address", "order_key"),
    )
    op.create_table(
        "mail_inbound",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("sent_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("raw_path", sa.String(length=500), nullable=False),
        sa.Column("raw_bytes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("buyer_message_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["buyer_message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("buyer_message_id"),
    )
    with op.batch_alter_table("mail_inbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_inbound_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_inbound_conversation_id"), ["conversation_id"], unique=False)
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("seller_message_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("in_reply_to", sa.String(length=998), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claim_expires_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("send_started_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("copy_seen_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("server_reply", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("seller_message_id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_outbox_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_status"), ["status"], unique=False)
    op.create_table(
        "mail_cursors",
        sa.Column("mailbox", sa.String(length=500), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )


def downgrade() -> None:
    op.drop_table("mail_cursors")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_conversation_id"))
    op.drop_table("mail_outbox")
    with op.batch_alter_table("mail_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_inbound_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_mail_inbound_kind"))
    op.drop_table("mail_inbound")
    op.drop_table("mail_threads")
