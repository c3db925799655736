"""Side-by-side diffs of article revisions (difflib), with changed words marked.

The diff is data, not HTML: the template decides how a row looks, so the same rows serve
the revision history, suggestions and tests.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

RowKind = Literal["equal", "replace", "delete", "insert", "skip"]
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A run of text in one side of a row; ``changed`` marks words the other side lacks."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffRow:
    """One line pair. ``skip`` rows stand for ``skipped`` unchanged lines left out."""

    kind: RowKind
    left_no: int | None = None
    right_no: int | None = None
    left: tuple[Segment, ...] = ()
    right: tuple[Segment, ...] = ()
    skipped: int = 0


@dataclass(frozen=True)
class SideBySideDiff:
    """Rows to show in two columns plus counts of added and removed lines."""

    rows: list[DiffRow] = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return self.added > 0 or self.removed > 0


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    """Join neighbours with the same flag; a lone space between two changes joins them."""
    marked = list(segments)
    for i in range(1, len(marked) - 1):
        if (not marked[i].changed and marked[i].text.isspace()
                and marked[i - 1].changed and marked[i + 1].changed):
            marked[i] = Segment(marked[i].text, True)
    merged: list[Segment] = []
    for segment in marked:
        if merged and merged[-1].changed == segment.changed:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.changed)
        else:
            merged.append(segment)
    return tuple(merged)


def _word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.ratio() < 0.5:
        # Mostly rewritten: marking the few shared spaces and stop words only adds noise.
        return (Segment(old, True),), (Segment(new, True),)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), changed=tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), changed=tag != "equal"))
    return _merge(left), _merge(right)


def side_by_side(old: str, new: str, *, context: int = 3) -> SideBySideDiff:
    """Compare two texts line by line; unchanged runs longer than ``2*context`` collapse."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    added = removed = 0
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows.extend(_equal_rows(a, i1, i2, j1, context, first=index == 0,
                                    last=index == len(opcodes) - 1))
            continue
        removed += i2 - i1
        added += j2 - j1
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            has_left, has_right = i < i2, j < j2
            if has_left and has_right:
                left, right = _word_segments(a[i], b[j])
                rows.append(DiffRow("replace", i + 1, j + 1, left, right))
            elif has_left:
                rows.append(DiffRow("delete", i + 1, None, (Segment(a[i], True),)))
            else:
                rows.append(DiffRow("insert", None, j + 1, (), (Segment(b[j], True),)))
    return SideBySideDiff(rows=rows, added=added, removed=removed)


def _equal_rows(
    a: list[str], i1: int, i2: int, j1: int, context: int, *, first: bool, last: bool
) -> list[DiffRow]:
    def row(i: int) -> DiffRow:
        segment = (Segment(a[i]),)
        return DiffRow("equal", i + 1, j1 + (i - i1) + 1, segment, segment)

    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    if i2 - i1 <= keep_head + keep_tail + 1:
        return [row(i) for i in range(i1, i2)]
    rows = [row(i) for i in range(i1, i1 + keep_head)]
    rows.append(DiffRow("skip", skipped=(i2 - i1) - keep_head - keep_tail))
    rows.extend(row(i) for i in range(i2 - keep_tail, i2))
    return rows


def unified(old: str, new: str, *, old_label: str = "before", new_label: str = "after") -> str:
    """A plain unified diff (for the API and the CLI)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=old_label, tofile=new_label,
        )
    )


def change_ratio(old: str, new: str) -> float:
    """How much of the text changed, by words: 0.0 identical … 1.0 nothing in common."""
    a, b = old.split(), new.split()
    if not a and not b:
        return 0.0
    return 1.0 - difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()
