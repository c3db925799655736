"""``draftdesk backup create|restore`` and ``draftdesk privacy rotate-key``.

Thin commands over :mod:`bot.privacy.backup` and :mod:`bot.protection.crypto`; the two
``…_for`` functions hold the wiring from settings so tests run them with fake models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import SecretStr
from sqlalchemy import MetaData, func, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import fail, load_settings
from bot.mail.files import BUYER_FILE_FOLDERS, MailFiles
from bot.privacy.backup import (
    BackupError,
    BackupReport,
    BackupSources,
    ErasureRecord,
    RestoredBackup,
    create_backup,
    read_erasure_journal,
    replay_erasures,
    restore_backup,
)
from bot.protection.crypto import (
    DataKeyMissing,
    DataKeyring,
    encrypted_columns,
    generate_key,
    keyring_for,
    load_data_keys,
    reencrypt_all,
    write_key_file,
)
from bot.settings import Settings
from knowledge_base.db import transaction

if TYPE_CHECKING:
    from bot.services import Services

backup_app = typer.Typer(
    name="backup",
    help="Encrypted backups of the database, mail files and index settings, and restores.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
# What in the data dir is not backed up as files: the SQLite database (and "-wal", "-shm"),
# copied through its snapshot; the index, rebuilt; the key, the .env and the demo login.
_NOT_FILES = frozenset({"draftdesk.sqlite3", "chroma", "data.key", ".env", "demo-login.txt"})
# Setting names that hold or point at secrets: never written into a backup.
_SECRET_WORDS = ("secret", "token", "password", "key", "url")


def schema_metadata() -> MetaData:
    """Every table with encrypted columns (their modules imported here, since the CLI may
    not import ``bot.db_schema``, which sits above it)."""
    import bot.conversations.models
    import bot.kb_editor.models
    import bot.mail.models
    import bot.orders.models
    import bot.slack.models  # noqa: F401
    from knowledge_base.db import Base

    return Base.metadata


def _settings_without_secrets(settings: Settings) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr) or any(word in name for word in _SECRET_WORDS):
            continue
        kept[name] = value
    if settings.database_url:
        kept["database_url"] = make_url(settings.database_url).render_as_string(
            hide_password=True)
    return kept


def _index_metadata(settings: Settings) -> dict[str, str]:
    """What the index stores besides vectors: the KB's calibrations (per language)."""
    from bot.retrieval import CALIBRATION_KEY
    from bot.retrieval.retriever import locale_calibration_key
    from bot.services import build_index
    from bot.understanding.signals import SUPPORTED_LANGUAGES

    index = build_index(settings)
    keys = [CALIBRATION_KEY, *(locale_calibration_key(lang) for lang in SUPPORTED_LANGUAGES)]
    found = {key: index.read_metadata(key) for key in keys}
    return {key: value for key, value in found.items() if value is not None}


def create_backup_for(settings: Settings, directory: Path) -> BackupReport:
    """Back up the configured installation (safe while ``serve`` runs)."""
    from bot.database import schema_revision
    from bot.services import open_database

    database = open_database(settings, migrate=False)
    try:
        sources = BackupSources(
            engine=database.engine, data_dir=settings.data_dir, skipped=_NOT_FILES,
            index_metadata=_index_metadata(settings),
            settings=_settings_without_secrets(settings),
            schema_revision=schema_revision(database.engine),
        )
        return create_backup(directory, sources=sources,
                             keyring=keyring_for(database.engine.dialect))
    finally:
        database.dispose()


def _existing_keyring(settings: Settings) -> DataKeyring:
    """The installation's key, never a new one: a restore must use the backup's key."""
    keyring, _ = load_data_keys(
        key=settings.data_key.get_secret_value() if settings.data_key else None,
        key_file=settings.data_key_file
        or (settings.default_data_key_file if settings.default_data_key_file.exists() else None),
        default_file=None,
    )
    return keyring


def restore_backup_for(
    settings: Settings, directory: Path, *, build_services: Callable[[Settings], Services],
    erasures_from: str | None = None,
) -> tuple[RestoredBackup, int]:
    """Restore a backup into the configured, empty installation; rebuild the search index
    and replay the erasures the backup records, and those of the database at
    ``erasures_from`` (the installation being replaced, which knows later ones). Returns
    what was restored and how many conversations and orders a replay had to remove again."""
    from bot.conversations.models import Conversation
    from bot.services import open_database
    from knowledge_base.db import make_engine
    from knowledge_base.models import Article

    journal: list[ErasureRecord] = []
    if erasures_from:  # read first: a wrong URL fails before anything is written
        other = make_engine(erasures_from)
        try:
            journal = read_erasure_journal(other)
        except SQLAlchemyError as exc:
            reason = type(getattr(exc, "orig", None) or exc).__name__
            # Not the URL itself: it may carry a password.
            raise BackupError(f"cannot read the privacy audit of the --erasures-from "
                              f"database ({reason})") from None
        finally:
            other.dispose()

    try:
        keyring = _existing_keyring(settings)
    except DataKeyMissing:
        raise BackupError(
            "restore needs the data key of the installation that made the backup: copy its "
            f"data.key to {settings.default_data_key_file} or set DRAFTDESK_DATA_KEY"
        ) from None
    database = open_database(settings)
    with database.session_factory() as session:
        rows = sum(session.scalar(select(func.count()).select_from(model)) or 0
                   for model in (Conversation, Article))
    if rows:
        database.dispose()
        raise BackupError("the configured database is not empty: restore into a fresh data "
                          "dir (and an empty PostgreSQL database)")
    restored = restore_backup(directory, engine=database.engine, data_dir=settings.data_dir,
                              keyring=keyring)
    database.dispose()
    services = build_services(settings)  # migrates a backup made before the newest schema
    try:
        with transaction(services.session_factory) as session:
            replayed = replay_erasures(session, mail_files_root=settings.data_dir / "mail",
                                       journal=journal)
        services.resync_index()
        for key, value in restored.index_metadata.items():
            services.index.write_metadata(key, value)
        if services.pipeline is not None:
            services.pipeline.retriever.refresh()
    finally:
        services.close()
    return restored, replayed


