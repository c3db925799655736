"""Backups that restore (issue 16, item 6): a consistent snapshot of one installation,
encrypted with the data key, and its restore into a fresh data dir.

A backup directory holds ``manifest.json`` (clear: what is inside, never buyer data) and
encrypted parts:

* ``database.sqlite3.enc`` — SQLite's online backup API (``sqlite3.Connection.backup``): a
  consistent copy even while the server writes; or ``database.pgdump.enc`` — ``pg_dump``
  (custom format, one snapshot transaction) for PostgreSQL.
* ``files.tar.enc`` — the data dir's files (raw mails, attachments, documents, buyer photos),
  taken *after* the database, so every file a row of the snapshot names is in it.
* ``index.json.enc`` — what the search index keeps besides vectors (the answer/hand-off
  calibration). The vectors themselves are not copied: the index is derived from the KB and
  its learned questions (both in the database), and restore rebuilds it — the re-index recipe,
  which never reads an embedded Chroma directory while another process writes it.
* ``settings.json.enc`` — the non-secret settings, for reference (secrets never leave).

Each part is one Fernet token of the whole file: fine for a seller's database and mail
(hundreds of MB); a bigger installation would stream (noted in the README).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.privacy.errors import PrivacyError
from bot.protection.crypto import DataKeyring

FORMAT = 1
MANIFEST = "manifest.json"
_KEY_CHECK_LABEL = "draftdesk backup key check"
PG_DUMP = "/usr/bin/pg_dump"
PG_RESTORE = "/usr/bin/pg_restore"


class BackupError(PrivacyError):
    code = "backup_error"
    status = 400


@dataclass(frozen=True)
class BackupSources:
    """What one installation's backup reads (plain values: no settings object)."""

    engine: Engine
    data_dir: Path  # its files (mail, attachments, photos) go into files.tar.enc
    # Top-level names in the data dir that are not copied as files: the database (copied
    # through its own snapshot), the index (rebuilt), keys and secrets.
    skipped: frozenset[str]
    index_metadata: Mapping[str, str]  # read from the index by the caller
    settings: Mapping[str, Any]  # non-secret settings only
    schema_revision: str | None


@dataclass
class BackupReport:
    directory: Path
    database: str
    parts: dict[str, int] = field(default_factory=dict)  # name → bytes written

    def as_json(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "database": self.database, "parts": self.parts}


@dataclass(frozen=True)
class RestoredBackup:
    """What a restore read back; the caller migrates, rebuilds the index and writes
    ``index_metadata`` to it."""

    database: str
    schema_revision: str | None
    index_metadata: dict[str, str]
    files: int


def key_check(keyring: DataKeyring) -> str:
    """A fingerprint of the current key (an HMAC: it reveals nothing about the key)."""
    return keyring.blind_index(_KEY_CHECK_LABEL)


def _prepare_directory(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: give a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)


def _write_part(
    directory: Path, name: str, data: bytes, keyring: DataKeyring, report: BackupReport
) -> str:
    token = keyring.encrypt_bytes(data)
    path = directory / name
    path.write_bytes(token)
    path.chmod(0o600)  # encrypted, but still nobody else's business
    report.parts[name] = len(token)
    return hashlib.sha256(token).hexdigest()


def _sqlite_snapshot(engine: Engine) -> bytes:
    """A consistent copy through SQLite's online backup API: all pages in one step, inside
    one read transaction, so the copy is one committed state while writers go on (WAL)."""
    path = engine.url.database
    if not path:
        raise BackupError("the SQLite database has no file to back up")
    with tempfile.TemporaryDirectory() as scratch:
        target_path = Path(scratch) / "snapshot.sqlite3"
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return target_path.read_bytes()


@dataclass(frozen=True)
class _PostgresTarget:
    url: str  # libpq form, without the password (it goes in PGPASSWORD, not on a command line)
    password: str | None
    schema: str | None  # named by the URL's search_path option (one schema per installation)


def _postgres_target(engine: Engine) -> _PostgresTarget:
    url = engine.url.set(drivername="postgresql")
    options = str(url.query.get("options", ""))
    schema = None
    if "search_path=" in options:
        schema = options.split("search_path=", 1)[1].split()[0].split(",")[0]
    password = url.password
    url = url.difference_update_query(["options"]).set(password=None)
    return _PostgresTarget(
        url.render_as_string(hide_password=False),
        str(password) if password is not None else None,
        schema,
    )


