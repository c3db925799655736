"""Article translations as the editor shows them (issue 13).

A translation is an article whose newest revision names its source (``translation_of``) and
the source revision it was made from (``source_revision``); it is *stale* once the source has
a newer revision (:func:`knowledge_base.repository.translation_is_stale`, the one rule). This
module groups translations under their sources, builds the side-by-side view of a
translation next to its source, and starts a new translation from a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from bot.kb_editor import repository as repo
from bot.understanding.signals import SUPPORTED_LANGUAGES
from knowledge_base import repository as kb
from knowledge_base.errors import ArticleNotFound
from knowledge_base.models import Article, ArticleRevision
from knowledge_base.schemas import ArticlePublic

# The languages drafts are written in; the editor offers them for a new translation.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "ja": "Japanese",
}


def language_name(locale: str) -> str:
    """``"de"`` → ``"German"``; ``"de-CH"`` → ``"German (de-CH)"``; unknown → the locale."""
    base = re.split(r"[-_]", locale, maxsplit=1)[0].lower()
    name = LANGUAGE_NAMES.get(base)
    if name is None:
        return locale
    return name if locale.lower() == base else f"{name} ({locale})"


def same_locale(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def translation_id(source_id: str, locale: str) -> str:
    """The id of ``source_id``'s translation into ``locale``: ``returns`` → ``returns-de``."""
    suffix = re.sub(r"[^a-z0-9]+", "-", locale.lower()).strip("-") or "translation"
    return f"{source_id[: 119 - len(suffix)]}-{suffix}"


@dataclass(frozen=True)
class TranslationInfo:
    """One translation of a source, as the list and the source's page show it."""

    article_id: str
    locale: str
    title: str
    status: str
    revision: int
    source_revision: int | None
    stale: bool

    @property
    def language(self) -> str:
        return language_name(self.locale)


@dataclass(frozen=True)
class SourceView:
    """The source of a translation, shown read-only next to it."""

    source: ArticlePublic
    translated_from: int | None
    stale: bool

    @property
    def changes_url(self) -> str | None:
        """The source's diff from the revision translated to its newest, when stale."""
        if not self.stale or self.translated_from is None:
            return None
        query = urlencode({"left": self.translated_from, "right": self.source.revision})
        return f"/kb/articles/{self.source.id}/history?{query}"


def public_article(session: Session, article: Article) -> ArticlePublic:
    """The API and editor view of an article (its newest revision) with ``stale`` set."""
    public = kb.to_public(article)
    stale = kb.translation_is_stale(session, article.revisions[-1])
    return public.model_copy(update={"stale": stale}) if stale else public


def _info(session: Session, article: Article) -> TranslationInfo:
    latest: ArticleRevision = article.revisions[-1]
    return TranslationInfo(
        article_id=article.id,
        locale=latest.locale,
        title=latest.title,
        status=article.status,
        revision=latest.number,
        source_revision=latest.source_revision,
        stale=kb.translation_is_stale(session, latest),
    )


def translations_by_source(
    session: Session, articles: list[Article] | None = None
) -> dict[str, list[TranslationInfo]]:
    """Every source id with its translations (by locale), from ``articles`` (default: all)."""
    found: dict[str, list[TranslationInfo]] = {}
    for article in kb.list_articles(session) if articles is None else articles:
        source_id = article.revisions[-1].translation_of
        if source_id is not None:
            found.setdefault(source_id, []).append(_info(session, article))
    for infos in found.values():
        infos.sort(key=lambda info: (info.locale.lower(), info.article_id))
    return found


def translations_of(session: Session, source_id: str) -> list[TranslationInfo]:
    """The translations of one article, by locale (none for a translation)."""
    articles = repo.translation_articles(session, source_id=source_id)
    return translations_by_source(session, articles).get(source_id, [])


def source_view(session: Session, translation: Article) -> SourceView | None:
    """The source of a translation with its newest revision, or None (an original, or a
    translation whose source was deleted)."""
    latest = translation.revisions[-1]
    if latest.translation_of is None:
        return None
    try:
        source = kb.get_article(session, article_id=latest.translation_of)
    except ArticleNotFound:
        return None
    return SourceView(
        source=kb.to_public(source),
        translated_from=latest.source_revision,
        stale=kb.translation_is_stale(session, latest),
    )


def locales_to_add(source_locale: str, existing: list[TranslationInfo]) -> list[str]:
    """The drafting languages the source has no translation in yet (nor is written in)."""
    taken = [source_locale, *(info.locale for info in existing)]
    return [
        locale
        for locale in SUPPORTED_LANGUAGES
        if not any(same_locale(locale, other) for other in taken)
    ]


def existing_translation(existing: list[TranslationInfo], locale: str) -> TranslationInfo | None:
    """The translation into ``locale`` among ``existing``, if there is one."""
    return next((info for info in existing if same_locale(info.locale, locale)), None)


@dataclass(frozen=True)
class TranslationContext:
    """What an article's editor page shows about translations.

    A translation gets its source (``source``, or ``missing_source`` when it was deleted);
    an original gets its translations and the languages it could still be translated into.
    """

    source: SourceView | None = None
    missing_source: str | None = None
    translations: tuple[TranslationInfo, ...] = ()
    locales_to_add: tuple[str, ...] = ()


def translation_context(session: Session, article: Article) -> TranslationContext:
    """The translation side of ``article``'s editor page."""
    latest = article.revisions[-1]
    if latest.translation_of is not None:
        source = source_view(session, article)
        return TranslationContext(
            source=source, missing_source=None if source else latest.translation_of
        )
    existing = translations_of(session, article.id)
    return TranslationContext(
        translations=tuple(existing),
        locales_to_add=tuple(locales_to_add(latest.locale, existing)),
    )


@dataclass(frozen=True)
class TranslationStart:
    """A new translation of ``source`` (an original's newest revision) into ``locale``;
    ``existing`` is the translation into that locale when there already is one."""

    source: ArticlePublic
    locale: str
    existing: TranslationInfo | None

    @property
    def article_id(self) -> str:
        return translation_id(self.source.id, self.locale)


def start_translation(session: Session, *, source_id: str, locale: str) -> TranslationStart:
    """Start translating ``source_id`` (or, when it is itself a translation, its original)
    into ``locale``; ArticleNotFound when the article does not exist."""
    source = kb.get_article(session, article_id=source_id)
    original_id = source.revisions[-1].translation_of
    if original_id is not None:
        source = kb.get_article(session, article_id=original_id)
    existing = existing_translation(translations_of(session, source.id), locale)
    return TranslationStart(source=kb.to_public(source), locale=locale, existing=existing)
