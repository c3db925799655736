"""Converters from the shared third-party datasets to EVAL.md query files (tuning splits only).

Reserved acceptance splits (CLINC150 ``test``/``oos_test``, τ² ``test``; Bitext ``test`` is
not stored) are refused by name and never read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.understanding.tiers import (
    MARKETPLACE_TOPICS,
    PERSON_TOPICS,
    SELLER_TOPICS_CORE,
    SELLER_TOPICS_COVERED,
)
from evals.errors import DatasetInvalid, DatasetMissing, ReservedSplit
from evals.queries import EvalQuery, write_queries

HANDOFF_TOPICS = PERSON_TOPICS | MARKETPLACE_TOPICS


def tier_of(topic: str) -> str | None:
    """The EVAL.md tier letter of a topic id (``None`` for an unknown id)."""
    for tier, topics in (("A", SELLER_TOPICS_CORE), ("B", SELLER_TOPICS_COVERED),
                         ("C", PERSON_TOPICS), ("D", MARKETPLACE_TOPICS)):
        if topic in topics:
            return tier
    return None


CLINC_TUNING_SPLITS = ("train", "val", "oos_train", "oos_val")
CLINC_RESERVED_SPLITS = ("test", "oos_test")

# CLINC150 intents that are a seller's business, labelled with the matching Bitext topic
# (they are then answer queries, not hand-off probes). See evals/README.md.
CLINC_MAPPED_INTENTS: dict[str, str] = {"order_status": "track_order"}

# CLINC150 intents that are neither clearly out of a seller's scope nor clearly one topic,
# so they are left out of every file and of topic training. Reasons in evals/README.md.
CLINC_EXCLUDED_INTENTS: dict[str, str] = {
    "order": "voice-assistant shopping commands ('order more paper towels from amazon'); "
    "to a seller they could read as place_order",
    "card_declined": "card declined at a store; to a seller it reads as payment_issue",
    "cancel": "'how to cancel' / 'cancel that': to a seller it could mean cancel_order",
}


@dataclass(frozen=True)
class DatasetFiles:
    """Where each dataset file lives under the shared datasets folder."""

    root: Path

    @property
    def bitext_train(self) -> Path:
        return (
            self.root / "bitext-intent-detection" / "train"
            / "Bitext_Sample_Customer_Service_Training_Dataset.csv"
        )

    @property
    def bitext_dev(self) -> Path:
        return (
            self.root / "bitext-intent-detection" / "dev"
            / "Bitext_Sample_Customer_Service_Validation_Dataset.csv"
        )

    @property
    def bitext_llm(self) -> Path:
        return (
            self.root / "bitext-customer-support-llm"
            / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
        )

    @property
    def clinc_data(self) -> Path:
        return self.root / "clinc150" / "data_full.json"

    @property
    def clinc_domains(self) -> Path:
        return self.root / "clinc150" / "domains.json"


def normalise_text(text: str) -> str:
    """Lower-case, single-spaced text: the key used to find duplicate messages."""
    return " ".join(text.lower().split())


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise DatasetMissing(f"dataset file not found: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [c for c in required if c not in columns]
        if missing:
            raise DatasetInvalid(
                f"{path.name}: missing column(s) {', '.join(missing)} "
                f"(found: {', '.join(columns) or 'none'})"
            )
        for number, row in enumerate(reader, start=2):
            if any(row.get(c) is None for c in required):
                raise DatasetInvalid(f"{path.name}:{number}: row has too few fields")
            yield row


def _bitext_query(
    path: Path, number: int, text: str, intent: str, tags: str, source: str,
    reference: str | None = None,
) -> EvalQuery:
    tier = tier_of(intent)
    if tier is None:
        raise DatasetInvalid(f"{path.name}:{number}: unknown Bitext intent {intent!r}")
    if not text.strip():
        raise DatasetInvalid(f"{path.name}:{number}: empty message")
    return EvalQuery(
        text=text.strip(),
        intent=intent,
        expect="handoff" if intent in HANDOFF_TOPICS else "answer",
        tags=tags or None,
        reference=reference,
        source=source,
        slice=f"tier_{tier}",
    )


def bitext_intent_queries(path: Path) -> list[EvalQuery]:
    """Bitext intent-detection ``train`` or ``dev`` CSV → queries (tiers C+D expect hand-off)."""
    return [
        _bitext_query(path, number, row["utterance"], row["intent"], row["tags"], "bitext")
        for number, row in enumerate(_csv_rows(path, ("utterance", "intent", "tags")), start=2)
    ]


def bitext_llm_queries(path: Path) -> list[EvalQuery]:
    """The Bitext LLM Q/A CSV → queries, keeping each ``response`` as ``reference``."""
    required = ("instruction", "intent", "tags", "response")
    return [
        _bitext_query(
            path, number, row["instruction"], row["intent"], row["tags"], "bitext_llm",
            reference=row["response"],
        )
        for number, row in enumerate(_csv_rows(path, required), start=2)
    ]


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise DatasetMissing(f"dataset file not found: {path}")
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise DatasetInvalid(f"{path.name}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def clinc_domain_of(domains_path: Path) -> dict[str, str]:
    """CLINC150 intent → its domain (banking, travel, small_talk, meta, …)."""
    raw = _load_json(domains_path)
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise DatasetInvalid(f"{domains_path.name}: expected {{domain: [intent, ...]}}")
    return {str(intent): str(domain) for domain, intents in raw.items() for intent in intents}


def clinc_queries(data_path: Path, domains_path: Path, split: str) -> list[EvalQuery]:
    """One CLINC150 tuning split → queries.

    Everything expects a hand-off (intent ``None``, ``slice`` = CLINC domain or ``oos``),
    except ``CLINC_MAPPED_INTENTS`` (answer queries with the Bitext topic) and
    ``CLINC_EXCLUDED_INTENTS`` (dropped).
    """
    if split in CLINC_RESERVED_SPLITS:
        raise ReservedSplit(f"CLINC150 {split!r} is reserved for acceptance checks")
    if split not in CLINC_TUNING_SPLITS:
        raise DatasetInvalid(
            f"unknown CLINC150 split {split!r} (use one of {', '.join(CLINC_TUNING_SPLITS)})"
        )
    domains = clinc_domain_of(domains_path)
    raw = _load_json(data_path)
    if not isinstance(raw, dict) or split not in raw:
        raise DatasetInvalid(f"{data_path.name}: no {split!r} list")
    queries: list[EvalQuery] = []
    for number, item in enumerate(raw[split]):
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
        ):
            raise DatasetInvalid(f"{data_path.name}: {split}[{number}] is not [text, intent]")
        text, clinc_intent = item[0].strip(), item[1]
        if clinc_intent in CLINC_EXCLUDED_INTENTS:
            continue
        mapped = CLINC_MAPPED_INTENTS.get(clinc_intent)
        if mapped is not None:
            queries.append(EvalQuery(text=text, intent=mapped, expect="answer",
                                     source="clinc150", slice=clinc_intent))
            continue
        slice_ = "oos" if clinc_intent == "oos" else domains.get(clinc_intent)
        if slice_ is None:
            raise DatasetInvalid(f"{data_path.name}: intent {clinc_intent!r} not in domains")
        queries.append(EvalQuery(text=text, intent=None, expect="handoff",
                                 source="clinc150", slice=slice_))
    return queries


def deduplicate(queries: Iterable[EvalQuery], *, seen: set[str] | None = None) -> list[EvalQuery]:
    """Drop repeated messages and any message already in ``seen`` (e.g. the training split)."""
    known = set(seen or ())
    kept: list[EvalQuery] = []
    for query in queries:
        key = normalise_text(query.text)
        if key not in known:
            known.add(key)
            kept.append(query)
    return kept


@dataclass(frozen=True)
class ConvertedFile:
    """One written query file with its row counts."""

    name: str
    rows: int
    answer: int
    handoff: int
    dropped: int


@dataclass(frozen=True)
class QuerySet:
    """One query file's rows and how many raw rows it came from."""

    queries: list[EvalQuery]
    raw_rows: int


