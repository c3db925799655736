"""Vectors embedded ahead of use: a worker with a backlog embeds the texts of several
queued conversations in one model call (one padded batch costs far less than as many
single calls on a CPU), and each draft then takes its vectors from here."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ingest.embedder import Embedder, Vectors

# Enough for a worker's batch (each conversation embeds a few texts); anything prefetched
# and never asked for is dropped once this many are held.
MAX_PREFETCHED = 256


class PrefetchedVectors:
    """Text → vector, filled in one call by :meth:`prefetch`, emptied as drafts use it."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._vectors: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def prefetch(self, texts: Sequence[str]) -> int:
        """Embed the texts not held yet, in one model call; returns how many were embedded."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t and t not in self._vectors]
        if not missing:
            return 0
        vectors = self._embedder.embed(missing)
        with self._lock:
            if len(self._vectors) + len(missing) > MAX_PREFETCHED:
                self._vectors.clear()
            self._vectors.update(zip(missing, vectors, strict=True))
        return len(missing)

    def embed(self, texts: list[str]) -> Vectors:
        """The vectors of ``texts``: prefetched ones are used (once), the rest embedded now,
        together in one call."""
        with self._lock:
            found = {t: v for t in texts if (v := self._vectors.pop(t, None)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self._embedder.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def discard(self) -> None:
        """Forget whatever was prefetched and not used (a batch's drafts are done)."""
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)
