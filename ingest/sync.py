"""Keep the search index equal to the published knowledge base, embedding only what changed.

Chunk ids come from (article, revision, chunk no.), so an edited article gets new ids and its
old chunks are pruned; content hashes let a re-run on unchanged input embed nothing. Each
chunk also carries its article's key (a hash of everything its chunks are made from, and
their number): an article whose stored chunks all carry its current key is not re-chunked,
so a sync after one edit costs one scan of the index's metadata, not a re-chunking of the KB.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

from ingest import chunking
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


# Set while a sync writes (cleared when it is done): a sync that finds it set was
# interrupted, and trusts no article key (it compares every chunk's hash, as a first sync).
SYNC_STARTED_KEY = "draftdesk_sync_started"


@cache
def _chunker_fingerprint() -> str:
    """Changes when the chunking code or its splitter library does (keys then change too)."""
    digest = hashlib.sha256()
    for module in (chunking.__file__, __file__):
        digest.update(Path(module).read_bytes())
    digest.update(metadata.version("langchain-text-splitters").encode())
    return digest.hexdigest()


class RevisionKeyLike(Protocol):
    """What identifies a published revision's chunks (a PublishedRevision has it all)."""

    @property
    def article_id(self) -> str: ...

    @property
    def revision(self) -> int: ...

    @property
    def content_hash(self) -> str: ...

    @property
    def learned_questions(self) -> list[str]: ...


def article_key(revision: RevisionKeyLike) -> str:
    """A hash of everything one revision's chunks are made from: the revision (its content
    hash covers title, body, questions, intents, locale and source), the learned questions
    and the chunking code."""
    content = revision.content_hash
    if not content and isinstance(revision, PublishedRevision):
        content = revision.model_dump_json(include={"title", "body", "questions", "intents",
                                                     "locale", "translation_of"})
    payload = json.dumps(
        [revision.article_id, revision.revision, content, list(revision.learned_questions),
         _chunker_fingerprint()],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    published: Sequence[RevisionKeyLike],
    index: SearchIndex,
    embedder: Embedder,
    load: Callable[[list[str]], Sequence[PublishedRevision]] | None = None,
    batch_size: int = 128,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Upsert new or changed chunks, delete chunks no longer published.

    ``published``: every published revision, full or as keys (then ``load`` gives the full
    revisions of the articles whose chunks must be made again). The index records each
    article's key and chunk count once its chunks are written; an article whose recorded
    key is current is not looked at again, as long as the index holds as many chunks as
    the records say (else, or after an interrupted sync, every chunk is compared, as in a
    first sync). Of the chunks made again, only those whose text changed are embedded.
    """
    keys = {r.article_id: article_key(r) for r in published}
    recorded = index.article_keys()
    trusted = (
        bool(recorded)
        and not index.read_metadata(SYNC_STARTED_KEY)
        and index.count() == sum(_chunk_count(key) for key in recorded.values())
    )
    gone = [a for a in recorded if a not in keys]
    if trusted:
        changed = [
            r for r in published if _key_of(recorded.get(r.article_id)) != keys[r.article_id]
        ]
        stored = index.content_hashes([r.article_id for r in changed] + gone)
    else:
        changed = list(published)
        stored = index.content_hashes()
    wanted: dict[str, IndexedChunk] = {}
    record: dict[str, str | None] = {a: None for a in gone}
    for revision in _full(changed, load):
        chunks = chunks_for(revision)
        record[revision.article_id] = f"{keys[revision.article_id]}/{len(chunks)}"
        wanted.update((chunk.id, chunk) for chunk in chunks)
    record = {a: k for a, k in record.items() if recorded.get(a) != k}
    # Sorted by length so each batch pads to similar lengths (what model.encode does itself).
    to_embed = sorted(
        (c for cid, c in wanted.items() if stored.get(cid) != c.content_hash),
        key=lambda c: len(c.text),
    )
    to_delete = sorted(set(stored) - set(wanted))
    writes = bool(to_embed or to_delete or record)
    if writes:
        index.write_metadata(SYNC_STARTED_KEY, "1")
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
    if writes:
        index.record_article_keys(record)
        index.write_metadata(SYNC_STARTED_KEY, "")
    total = sum(_chunk_count(k) for k in {**recorded, **record}.values() if k is not None)
    return SyncReport(chunks=total, embedded=len(to_embed), deleted=len(to_delete))


def _key_of(recorded: str | None) -> str | None:
    return None if recorded is None else recorded.rsplit("/", 1)[0]


def _chunk_count(recorded: str | None) -> int:
    try:
        return int((recorded or "").rsplit("/", 1)[1])
    except (IndexError, ValueError):
        return -1  # unreadable: the count check fails and the sync compares every chunk


def _full(
    revisions: Sequence[RevisionKeyLike],
    load: Callable[[list[str]], Sequence[PublishedRevision]] | None,
) -> list[PublishedRevision]:
    full = [r for r in revisions if isinstance(r, PublishedRevision)]
    missing = [r.article_id for r in revisions if not isinstance(r, PublishedRevision)]
    if missing:
        if load is None:
            raise TypeError("sync_index needs load= to read revisions given as keys")
        for start in range(0, len(missing), 500):
            full.extend(load(missing[start : start + 500]))
    return full
