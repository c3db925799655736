"""Orders bound to conversations, and failed widget verifications (issue 15, finding 4)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import knowledge_base.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_bindings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("bound_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "order_id"),
    )
    with op.batch_alter_table("order_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_bindings_conversation_id"), ["conversation_id"], unique=False
        )
    op.create_table(
        "order_verification_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", knowledge_base.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_verification_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_verification_attempts_conversation_id"), ["conversation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("order_verification_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_verification_attempts_conversation_id"))
    op.drop_table("order_verification_attempts")
    with op.batch_alter_table("order_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_bindings_conversation_id"))
    op.drop_table("order_bindings")
