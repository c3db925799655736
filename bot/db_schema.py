"""Imports every table module so Alembic and tests see the complete schema.

Add a module here when a package gains tables (and write its migration).
"""

from __future__ import annotations

import bot.accounts.models
import bot.conversations.canned
import bot.conversations.desk
import bot.conversations.models
import bot.conversations.order_bindings
import bot.conversations.photos
import bot.conversations.reply_notice
import bot.kb_editor.models
import bot.mail.models
import bot.orders.models
import bot.privacy.models
import bot.slack.models  # noqa: F401
import knowledge_base.models  # noqa: F401
from knowledge_base.db import Base

target_metadata = Base.metadata
