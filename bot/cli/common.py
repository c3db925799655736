"""What every ``draftdesk`` command shares: the error line, the settings, the database.

Library errors (the :class:`DraftdeskError` tree) are caught once, by :class:`DraftdeskGroup`,
and shown as one ``error: …`` line with exit code 1; commands only raise them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperGroup

from bot.settings import Settings
from knowledge_base.error_base import DraftdeskError

if TYPE_CHECKING:
    from bot.services import Database, Services

# soft_wrap: an error stays one line whatever the terminal width (scripts grep for it).
console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print one clean error line and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=1)


def load_settings() -> Settings:
    """The settings, or one ``invalid settings: …`` line and exit code 1."""
    try:
        return Settings()
    except ValueError as exc:
        raise fail(f"invalid settings: {_one_line(exc)}") from exc


def _one_line(exc: ValueError) -> str:
    """Each problem as ``field: reason``, without pydantic's multi-line layout and URLs."""
    if not isinstance(exc, ValidationError):
        return " ".join(str(exc).split())
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {reason}" if where else reason)
    return "; ".join(problems)


def open_cli_database() -> Database:
    """The configured database, migrated to the newest schema (no model is loaded)."""
    from bot.services import open_database  # lazily: `draftdesk --help` stays quick

    return open_database(load_settings())


class DraftdeskGroup(TyperGroup):
    """A command group that shows any library error as one line and exits with 1."""

    def invoke(self, ctx: Any) -> Any:  # ctx: typer's vendored (private) click Context
        try:
            return super().invoke(ctx)
        except DraftdeskError as exc:
            raise fail(exc.message) from None


def services_for_cli(settings: Settings) -> Services:
    """Build services (loads the embedding model) for commands that need the index."""
    from bot.services import build_services

    return build_services(settings)
