"""The drafting bot, its workflow and its surfaces (web, Slack, CLI)."""