@backup_app.command("create")
def create_command(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory.")],
    as_json: JsonOption = False,
) -> None:
    """Write an encrypted, consistent backup; safe while the server runs.

    Example: draftdesk backup create /srv/backups/draftdesk-2026-11-30
    """
    report = create_backup_for(load_settings(), directory)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    total = sum(report.parts.values())
    typer.echo(f"backup of the {report.database} database, mail files and index settings in "
               f"{directory} ({len(report.parts)} encrypted parts, {total} bytes)")
    typer.echo("keep the data key (data.key or DRAFTDESK_DATA_KEY) apart from the backups: "
               "it is needed to restore")


@backup_app.command("restore")
def restore_command(
    directory: Annotated[Path, typer.Argument(help="A directory made by `backup create`.")],
    erasures_from: Annotated[
        str | None,
        typer.Option("--erasures-from", help="Database URL of the installation being "
                     "replaced: its erasures (also those after the backup) are replayed."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into a fresh data dir and rebuild the search index.

    The target is a fresh data dir (or an empty PostgreSQL database) holding the data key
    the backup was made with; erasures the backup records are replayed; rebuilding the
    index loads the embedding model.

    Example: DRAFTDESK_DATA_DIR=./var-restored draftdesk backup restore /srv/backups/x
    """
    from bot.services import build_services

    if not directory.is_dir():
        raise fail(f"{directory} is not a directory")
    restored, replayed = restore_backup_for(load_settings(), directory,
                                            build_services=build_services,
                                            erasures_from=erasures_from)
    if as_json:
        typer.echo(json.dumps({"database": restored.database, "files": restored.files,
                               "schema_revision": restored.schema_revision,
                               "erasures_replayed": replayed}))
        return
    typer.echo(f"restored the {restored.database} database (schema {restored.schema_revision}),"
               f" {restored.files} mail files; index rebuilt; {replayed} erasures replayed")


def rotate_key_for(settings: Settings) -> tuple[int, str]:
    """Re-encrypt every encrypted value under a new current key. Returns the number of values
    rewritten and what the operator must do next (empty when nothing)."""
    from bot.services import data_keyring, open_database

    keyring, _ = data_keyring(settings)
    key_file = None if settings.data_key else keyring.key_file
    if key_file is not None:
        # New key first, the old ones kept for reading: a crash part-way leaves every value
        # readable, and running the command again finishes the job.
        write_key_file(key_file, keyring.with_new_key(generate_key()).keys)
    elif len(keyring.keys) < 2:
        raise DataKeyMissing(
            "DRAFTDESK_DATA_KEY holds one key: give the new key first and the old one after "
            "it (DRAFTDESK_DATA_KEY=NEW,OLD), then run rotate-key again"
        )
    database = open_database(settings)
    try:
        rotating = keyring_for(database.engine.dialect)
        with database.engine.begin() as connection:
            rewritten = reencrypt_all(connection, keyring=rotating,
                                      columns=encrypted_columns(schema_metadata()))
        # The buyers' files (raw mails, attachments, chat photos) under the same new key.
        for folder in BUYER_FILE_FOLDERS:
            rewritten += MailFiles(settings.data_dir / folder, keyring=rotating).rotate()
    finally:
        database.dispose()
    if key_file is not None:
        write_key_file(key_file, rotating.current_only().keys)
        return rewritten, ""
    return rewritten, "now set DRAFTDESK_DATA_KEY to the new key alone (the first one)"


def rotate_key_command(
    as_json: JsonOption = False,
) -> None:
    """Re-encrypt all buyer data with a new data key. Stop the server and workers first.

    With a key file (data.key in the data dir, or DRAFTDESK_DATA_KEY_FILE) a new key is
    generated and written there; with DRAFTDESK_DATA_KEY, set it to "NEW,OLD" first.

    Example: draftdesk privacy rotate-key
    """
    rewritten, next_step = rotate_key_for(load_settings())
    if as_json:
        typer.echo(json.dumps({"rewritten": rewritten, "next_step": next_step or None}))
        return
    typer.echo(f"re-encrypted {rewritten} values with the new data key")
    if next_step:
        typer.echo(next_step)
