"""The data keyring and the encrypted column types (bot/protection/crypto.py)."""

from __future__ import annotations

import base64
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from bot.db_schema import target_metadata
from bot.protection.crypto import (
    BlindIndex,
    DataKeyInvalid,
    DataKeyMismatch,
    DataKeyMissing,
    DataKeyring,
    EncryptedColumn,
    EncryptedJSON,
    EncryptedText,
    bind_data_keys,
    encrypted_columns,
    generate_key,
    load_data_keys,
    normalise_key,
    reencrypt_all,
    set_default_data_keys,
)
from knowledge_base.db import make_engine

METADATA = MetaData()
NOTES = Table(
    "notes", METADATA,
    Column("id", Integer, primary_key=True),
    Column("body", EncryptedText(), nullable=True),
    Column("extra", EncryptedJSON(), nullable=True),
    Column("address_index", BlindIndex("body"), nullable=True),
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'notes.sqlite3'}")
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def test_standard_and_urlsafe_base64_name_the_same_key_and_short_keys_are_refused() -> None:
    raw = bytes(range(250, 256)) + os.urandom(26)
    assert normalise_key(base64.b64encode(raw).decode()) == base64.urlsafe_b64encode(raw).decode()
    with pytest.raises(DataKeyInvalid):
        normalise_key(base64.b64encode(os.urandom(16)).decode())
    with pytest.raises(DataKeyInvalid):
        normalise_key("not base64 at all!")


def test_an_old_key_still_reads_and_rotation_moves_values_to_the_new_key() -> None:
    old = DataKeyring.of(generate_key())
    token = old.encrypt("Maria Lopez")
    both = old.with_new_key(generate_key())
    assert both.decrypt(token) == "Maria Lopez"
    rotated = both.rotate(token)
    assert both.current_only().decrypt(rotated) == "Maria Lopez"
    with pytest.raises(DataKeyMismatch):
        old.decrypt(rotated)
    with pytest.raises(DataKeyMismatch):
        both.current_only().decrypt(token)


def test_a_blind_index_is_stable_for_one_key_and_differs_between_keys() -> None:
    keyring = DataKeyring.of(generate_key())
    assert keyring.blind_index("a@relay") == keyring.blind_index("a@relay")
    assert keyring.blind_index("a@relay") != keyring.blind_index("b@relay")
    assert keyring.blind_index("a@relay") != DataKeyring.of(generate_key()).blind_index("a@relay")


def test_the_environment_key_wins_and_a_fresh_data_dir_gets_a_private_key_file(
    tmp_path: Path,
) -> None:
    default = tmp_path / "data" / "data.key"
    generated, created = load_data_keys(key=None, key_file=None, default_file=default)
    assert created and stat.S_IMODE(default.stat().st_mode) == 0o600
    again, created_again = load_data_keys(key=None, key_file=None, default_file=default)
    assert not created_again and again.keys == generated.keys

    given = generate_key()
    from_env, _ = load_data_keys(key=f"{given}, {generated.keys[0]}", key_file=default,
                                 default_file=default)
    assert from_env.keys == (given, generated.keys[0])
    from_file, _ = load_data_keys(key=None, key_file=default, default_file=None)
    assert from_file.keys == generated.keys
    with pytest.raises(DataKeyMissing):
        load_data_keys(key=None, key_file=None, default_file=None)
    with pytest.raises(DataKeyMissing):
        load_data_keys(key=None, key_file=tmp_path / "absent.key", default_file=None)


def test_columns_store_tokens_and_read_clear_values(engine: Engine) -> None:
    keyring = DataKeyring.of(generate_key())
    bind_data_keys(engine, keyring)
    with engine.begin() as connection:
        connection.execute(NOTES.insert().values(
            id=1, body="turquoise casserole", extra={"name": "Maria"}, address_index="x@relay",
        ))
        connection.execute(NOTES.insert().values(id=2, body=None, extra=None))
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT body, extra, address_index FROM notes WHERE id=1"))
        body, extra, index = raw.one()
        assert "casserole" not in body and "Maria" not in extra
        assert keyring.decrypt(body) == "turquoise casserole"
        assert index == keyring.blind_index("x@relay")
        rows = connection.execute(select(NOTES).order_by(NOTES.c.id)).all()
        assert [tuple(row) for row in rows] == [
            (1, "turquoise casserole", {"name": "Maria"}, index), (2, None, None, None),
        ]
        found = connection.execute(select(NOTES.c.id).where(NOTES.c.address_index == "x@relay"))
        assert found.scalars().all() == [1]


def test_without_any_key_nothing_is_written_in_clear(engine: Engine) -> None:
    previous = set_default_data_keys(None)
    try:
        with pytest.raises(StatementError) as caught, engine.begin() as connection:
            connection.execute(NOTES.insert().values(id=1, body="secret"))
        assert isinstance(caught.value.__cause__, DataKeyMissing)
    finally:
        set_default_data_keys(previous)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_reencrypting_moves_every_value_and_blind_index_to_the_new_key(engine: Engine) -> None:
    old = DataKeyring.of(generate_key())
    bind_data_keys(engine, old)
    with engine.begin() as connection:
        connection.execute(NOTES.insert().values(id=1, body="x@relay", extra=[1, 2],
                                                 address_index="x@relay"))
    rotating = old.with_new_key(generate_key())
    columns = [EncryptedColumn("notes", "body", ("id",)),
               EncryptedColumn("notes", "extra", ("id",)),
               EncryptedColumn("notes", "address_index", ("id",), blind_index_of="body")]
    with engine.begin() as connection:
        assert reencrypt_all(connection, keyring=rotating, columns=columns) == 3
    bind_data_keys(engine, rotating.current_only())
    with engine.connect() as connection:
        row = connection.execute(select(NOTES).where(NOTES.c.address_index == "x@relay")).one()
        assert (row.body, row.extra) == ("x@relay", [1, 2])


def test_the_schema_names_its_encrypted_columns_with_their_keys() -> None:
    found = {(c.table, c.column): c for c in encrypted_columns(target_metadata)}
    assert {("messages", "text"), ("drafts", "text"), ("drafts", "final_text"),
            ("conversations", "buyer_name"), ("orders", "buyer_name"),
            ("mail_outbox", "body"), ("mail_threads", "relay_address")} <= set(found)
    assert found[("mail_threads", "relay_address_index")].blind_index_of == "relay_address"
    assert found[("orders", "buyer_name")].key_columns == ("order_id",)


def test_processes_starting_together_on_a_fresh_data_dir_share_one_generated_key(
    tmp_path: Path,
) -> None:
    default = tmp_path / "data" / "data.key"
    start = threading.Barrier(8)
    found: list[tuple[tuple[str, ...], bool]] = []

    def start_up() -> None:
        start.wait()
        keyring, created = load_data_keys(key=None, key_file=None, default_file=default)
        found.append((keyring.keys, created))

    threads = [threading.Thread(target=start_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({keys for keys, _ in found}) == 1
    assert [created for _, created in found].count(True) == 1
    assert sorted(p.name for p in default.parent.iterdir()) == ["data.key"]
