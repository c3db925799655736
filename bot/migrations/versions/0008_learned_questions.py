"""Questions learned from approved drafts, indexed with their article (issue 12)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learned_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=120), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("learned_from", sa.String(length=80), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("learned_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learned_questions_article_id"), ["article_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("learned_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learned_questions_article_id"))
    op.drop_table("learned_questions")
