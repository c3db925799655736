"""How much a message resembles messages no shop answers — a KB-independent signal.

The dataset-trained classifier's ``out_of_scope`` probability is ~1.0 for almost every
message written the way buyers write ("is there a number i can ring you on?" 0.997), since
its in-scope class saw only Bitext's wording: it cannot tell a casual shop question from
"order me a pizza". Our own off-topic messages (``off_topic.txt`` and its translations:
trivia, sales pitches, coding questions, personal errands) can: a buyer's shop question is
far from all of them, an off-topic message is near a few. The resemblance is the mean
cosine of the message to its three nearest probes: the English ones, or those in the
message's language when draftdesk ships probes in it, the KB has translations in it (the
retriever decides) and they are nearer (language detection can take a short English
message for another language).

A probe asked again (calibration asks every probe) is never its own neighbour: an
identical vector is skipped, as the KB's own example questions are asked without their
own chunk.
"""

from __future__ import annotations

import threading
import weakref
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from bot.retrieval.calibration import off_topic_probes, off_topic_probes_in
from ingest.embedder import Embedder, Vectors

NEAREST = 3
# Cosine at which two vectors are the same text (a probe meeting itself).
_SAME_TEXT = 0.9999
# Probe vectors by embedder: every retriever a process builds (tests build hundreds) embeds
# the probes once.
_SHARED: weakref.WeakKeyDictionary[Embedder, dict[str, npt.NDArray[np.float32]]] = (
    weakref.WeakKeyDictionary()
)


class OffTopicProbes:
    """Probe vectors per language, embedded on first use (≈1 s for the English 373) and
    shared by every retriever of the process that uses the same embedder."""

    def __init__(self, embedder: Embedder) -> None:
        self._embed_many = embedder.embed
        try:
            self._vectors = _SHARED.setdefault(embedder, {})
        except TypeError:  # an embedder that cannot be weakly referenced keeps its own
            self._vectors = {}
        self._lock = threading.Lock()

    def resemblance(self, vector: Vectors, language: str | None = None) -> float:
        """Mean cosine to the :data:`NEAREST` nearest probes (0.0 without probes)."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        locale = _locale(language)
        english = self._nearest(self._probes("en"), query)
        if locale == "en":
            return english
        return max(english, self._nearest(self._probes(locale), query))

    @staticmethod
    def _nearest(probes: npt.NDArray[np.float32], query: npt.NDArray[np.float32]) -> float:
        if probes.shape[0] == 0:
            return 0.0
        similarities = probes @ query
        similarities = similarities[similarities < _SAME_TEXT]
        if similarities.size == 0:
            return 0.0
        nearest = np.sort(similarities)[-NEAREST:]
        return float(nearest.mean())

    def _probes(self, locale: str) -> npt.NDArray[np.float32]:
        found = self._vectors.get(locale)
        if found is not None:
            return found
        with self._lock:
            found = self._vectors.get(locale)
            if found is None:
                texts = off_topic_probes() if locale == "en" else off_topic_probes_in(locale)
                found = (
                    np.asarray(self._embed_many(texts), dtype=np.float32)
                    if texts else np.zeros((0, 0), dtype=np.float32)
                )
                self._vectors[locale] = found
            return found


@lru_cache(maxsize=64)
def _locale(language: str | None) -> str:
    """The probes' language for a message: its own when draftdesk ships probes in it."""
    code = (language or "en").lower()
    return code if code != "en" and off_topic_probes_in(code) else "en"
