"""``draftdesk users``: reviewers and their credentials (API tokens, web passwords).

Only the database is touched: no model is loaded.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import service as accounts
from bot.accounts.errors import AccountError
from bot.cli.common import load_settings, open_cli_database

users_app = typer.Typer(help="Reviewers: create users, tokens and web passwords.",
                        no_args_is_help=True)


def _session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database (migrated); the engine lives as long as the command."""
    return open_cli_database().session_factory


@users_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    role: Annotated[str, typer.Option("--role", help="agent, lead or admin.")] = "agent",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": "..."}.')] = False,
) -> None:
    """Create a user and print a new API token once (only its hash is stored).

    Example: draftdesk users create maria@example.com --role lead --json
    """
    created = accounts.create_user(_session_factory(), email=email, role=role)
    if as_json:
        typer.echo(json.dumps({"token": created.token}))
        return
    typer.echo(f"created {created.user.email} ({created.user.role.value})")
    typer.echo(f"API token (shown once): {created.token}")


@users_app.command("token")
def token(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": "..."}.')] = False,
) -> None:
    """Issue another API token for a user (shown once).

    Example: draftdesk users token maria@example.com --label laptop
    """
    value = accounts.issue_api_token(_session_factory(), email=email, label=label)
    typer.echo(json.dumps({"token": value}) if as_json else value)


@users_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set the password for the web console (at least 12 characters).

    Example: draftdesk users set-password maria@example.com
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(_session_factory(), email=email, password=password)
    typer.echo(f"password set for {email.strip().lower()}")


@users_app.command("deactivate")
def deactivate(email: Annotated[str, typer.Argument(help="The user's e-mail address.")]) -> None:
    """Revoke a user's tokens and sessions and stop them signing in.

    Example: draftdesk users deactivate leaver@example.com
    """
    accounts.deactivate_user(_session_factory(), email=email)
    typer.echo(f"deactivated {email.strip().lower()}")


@users_app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List users with their roles.

    Example: draftdesk users list
    """
    rows = accounts.list_users(_session_factory())
    if as_json:
        typer.echo(json.dumps([{"email": e, "role": r, "active": a} for e, r, a in rows]))
        return
    for email, role, active in rows:
        suffix = "" if active else "\t(deactivated)"
        typer.echo(f"{email}\t{role}{suffix}")


DEMO_EMAIL = "lead@demo.draftdesk"


@users_app.command("demo-login")
def demo_login() -> None:
    """Create the demo admin with a random password and an API token (first ``make run``).

    The credentials are printed and written to DATA_DIR/demo-login.txt (readable by you only).
    Running it again does nothing if the demo user exists.

    Example: draftdesk users demo-login
    """
    import secrets

    settings = load_settings()
    factory = _session_factory()
    try:
        created = accounts.create_user(factory, email=DEMO_EMAIL, role="admin")
    except AccountError:
        typer.echo(f"demo user {DEMO_EMAIL} exists already; see {settings.data_dir}/demo-login.txt")
        return
    password = secrets.token_urlsafe(12)
    accounts.set_password(factory, email=DEMO_EMAIL, password=password)
    text = (
        f"Console and knowledge-base editor: http://{settings.host}:{settings.port}/console\n"
        f"  e-mail:   {DEMO_EMAIL}\n  password: {password}\n"
        f"API token (Authorization: Bearer ...): {created.token}\n"
    )
    path = settings.data_dir / "demo-login.txt"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    typer.echo(text)
