"""`draftdesk <built-in command>` does not load plugins (issue 17: `serve --api-only` starts
without importing the evals); the list of built-in names must match what typer registers."""

from __future__ import annotations

import typer.main

from bot.cli import app, builtin_command_names


def test_builtin_command_names_are_the_commands_typer_registers() -> None:
    assert builtin_command_names() == set(typer.main.get_command(app).commands)
    assert {"serve", "worker", "kb", "db"} <= builtin_command_names()
