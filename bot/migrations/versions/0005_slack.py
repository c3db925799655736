"""Slack card references and delivery dedup (issue 5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_cards",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("thread_ts", sa.String(length=40), nullable=True),
        sa.Column("shown_status", sa.String(length=30), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("lease_until", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.JSON(), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("draft_id"),
    )
    with op.batch_alter_table("slack_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_cards_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "slack_actions",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("slack_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_actions_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_slack_actions_status"), ["status"], unique=False)

    op.create_table(
        "slack_summaries",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("slack_summaries")
    with op.batch_alter_table("slack_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_actions_status"))
        batch_op.drop_index(batch_op.f("ix_slack_actions_draft_id"))
    op.drop_table("slack_actions")
    with op.batch_alter_table("slack_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_cards_conversation_id"))
    op.drop_table("slack_cards")
