"""Privacy audit: one row per conversation or order whose buyer data was purged or erased
(issue 16), without the buyer's data itself

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_erasures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_sha256", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_privacy_erasures_subject_sha256", "privacy_erasures", ["subject_sha256"])
    op.create_index("ix_privacy_erasures_conversation_id", "privacy_erasures", ["conversation_id"])
    op.create_index("ix_privacy_erasures_created_at", "privacy_erasures", ["created_at"])


def downgrade() -> None:
    op.drop_table("privacy_erasures")
