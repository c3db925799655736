"""Hybrid retrieval over the seller's own KB: dense (Chroma) + BM25, ranked per article.

An article's match is its best chunk's cosine — body sections and each example question
are chunks — plus a small BM25 term. The dataset-trained topic classifier adds a bounded
*agreement* term: how alike the message's topic distribution is to the article's, where the
article's distribution is the classifier's reading of the article's own example questions
(so tagged and untagged articles compete on equal terms, and the classifier can only
reorder articles the KB already matches about as well). The confidence that the KB answers
the message comes from :class:`~bot.retrieval.calibration.Calibration`, fitted per KB.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.retrieval.calibration import CALIBRATION_KEY, Calibration
from bot.retrieval.items import ItemVocabulary
from bot.retrieval.off_topic import OffTopicProbes
from bot.retrieval.prefetch import PrefetchedVectors
from bot.understanding.signals import ORDER_ID
from ingest.bm25 import Bm25Index
from ingest.embedder import Embedder, Vectors
from ingest.index import WIDEST_FILTERED_FETCH, DenseHit, IndexedChunk, SearchIndex

log = logging.getLogger(__name__)

# Weights of the ranking terms next to the best cosine (chosen on our buyer-voice dev set
# and Bitext dev; see evals/README.md).
BM25_WEIGHT = 0.1
AGREEMENT_WEIGHT = 0.25


class TopicPredictionLike(Protocol):
    @property
    def topics(self) -> list[tuple[str, float]]: ...

    @property
    def out_of_scope(self) -> float: ...


class TopicModel(Protocol):
    @property
    def classes(self) -> list[str]: ...

    def predict(self, embedding: Vectors) -> TopicPredictionLike: ...

    def probabilities(self, embeddings: Vectors) -> npt.NDArray[np.float64]: ...


@dataclass
class RetrievedArticle:
    """One article with the chunks that matched and the scores that ranked it."""

    article_id: str
    revision: int
    title: str
    intents: list[str]
    chunks: list[IndexedChunk] = field(default_factory=list)
    dense: float = 0.0
    bm25: float = 0.0
    agreement: float = 0.0
    score: float = 0.0

    @property
    def best_chunk(self) -> IndexedChunk:
        body = [c for c in self.chunks if c.kind == "body"]
        return (body or self.chunks)[0]


@dataclass
class RetrievalResult:
    articles: list[RetrievedArticle]
    confidence: float
    topics: list[tuple[str, float]]
    out_of_scope: float
    embedding: Vectors
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class _KbView:
    """What the retriever keeps of the index between refreshes."""

    chunks_by_id: dict[str, IndexedChunk] = field(default_factory=dict)
    # Each article's body sections in reading order (the first is its opening).
    sections: dict[str, list[IndexedChunk]] = field(default_factory=dict)
    # BM25 over the originals, and over each locale's translations (a message is matched
    # against the originals and the translations in its own language only).
    bm25: Bm25Index = field(default_factory=lambda: Bm25Index([]))
    bm25_by_locale: dict[str, Bm25Index] = field(default_factory=dict)
    # Row i: the classifier's mean topic distribution over article i's example questions
    # (out-of-scope column zeroed), for the agreement term.
    profiles: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    profile_rows: dict[str, int] = field(default_factory=dict)
    # (source article, locale) → the published translation of that article in that locale.
    translations: dict[tuple[str, str], str] = field(default_factory=dict)

    def topic_of(self, chunk: IndexedChunk) -> str:
        """The article a chunk answers for: a translation's source while it is published."""
        if chunk.translation_of and chunk.translation_of in self.sections:
            return chunk.translation_of
        return chunk.article_id


