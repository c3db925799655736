"""Chunking: heading-aware, self-describing, deterministic chunks with stable ids."""

from __future__ import annotations

import itertools

import pytest

from ingest.chunking import Chunk, chunk_article

TITLE = "How to start a return"
OPENING = (
    "You can return most items within 30 days of delivery.\n"
    "Start the return from Your Orders and we email you a prepaid label."
)
BODY = f"""# {TITLE}

{OPENING}

Holiday purchases get until 31 January.

## Steps

1. Open Your Orders.
2. Choose the item and a reason.

### Prepaid labels

Print the label and drop the parcel at any carrier point.

## Refund timing

Refunds reach you 3-5 business days after the parcel arrives.
"""


def chunks_of(body: str = BODY, **kwargs: object) -> list[Chunk]:
    args: dict[str, object] = {"article_id": "start-return", "revision": 3, "title": TITLE}
    args.update(kwargs)
    return chunk_article(body=body, **args)  # type: ignore[arg-type]


def test_each_section_becomes_a_chunk_prefixed_with_title_and_heading_path() -> None:
    chunks = chunks_of()
    assert [(c.number, c.heading) for c in chunks] == [
        (0, ""),
        (1, "Steps"),
        (2, "Steps — Prepaid labels"),
        (3, "Refund timing"),
    ]
    assert chunks[0].text == f"{TITLE}\n{OPENING}\n\nHoliday purchases get until 31 January."
    assert chunks[1].text == (
        f"{TITLE} — Steps\n1. Open Your Orders.\n2. Choose the item and a reason."
    )
    assert chunks[2].text == (
        f"{TITLE} — Steps — Prepaid labels\n"
        "Print the label and drop the parcel at any carrier point."
    )
    assert all(c.kind == "body" and c.title == TITLE for c in chunks)


def test_ids_are_article_revision_and_number() -> None:
    chunks = chunks_of(revision=7)
    assert [c.id for c in chunks] == [f"start-return:7:{n}" for n in range(4)]
    assert {(c.article_id, c.revision) for c in chunks} == {("start-return", 7)}


def test_each_question_is_a_chunk_after_the_body() -> None:
    questions = [
        "how do I send something back?",
        "  ",
        "return label please",
        "return label please",
    ]
    chunks = chunks_of(questions=questions)
    body_only = chunks_of()
    assert chunks[:-2] == body_only  # body ids do not move when questions are added
    asked = chunks[-2:]
    assert [c.kind for c in asked] == ["question", "question"]
    assert [c.id for c in asked] == ["start-return:3:4", "start-return:3:5"]
    assert [c.heading for c in asked] == ["", ""]
    # Blank and repeated questions are dropped; each chunk is the question alone.
    assert [c.text for c in asked] == ["how do I send something back?", "return label please"]
    assert all(c.title == TITLE for c in asked)


def test_no_questions_means_no_questions_chunk() -> None:
    assert all(c.kind == "body" for c in chunks_of(questions=["", " "]))


def test_same_input_gives_identical_chunks() -> None:
    first = chunks_of(questions=["where is my label?"], max_chars=120, overlap=30)
    second = chunks_of(questions=["where is my label?"], max_chars=120, overlap=30)
    assert first == second
    assert len({c.content_hash for c in first}) == len(first)


def test_hash_follows_content_not_revision() -> None:
    before = chunks_of(revision=1)
    same = chunks_of(revision=2)
    edited = chunks_of(revision=2, body=BODY.replace("3-5 business days", "5-7 business days"))
    assert [c.content_hash for c in before] == [c.content_hash for c in same]
    assert [c.id for c in before] != [c.id for c in same]
    changed = [
        b.number for b, e in zip(before, edited, strict=True) if b.content_hash != e.content_hash
    ]
    assert changed == [3]


def test_hash_changes_with_title() -> None:
    renamed = chunks_of(title="Returns, step by step")
    # The body's H1 no longer repeats the title, so it joins the heading path.
    assert renamed[0].text.startswith(f"Returns, step by step — {TITLE}\n")
    assert {c.content_hash for c in renamed}.isdisjoint(c.content_hash for c in chunks_of())


