"""Side-by-side revision diffs."""

from __future__ import annotations

from bot.kb_editor.diff import change_ratio, side_by_side, unified


def test_changed_line_pairs_up_with_changed_words_marked() -> None:
    diff = side_by_side(
        "Title\nReturns within 30 days.\nEnd", "Title\nReturns within 45 days.\nEnd"
    )
    kinds = [row.kind for row in diff.rows]
    assert kinds == ["equal", "replace", "equal"]
    changed = diff.rows[1]
    assert (changed.left_no, changed.right_no) == (2, 2)
    assert [s.text for s in changed.left if s.changed] == ["30"]
    assert [s.text for s in changed.right if s.changed] == ["45"]
    assert (diff.added, diff.removed) == (1, 1)
    assert diff.changed


def test_insertions_and_deletions_keep_line_numbers_of_their_side() -> None:
    diff = side_by_side("a\nb\nc", "a\nc\nd")
    rows = [(r.kind, r.left_no, r.right_no) for r in diff.rows]
    assert rows == [("equal", 1, 1), ("delete", 2, None), ("equal", 3, 2), ("insert", None, 3)]


def test_long_unchanged_runs_collapse_to_a_skip_row() -> None:
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 20", "line twenty")
    diff = side_by_side(old, new, context=2)
    skips = [r for r in diff.rows if r.kind == "skip"]
    assert len(skips) == 2
    assert sum(r.skipped for r in skips) + len([r for r in diff.rows if r.kind == "equal"]) == 39


def test_identical_texts_have_no_changes() -> None:
    diff = side_by_side("same\ntext", "same\ntext")
    assert not diff.changed
    assert change_ratio("same text", "same text") == 0.0


def test_change_ratio_and_unified_diff() -> None:
    assert change_ratio("a b c d", "w x y z") == 1.0
    assert 0.0 < change_ratio("we refund in 5 days", "we refund in 10 days") < 0.5
    text = unified("a\nb\n", "a\nc\n", old_label="r1", new_label="r2")
    assert "--- r1" in text and "+++ r2" in text and "-b" in text and "+c" in text


def test_adjacent_changed_words_form_one_run() -> None:
    diff = side_by_side("Collection is free of charge today", "Collection is for a £2 fee today")
    [row] = diff.rows
    assert [s.text for s in row.left if s.changed] == ["free of charge"]
    assert [s.text for s in row.right if s.changed] == ["for a £2 fee"]
