"""Article operations as the editor pages and the API use them: one transaction each, with
the search index re-synced after every change to what is published.

Re-syncing embeds only chunks whose content hash changed, so a publish takes effect in
about the time it takes to embed one article — the next draft already sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.kb_editor import repository as repo
from bot.kb_editor import translations
from bot.kb_editor.translations import public_article
from knowledge_base import repository as kb
from knowledge_base.db import transaction
from knowledge_base.schemas import ArticleCreate, ArticlePublic, ArticleUpdate, RevisionPublic


@dataclass
class ArticleEditor:
    """Create, edit, publish, unpublish, roll back and delete articles, then re-sync.

    ``resync`` brings the search index in line with the published KB (``Services.resync_index``);
    tests pass a recording fake.
    """

    session_factory: sessionmaker[Session]
    resync: Callable[[], object]

    def _after_publish_change(self) -> None:
        self.resync()

    def list_all(self) -> list[ArticlePublic]:
        """Every article (newest edit first)."""
        with self.session_factory() as session:
            return [public_article(session, a) for a in kb.list_articles(session)]

    def get(self, article_id: str) -> ArticlePublic:
        """One article's newest revision (a translation says whether it is stale), or
        ArticleNotFound."""
        with self.session_factory() as session:
            return public_article(session, kb.get_article(session, article_id=article_id))

    def translation_context(self, article_id: str) -> translations.TranslationContext:
        """A translation's source, or an original's translations (ArticleNotFound)."""
        with self.session_factory() as session:
            article = kb.get_article(session, article_id=article_id)
            return translations.translation_context(session, article)

    def start_translation(self, source_id: str, locale: str) -> translations.TranslationStart:
        """What a new translation of ``source_id`` into ``locale`` starts from."""
        with self.session_factory() as session:
            return translations.start_translation(session, source_id=source_id, locale=locale)

    def revisions(self, article_id: str) -> list[RevisionPublic]:
        """Every revision of an article, oldest first."""
        with self.session_factory() as session:
            article = kb.get_article(session, article_id=article_id)
            return [RevisionPublic.model_validate(r) for r in article.revisions]

    def revision(self, article_id: str, number: int) -> RevisionPublic:
        """One revision, or RevisionNotFound."""
        with self.session_factory() as session:
            kb.get_article(session, article_id=article_id)
            return RevisionPublic.model_validate(
                kb.get_revision(session, article_id=article_id, number=number)
            )

    def create(self, content: ArticleCreate, *, actor: str, publish: bool = False) -> ArticlePublic:
        """A new article at revision 1: a draft, or published at once when asked. A
        translation without an id gets ``<source>-<locale>``."""
        if content.translation_of is not None and content.id is None:
            article_id = translations.translation_id(content.translation_of, content.locale)
            content = content.model_copy(update={"id": article_id})
        with transaction(self.session_factory) as session:
            article = kb.create_article(session, content=content, actor=actor, publish=publish)
            public = public_article(session, article)
        if publish:
            self._after_publish_change()
        return public

    def update(
        self, article_id: str, update: ArticleUpdate, *, actor: str, publish: bool = False
    ) -> ArticlePublic:
        """A new revision based on ``update.revision`` (stale → RevisionConflict)."""
        with transaction(self.session_factory) as session:
            repo.lock_article(session, article_id=article_id)
            article = kb.update_article(session, article_id=article_id, update=update, actor=actor)
            if publish:
                kb.publish_article(session, article_id=article_id, actor=actor, article=article)
            public = public_article(session, article)
        if publish:
            self._after_publish_change()
        return public

    def publish(self, article_id: str, *, actor: str) -> ArticlePublic:
        """Publish the newest revision; drafts use it from the next one on."""
        with transaction(self.session_factory) as session:
            repo.lock_article(session, article_id=article_id)
            article = kb.publish_article(session, article_id=article_id, actor=actor)
            public = public_article(session, article)
        self._after_publish_change()
        return public

    def unpublish(self, article_id: str, *, actor: str) -> ArticlePublic:
        """Take the article out of drafting (its revisions stay)."""
        with transaction(self.session_factory) as session:
            repo.lock_article(session, article_id=article_id)
            article = kb.unpublish_article(session, article_id=article_id, actor=actor)
            public = public_article(session, article)
        self._after_publish_change()
        return public

    def rollback(self, article_id: str, revision: int, *, actor: str) -> ArticlePublic:
        """Copy an old revision into a new one (published at once if the article is)."""
        with transaction(self.session_factory) as session:
            repo.lock_article(session, article_id=article_id)
            article = kb.rollback_article(
                session, article_id=article_id, revision=revision, actor=actor
            )
            public = public_article(session, article)
        if public.status == "published":
            self._after_publish_change()
        return public

    def delete(self, article_id: str, *, actor: str) -> None:
        """Delete the article and its revisions (the audit log keeps the record)."""
        with transaction(self.session_factory) as session:
            repo.lock_article(session, article_id=article_id)
            kb.delete_article(session, article_id=article_id, actor=actor)
        self._after_publish_change()
