"""Clustering gap questions by embedding similarity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.kb_editor.gaps import GapQuestion, cluster_questions, shorten
from ingest.embedder import Embedder
from tests.fakes import FakeEmbedder

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _q(text: str, n: int = 0, reason: str = "rejected") -> GapQuestion:
    return GapQuestion(text=text, reason=reason, draft_id=n, conversation_id=f"c{n}",
                       created_at=T0 + timedelta(hours=n))


def test_similar_questions_group_and_repeats_count() -> None:
    questions = [
        _q("engrave knife name", 1),
        _q("engrave knife name", 2),
        _q("knife engrave name please", 3),
        _q("garden chairs for sale", 4, reason="hand-off: no_knowledge"),
    ]
    clusters = cluster_questions(questions, embedder=FakeEmbedder(dimension=512), similarity=0.6)
    assert [c.count for c in clusters] == [3, 1]
    assert clusters[0].examples == ["engrave knife name", "knife engrave name please"]
    assert clusters[0].reasons == {"rejected": 3}
    assert clusters[1].reasons == {"hand-off: no_knowledge": 1}
    assert clusters[1].suggested_title() == "Garden chairs for sale"


def test_no_questions_no_clusters() -> None:
    assert cluster_questions([], embedder=FakeEmbedder()) == []


def test_shorten_keeps_one_line() -> None:
    assert shorten("a\n b   c") == "a b c"
    assert shorten("x" * 400, limit=10) == "x" * 9 + "…"


@pytest.mark.slow
def test_paraphrases_cluster_with_the_real_model(real_embedder: Embedder) -> None:
    questions = [
        _q("Can you engrave a name on the chef's knife?", 1),
        _q("Is personalised engraving available for knives?", 2),
        _q("Could you put my initials on the cutting board?", 3),
        _q("Do you ship to Iceland?", 4),
        _q("Can I get delivery to Reykjavik, Iceland?", 5),
        _q("Are your pans safe for induction hobs?", 6),
    ]
    clusters = cluster_questions(questions, embedder=real_embedder)
    groups = sorted(sorted(q.draft_id for q in c.questions) for c in clusters)
    assert [4, 5] in groups
    assert [6] in groups
    engraving = next(g for g in groups if 1 in g)
    assert 2 in engraving and 4 not in engraving and 6 not in engraving