def _run(command: list[str], *, password: str | None, stdin: bytes | None = None) -> bytes:
    if not Path(command[0]).exists():
        raise BackupError(f"{command[0]} is missing: install the PostgreSQL client tools")
    env = {**os.environ, **({"PGPASSWORD": password} if password is not None else {})}
    done = subprocess.run(command, input=stdin, capture_output=True, check=False, env=env)
    if done.returncode != 0:
        reason = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise BackupError(f"{Path(command[0]).name} failed: {reason}")
    return done.stdout


def _postgres_snapshot(engine: Engine) -> bytes:
    target = _postgres_target(engine)
    command = [
        PG_DUMP,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--dbname={target.url}",
    ]
    if target.schema:
        command.append(f"--schema={target.schema}")
    return _run(command, password=target.password)


def _files_archive(data_dir: Path, *, skipped: frozenset[str], backup_dir: Path) -> bytes:
    """The data dir's files (mail, attachments, buyer photos, …) without what is skipped by
    top-level name (the database, the index, secrets) or the backup being written."""
    buffer = io.BytesIO()
    inside_backup = backup_dir.resolve()

    def keep(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(member.name).parts  # "./mail/raw/x.eml" → ("mail", "raw", "x.eml")
        top = parts[0] if parts else ""
        if top in skipped or any(top.startswith(name + "-") for name in skipped):
            return None
        if (data_dir / member.name).resolve().is_relative_to(inside_backup):
            return None
        return member

    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        if data_dir.exists():
            archive.add(data_dir, arcname=".", filter=keep)
    return buffer.getvalue()


def create_backup(
    directory: Path,
    *,
    sources: BackupSources,
    keyring: DataKeyring,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BackupReport:
    """Write an encrypted, consistent backup of one installation into ``directory``."""
    _prepare_directory(directory)
    dialect = sources.engine.dialect.name
    report = BackupReport(directory=directory, database=dialect)
    digests: dict[str, str] = {}
    if dialect == "sqlite":
        name, snapshot = "database.sqlite3.enc", _sqlite_snapshot(sources.engine)
    elif dialect == "postgresql":
        name, snapshot = "database.pgdump.enc", _postgres_snapshot(sources.engine)
    else:
        raise BackupError(f"cannot back up a {dialect} database")
    digests[name] = _write_part(directory, name, snapshot, keyring, report)
    # After the database: every file its rows name was written before the snapshot.
    files = _files_archive(sources.data_dir, skipped=sources.skipped, backup_dir=directory)
    digests["files.tar.enc"] = _write_part(directory, "files.tar.enc", files, keyring, report)
    digests["index.json.enc"] = _write_part(
        directory,
        "index.json.enc",
        json.dumps(dict(sources.index_metadata)).encode(),
        keyring,
        report,
    )
    digests["settings.json.enc"] = _write_part(
        directory,
        "settings.json.enc",
        json.dumps(dict(sources.settings), default=str).encode(),
        keyring,
        report,
    )
    manifest = {
        "format": FORMAT,
        "created_at": now().isoformat(),
        "database": dialect,
        "schema_revision": sources.schema_revision,
        "key_check": key_check(keyring),
        "parts": digests,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return report


def read_manifest(directory: Path, keyring: DataKeyring) -> dict[str, Any]:
    """The manifest, after checking the key and every part's digest."""
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{directory} holds no readable draftdesk backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if not any(key_check(DataKeyring((key,))) == manifest.get("key_check") for key in keyring.keys):
        raise BackupError(
            "this backup was made with another data key: set DRAFTDESK_DATA_KEY "
            "(or the key file) to the key of the installation that made it"
        )
    for name, digest in dict(manifest.get("parts", {})).items():
        path = directory / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise BackupError(f"backup part {name} is missing or damaged")
    return manifest


def _read_part(directory: Path, name: str, keyring: DataKeyring) -> bytes:
    return keyring.decrypt_bytes((directory / name).read_bytes())


def _restore_sqlite(data: bytes, database_path: Path) -> None:
    database_path.parent.mkdir(parents=True, exist_ok=True)
    partial = database_path.with_name(database_path.name + ".restoring")
    partial.write_bytes(data)
    for suffix in ("-wal", "-shm"):  # an empty database's leftovers must not replay
        database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
    partial.replace(database_path)


def _restore_postgres(data: bytes, engine: Engine) -> None:
    target = _postgres_target(engine)
    _run(
        [
            PG_RESTORE,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={target.url}",
        ],
        password=target.password,
        stdin=data,
    )


def restore_backup(
    directory: Path, *, engine: Engine, data_dir: Path, keyring: DataKeyring
) -> RestoredBackup:
    """Bring an empty installation back to the backup's state: the database and the data
    dir's files. The caller checked that the target holds no data, then migrates, rebuilds the
    index and replays erasures."""
    manifest = read_manifest(directory, keyring)
    dialect = engine.dialect.name
    if manifest["database"] != dialect:
        raise BackupError(
            f"this backup is of a {manifest['database']} database; the configured one is {dialect}"
        )
    if dialect == "sqlite":
        path = engine.url.database
        if not path:
            raise BackupError("the SQLite database has no file to restore into")
        engine.dispose()
        _restore_sqlite(_read_part(directory, "database.sqlite3.enc", keyring), Path(path))
    else:
        _restore_postgres(_read_part(directory, "database.pgdump.enc", keyring), engine)
    files = 0
    with tarfile.open(
        fileobj=io.BytesIO(_read_part(directory, "files.tar.enc", keyring)), mode="r:gz"
    ) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        data_dir.mkdir(parents=True, exist_ok=True)
        archive.extractall(data_dir, filter="data")  # no absolute paths, links or ../
        files = len(members)
    metadata = json.loads(_read_part(directory, "index.json.enc", keyring))
    return RestoredBackup(
        database=dialect,
        schema_revision=manifest.get("schema_revision"),
        index_metadata={str(k): str(v) for k, v in metadata.items()},
        files=files,
    )


@dataclass(frozen=True)
class ErasureRecord:
    """One row of a privacy audit (``privacy_erasures``): no buyer data, only what names it."""

    reason: str
    subject_kind: str
    subject_sha256: str
    conversation_id: str | None
    requested_by: str


def read_erasure_journal(engine: Engine) -> list[ErasureRecord]:
    """The privacy audit of another database (e.g. the installation being replaced, which
    knows erasures made after the backup was taken). Its columns hold no encrypted data, so
    no key is needed."""
    from bot.privacy.models import PrivacyErasure

    with engine.connect() as connection:
        rows = connection.execute(select(
            PrivacyErasure.reason, PrivacyErasure.subject_kind, PrivacyErasure.subject_sha256,
            PrivacyErasure.conversation_id, PrivacyErasure.requested_by,
        )).all()
    return [ErasureRecord(*row) for row in rows]


def replay_erasures(session: Session, *, mail_files_root: Path,
                    journal: Sequence[ErasureRecord] = ()) -> int:
    """Erase again every conversation the restored privacy audit names, and every
    conversation and order another audit (``journal``) names, so a restore never brings an
    erased buyer back; the journal's records join the restored audit. Idempotent. Returns how
    many conversations and orders still had something to remove."""
    from bot.orders.models import Order
    from bot.privacy.erasure import delete_order, erase_conversation
    from bot.privacy.models import PrivacyErasure
    from bot.privacy.subjects import BuyerReference

    known = {(row.subject_sha256, row.conversation_id) for row in session.scalars(
        select(PrivacyErasure))}
    for record in journal:
        if (record.subject_sha256, record.conversation_id) not in known:
            session.add(PrivacyErasure(
                reason=record.reason, subject_kind=record.subject_kind,
                subject_sha256=record.subject_sha256, conversation_id=record.conversation_id,
                requested_by=record.requested_by, removed={},
            ))
    session.flush()
    audit = list(session.scalars(select(PrivacyErasure)))
    replayed = 0
    for conversation_id in dict.fromkeys(row.conversation_id for row in audit):
        if conversation_id is None:
            continue
        erasure = erase_conversation(session, conversation_id=conversation_id,
                                     mail_files_root=mail_files_root)
        replayed += 1 if sum(erasure.removed.values()) else 0
    # An order erased on its own is named only by its digest: match the orders against it.
    order_digests = {row.subject_sha256 for row in audit if row.subject_kind == "order_id"}
    for order_id in session.scalars(select(Order.order_id)).all():
        if BuyerReference("order_id", order_id).digest in order_digests:
            replayed += delete_order(session, order_id=order_id)
    return replayed
