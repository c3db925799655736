"""``python -m bot`` runs the CLI (same as the ``draftdesk`` console script)."""

from bot.cli import main

main()
