"""Article translations: the article a revision translates and the source revision it was
made from (issue 13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translation_of", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("source_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_revisions", schema=None) as batch_op:
        batch_op.drop_column("source_revision")
        batch_op.drop_column("translation_of")
