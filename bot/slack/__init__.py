"""The Slack review desk: draft cards, decisions from buttons and modals, reminders.

Optional: nothing here starts unless ``DRAFTDESK_SLACK_MODE`` is ``socket`` or ``http`` and
the tokens are set. Decisions go through :mod:`bot.conversations.decisions`, the same
functions the console uses; this package adds only Slack's surface. Kept free of imports so
that importing the table module does not pull in Bolt.
"""
