"""The one root of every error draftdesk raises on purpose.

It lives in the bottom package so that every other package can derive from it. Each package
has its own root with a stable ``code`` and an HTTP ``status``; ``message`` is one line safe
to show to a client or on a terminal. The web app maps the whole tree to
``{"error": {"code", "message"}}`` with one handler, the CLI to one ``error: …`` line::

    DraftdeskError
     ├── KnowledgeBaseError     knowledge_base.errors
     ├── IngestError            ingest.errors
     ├── AccountError           bot.accounts.errors
     ├── WorkflowError          bot.conversations.errors
     ├── KbEditorError          bot.kb_editor.errors
     ├── OrdersError            bot.orders.errors
     ├── PolicyError            bot.policy.errors
     ├── SlackDeskError         bot.slack.errors
     ├── TopicModelError        bot.understanding.topics
     ├── LlmComposerError       bot.drafting.llm
     ├── ApiError               bot.web.errors (status and code chosen by the route)
     └── EvalError              evals.errors
"""

from __future__ import annotations


class DraftdeskError(Exception):
    """Base of every package's errors: a stable ``code``, an HTTP ``status``, a safe message."""

    code: str = "draftdesk_error"
    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