def tuning_query_sets(datasets_dir: Path) -> dict[str, QuerySet]:
    """Every tuning query file's content, keyed by file name.

    Exact duplicates (after ``normalise_text``) are dropped within each file, and dev/val
    rows whose text also appears in the matching training split are dropped too, because
    the topic classifier is trained on those splits.
    """
    files = DatasetFiles(datasets_dir)
    bitext_train_raw = bitext_intent_queries(files.bitext_train)
    bitext_dev_raw = bitext_intent_queries(files.bitext_dev)
    clinc_train_raw = [
        *clinc_queries(files.clinc_data, files.clinc_domains, "train"),
        *clinc_queries(files.clinc_data, files.clinc_domains, "oos_train"),
    ]
    clinc_val_raw = clinc_queries(files.clinc_data, files.clinc_domains, "val")
    clinc_oos_val_raw = clinc_queries(files.clinc_data, files.clinc_domains, "oos_val")
    llm_raw = bitext_llm_queries(files.bitext_llm)

    bitext_train = deduplicate(bitext_train_raw)
    seen_bitext = {normalise_text(q.text) for q in bitext_train}
    seen_clinc = {normalise_text(q.text) for q in clinc_train_raw}
    bitext_dev = deduplicate(bitext_dev_raw, seen=seen_bitext)
    clinc_val = deduplicate(clinc_val_raw, seen=seen_clinc)
    clinc_oos_val = deduplicate(clinc_oos_val_raw, seen=seen_clinc)
    handoff_dev = deduplicate(
        [q for q in [*bitext_dev, *clinc_val, *clinc_oos_val] if q.expect == "handoff"]
    )
    return {
        "bitext_train.jsonl": QuerySet(bitext_train, len(bitext_train_raw)),
        "bitext_dev.jsonl": QuerySet(bitext_dev, len(bitext_dev_raw)),
        "clinc_val.jsonl": QuerySet(clinc_val, len(clinc_val_raw)),
        "clinc_oos_val.jsonl": QuerySet(clinc_oos_val, len(clinc_oos_val_raw)),
        "bitext_llm.jsonl": QuerySet(deduplicate(llm_raw), len(llm_raw)),
        "handoff_dev.jsonl": QuerySet(handoff_dev, len(handoff_dev)),
    }


def dev_queries(datasets_dir: Path) -> list[EvalQuery]:
    """The dev pool used to choose thresholds: Bitext ``dev`` + CLINC ``val`` + ``oos_val``."""
    sets = tuning_query_sets(datasets_dir)
    return [
        *sets["bitext_dev.jsonl"].queries,
        *sets["clinc_val.jsonl"].queries,
        *sets["clinc_oos_val.jsonl"].queries,
    ]


def convert_all(datasets_dir: Path, out_dir: Path) -> list[ConvertedFile]:
    """Write every tuning query file into ``out_dir`` (see ``tuning_query_sets``)."""
    written: list[ConvertedFile] = []
    for name, query_set in tuning_query_sets(datasets_dir).items():
        queries = query_set.queries
        write_queries(out_dir / name, queries)
        answer = sum(q.expect == "answer" for q in queries)
        written.append(ConvertedFile(name=name, rows=len(queries), answer=answer,
                                     handoff=len(queries) - answer,
                                     dropped=query_set.raw_rows - len(queries)))
    return written
