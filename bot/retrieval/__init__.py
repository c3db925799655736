"""Retrieval over the seller's KB with a per-KB calibrated confidence."""

from bot.retrieval.calibration import (
    CALIBRATION_KEY,
    Calibration,
    CalibrationPoint,
    fit_calibration,
    off_topic_probes,
)
from bot.retrieval.retriever import (
    HybridRetriever,
    RetrievalResult,
    RetrievedArticle,
    TopicModel,
    cosine,
)

__all__ = [
    "CALIBRATION_KEY", "Calibration", "CalibrationPoint", "HybridRetriever",
    "RetrievalResult", "RetrievedArticle", "TopicModel", "cosine", "fit_calibration",
    "off_topic_probes",
]
