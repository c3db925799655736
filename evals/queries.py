"""The EVAL.md query-file format: one JSON object per line, unknown keys ignored."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.errors import DatasetInvalid, DatasetMissing

Expect = Literal["answer", "handoff"]


class ExpectedVerdict(BaseModel):
    """EVAL.md ``verdict``: the draft must carry a policy verdict of this kind and outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    eligible: bool = Field(strict=True)


class EvalQuery(BaseModel):
    """One evaluation message with the behaviour expected from draftdesk.

    ``tags`` are Bitext language-variation letters (e.g. ``"BQZ"``); ``reference`` is a
    dataset's reference reply; ``source`` and ``slice`` say where the row came from
    (e.g. ``clinc150`` / ``small_talk``) so reports can break numbers down.

    The optional buyer-voice fields are EVAL.md's (``article`` … ``handoff_reason``, scored
    by :mod:`evals.fields`); ``no_response`` is ours: a message such as "thanks, that's all"
    whose right outcome is a draft suggesting that no reply is needed.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str
    intent: str | None
    expect: Expect
    tags: str | None = None
    reference: str | None = None
    source: str | None = None
    slice: str | None = None
    # Buyer-voice fields (EVAL.md)
    article: str | None = None
    alt_articles: list[str] = Field(default_factory=list)
    lang: str | None = None
    order_id: str | None = None
    verdict: ExpectedVerdict | None = None
    must_mention: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    handoff_reason: str | None = None
    no_response: bool = Field(default=False, strict=True)

    @property
    def accepted_articles(self) -> tuple[str, ...]:
        """Acceptable first citations: ``article`` then ``alt_articles`` (empty without one)."""
        if self.article is None:
            return ()
        return (self.article, *self.alt_articles)

    def __hash__(self) -> int:
        # Frozen queries stay usable as set members and dict keys despite the list fields.
        return hash(self.to_json_line())

    def to_json_line(self) -> str:
        """This query as one JSONL line (keys left at their default are left out)."""
        row: dict[str, Any] = {"text": self.text, "intent": self.intent, "expect": self.expect}
        row.update(
            self.model_dump(
                exclude_none=True, exclude_defaults=True, exclude={"text", "intent", "expect"}
            )
        )
        return json.dumps(row, ensure_ascii=False)


def write_queries(path: Path, queries: Iterable[EvalQuery]) -> int:
    """Write ``queries`` to ``path`` as JSONL; returns how many lines were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for query in queries:
            handle.write(query.to_json_line() + "\n")
            count += 1
    return count


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_queries(path: Path) -> list[EvalQuery]:
    """Read a JSONL query file; errors name the file and the line in one sentence."""
    if not path.is_file():
        raise DatasetMissing(f"query file not found: {path}")
    queries: list[EvalQuery] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetInvalid(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(raw, dict):
                raise DatasetInvalid(f"{path}:{number}: expected a JSON object per line")
            try:
                queries.append(EvalQuery.model_validate(raw))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                got = "" if first["type"] == "missing" else f" (got {_short(first['input'])})"
                raise DatasetInvalid(f"{path}:{number}: {where}: {first['msg']}{got}") from exc
    if not queries:
        raise DatasetInvalid(f"query file is empty: {path}")
    return queries
