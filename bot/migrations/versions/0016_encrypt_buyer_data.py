"""Buyer data encrypted at rest: clear text becomes Fernet tokens, under the data key of the
engine that migrates (issue 16, item 5); relay addresses get a blind index for lookups

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

Columns that were VARCHAR(n) or JSON become TEXT on PostgreSQL (a token is longer than the
value). SQLite keeps the declared types: it never enforces a length, and changing a type
there recreates the table, whose DROP would cascade into child rows while foreign keys are on.
The downgrade decrypts (it needs the same key).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.protection.crypto import DataKeyring, keyring_for

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, primary key, column, type before this revision) — fixed here, not read from the
# models, so the revision means the same thing whatever the models become.
ENCRYPTED: tuple[tuple[str, str, str, sa.types.TypeEngine[object]], ...] = (
    ("conversations", "id", "buyer_name", sa.String(120)),
    ("messages", "id", "text", sa.Text()),
    ("drafts", "id", "text", sa.Text()),
    ("drafts", "id", "final_text", sa.Text()),
    ("drafts", "id", "decision_note", sa.Text()),
    ("drafts", "id", "override_reason", sa.Text()),
    ("drafts", "id", "evidence", sa.JSON()),
    ("review_events", "id", "text_before", sa.Text()),
    ("review_events", "id", "text_after", sa.Text()),
    ("review_events", "id", "note", sa.Text()),
    ("idempotency_keys", "id", "response_body", sa.Text()),
    ("mail_threads", "id", "relay_address", sa.String(320)),
    ("mail_threads", "id", "subject", sa.String(998)),
    ("mail_inbound", "id", "from_address", sa.String(320)),
    ("mail_inbound", "id", "subject", sa.String(998)),
    ("mail_outbox", "id", "to_address", sa.String(320)),
    ("mail_outbox", "id", "subject", sa.String(998)),
    ("mail_outbox", "id", "body", sa.Text()),
    ("orders", "order_id", "buyer_name", sa.String(200)),
    ("kb_suggestions", "id", "draft_text", sa.Text()),
    ("kb_suggestions", "id", "final_text", sa.Text()),
    ("slack_actions", "key", "text", sa.Text()),
)
OLD_UNIQUE = ("relay_address", "order_key")
NEW_UNIQUE = "uq_mail_threads_relay_address_index"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rows(table: str, key: str, column: str) -> list[tuple[object, str]]:
    query = sa.text(f'SELECT "{key}", "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
    return [(row[0], str(row[1])) for row in op.get_bind().execute(query)]


def _set(table: str, key: str, column: str, values: list[tuple[object, str]]) -> None:
    if values:
        statement = sa.text(f'UPDATE "{table}" SET "{column}" = :value WHERE "{key}" = :key')
        op.get_bind().execute(statement, [{"key": k, "value": v} for k, v in values])


class _LazyKeyring:
    """The engine's keyring, asked for only when a row needs it (an empty database migrates
    without any key)."""

    def __init__(self) -> None:
        self._keyring: DataKeyring | None = None

    def get(self) -> DataKeyring:
        if self._keyring is None:
            self._keyring = keyring_for(op.get_bind().dialect)
        return self._keyring


def _old_unique_name() -> str | None:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("mail_threads"):
        if tuple(constraint["column_names"]) == OLD_UNIQUE:
            return constraint["name"]
    return None


def upgrade() -> None:
    keys = _LazyKeyring()
    if _postgres():
        for table, _key, column, before in ENCRYPTED:
            if not isinstance(before, sa.Text):
                op.alter_column(table, column, type_=sa.Text(), existing_type=before,
                                postgresql_using=f'"{column}"::text')
        old_unique = _old_unique_name()
        if old_unique:
            op.drop_constraint(old_unique, "mail_threads", type_="unique")
        op.add_column("mail_threads", sa.Column("relay_address_index", sa.Text(), nullable=True))
    else:
        # mail_threads has no child table: recreating it (SQLite's way to drop a constraint)
        # loses nothing. The unnamed constraint is found through the naming convention.
        with op.batch_alter_table(
            "mail_threads",
            naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"},
        ) as batch:
            batch.drop_constraint("uq_mail_threads_relay_address", type_="unique")
            batch.add_column(sa.Column("relay_address_index", sa.Text(), nullable=True))

    threads = _rows("mail_threads", "id", "relay_address")
    _set("mail_threads", "id", "relay_address_index",
         [(k, keys.get().blind_index(v)) for k, v in threads])
    for table, key, column, _before in ENCRYPTED:
        _set(table, key, column, [(k, keys.get().encrypt(v)) for k, v in _rows(table, key, column)])

    with op.batch_alter_table("mail_threads") as batch:
        batch.alter_column("relay_address_index", existing_type=sa.Text(), nullable=False)
        batch.create_unique_constraint(NEW_UNIQUE, ["relay_address_index", "order_key"])


def downgrade() -> None:
    keys = _LazyKeyring()
    for table, key, column, _before in ENCRYPTED:
        _set(table, key, column, [(k, keys.get().decrypt(v)) for k, v in _rows(table, key, column)])
    with op.batch_alter_table("mail_threads") as batch:
        batch.drop_constraint(NEW_UNIQUE, type_="unique")
        batch.drop_column("relay_address_index")
        # PostgreSQL's own name for the constraint 0010 created without one.
        batch.create_unique_constraint("mail_threads_relay_address_order_key_key",
                                       list(OLD_UNIQUE))
    if _postgres():
        for table, _key, column, before in ENCRYPTED:
            if not isinstance(before, sa.Text):
                using = "json" if isinstance(before, sa.JSON) else "text"
                op.alter_column(table, column, type_=before, existing_type=sa.Text(),
                                postgresql_using=f'"{column}"::{using}')