def test_long_section_is_split_with_overlap() -> None:
    sentences = [f"Rule {n} says parcels need care." for n in range(40)]
    body = "Pack well.\n\n## Packing\n\n" + " ".join(sentences)
    chunks = chunks_of(body=body, max_chars=200, overlap=60)[1:]
    assert len(chunks) > 5
    prefix = f"{TITLE} — Packing\n"
    pieces = []
    for chunk in chunks:
        assert chunk.heading == "Packing"
        assert chunk.text.startswith(prefix)
        piece = chunk.text.removeprefix(prefix)
        assert len(piece) <= 200
        pieces.append(piece)
    for left, right in itertools.pairwise(pieces):
        # The longest end of one chunk that the next one starts with: the overlap.
        shared = max(k for k in range(len(right) + 1) if left.endswith(right[:k]))
        assert 0 < shared <= 60
    # Nothing is lost: every sentence is in some chunk.
    assert all(any(s in p for p in pieces) for s in sentences)


def test_long_sections_split_at_paragraphs_before_words() -> None:
    paragraphs = [f"Paragraph {n}: " + "lorem ipsum " * 8 for n in range(6)]
    chunks = chunks_of(body="## Policy\n\n" + "\n\n".join(paragraphs), max_chars=250, overlap=0)
    for chunk in chunks:
        piece = chunk.text.split("\n", 1)[1]
        assert piece.startswith("Paragraph")
        assert all(p.strip() in piece for p in piece.split("\n\n"))


def test_opening_paragraph_stays_whole_in_chunk_zero_even_when_long() -> None:
    opening = " ".join(f"Clause {n} of the opening stays together." for n in range(30))
    body = f"# {TITLE}\n\n{opening}\n\nA second paragraph.\n\n## More\n\nText."
    assert 500 < len(opening) <= 3 * 500
    chunks = chunks_of(body=body, max_chars=500, overlap=20)
    assert chunks[0].text == f"{TITLE}\n{opening}"
    assert chunks[1].text == f"{TITLE}\nA second paragraph."
    assert chunks[2].heading == "More"


def test_an_opening_paragraph_of_pages_is_split_anyway() -> None:
    page = "\n".join(f"Line {n} of a PDF page without blank lines." for n in range(40))
    chunks = chunks_of(body=page, max_chars=300, overlap=0)
    assert len(chunks) > 5
    assert all(len(c.text) <= len(TITLE) + 1 + 300 for c in chunks)
    assert chunks[0].text.startswith(f"{TITLE}\nLine 0 of")


def test_opening_paragraph_is_intact_when_the_first_section_is_split() -> None:
    rest = "\n\n".join("Further detail about returns. " * 4 for _ in range(6))
    chunks = chunks_of(body=f"{OPENING}\n\n{rest}", max_chars=300, overlap=50)
    assert len(chunks) > 2
    assert chunks[0].text.startswith(f"{TITLE}\n{OPENING}")


def test_body_without_heading_uses_the_title_alone() -> None:
    chunks = chunks_of(body="Just one paragraph.")
    assert [(c.heading, c.text) for c in chunks] == [("", f"{TITLE}\nJust one paragraph.")]


def test_h1_that_differs_from_the_title_is_part_of_the_heading_path() -> None:
    chunks = chunks_of(body="# Return policy\n\nThirty days.\n\n## Exceptions\n\nFinal sale items.")
    assert [c.heading for c in chunks] == ["Return policy", "Return policy — Exceptions"]


def test_body_of_bare_headings_still_gives_one_body_chunk() -> None:
    chunks = chunks_of(body="# Only\n\n## Headings")
    assert [(c.number, c.kind, c.text) for c in chunks] == [(0, "body", TITLE)]


def test_hash_signs_in_code_blocks_are_not_headings() -> None:
    body = "## Setup\n\n```\n# not a heading\nrun it\n```\n\nDone."
    chunks = chunks_of(body=body)
    assert len(chunks) == 1
    assert "# not a heading" in chunks[0].text
    assert chunks[0].heading == "Setup"


def test_invisible_unicode_is_stripped_from_chunks() -> None:
    chunks = chunks_of(
        title=f"How to start a{chr(0x200B)} return",
        body=f"Send it\u202e back{chr(0xE0041)}.",
        questions=["re\u2060turn?"],
    )
    assert [c.text for c in chunks] == [f"{TITLE}\nSend it back.", "return?"]


@pytest.mark.parametrize(("max_chars", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_bad_sizes_are_refused(max_chars: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunks_of(max_chars=max_chars, overlap=overlap)
