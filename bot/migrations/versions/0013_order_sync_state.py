"""Order sync state: how far the Selling Partner API's orders have been read, and the lease
of the process reading them (issue 14, orders from the marketplace)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_sync_state",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("synced_until", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("started_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", knowledge_base.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("order_sync_state")
