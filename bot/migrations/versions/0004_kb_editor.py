"""Knowledge-base editor: suggestions and gaps (issue 6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=120), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=False),
        sa.Column("change_ratio", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("accepted_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "article_id", name="uq_kb_suggestions_draft"),
    )
    with op.batch_alter_table("kb_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_suggestions_article_id"), ["article_id"])
        batch_op.create_index(batch_op.f("ix_kb_suggestions_draft_id"), ["draft_id"])
        batch_op.create_index(batch_op.f("ix_kb_suggestions_status"), ["status"])

    op.create_table(
        "kb_scanned_drafts",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("scanned_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("suggestions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("draft_id"),
    )


def downgrade() -> None:
    op.drop_table("kb_scanned_drafts")
    with op.batch_alter_table("kb_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_suggestions_status"))
        batch_op.drop_index(batch_op.f("ix_kb_suggestions_draft_id"))
        batch_op.drop_index(batch_op.f("ix_kb_suggestions_article_id"))
    op.drop_table("kb_suggestions")
