"""Training the shipped topic classifier (``bot/understanding/topic_model.npz``).

Multinomial logistic regression (scikit-learn, fixed seed, balanced class weights) on
MiniLM embeddings of the tuning pool: Bitext intent-detection ``train`` (27 topics) and
CLINC150 ``train`` + ``oos_train`` (→ ``out_of_scope``; ``order_status`` → ``track_order``),
plus ``evals/data/topic_seeds.jsonl``: 123 messages we wrote in a buyer's voice for the
phrasings Bitext lacks (returns, "send it back", double charges), weighted ``SEED_WEIGHT``.
The regularisation ``C`` and the softmax temperature are chosen on Bitext ``dev`` and CLINC
``val`` + ``oos_val`` only. The reserved splits are never read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.tiers import OUT_OF_SCOPE
from bot.understanding.topics import TopicClassifier
from evals.datasets import (
    HANDOFF_TOPICS,
    DatasetFiles,
    bitext_intent_queries,
    clinc_queries,
    deduplicate,
    normalise_text,
)
from evals.queries import EvalQuery, read_queries
from ingest.embedder import Embedder

SEED = 20240607
SEED_WEIGHT = 5.0  # a hand-written seed row counts as five dataset rows of its class
DATA_DIR = Path(__file__).resolve().parent / "data"
SEEDS_FILE = DATA_DIR / "topic_seeds.jsonl"
PROBES_FILE = DATA_DIR / "seller_voice_probes.jsonl"
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
TEMPERATURE_GRID = tuple(float(t) for t in np.round(np.arange(0.3, 3.01, 0.05), 2))

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LabelledTexts:
    """Messages with their class (a topic id or ``out_of_scope``) and training weight."""

    texts: list[str]
    labels: list[str]
    weights: list[float] = field(default_factory=list)  # empty: all 1.0


@dataclass(frozen=True)
class TopicPool:
    """The training pool and the two dev sets used to choose hyper-parameters."""

    train: LabelledTexts
    bitext_dev: LabelledTexts
    clinc_dev: LabelledTexts  # CLINC val + oos_val


@dataclass(frozen=True)
class DevScores:
    """How a model does on the dev sets (argmax decisions, no threshold)."""

    bitext_accuracy: float
    answer_accuracy: float  # tiers A+B of Bitext dev
    oos_recall: float  # CLINC val + oos_val rows predicted out_of_scope
    handoff_recall: float  # tiers C+D + CLINC: predicted out_of_scope or a C/D topic
    false_handoff: float  # tiers A+B predicted out_of_scope or a C/D topic
    log_loss: float

    @property
    def selection_score(self) -> float:
        """What the C search maximises: answer accuracy and hand-off recall weigh alike."""
        return (self.bitext_accuracy + self.handoff_recall) / 2


@dataclass(frozen=True)
class Probe:
    """A hand-written buyer message with the topics we accept for it (never trained on)."""

    text: str
    accepted: tuple[str, ...]  # empty for messages that must be handed off
    expect: str


@dataclass
class TrainingReport:
    """What ``train_topic_model`` chose and how it scored."""

    c: float
    temperature: float
    scores: DevScores
    grid: dict[float, DevScores] = field(default_factory=dict)
    train_rows: int = 0
    probe_accuracy: float | None = None
    probe_failures: list[str] = field(default_factory=list)


def read_probes(path: Path = PROBES_FILE) -> list[Probe]:
    """The seller-voice probe set: query lines with an optional ``also`` list of topics."""
    probes: list[Probe] = []
    for query, raw in zip(read_queries(path), _raw_lines(path), strict=True):
        also = raw.get("also", [])
        accepted = tuple([query.intent, *also]) if query.intent else ()
        probes.append(Probe(text=query.text, accepted=accepted, expect=query.expect))
    return probes


def _raw_lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score_probes(
    classifier: TopicClassifier, embeddings: Matrix, probes: Sequence[Probe]
) -> tuple[float, list[str]]:
    """Share of probes decided right by argmax, and the texts of those that were not.

    An answer probe is right when its best topic is accepted and beats ``out_of_scope``;
    a hand-off probe is right when ``out_of_scope`` or a tier C/D topic wins.
    """
    failures: list[str] = []
    for probe, prediction in zip(probes, classifier.predict_many(embeddings), strict=True):
        best = prediction.best
        oos_wins = best is None or prediction.out_of_scope >= best[1]
        if probe.expect == "answer":
            right = not oos_wins and best is not None and best[0] in probe.accepted
        else:
            right = oos_wins or (best is not None and best[0] in HANDOFF_TOPICS)
        if not right:
            failures.append(probe.text)
    return 1.0 - len(failures) / max(len(probes), 1), failures


def _labelled(queries: Sequence[EvalQuery], weights: Sequence[float] = ()) -> LabelledTexts:
    return LabelledTexts(
        texts=[q.text for q in queries],
        labels=[q.intent if q.intent is not None else OUT_OF_SCOPE for q in queries],
        weights=list(weights),
    )


def load_topic_pool(datasets_dir: Path, *, seeds_file: Path | None = SEEDS_FILE) -> TopicPool:
    """Read the tuning pool (same de-duplication as ``convert_all``) and our seed messages."""
    files = DatasetFiles(datasets_dir)
    seeds = read_queries(seeds_file) if seeds_file is not None else []
    bitext_train = deduplicate(bitext_intent_queries(files.bitext_train))
    clinc_train = deduplicate([
        *clinc_queries(files.clinc_data, files.clinc_domains, "train"),
        *clinc_queries(files.clinc_data, files.clinc_domains, "oos_train"),
    ])
    seen_bitext = {normalise_text(q.text) for q in bitext_train}
    seen_clinc = {normalise_text(q.text) for q in clinc_train}
    bitext_dev = deduplicate(bitext_intent_queries(files.bitext_dev), seen=seen_bitext)
    clinc_dev = deduplicate(
        [
            *clinc_queries(files.clinc_data, files.clinc_domains, "val"),
            *clinc_queries(files.clinc_data, files.clinc_domains, "oos_val"),
        ],
        seen=seen_clinc,
    )
    datasets_rows = [*bitext_train, *clinc_train]
    return TopicPool(
        train=_labelled(
            [*datasets_rows, *seeds], [1.0] * len(datasets_rows) + [SEED_WEIGHT] * len(seeds)
        ),
        bitext_dev=_labelled(bitext_dev),
        clinc_dev=_labelled(clinc_dev),
    )


def embed_with_cache(
    embedder: Embedder, texts: list[str], *, cache_dir: Path | None
) -> Matrix:
    """Embed ``texts``, reusing a ``.npy`` in ``cache_dir`` keyed by model and exact texts."""
    if cache_dir is None:
        return embedder.embed(texts)
    digest = hashlib.sha256(embedder.name.encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    path = cache_dir / f"emb-{digest.hexdigest()[:24]}.npy"
    if path.is_file():
        cached: Matrix = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(texts):
            return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    vectors = embedder.embed(texts)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def _fit(
    x: Matrix, train: LabelledTexts, c: float
) -> tuple[Matrix, Matrix, list[str]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array(train.labels)
    classes = np.unique(labels)
    # "balanced" class weights, times each row's own weight (seed rows count more).
    balanced = dict(zip(classes, compute_class_weight("balanced", classes=classes, y=labels),
                        strict=True))
    row_weights = np.array(train.weights or [1.0] * len(labels), dtype=np.float64)
    sample_weight = np.array([balanced[label] for label in labels]) * row_weights
    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED, tol=1e-6)
    model.fit(x, labels, sample_weight=sample_weight)
    return (
        np.asarray(model.coef_, dtype=np.float32),
        np.asarray(model.intercept_, dtype=np.float32),
        [str(cls) for cls in model.classes_],
    )


def score_dev(
    classifier: TopicClassifier, bitext: tuple[Matrix, list[str]], clinc: tuple[Matrix, list[str]]
) -> DevScores:
    """Argmax scores of ``classifier`` on the Bitext and CLINC dev embeddings."""
    classes = classifier.classes
    handoff_classes = np.array([c == OUT_OF_SCOPE or c in HANDOFF_TOPICS for c in classes])

    def predicted(x: Matrix) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        probs = classifier.probabilities(x)
        return probs, np.argmax(probs, axis=1)

    b_probs, b_pred = predicted(bitext[0])
    c_probs, c_pred = predicted(clinc[0])
    b_gold = np.array([classes.index(label) for label in bitext[1]])
    c_gold = np.array([classes.index(label) for label in clinc[1]])
    answer_mask = ~handoff_classes[b_gold]
    c_oos = c_gold == classes.index(OUT_OF_SCOPE)
    handoff_hits = np.concatenate([handoff_classes[b_pred[~answer_mask]],
                                   handoff_classes[c_pred[c_oos]]])
    all_probs = np.concatenate([b_probs, c_probs])
    all_gold = np.concatenate([b_gold, c_gold])
    nll = -np.log(np.clip(all_probs[np.arange(len(all_gold)), all_gold], 1e-12, None))
    return DevScores(
        bitext_accuracy=float(np.mean(b_pred == b_gold)),
        answer_accuracy=float(np.mean(b_pred[answer_mask] == b_gold[answer_mask])),
        oos_recall=float(np.mean(c_pred[c_oos] == classes.index(OUT_OF_SCOPE))),
        handoff_recall=float(np.mean(handoff_hits)),
        false_handoff=float(np.mean(handoff_classes[b_pred[answer_mask]])),
        log_loss=float(np.mean(nll)),
    )


def train_topic_model(
    pool: TopicPool,
    embed: Callable[[list[str]], Matrix],
    *,
    c_grid: Sequence[float] = C_GRID,
    embedder_name: str = "",
    probes: Sequence[Probe] = (),
    progress: Callable[[str], None] | None = None,
) -> tuple[TopicClassifier, TrainingReport]:
    """Fit one model per ``C``, keep the best on dev, then fit its temperature on dev NLL."""
    say = progress or (lambda _message: None)
    say(f"embedding {len(pool.train.texts)} training messages")
    x_train = embed(pool.train.texts)
    say("embedding dev messages")
    bitext = (embed(pool.bitext_dev.texts), pool.bitext_dev.labels)
    clinc = (embed(pool.clinc_dev.texts), pool.clinc_dev.labels)
    grid: dict[float, DevScores] = {}
    fitted: dict[float, TopicClassifier] = {}
    for c in c_grid:
        weights, bias, classes = _fit(x_train, pool.train, c)
        fitted[c] = TopicClassifier(weights=weights, bias=bias, classes=classes)
        grid[c] = score_dev(fitted[c], bitext, clinc)
        say(f"C={c:g}: bitext dev acc {grid[c].bitext_accuracy:.4f}, "
            f"hand-off recall {grid[c].handoff_recall:.4f}, "
            f"OOS recall {grid[c].oos_recall:.4f}")
    best_c = max(c_grid, key=lambda c: (grid[c].selection_score, -c))
    best = fitted[best_c]
    # Temperature scaling leaves the argmax alone; it only makes confidences honest.
    temperatures = {
        t: score_dev(_with_temperature(best, t), bitext, clinc).log_loss
        for t in TEMPERATURE_GRID
    }
    best_t = min(TEMPERATURE_GRID, key=lambda t: temperatures[t])
    final = _with_temperature(best, best_t)
    final.metadata.update({
        "embedder": embedder_name,
        "C": f"{best_c:g}",
        "temperature": f"{best_t:g}",
        "seed": str(SEED),
        "trained_on": "bitext-intent-detection train; clinc150 train + oos_train; "
        "evals/data/topic_seeds.jsonl",
        "chosen_on": "bitext-intent-detection dev; clinc150 val + oos_val",
    })
    scores = score_dev(final, bitext, clinc)
    report = TrainingReport(c=best_c, temperature=best_t, scores=scores, grid=grid,
                            train_rows=len(pool.train.texts))
    if probes:
        accuracy, failures = score_probes(final, embed([p.text for p in probes]), probes)
        report.probe_accuracy, report.probe_failures = accuracy, failures
    return final, report


def _with_temperature(classifier: TopicClassifier, temperature: float) -> TopicClassifier:
    weights, bias = classifier.parameters()
    return TopicClassifier(weights=weights, bias=bias, classes=classifier.classes,
                           temperature=temperature, metadata=classifier.metadata)
