"""Proposing article changes from an agent's edit, and applying them to newer revisions."""

from __future__ import annotations

from bot.kb_editor.suggestions import (
    TextChange,
    apply_changes,
    propose_changes,
    split_sentences,
)

ARTICLE = (
    "Electric kettles have a **2-year warranty**. Cookware has a 1-year warranty.\n\n"
    "## How to claim\n- Describe the problem in a message.\n"
)
DRAFT = (
    "Hi Maria,\n\nElectric kettles have a 2-year warranty. Cookware has a 1-year warranty.\n\n"
    "Best wishes,\nThe Brightwater Home team"
)


def test_rewritten_quoted_sentence_becomes_a_replacement() -> None:
    final = DRAFT.replace(
        "Electric kettles have a 2-year warranty.",
        "Electric kettles have a 3-year warranty from the delivery date.",
    )
    [changes] = propose_changes(article_bodies=[ARTICLE], draft_text=DRAFT, final_text=final)
    assert changes == [
        TextChange(
            before="Electric kettles have a 2-year warranty.",
            after="Electric kettles have a 3-year warranty from the delivery date.",
        )
    ]
    applied = apply_changes(ARTICLE, changes)
    assert applied.applied == 1
    assert applied.body.startswith(
        "Electric kettles have a 3-year warranty from the delivery date. Cookware"
    )
    assert "2-year" not in applied.body


def test_new_substantive_sentence_becomes_an_addition_but_greetings_do_not() -> None:
    final = (
        "Hello Maria, thanks so much for writing!\n\n"
        "Electric kettles have a 2-year warranty. Cookware has a 1-year warranty. "
        "Knife sharpening is free for the first year if you post the knife to us.\n\n"
        "Kind regards,\nSam"
    )
    [changes] = propose_changes(article_bodies=[ARTICLE], draft_text=DRAFT, final_text=final)
    assert changes == [
        TextChange(
            before=None,
            after="Knife sharpening is free for the first year if you post the knife to us.",
        )
    ]
    body = apply_changes(ARTICLE, changes).body
    assert body.endswith(
        "Knife sharpening is free for the first year if you post the knife to us.\n"
    )


def test_small_edits_and_order_specific_sentences_propose_nothing() -> None:
    tweak = DRAFT.replace("Hi Maria,", "Hello Maria,")
    assert propose_changes(article_bodies=[ARTICLE], draft_text=DRAFT, final_text=tweak) == [[]]
    personal = (
        "Hi Maria,\n\nYour order 112-3456789-1234567 left our warehouse this morning and "
        "arrives Friday.\n\nBest wishes,\nThe Brightwater Home team"
    )
    assert propose_changes(article_bodies=[ARTICLE], draft_text=DRAFT, final_text=personal) == [[]]


def test_replacement_goes_to_the_article_that_held_the_sentence() -> None:
    other = "Refunds reach your card within 5 business days."
    draft = (
        "Refunds reach your card within 5 business days. "
        "Electric kettles have a 2-year warranty."
    )
    final = (
        "Refunds reach your card within 10 business days after we receive the item. "
        "Electric kettles have a 2-year warranty."
    )
    first, second = propose_changes(
        article_bodies=[ARTICLE, other], draft_text=draft, final_text=final
    )
    assert first == []
    assert second == [
        TextChange(
            before="Refunds reach your card within 5 business days.",
            after="Refunds reach your card within 10 business days after we receive the item.",
        )
    ]


def test_changes_that_no_longer_fit_are_skipped() -> None:
    changes = [TextChange(before="This sentence is gone from the article.", after="New text here.")]
    result = apply_changes(ARTICLE, changes)
    assert (result.applied, result.skipped, result.body) == (0, 1, ARTICLE)
    already = [TextChange(before=None, after="Cookware has a 1-year warranty.")]
    assert apply_changes(ARTICLE, already).applied == 0


def test_sentences_split_on_marks_and_lines_and_drop_list_markers() -> None:
    assert split_sentences("- First one. Second one!\n2. Third") == [
        "First one.", "Second one!", "Third",
    ]
