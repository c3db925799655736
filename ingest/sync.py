"""Keep the search index equal to the published knowledge base, embedding only what changed.

Chunk ids come from (article, revision, chunk no.), so an edited article gets new ids and its
old chunks are pruned; content hashes let a re-run on unchanged input embed nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass

from ingest.chunking import chunk_article
from ingest.embedder import Embedder
from ingest.index import IndexedChunk, SearchIndex
from knowledge_base.schemas import PublishedRevision

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncReport:
    chunks: int
    embedded: int
    deleted: int


def chunks_for(revision: PublishedRevision) -> list[IndexedChunk]:
    """The index chunks of one published revision (deterministic)."""
    intents = ",".join(revision.intents)
    locale = revision.locale.lower()
    translation_of = revision.translation_of or ""
    return [
        IndexedChunk(
            **{**asdict(chunk), "content_hash": _with_language(chunk.content_hash, revision)},
            intents=intents, locale=locale, translation_of=translation_of,
        )
        for chunk in chunk_article(
            article_id=revision.article_id,
            revision=revision.revision,
            title=revision.title,
            body=revision.body,
            # Learned questions are example questions too: one chunk each, after the
            # article's own (ids and hashes stay deterministic for the same list).
            questions=[*revision.questions, *revision.learned_questions],
        )
    ]


def _with_language(text_hash: str, revision: PublishedRevision) -> str:
    # Locale and source are stored with each chunk (retrieval filters on them): a change
    # of either must re-write the chunk, not only a change of its text.
    payload = f"{text_hash}|{revision.locale.lower()}|{revision.translation_of or ''}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def sync_index(
    *,
    published: Sequence[PublishedRevision],
    index: SearchIndex,
    embedder: Embedder,
    batch_size: int = 128,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Upsert new or changed chunks, delete chunks no longer published."""
    wanted: dict[str, IndexedChunk] = {}
    for revision in published:
        for chunk in chunks_for(revision):
            wanted[chunk.id] = chunk
    stored = index.content_hashes()
    # Sorted by length so each batch pads to similar lengths (what model.encode does itself).
    to_embed = sorted(
        (c for cid, c in wanted.items() if stored.get(cid) != c.content_hash),
        key=lambda c: len(c.text),
    )
    to_delete = sorted(set(stored) - set(wanted))
    if progress:
        progress(0, len(to_embed))
    # Writing batch N to the index overlaps with embedding batch N+1 (both release the GIL).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer") as writer:
        pending: Future[None] | None = None
        for start in range(0, len(to_embed), batch_size):
            batch = to_embed[start : start + batch_size]
            vectors = embedder.embed([c.text for c in batch])
            if pending is not None:
                pending.result()
            pending = writer.submit(index.upsert, batch, vectors)
            if progress:
                progress(min(start + batch_size, len(to_embed)), len(to_embed))
        if pending is not None:
            pending.result()
    index.delete(to_delete)
    return SyncReport(chunks=len(wanted), embedded=len(to_embed), deleted=len(to_delete))
