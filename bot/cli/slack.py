"""``draftdesk slack``: the Slack review desk on its own, over Socket Mode.

``draftdesk serve`` already runs the desk when Slack is configured (Socket Mode on a thread,
or ``POST /slack/events`` in http mode); this command is for a separate Slack process and,
with ``--once``, for running the due work (owed cards, reminders, summary) from cron.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from bot.cli.common import fail, load_settings


def slack_command(
    once: Annotated[
        bool, typer.Option("--once", help="Run the due work once (cards, reminders, summary).")
    ] = False,
) -> None:
    """Run the Slack review desk (cards, decisions, reminders) over Socket Mode.

    Example: DRAFTDESK_SLACK_MODE=socket SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-…
    DRAFTDESK_SLACK_REVIEW_CHANNEL=C0123 draftdesk slack
    """
    from bot.services import build_services
    from bot.slack.config import SlackConfig
    from bot.slack.desk import SlackDesk
    from knowledge_base.clock import utcnow

    settings = load_settings()
    config = SlackConfig.from_settings(settings)  # half configured: SlackNotConfigured
    if config is None:
        raise fail("Slack is off: set DRAFTDESK_SLACK_MODE=socket, SLACK_BOT_TOKEN, "
                   "SLACK_APP_TOKEN and DRAFTDESK_SLACK_REVIEW_CHANNEL (see slack/README.md)")
    if config.mode != "socket" and not once:
        raise fail("DRAFTDESK_SLACK_MODE=http is served by `draftdesk serve` at /slack/events; "
                   "`draftdesk slack` runs Socket Mode")
    services: Any = build_services(settings)
    desk = SlackDesk.from_services(config, services)
    try:
        if once:
            desk.run_due_work(utcnow())
            typer.echo("slack: due work done")
            return
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        desk.start(socket_mode=True)
        typer.echo(f"slack: connecting over Socket Mode; cards go to {config.channel}")
        stopping.wait()
    finally:
        desk.stop()
        services.close()
