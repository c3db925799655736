"""Encryption at rest for columns that hold buyer data (issue 16, item 5).

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256, from ``cryptography``); a
:class:`DataKeyring` holds the current key first and older keys after it, so rows written
under an old key stay readable until ``draftdesk privacy rotate-key`` re-encrypts them
(``MultiFernet.rotate``).

Column types cannot receive arguments per request, so the keyring travels with the engine:
the composition root calls :func:`bind_data_keys` on the engine it builds, and the types find
the keyring through the dialect of the connection they run on. An engine built elsewhere (a
test's own engine, Alembic run by hand) falls back to the process default
(:func:`set_default_data_keys`), and without one a write or read fails with
:class:`DataKeyMissing` instead of storing clear text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.protection.errors import PrivacyError

# The key file written into a fresh embedded data dir when no key is configured.
DEFAULT_KEY_FILE_NAME = "data.key"
_BLIND_INDEX_LABEL = b"draftdesk blind index v1"


class DataKeyError(PrivacyError):
    """The data key is missing, malformed or does not open the stored data."""

    code = "data_key_error"
    status = 500


class DataKeyMissing(DataKeyError):
    code = "data_key_missing"


class DataKeyInvalid(DataKeyError):
    code = "data_key_invalid"


class DataKeyMismatch(DataKeyError):
    """A stored value was written under a key the keyring does not hold."""

    code = "data_key_mismatch"


def normalise_key(material: str) -> str:
    """A Fernet key (urlsafe base64 of 32 bytes) from urlsafe or standard base64 text."""
    text = material.strip()
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_").encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        raise DataKeyInvalid(
            "a data key must be 32 random bytes in base64, e.g. the output of "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`"
        )
    return base64.urlsafe_b64encode(raw).decode("ascii")


def parse_keys(text: str) -> list[str]:
    """Keys separated by commas, spaces or lines: the first encrypts, all of them decrypt."""
    parts = [part for part in text.replace(",", " ").split() if not part.startswith("#")]
    return [normalise_key(part) for part in parts]


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


@dataclass(frozen=True)
class DataKeyring:
    """The data keys of one installation, newest first; the ciphers are built once."""

    keys: tuple[str, ...]
    # Where the keys came from ("DRAFTDESK_DATA_KEY", a file path): named in errors.
    source: str = "DRAFTDESK_DATA_KEY"
    key_file: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise DataKeyMissing(f"no data key in {self.source}")

    @classmethod
    def of(cls, *keys: str, source: str = "a key given in code") -> DataKeyring:
        return cls(tuple(normalise_key(key) for key in keys), source=source)

    @cached_property
    def _cipher(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])

    @cached_property
    def _blind_index_key(self) -> bytes:
        # Derived from the current key, so rotation recomputes the blind indexes too.
        raw = base64.urlsafe_b64decode(self.keys[0])
        return hmac.new(raw, _BLIND_INDEX_LABEL, hashlib.sha256).digest()

    def encrypt(self, text: str) -> str:
        return self._cipher.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._cipher.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeyMismatch(
                f"stored data cannot be decrypted with the data key from {self.source} "
                "(wrong key, or an old key removed before `draftdesk privacy rotate-key` ran)"
            ) from None

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._cipher.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._cipher.decrypt(token)
        except InvalidToken:
            raise DataKeyMismatch(
                f"data cannot be decrypted with the data key from {self.source}"
            ) from None

    def rotate(self, token: str) -> str:
        """The same value encrypted under the current key (old keys only read)."""
        try:
            return self._cipher.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeyMismatch(
                f"a stored value cannot be decrypted with any key from {self.source}"
            ) from None

    def rotate_bytes(self, token: bytes) -> bytes:
        """File bytes encrypted under the current key (old keys only read)."""
        try:
            return self._cipher.rotate(token)
        except InvalidToken:
            raise DataKeyMismatch(
                f"a stored file cannot be decrypted with any key from {self.source}"
            ) from None

    def blind_index(self, text: str) -> str:
        """A keyed HMAC for equality lookups on an encrypted value (hex, 64 characters)."""
        return hmac.new(self._blind_index_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def with_new_key(self, key: str) -> DataKeyring:
        """This keyring with ``key`` in front (encrypting) and the current keys kept for reading."""
        return DataKeyring(
            (normalise_key(key), *self.keys), source=self.source, key_file=self.key_file
        )

    def current_only(self) -> DataKeyring:
        return DataKeyring(self.keys[:1], source=self.source, key_file=self.key_file)


# --- where the keys come from ----------------------------------------------------------------


def read_key_file(path: Path) -> DataKeyring:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise DataKeyMissing(f"cannot read the data key file {path}: {reason}") from None
    return DataKeyring(tuple(parse_keys(text)), source=str(path), key_file=path)


def _write_private(path: Path, keys: Sequence[str]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write("\n".join(keys) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)  # O_CREAT's mode is filtered by the umask


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Write the keys (one a line, current first) readable by the owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    _write_private(partial, keys)
    os.replace(partial, path)


def _create_key_file_once(path: Path) -> bool:
    """Write a new key file unless one exists; True when this call wrote it. Processes that
    start together on a fresh data dir all end up with the one key that won (a hard link
    never replaces an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    _write_private(partial, [generate_key()])
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    finally:
        partial.unlink()
    return True


def load_data_keys(
    *, key: str | None, key_file: Path | None, default_file: Path | None
) -> tuple[DataKeyring, bool]:
    """The keyring from ``DRAFTDESK_DATA_KEY`` (wins), ``DRAFTDESK_DATA_KEY_FILE``, or the
    default key file (created with a new key when ``default_file`` is given and missing).

    Returns the keyring and whether a new key file was generated.
    """
    if key:
        return DataKeyring(tuple(parse_keys(key)), source="DRAFTDESK_DATA_KEY"), False
    if key_file is not None:
        return read_key_file(key_file), False
    if default_file is None:
        raise DataKeyMissing(
            "no data key: set DRAFTDESK_DATA_KEY or DRAFTDESK_DATA_KEY_FILE "
            "(required with an outside database in production)"
        )
    created = not default_file.exists() and _create_key_file_once(default_file)
    return read_key_file(default_file), created


# --- the keyring of an engine ------------------------------------------------------------------

_engine_keyrings: weakref.WeakKeyDictionary[Dialect, DataKeyring] = weakref.WeakKeyDictionary()
_default_keyring: list[DataKeyring | None] = [None]
_lock = threading.Lock()


def bind_data_keys(engine: Engine, keyring: DataKeyring) -> None:
    """Make every connection of ``engine`` encrypt and decrypt with ``keyring``."""
    with _lock:
        _engine_keyrings[engine.dialect] = keyring


def set_default_data_keys(keyring: DataKeyring | None) -> DataKeyring | None:
    """The keyring of engines without their own (tests); returns the previous one."""
    with _lock:
        previous, _default_keyring[0] = _default_keyring[0], keyring
    return previous


def keyring_for(dialect: Dialect) -> DataKeyring:
    keyring = _engine_keyrings.get(dialect) or _default_keyring[0]
    if keyring is None:
        raise DataKeyMissing(
            "no data key for this database connection: open it through the application "
            "(bot.services.open_database), which reads DRAFTDESK_DATA_KEY or the key file"
        )
    return keyring


# --- column types ------------------------------------------------------------------------------


class _DeclaredJson(Text):
    """TEXT declared as JSON: what an older SQLite column says it is, with no JSON coding."""

    __visit_name__ = "JSON"


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token. It can be read, written and compared with NULL, never
    filtered, sorted or indexed in SQL: such work happens in Python after reading.

    ``sqlite_length``: the VARCHAR length an older column was created with. SQLite keeps that
    declaration (it never enforces lengths, and changing a declared type there means
    recreating the table, which cascades deletes into child rows); PostgreSQL uses TEXT.
    """

    impl = Text
    cache_ok = True

    def __init__(self, sqlite_length: int | None = None) -> None:
        super().__init__()
        self.sqlite_length = sqlite_length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite" and self.sqlite_length:
            return String(self.sqlite_length)
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored as one Fernet token (Python None is SQL NULL).

    ``sqlite_declared_json``: the column was created as JSON and SQLite keeps that
    declaration (see :class:`EncryptedText`); the stored value is the token either way.
    """

    impl = Text
    cache_ok = True

    def __init__(self, sqlite_declared_json: bool = False) -> None:
        super().__init__()
        self.sqlite_declared_json = sqlite_declared_json

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite" and self.sqlite_declared_json:
            return _DeclaredJson()
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(keyring_for(dialect).decrypt(value))


class BlindIndex(TypeDecorator[str]):
    """The keyed HMAC of an encrypted column's value, for equality lookups and unique
    constraints. Assign and compare the clear value: the type stores and compares its HMAC
    (so a lookup is ``Row.address_index == address``). ``source`` names the encrypted column
    it mirrors, so key rotation can recompute it."""

    impl = Text
    cache_ok = True

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_for(dialect).blind_index(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return value  # the HMAC itself: the clear value is in the source column


# --- every encrypted value, re-encrypted -------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    key_columns: tuple[str, ...]
    blind_index_of: str | None = None  # the source column, for a BlindIndex column


def encrypted_columns(metadata: MetaData) -> list[EncryptedColumn]:
    """Every encrypted or blind-index column of the schema, table by table."""
    found = []
    for table in metadata.sorted_tables:
        keys = tuple(column.name for column in table.primary_key.columns)
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON):
                found.append(EncryptedColumn(table.name, column.name, keys))
            elif isinstance(column.type, BlindIndex):
                found.append(EncryptedColumn(table.name, column.name, keys, column.type.source))
    return found


def _raw_rows(
    connection: Connection, target: EncryptedColumn, value_column: str
) -> list[tuple[Any, ...]]:
    """(key…, stored text) of every non-NULL value, without any type decoding. Read in full
    before writing: SQLite cannot update a table while a cursor walks it."""
    table = Table(
        target.table,
        MetaData(),
        *(Column(name) for name in target.key_columns),
        Column(value_column, Text),
    )
    query = select(*table.c).where(table.c[value_column].is_not(None))
    return [tuple(row) for row in connection.execute(query)]


def _write(
    connection: Connection,
    target: EncryptedColumn,
    column: str,
    changes: Iterable[tuple[tuple[Any, ...], str]],
) -> int:
    table = Table(
        target.table,
        MetaData(),
        *(Column(name) for name in target.key_columns),
        Column(column, Text),
    )
    count = 0
    for keys, value in changes:
        condition = [
            table.c[name] == key for name, key in zip(target.key_columns, keys, strict=True)
        ]
        connection.execute(update(table).where(*condition).values({column: value}))
        count += 1
    return count


def reencrypt_all(
    connection: Connection, *, keyring: DataKeyring, columns: Sequence[EncryptedColumn]
) -> int:
    """Re-encrypt every stored value under the keyring's current key and recompute the blind
    indexes; returns how many values were rewritten."""
    rewritten = 0
    for target in columns:
        if target.blind_index_of is not None:
            continue
        rows = _raw_rows(connection, target, target.column)
        rewritten += _write(
            connection, target, target.column, ((row[:-1], keyring.rotate(row[-1])) for row in rows)
        )
    for target in columns:
        if target.blind_index_of is None:
            continue
        rows = _raw_rows(connection, target, target.blind_index_of)
        rewritten += _write(
            connection,
            target,
            target.column,
            ((row[:-1], keyring.blind_index(keyring.decrypt(row[-1]))) for row in rows),
        )
    return rewritten