class HybridRetriever:
    """Dense + BM25 over the published KB's chunks, with a KB-derived topic agreement."""

    def __init__(
        self,
        *,
        index: SearchIndex,
        embedder: Embedder,
        topic_model: TopicModel | None = None,
        calibration: Calibration | None = None,
        candidates: int = 60,
        refresh_seconds: float = 2.0,
        item_vocabulary: Callable[[], ItemVocabulary] | None = None,
        rebuild_in_background: bool = True,
    ) -> None:
        """``rebuild_in_background``: when another process changed the index, queries go on
        with the current tables while a thread rebuilds them (seconds at 10k articles: no
        query waits for it); ``refresh()`` always rebuilds at once."""
        self._index = index
        self._embedder = embedder
        self._topic_model = topic_model
        self.calibration = calibration or Calibration()
        # Per locale of the KB's translations: similarities between two texts in the same
        # non-English language run higher with the English-trained model, so each locale
        # gets its own bar (fitted like the English one; see kb_calibration).
        self.locale_calibrations: dict[str, Calibration] = {}
        self._candidates = candidates
        self._refresh_seconds = refresh_seconds
        self._item_vocabulary = item_vocabulary
        self._masked: tuple[tuple[frozenset[str], object], dict[str, Vectors]] = (
            (frozenset(), None), {}
        )
        # Kept across rebuilds, so a rebuild after one edit redoes that article's share of
        # the work only: tokens by chunk text, profiles by an article's question chunk ids
        # (ids carry the revision), masked question vectors by masked text.
        self._tokens: dict[str, list[str]] = {}
        self._profile_cache: dict[tuple[str, ...], npt.NDArray[np.float64]] = {}
        self._masked_cache: tuple[frozenset[str], dict[str, Vectors]] = (frozenset(), {})
        self._lock = threading.Lock()
        # Held for a whole rebuild (the caches below are the rebuild's own); never by a query.
        self._rebuild_lock = threading.Lock()
        self._background = rebuild_in_background
        self._rebuilder: threading.Thread | None = None
        self._view = _KbView()
        self._stored_calibration: str | None = None
        # The index generation the view was built from (see mark_index_changed).
        self._generation: str | None = None
        self._checked_at = -math.inf
        self._off_topic = OffTopicProbes(embedder)
        self._prefetched = PrefetchedVectors(embedder)
        self._oos_column = (
            topic_model.classes.index("out_of_scope")
            if topic_model is not None and "out_of_scope" in topic_model.classes
            else None
        )

    def refresh(self) -> None:
        """Rebuild BM25 and the article profiles from the index now (after a sync)."""
        with self._rebuild_lock:
            self._rebuild()

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Wait for a rebuild running in the background, if any (tests, benchmarks)."""
        rebuilder = self._rebuilder
        if rebuilder is not None:
            rebuilder.join(timeout)

    def _rebuild_soon(self) -> None:
        """Rebuild in a thread (one at a time); called with ``self._lock`` held."""
        if self._rebuilder is not None and self._rebuilder.is_alive():
            return

        def rebuild() -> None:
            try:
                with self._rebuild_lock:
                    self._rebuild()
            except Exception:  # a failed rebuild keeps the current tables; the next check retries
                log.exception("rebuilding the retrieval tables failed")
                self._checked_at = time.monotonic()

        self._rebuilder = threading.Thread(target=rebuild, name="retrieval-rebuild", daemon=True)
        self._rebuilder.start()

    def _rebuild(self) -> None:
        # Read before the chunks: a change landing during the rebuild is seen at the next check.
        generation = self._index.read_metadata(INDEX_GENERATION_KEY)
        chunks = self._index.all_chunks()
        translated: dict[str, list[IndexedChunk]] = {}
        for chunk in chunks:
            if chunk.translation_of:
                translated.setdefault(chunk.locale, []).append(chunk)
        texts = {c.text for c in chunks}
        self._tokens = {t: w for t, w in self._tokens.items() if t in texts}
        view = _KbView(
            chunks_by_id={c.id: c for c in chunks},
            bm25=Bm25Index([c for c in chunks if not c.translation_of], tokens=self._tokens),
            bm25_by_locale={
                locale: Bm25Index(group, tokens=self._tokens)
                for locale, group in translated.items()
            },
        )
        for chunk in sorted((c for c in chunks if c.kind == "body"), key=lambda c: c.number):
            view.sections.setdefault(chunk.article_id, []).append(chunk)
            if chunk.translation_of:
                view.translations[(chunk.translation_of, chunk.locale)] = chunk.article_id
        # The topic classifier reads English: a translation's questions would only blur the
        # profile (its source's profile stands for it).
        view.profiles, view.profile_rows = self._profiles(
            [c for c in chunks if not c.translation_of]
        )
        self._masked_question_vectors(view)  # here, not in the first query after the rebuild
        self._view = view
        self._generation = generation
        self._load_calibration()
        self._load_locale_calibrations()
        self._checked_at = time.monotonic()

    def _load_calibration(self) -> None:
        """The KB's own calibration, when one is stored with the index (see kb calibrate)."""
        stored = self._index.read_metadata(CALIBRATION_KEY)
        if stored and stored != self._stored_calibration:
            try:
                self.calibration = Calibration.from_json(stored)
            except (ValueError, TypeError) as exc:
                log.warning("ignoring an unreadable calibration stored with the index: %s", exc)
            self._stored_calibration = stored
            self._load_locale_calibrations()

    def _load_locale_calibrations(self) -> None:
        # Read with the KB's own bar (kb_calibration stores the locales' bars first) and
        # after every rebuild, not on every change check: each read is a round trip.
        locales: dict[str, Calibration] = {}
        for locale in self._view.bm25_by_locale:
            text = self._index.read_metadata(locale_calibration_key(locale))
            if not text:
                continue
            try:
                locales[locale] = Calibration.from_json(text)
            except (ValueError, TypeError) as exc:
                log.warning("ignoring an unreadable %s calibration: %s", locale, exc)
        self.locale_calibrations = locales

    def _profiles(
        self, chunks: list[IndexedChunk]
    ) -> tuple[npt.NDArray[np.float64], dict[str, int]]:
        if self._topic_model is None or not chunks:
            return np.zeros((0, 0)), {}
        # An article's questions say what it answers; without questions, its sections do.
        questions: dict[str, list[str]] = {}
        sections: dict[str, list[str]] = {}
        for chunk in chunks:
            group = questions if chunk.kind == "question" else sections
            group.setdefault(chunk.article_id, []).append(chunk.id)
        articles = sorted(set(questions) | set(sections))
        members = [tuple(questions.get(a) or sections[a]) for a in articles]
        known = self._profile_cache
        new = [ids for ids in dict.fromkeys(members) if ids not in known]
        if new:
            probabilities = self._topic_model.probabilities(
                self._index.vectors([i for ids in new for i in ids])
            )
            if self._oos_column is not None:
                probabilities[:, self._oos_column] = 0.0
            start = 0
            for ids in new:
                known[ids] = probabilities[start : start + len(ids)].mean(axis=0)
                start += len(ids)
        self._profile_cache = {ids: known[ids] for ids in members}
        profiles = (
            np.stack([known[ids] for ids in members])
            if members else np.zeros((0, len(self._topic_model.classes)))
        )
        return profiles, {article_id: row for row, article_id in enumerate(articles)}

    def _maybe_refresh(self) -> None:
        # Another process may have re-synced the shared index: compare its generation (one
        # small read, whatever the KB's size) at most every few seconds; rebuild on a change.
        if time.monotonic() - self._checked_at < self._refresh_seconds:
            return
        with self._lock:
            if time.monotonic() - self._checked_at < self._refresh_seconds:
                return
            if self._index.read_metadata(INDEX_GENERATION_KEY) != self._generation:
                if self._background and self._view.chunks_by_id:
                    self._rebuild_soon()
                else:
                    with self._rebuild_lock:
                        self._rebuild()
            else:
                self._load_calibration()
            self._checked_at = time.monotonic()

    def _masked_question_vectors(self, view: _KbView | None = None) -> dict[str, Vectors]:
        """Example questions that name a product, embedded with the names masked like the
        message is (computed once per KB refresh — by the rebuild — and catalogue change)."""
        if self._item_vocabulary is None:
            return {}
        vocabulary = self._item_vocabulary()
        view = view or self._view
        # The view by identity: comparing two views' chunk id sets costs time per chunk.
        (cached_names, cached_view), cached = self._masked
        if cached_view is view and cached_names == vocabulary.names:
            return cached
        masked = {
            c.id: vocabulary.mask(c.text)
            for c in view.chunks_by_id.values() if c.kind == "question"
        }
        changed = {i: t for i, t in masked.items() if t != view.chunks_by_id[i].text}
        # Texts embedded for an earlier KB view under the same names are not embedded again.
        names, known = self._masked_cache
        if names != vocabulary.names:
            known = {}
        missing = list(dict.fromkeys(t for t in changed.values() if t not in known))
        if missing:
            known = {**known, **dict(zip(missing, self._embedder.embed(missing), strict=True))}
        wanted = set(changed.values())
        self._masked_cache = (vocabulary.names, {t: v for t, v in known.items() if t in wanted})
        vectors = {i: known[t] for i, t in changed.items()}
        # One assignment, so a concurrent reader sees the old pair or the new one.
        self._masked = ((vocabulary.names, view), vectors)
        return vectors

    def lead_chunk(self, article_id: str, locale: str | None = None) -> IndexedChunk | None:
        """The article's first body chunk: its direct-answer opening paragraph."""
        sections = self.body_chunks(article_id, locale)
        return sections[0] if sections else None

    def body_chunks(self, article_id: str, locale: str | None = None) -> list[IndexedChunk]:
        """The article's body sections in reading order — of its translation in ``locale``
        when one is published (built once per refresh: this is on every draft's path)."""
        view = self._view
        if locale is not None:
            article_id = view.translations.get((article_id, locale.lower()), article_id)
        return list(view.sections.get(article_id, ()))

    def translation_in(self, article_id: str, locale: str) -> str | None:
        """The id of ``article_id``'s published translation in ``locale``, if any."""
        return self._view.translations.get((article_id, locale.lower()))

    def question_chunks(self, locale: str | None = None) -> list[IndexedChunk]:
        """Every example question of the published KB's originals (one chunk each), or
        with ``locale``, of its translations in that locale (each feeds its own bar)."""
        return [
            c for c in self._view.chunks_by_id.values()
            if c.kind == "question"
            and (c.locale == locale and bool(c.translation_of) if locale else not c.translation_of)
        ]

    def _searches_translations(self, language: str | None) -> bool:
        return bool(language) and str(language).lower() in self._view.bm25_by_locale

    def translated_locales(self) -> list[str]:
        """The locales the published KB has translations in."""
        return sorted(self._view.bm25_by_locale)

    def stored_vectors(self, chunk_ids: list[str]) -> Vectors:
        return self._index.vectors(chunk_ids)

    def store_calibration(self, calibration: Calibration, *, locale: str | None = None) -> None:
        """Keep ``calibration`` with the index (other processes pick it up) and use it —
        the KB's bar, or with ``locale`` the bar of its translations in that locale."""
        text = calibration.to_json()
        if locale is not None:
            self._index.write_metadata(locale_calibration_key(locale), text)
            self.locale_calibrations[locale] = calibration
            return
        self._index.write_metadata(CALIBRATION_KEY, text)
        self.calibration = calibration
        self._stored_calibration = text

    def items_masked(self, text: str) -> str:
        """``text`` as retrieval reads it: the seller's product names replaced by "item"
        (see :mod:`bot.retrieval.items`)."""
        if self._item_vocabulary is None:
            return text
        return self._item_vocabulary().mask(text)

    def product_names(self) -> frozenset[str]:
        """The seller's product names (empty when their catalogue is unknown)."""
        if self._item_vocabulary is None:
            return frozenset()
        return self._item_vocabulary().names

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._prefetched.embed([text])[0]
        return vector

    def embed_many(self, texts: list[str]) -> Vectors:
        return self._prefetched.embed(texts)

    def query_texts(self, text: str, language: str | None = None) -> list[str]:
        """The texts :meth:`retrieve` embeds for ``text`` (for :meth:`prefetch`): the
        message, and its reading with the seller's product names masked when it names one."""
        if self._searches_translations(language):
            # An order id says nothing of the topic, and to the English-trained model a
            # long digit string outweighs the few words of a short message in another
            # language (it pulled "return the kettle from 112-…" to unrelated articles).
            text = " ".join(ORDER_ID.sub(" ", text).split()) or text
        masked_text = self.items_masked(text)
        return [text] if masked_text == text else [text, masked_text]

    def prefetch(self, texts: list[str]) -> int:
        """Embed texts that queries will embed soon, in one model call (see
        :mod:`bot.retrieval.prefetch`); returns how many were embedded."""
        return self._prefetched.prefetch(texts)

    def discard_prefetched(self) -> None:
        self._prefetched.discard()

    def retrieve(
        self,
        text: str,
        *,
        k: int = 5,
        embedding: Vectors | None = None,
        has_order: bool = False,
        exclude_chunk_ids: frozenset[str] = frozenset(),
        language: str | None = None,
    ) -> RetrievalResult:
        """Rank articles for ``text``; ``embedding`` lets callers reuse a computed vector.

        ``has_order``: the buyer named an order (the message is about this shop).
        ``language``: the message's language; the originals and their translations in it
        are searched (without it, the originals only).
        ``exclude_chunk_ids`` leaves chunks out (calibration asks each example question
        again without its own chunk).
        """
        self._maybe_refresh()
        if embedding is None:
            text, *rest = self.query_texts(text, language)
            masked_text = rest[0] if rest else text
        else:
            masked_text = self.items_masked(text)
        masked_vector: Vectors | None = None
        if embedding is not None:
            vector = embedding
        elif masked_text != text:
            # Both readings in one model call.
            vector, masked_vector = self.embed_many([text, masked_text])
        else:
            vector = self.embed_query(text)
        raw = self._read(text, vector, k, has_order, exclude_chunk_ids, language)
        if masked_text == text:
            return raw
        if masked_vector is None:
            masked_vector = self.embed_query(masked_text)
        # The article is chosen on the message without product names (see
        # bot.retrieval.items); how sure we are that the KB answers it is the surer of the
        # two readings, so naming a product never makes a shop question look off-topic.
        masked = self._read(
            masked_text, masked_vector, k, has_order, exclude_chunk_ids, language,
            masked_questions=self._masked_question_vectors(),
        )
        bar = self.calibration.threshold
        if masked.confidence < bar <= raw.confidence:
            # Only the product name ties the message to the KB ("the cord is split" is
            # nearest to "split the payment" once "kettle" is gone): the masked reading's
            # first article is a guess, the named product's articles are not.
            return raw
        masked.confidence = max(raw.confidence, masked.confidence)
        masked.topics, masked.out_of_scope = raw.topics, raw.out_of_scope
        masked.embedding = raw.embedding
        return masked

    def _read(
        self,
        text: str,
        vector: Vectors,
        k: int,
        has_order: bool,
        exclude_chunk_ids: frozenset[str],
        language: str | None,
        *,
        masked_questions: dict[str, Vectors] | None = None,
    ) -> RetrievalResult:
        topics: list[tuple[str, float]] = []
        out_of_scope = 0.0
        distribution: npt.NDArray[np.float64] | None = None
        if self._topic_model is not None:
            prediction = self._topic_model.predict(vector)
            topics, out_of_scope = list(prediction.topics), float(prediction.out_of_scope)
            distribution = self._topic_model.probabilities(vector)[0]
            if self._oos_column is not None:
                distribution[self._oos_column] = 0.0
        articles = self._rank(
            text, vector, distribution, exclude_chunk_ids, masked_questions or {}, language
        )
        top = articles[0] if articles else None
        features = {
            "dense": top.dense if top else 0.0,
            "agreement": top.agreement if top else 0.0,
            "out_of_scope": out_of_scope,
            "has_order": 1.0 if has_order else 0.0,
            # Probes in the buyer's language only where the KB is searched in it too: two
            # texts in one language are alike for that alone, a German message and the
            # English KB are not.
            "off_topic": self._off_topic.resemblance(
                vector, language if (language or "").lower() in self._view.bm25_by_locale else None
            ),
        }
        return RetrievalResult(
            articles=articles[:k],
            confidence=self.confidence(features, language),
            topics=topics,
            out_of_scope=out_of_scope,
            embedding=vector,
            features=features,
        )

    def _dense(
        self, view: _KbView, vector: Vectors, k: int, language: str | None
    ) -> list[DenseHit]:
        """The ``k`` nearest chunks a message in ``language`` searches (see _searched).

        The index is asked for ids only and the chunks come from the view: a filtered or
        text-returning query costs time in proportion to the KB, a graph search does not.
        With translations in the KB, more neighbours are fetched and filtered here
        (widening while too few are kept); a chunk the view does not hold yet (written
        since the last rebuild) waits for the rebuild, like its BM25 entry.
        """
        where = _searched(view, language)
        # 5k: the graph search is approximate; fetching 5x finds the exact k nearest kept
        # chunks for 99% of buyer questions on the demo KB (Chroma's filtered query: 96%).
        wanted = k if where is None else 5 * k
        language = (language or "").lower()
        translated = language if language in view.bm25_by_locale else None
        while wanted <= WIDEST_FILTERED_FETCH:
            nearest = self._index.nearest(vector, k=wanted)
            hits = [
                DenseHit(chunk=chunk, similarity=similarity)
                for chunk_id, similarity in nearest
                if (chunk := view.chunks_by_id.get(chunk_id)) is not None
                and (where is None or not chunk.translation_of or chunk.locale == translated)
            ]
            if len(hits) >= k or len(nearest) < wanted:
                return hits[:k]
            wanted *= 4
        return self._index.query(vector, k=k, where=where)

    def confidence(self, features: dict[str, float], language: str | None = None) -> float:
        """How sure we are the top article answers: the KB's calibrated bar (see module),
        or the bar of the message's language when the KB has translations in it."""
        calibration = self.calibration
        if language and language.lower() in self._view.bm25_by_locale:
            calibration = self.locale_calibrations.get(language.lower(), calibration)
        return calibration.confidence(
            dense=features["dense"],
            out_of_scope=features["out_of_scope"],
            has_order=features.get("has_order", 0.0) >= 0.5,
            off_topic=features.get("off_topic", 0.0),
        )

    def _rank(
        self,
        text: str,
        vector: Vectors,
        distribution: npt.NDArray[np.float64] | None,
        exclude: frozenset[str],
        masked_questions: dict[str, Vectors],
        language: str | None,
    ) -> list[RetrievedArticle]:
        view = self._view
        extra = len(exclude)
        dense_hits = [
            h for h in self._dense(view, vector, self._candidates + extra, language)
            if h.chunk.id not in exclude
        ]
        lexical = view.bm25.search(text, k=self._candidates + extra)
        in_language = view.bm25_by_locale.get(language or "")
        if in_language is not None:
            lexical += in_language.search(text, k=self._candidates + extra)
        lexical_hits = [(c, s) for c, s in lexical if c.id not in exclude]

        by_article: dict[str, RetrievedArticle] = {}

        def article_for(chunk: IndexedChunk) -> RetrievedArticle:
            # A translation's chunks count for its source: one article per topic, whatever
            # the language of the passage that matched.
            topic = view.topic_of(chunk)
            found = by_article.get(topic)
            if found is None:
                lead = view.sections.get(topic, [chunk])[0]
                found = RetrievedArticle(
                    article_id=topic,
                    revision=lead.revision,
                    title=lead.title,
                    intents=lead.intent_list,
                )
                by_article[topic] = found
            return found

        for hit in dense_hits:
            article = article_for(hit.chunk)
            if hit.chunk.id not in {c.id for c in article.chunks}:
                article.chunks.append(hit.chunk)
            masked = masked_questions.get(hit.chunk.id)
            similarity = hit.similarity if masked is None else float(masked @ vector)
            article.dense = max(article.dense, similarity)
        best_bm25 = max((score for _, score in lexical_hits), default=0.0)
        for chunk, score in lexical_hits:
            article = article_for(chunk)
            if chunk.id not in {c.id for c in article.chunks}:
                article.chunks.append(chunk)
            if best_bm25 > 0:
                article.bm25 = max(article.bm25, score / best_bm25)
        for article in by_article.values():
            row = view.profile_rows.get(article.article_id)
            if distribution is not None and row is not None:
                article.agreement = float(view.profiles[row] @ distribution)
            article.score = (
                article.dense + BM25_WEIGHT * article.bm25 + AGREEMENT_WEIGHT * article.agreement
            )
        return sorted(by_article.values(), key=lambda a: (-a.score, a.article_id))


# Stored with the index by whoever changes it; retrievers compare it instead of the chunks.
INDEX_GENERATION_KEY = "draftdesk_index_generation"


def mark_index_changed(index: SearchIndex) -> str:
    """Give the index a new generation after a sync: every process's retriever rebuilds
    its BM25 and article tables once, at its next check (see ``refresh_seconds``)."""
    generation = uuid.uuid4().hex
    index.write_metadata(INDEX_GENERATION_KEY, generation)
    return generation


def locale_calibration_key(locale: str) -> str:
    return f"{CALIBRATION_KEY}:{locale}"


def _searched(view: _KbView, language: str | None) -> dict[str, Any] | None:
    """The index filter for a message in ``language``: originals, plus the translations in
    that language (none needed while the KB has no translations)."""
    if not view.translations:
        return None
    originals = {"translation_of": ""}
    if language and language.lower() in view.bm25_by_locale:
        return {"$or": [originals, {"locale": language.lower()}]}
    return originals


def cosine(a: Vectors, b: Vectors) -> float:
    return float(np.dot(a, b))
