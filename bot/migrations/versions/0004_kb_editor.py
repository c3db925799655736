"""Knowledge-base editor: suggestions and gaps (issue 6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Placeholder kept so the chain is linear while the feature is built."""


def downgrade() -> None:
    pass
