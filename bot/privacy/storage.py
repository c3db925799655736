"""After an erasure: make sure removed buyer data is gone from the files, not only the rows.

* **SQLite** keeps old row images in the write-ahead log and in free pages until they are
  reused: a checkpoint that truncates the WAL and a ``VACUUM`` rewrite the file without them.
* **Embedded Chroma** (1.5.x) keeps every document it was ever given in its own log table,
  ``embeddings_queue``, even after the record is deleted and with automatic purging on
  (chroma-core/chroma#7659, open; ``chroma vacuum`` does not trim it either). Log entries of
  records no longer in the collection are only replayed as "add, then delete", so their
  document text and vector are emptied here, and the file is vacuumed. A Chroma *server*
  (``DRAFTDESK_CHROMA_URL``) is outside our reach: its operator must vacuum it.
* **Embedded Chroma's HNSW files** are written from buffers allocated at full capacity and
  never zeroed (chroma-core/chroma#7688, open): the slots past the last vector hold
  whatever the process had freed, buyer text included. Those slots are zeroed here; they
  are never read, and a later vector is written over its slot in full.
"""

from __future__ import annotations

import logging
import sqlite3
import struct
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

log = logging.getLogger(__name__)
_CHROMA_DB = "chroma.sqlite3"
_CHROMA_DELETE = 3  # chromadb's operation code for a delete in embeddings_queue
# header.bin of a persisted HNSW segment (chroma-core/hnswlib): format version (int32),
# then offsetLevel0, max_elements, cur_element_count, size_data_per_element (size_t each).
_HNSW_HEADER = struct.Struct("<i4Q")
_HNSW_FORMAT = 1
_FLOAT_BYTES = 4  # length.bin: one float32 norm per slot


def compact_sqlite(engine: Engine) -> bool:
    """Rewrite a SQLite database without the old images of erased rows (True when done;
    other databases are left alone: PostgreSQL's own VACUUM reclaims dead tuples)."""
    if engine.dialect.name != "sqlite":
        return False
    # The raw connection: SQLAlchemy's "begin" hook (BEGIN IMMEDIATE) must not wrap these,
    # neither may run inside a transaction.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement in (
            "PRAGMA wal_checkpoint(TRUNCATE)",
            "VACUUM",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ):
            cursor.execute(statement)
        cursor.close()
    finally:
        connection.close()
    return True


def scrub_chroma_log(chroma_dir: Path, *, collection: str, live_ids: Iterable[str]) -> int:
    """Empty the document text and vector of every logged write to ``collection`` whose
    record is no longer in it, then vacuum; returns how many log entries were emptied."""
    database = chroma_dir / _CHROMA_DB
    if not database.is_file():
        return 0
    live = set(live_ids)
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not {"embeddings_queue", "collections"} <= tables:
            log.warning("unknown Chroma layout in %s: its log was not scrubbed", chroma_dir)
            return 0
        found = connection.execute(
            "SELECT id FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        if found is None:
            return 0
        topic_suffix = f"/{found[0]}"
        stale = [
            seq_id
            for seq_id, record_id, topic in connection.execute(
                "SELECT seq_id, id, topic FROM embeddings_queue WHERE operation != ? "
                "AND metadata IS NOT NULL AND metadata != '{}'",
                (_CHROMA_DELETE,),
            )
            if topic.endswith(topic_suffix) and record_id not in live
        ]
        with connection:
            connection.executemany(
                "UPDATE embeddings_queue SET metadata = '{}', "
                "vector = CASE WHEN vector IS NULL THEN NULL ELSE zeroblob(length(vector)) END "
                "WHERE seq_id = ?",
                [(seq_id,) for seq_id in stale],
            )
        if stale:
            connection.execute("VACUUM")
    return len(stale)


def scrub_hnsw_slack(chroma_dir: Path) -> int:
    """Zero the unused capacity of every persisted HNSW segment under ``chroma_dir``
    (``data_level0.bin`` and ``length.bin`` past the persisted element count); returns the
    bytes zeroed. A segment whose files do not have the expected shape is left alone."""
    zeroed = 0
    for header in sorted(chroma_dir.glob("*/header.bin")):
        raw = header.read_bytes()
        if len(raw) < _HNSW_HEADER.size:
            continue
        version, _, capacity, count, element_size = _HNSW_HEADER.unpack_from(raw)
        if version != _HNSW_FORMAT or count > capacity or element_size == 0:
            log.warning("unknown HNSW layout in %s: its slack was not zeroed", header.parent)
            continue
        for name, slot_size in (("data_level0.bin", element_size), ("length.bin", _FLOAT_BYTES)):
            zeroed += _zero_past(header.parent / name, used=count * slot_size,
                                 expected=capacity * slot_size)
    return zeroed


def _zero_past(path: Path, *, used: int, expected: int) -> int:
    if not path.is_file():
        return 0
    size = path.stat().st_size
    if size <= used:  # written up to the last vector (a full persist): no slack
        return 0
    if size != expected:  # neither full capacity nor the used part: not a layout this knows
        log.warning("unexpected size of %s (%d, not %d): left alone", path, size, expected)
        return 0
    with path.open("r+b") as handle:
        handle.seek(used)
        handle.write(bytes(size - used))
    return size - used
