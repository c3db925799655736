"""Field types of the edge: every path, query and body value is bounded before a route runs.

Ids and revision numbers stay inside what their columns hold (32-bit INTEGER on
PostgreSQL, so also far inside 64 bits), ids are ASCII digits, and text refuses NUL (lone
surrogates are refused by pydantic whenever a string has a constraint).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import StringConstraints

MAX_ROW_ID = 2**31 - 1
NO_NUL = r"^[^\x00]*$"
CONVERSATION_ID = r"^[A-Za-z0-9_-]{1,64}$"

SafeText = Annotated[str, StringConstraints(strict=True, pattern=NO_NUL)]
ConversationId = Annotated[
    str, Path(pattern=CONVERSATION_ID, description="The conversation's id (ASCII letters, "
                                                   "digits, - and _)"),
]
ArticleId = Annotated[
    str, Path(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f/]+$"),
]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
