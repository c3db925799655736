"""``draftdesk users``: reviewers and their credentials (API tokens, web passwords).

Only the database is touched: no model is loaded.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import management
from bot.accounts import service as accounts
from bot.accounts.errors import AccountError
from bot.cli.common import load_settings, open_cli_database

users_app = typer.Typer(help="Reviewers: create users, roles, tokens and web passwords.",
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


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@users_app.command("tokens")
def tokens(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a user's API tokens: id, label, created, last used, revoked (never the token).

    Example: draftdesk users tokens maria@example.com
    """
    rows = management.api_tokens(_session_factory(), email=email)
    if as_json:
        typer.echo(json.dumps([
            {"id": t.id, "label": t.label, "created_at": t.created_at.isoformat(),
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
             "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}
            for t in rows
        ]))
        return
    if not rows:
        typer.echo(f"{email.strip().lower()} has no API tokens")
        return
    typer.echo("id\tlabel\tcreated\tlast used\trevoked")
    for t in rows:
        typer.echo(f"{t.id}\t{t.label or '-'}\t{_when(t.created_at)}\t{_when(t.last_used_at)}"
                   f"\t{_when(t.revoked_at)}")


@users_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `users tokens`).",
                                            min=1, max=2**63 - 1)],
) -> None:
    """Revoke one API token: it is refused from the next request on.

    Example: draftdesk users revoke-token 7
    """
    token, changed = management.revoke_api_token(_session_factory(), token_id=token_id,
                                                 actor="cli")
    label = f" ({token.label})" if token.label else ""
    state = "revoked" if changed else "already revoked:"
    typer.echo(f"{state} token {token.id}{label} of {token.owner}")


@users_app.command("set-role")
def set_role(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    role: Annotated[str, typer.Argument(help="agent, lead or admin.")],
) -> None:
    """Change a user's role; it applies from their next request.

    Example: draftdesk users set-role maria@example.com lead
    """
    user, previous = management.set_role(_session_factory(), email=email, role=role,
                                         actor="cli")
    if previous == user.role:
        typer.echo(f"{user.email} is {user.role} already")
    else:
        typer.echo(f"{user.email}: {previous} → {user.role}")


@users_app.command("sign-out")
def sign_out(email: Annotated[str, typer.Argument(help="The user's e-mail address.")]) -> None:
    """Sign a user out of every browser (API tokens stay valid).

    Example: draftdesk users sign-out maria@example.com
    """
    ended = management.sign_out_everywhere(_session_factory(), email=email, actor="cli")
    typer.echo(f"signed {email.strip().lower()} out of {ended} browser session(s)")


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
