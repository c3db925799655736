"""Article translations in the knowledge base: a locale and a link to the source article,
the source revision they were made from, and a stale flag when the source moves on (issue 13).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.database import upgrade_to_head
from ingest.pipeline import load_sources, store_articles
from ingest.sync import chunks_for
from knowledge_base import repository as kb
from knowledge_base.db import make_engine, make_session_factory, transaction
from knowledge_base.errors import InvalidTranslation
from knowledge_base.frontmatter import parse_article, render_article
from knowledge_base.schemas import ArticleContent, ArticleCreate, ArticleUpdate

SOURCE = ArticleCreate(
    id="returns", title="How to return an item", body="Start a return in Your Orders.\n",
    questions=["How do I return it?"],
)
GERMAN = ArticleCreate(
    id="returns-de", title="So senden Sie einen Artikel zurück",
    body="Starten Sie die Rücksendung unter Meine Bestellungen.\n",
    questions=["Wie schicke ich es zurück?"], locale="de", translation_of="returns",
)


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    upgrade_to_head(engine)
    return make_session_factory(engine)


def _create(session: Session, content: ArticleCreate) -> None:
    kb.create_article(session, content=content, actor="lead@example.com", publish=True)


def test_a_translation_records_the_source_revision_it_was_made_from(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        _create(session, SOURCE)
        _create(session, GERMAN)
    with factory() as session:
        german = kb.get_article(session, article_id="returns-de").revisions[-1]
        assert (german.translation_of, german.source_revision, german.locale) == (
            "returns", 1, "de"
        )
        assert not kb.translation_is_stale(session, german)


def test_a_translation_is_stale_once_its_source_has_a_newer_revision(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        _create(session, SOURCE)
        _create(session, GERMAN)
        kb.update_article(
            session, article_id="returns",
            update=ArticleUpdate(**{**SOURCE.model_dump(exclude={"id"}), "revision": 1,
                                    "body": "Start a return in Your Orders within 30 days.\n"}),
            actor="lead@example.com",
        )
    with factory() as session:
        german = kb.get_article(session, article_id="returns-de").revisions[-1]
        assert kb.translation_is_stale(session, german)
    # Saving the translation again means it was checked against the source as it is now.
    with transaction(factory) as session:
        kb.update_article(
            session, article_id="returns-de",
            update=ArticleUpdate(**{**GERMAN.model_dump(exclude={"id"}), "revision": 1,
                                    "body": "Innerhalb von 30 Tagen unter Meine Bestellungen.\n"}),
            actor="lead@example.com",
        )
    with factory() as session:
        german = kb.get_article(session, article_id="returns-de").revisions[-1]
        assert german.source_revision == 2
        assert not kb.translation_is_stale(session, german)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (GERMAN.model_copy(update={"translation_of": "nope"}), "does not exist"),
        (GERMAN.model_copy(update={"translation_of": "returns-de"}), "of itself"),
        (GERMAN.model_copy(update={"locale": "en"}), "same locale"),
    ],
)
def test_a_translation_needs_an_existing_source_in_another_locale(
    factory: sessionmaker[Session], content: ArticleCreate, says: str
) -> None:
    with transaction(factory) as session:
        _create(session, SOURCE)
    with pytest.raises(InvalidTranslation, match=says), transaction(factory) as session:
        _create(session, content)


def test_a_translation_of_a_translation_is_refused(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _create(session, SOURCE)
        _create(session, GERMAN)
    french = ArticleCreate(id="returns-fr", title="Retourner un article",
                           body="Voir Vos commandes.\n", locale="fr", translation_of="returns-de")
    with pytest.raises(InvalidTranslation, match="itself a translation"), \
            transaction(factory) as session:
        _create(session, french)


def test_an_original_keeps_its_content_hash_and_front_matter() -> None:
    # Hashes stored before translations existed stay valid: no new revision on re-import.
    content = ArticleContent(title="T", body="B\n", questions=["Q?"])
    fields = content.model_dump(
        include={"title", "body", "intents", "questions", "tags", "locale"}
    )
    expected = hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    assert content.content_hash() == expected
    rendered = render_article(content)
    assert "translation_of" not in rendered and "source_revision" not in rendered


def test_front_matter_round_trips_a_translation() -> None:
    text = render_article(GERMAN, article_id="returns-de")
    parsed, extra = parse_article(text, fallback_title="x")
    assert (parsed.translation_of, parsed.locale, extra["id"]) == ("returns", "de", "returns-de")


def test_ingest_stores_sources_before_translations_and_reports_orphans(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    (folder / "de").mkdir(parents=True)
    # The translation sorts first by name: the ingest must still store its source first.
    (folder / "de" / "a-returns.md").write_text(
        render_article(GERMAN, article_id="returns-de"), encoding="utf-8"
    )
    (folder / "returns.md").write_text(render_article(SOURCE, article_id="returns"),
                                       encoding="utf-8")
    orphan = GERMAN.model_copy(update={"translation_of": "gone"})
    (folder / "de" / "orphan.md").write_text(render_article(orphan, article_id="orphan-de"),
                                             encoding="utf-8")
    loaded, failed = load_sources([folder])
    assert failed == []
    with transaction(factory) as session:
        stored, refused = store_articles(session, articles=loaded, actor="t", publish=True)
    assert stored == 2
    assert [f.error for f in refused] == [
        "article 'orphan-de' is a translation of 'gone', which does not exist"
    ]
    with factory() as session:
        assert {a.id for a in kb.list_articles(session)} == {"returns", "returns-de"}
        published = {p.article_id: p for p in kb.published_revisions(session)}
    german_chunks = chunks_for(published["returns-de"])
    assert {(c.locale, c.translation_of, c.topic_article_id) for c in german_chunks} == {
        ("de", "returns", "returns")
    }
    assert all(c.translation_of == "" and c.locale == "en"
               for c in chunks_for(published["returns"]))
