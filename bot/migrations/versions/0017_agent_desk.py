"""The agent's desk: claimed conversations, who has a draft open, canned replies (issue 18)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft_viewers",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=254), nullable=False),
        sa.Column("seen_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("draft_id", "agent"),
    )
    with op.batch_alter_table("draft_viewers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_viewers_seen_at"), ["seen_at"], unique=False)
    op.create_table(
        "conversation_assignments",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("assignee", sa.String(length=254), nullable=False),
        sa.Column("assigned_by", sa.String(length=254), nullable=False),
        sa.Column("assigned_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("conversation_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_assignments_assignee"), ["assignee"], unique=False
        )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("updated_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("title"),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    with op.batch_alter_table("conversation_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_assignments_assignee"))
    op.drop_table("conversation_assignments")
    with op.batch_alter_table("draft_viewers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_viewers_seen_at"))
    op.drop_table("draft_viewers")
