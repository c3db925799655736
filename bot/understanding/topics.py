"""Which topic a buyer message is about, from its sentence embedding, in pure numpy.

The model is a multinomial logistic regression over the 384-dim MiniLM embedding, trained
on the tuning pool (Bitext intent-detection ``train``, CLINC150 ``train`` + ``oos_train``)
by ``draftdesk eval train-topics`` and shipped as ``topic_model.npz`` next to this module.
Its classes are the 27 Bitext topic ids (EVAL.md) plus ``out_of_scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.tiers import OUT_OF_SCOPE
from knowledge_base.error_base import DraftdeskError

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "topic_model.npz"


class TopicModelError(DraftdeskError):
    """The topic model file is missing or malformed (stable ``code`` for callers)."""

    code = "topic_model_invalid"
    status = 500


@dataclass(frozen=True)
class TopicPrediction:
    """Class probabilities for one message.

    ``topics`` holds every in-scope topic with its probability, best first;
    ``out_of_scope`` is the probability of the ``out_of_scope`` class. Together they sum to 1.
    """

    topics: list[tuple[str, float]]
    out_of_scope: float

    @property
    def best(self) -> tuple[str, float] | None:
        """The most likely in-scope topic and its probability (``None`` if there are none)."""
        return self.topics[0] if self.topics else None


class TopicClassifier:
    """Softmax over ``(W @ embedding + bias) / temperature``; no torch, no sklearn."""

    def __init__(
        self,
        *,
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        classes: list[str],
        temperature: float = 1.0,
        metadata: dict[str, str] | None = None,
    ) -> None:
        if weights.ndim != 2 or weights.shape[0] != len(classes):
            raise TopicModelError(
                f"topic model weights have shape {weights.shape}, expected ({len(classes)}, dim)"
            )
        if bias.shape != (len(classes),):
            raise TopicModelError(f"topic model bias has shape {bias.shape}")
        if OUT_OF_SCOPE not in classes:
            raise TopicModelError(f"topic model has no {OUT_OF_SCOPE!r} class")
        if not temperature > 0:
            raise TopicModelError(f"topic model temperature must be > 0, got {temperature}")
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float32)
        self._classes = list(classes)
        self._oos_index = self._classes.index(OUT_OF_SCOPE)
        self._temperature = float(temperature)
        self.metadata = dict(metadata or {})

    @property
    def classes(self) -> list[str]:
        """Class names in weight-row order (topic ids plus ``out_of_scope``)."""
        return list(self._classes)

    @property
    def dimension(self) -> int:
        """The embedding dimension the model expects."""
        return int(self._weights.shape[1])

    @property
    def temperature(self) -> float:
        return self._temperature

    def parameters(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Copies of the weight matrix ``[classes × dim]`` and the bias vector."""
        return self._weights.copy(), self._bias.copy()

    @classmethod
    def load(cls, path: Path | None = None) -> TopicClassifier:
        """Load a model written by ``save`` (default: the file shipped with draftdesk)."""
        path = path or DEFAULT_MODEL_PATH
        if not path.is_file():
            raise TopicModelError(f"topic model not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = data["weights"]
                bias = data["bias"]
                classes = [str(c) for c in data["classes"]]
                temperature = float(data["temperature"]) if "temperature" in data else 1.0
                metadata = {k: str(v) for k, v in _pairs(data, "meta").items()}
        except (OSError, ValueError, KeyError) as exc:
            raise TopicModelError(f"topic model {path} is not readable: {exc}") from exc
        except TypeError as exc:
            raise TopicModelError(f"topic model {path} has a malformed entry: {exc}") from exc
        return cls(
            weights=weights, bias=bias, classes=classes, temperature=temperature,
            metadata=metadata,
        )

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz`` without pickles (safe to load anywhere)."""
        keys = sorted(self.metadata)
        np.savez_compressed(
            path,
            weights=self._weights,
            bias=self._bias,
            classes=np.array(self._classes),
            temperature=np.float64(self._temperature),
            meta_keys=np.array(keys, dtype=str),
            meta_values=np.array([self.metadata[k] for k in keys], dtype=str),
        )

    def probabilities(self, embeddings: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """Class probabilities, one row per embedding (columns in ``classes`` order)."""
        matrix = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
        if matrix.shape[1] != self.dimension:
            raise ValueError(
                f"embedding has dimension {matrix.shape[1]}, the topic model expects "
                f"{self.dimension}"
            )
        logits = (matrix @ self._weights.T + self._bias).astype(np.float64) / self._temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
        return probs

    def predict(self, embedding: npt.NDArray[np.floating]) -> TopicPrediction:
        """Topics of one message from its (already computed, normalised) embedding."""
        vector = np.asarray(embedding)
        if vector.ndim == 2 and vector.shape[0] != 1:
            raise ValueError("predict takes one embedding; use predict_many for a batch")
        return self._prediction(self.probabilities(vector)[0])

    def predict_many(self, embeddings: npt.NDArray[np.floating]) -> list[TopicPrediction]:
        """Topics of several messages at once (rows of ``embeddings``)."""
        return [self._prediction(row) for row in self.probabilities(embeddings)]

    def _prediction(self, row: npt.NDArray[np.float64]) -> TopicPrediction:
        order = np.argsort(-row, kind="stable")
        topics = [(self._classes[i], float(row[i])) for i in order if i != self._oos_index]
        return TopicPrediction(topics=topics, out_of_scope=float(row[self._oos_index]))


def _pairs(data: Any, prefix: str) -> dict[str, Any]:
    """A small dict stored as two parallel arrays ``<prefix>_keys`` / ``<prefix>_values``."""
    keys_name = f"{prefix}_keys"
    if keys_name not in data:
        return {}
    keys, values = data[keys_name], data[f"{prefix}_values"]
    return {str(k): v for k, v in zip(keys, values, strict=True)}
