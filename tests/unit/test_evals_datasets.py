"""Dataset converters (evals/datasets.py) and the query-file format, on tiny files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.cli import app
from evals.datasets import (
    DatasetFiles,
    bitext_intent_queries,
    bitext_llm_queries,
    clinc_queries,
    convert_all,
    deduplicate,
)
from evals.errors import DatasetInvalid, DatasetMissing, ReservedSplit
from evals.queries import EvalQuery, read_queries, write_queries

BITEXT_COLUMNS = [
    "utterance", "intent", "entity_type", "entity_value", "start_offset", "end_offset",
    "category", "tags",
]
LLM_COLUMNS = [
    "context", "role", "instruction", "intent", "entity_type", "entity_value", "start_offset",
    "end_offset", "category", "tags", "response",
]


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def bitext_row(text: str, intent: str, tags: str = "B") -> dict[str, str]:
    return {"utterance": text, "intent": intent, "tags": tags, "category": "X"}


def write_clinc(files: DatasetFiles, data: dict[str, list[list[str]]]) -> None:
    files.clinc_data.parent.mkdir(parents=True, exist_ok=True)
    files.clinc_data.write_text(json.dumps(data), encoding="utf-8")
    files.clinc_domains.write_text(
        json.dumps({
            "home": ["order_status", "order", "shopping_list"],
            "utility": ["weather"],
            "small_talk": ["greeting"],
            "meta": ["cancel"],
            "credit_cards": ["card_declined"],
        }),
        encoding="utf-8",
    )


def test_bitext_tiers_decide_expectation_and_tags_are_kept(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "train.csv", BITEXT_COLUMNS, [
        bitext_row("where is my parcel", "track_order", "BQ"),
        bitext_row("I need my invoice", "get_invoice", "BL"),
        bitext_row("let me talk to a human", "contact_human_agent", "BZ"),
        bitext_row("I forgot my password", "recover_password", "B"),
    ])

    queries = bitext_intent_queries(path)

    assert [(q.intent, q.expect, q.tags, q.slice) for q in queries] == [
        ("track_order", "answer", "BQ", "tier_A"),
        ("get_invoice", "answer", "BL", "tier_B"),
        ("contact_human_agent", "handoff", "BZ", "tier_C"),
        ("recover_password", "handoff", "B", "tier_D"),
    ]


def test_bitext_llm_keeps_the_response_as_reference(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "llm.csv", LLM_COLUMNS, [
        {"instruction": "cancel order 123", "intent": "cancel_order", "tags": "BIL",
         "response": "I can help you cancel {{Order Number}}."},
    ])

    [query] = bitext_llm_queries(path)

    assert query.text == "cancel order 123"
    assert query.reference == "I can help you cancel {{Order Number}}."
    assert query.expect == "answer"


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing) as caught:
        bitext_intent_queries(tmp_path / "nope.csv")
    assert caught.value.code == "dataset_missing"
    assert str(tmp_path / "nope.csv") in caught.value.message
    assert "\n" not in caught.value.message


def test_wrong_columns_are_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", ["text", "label"], [{"text": "hi", "label": "x"}])

    with pytest.raises(DatasetInvalid) as caught:
        bitext_intent_queries(path)

    assert "missing column(s) utterance, intent, tags" in caught.value.message
    assert "found: text, label" in caught.value.message


def test_unknown_intent_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", BITEXT_COLUMNS, [bitext_row("hi", "order_pizza")])

    with pytest.raises(DatasetInvalid, match=r"x\.csv:2: unknown Bitext intent 'order_pizza'"):
        bitext_intent_queries(path)


def test_llm_file_needs_its_response_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "llm.csv", BITEXT_COLUMNS, [bitext_row("hi", "review")])

    with pytest.raises(DatasetInvalid, match="instruction, response"):
        bitext_llm_queries(path)


def test_clinc_maps_seller_intents_and_drops_ambiguous_ones(tmp_path: Path) -> None:
    files = DatasetFiles(tmp_path)
    write_clinc(files, {"val": [
        ["where is my package", "order_status"],
        ["order more paper towels", "order"],
        ["why was my card declined at the store", "card_declined"],
        ["cancel that", "cancel"],
        ["will it rain", "weather"],
        ["hello there", "greeting"],
    ], "oos_val": [["how tall is everest", "oos"]]})

    val = clinc_queries(files.clinc_data, files.clinc_domains, "val")
    oos = clinc_queries(files.clinc_data, files.clinc_domains, "oos_val")

    assert [(q.text, q.intent, q.expect, q.slice) for q in val] == [
        ("where is my package", "track_order", "answer", "order_status"),
        ("will it rain", None, "handoff", "utility"),
        ("hello there", None, "handoff", "small_talk"),
    ]
    assert [(q.intent, q.expect, q.slice) for q in oos] == [(None, "handoff", "oos")]


@pytest.mark.parametrize("split", ["test", "oos_test"])
def test_reserved_clinc_splits_are_refused(tmp_path: Path, split: str) -> None:
    files = DatasetFiles(tmp_path)
    write_clinc(files, {split: [["anything", "weather"]]})

    with pytest.raises(ReservedSplit):
        clinc_queries(files.clinc_data, files.clinc_domains, split)


def test_clinc_errors_are_clear(tmp_path: Path) -> None:
    files = DatasetFiles(tmp_path)
    write_clinc(files, {"val": [["only text"]]})
    with pytest.raises(DatasetInvalid, match=r"val\[0\] is not \[text, intent\]"):
        clinc_queries(files.clinc_data, files.clinc_domains, "val")
    with pytest.raises(DatasetInvalid, match="no 'train' list"):
        clinc_queries(files.clinc_data, files.clinc_domains, "train")
    with pytest.raises(DatasetInvalid, match="unknown CLINC150 split 'dev'"):
        clinc_queries(files.clinc_data, files.clinc_domains, "dev")
    files.clinc_data.write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetInvalid, match="not valid JSON"):
        clinc_queries(files.clinc_data, files.clinc_domains, "val")


def test_deduplicate_drops_repeats_and_already_seen_texts() -> None:
    queries = [
        EvalQuery(text="Where is my order?", intent="track_order", expect="answer"),
        EvalQuery(text="where  is my ORDER?", intent="track_order", expect="answer"),
        EvalQuery(text="refund please", intent="get_refund", expect="answer"),
    ]

    assert [q.text for q in deduplicate(queries)] == ["Where is my order?", "refund please"]
    assert [q.text for q in deduplicate(queries, seen={"refund please"})] == [
        "Where is my order?"
    ]


def make_datasets(root: Path) -> DatasetFiles:
    files = DatasetFiles(root)
    write_csv(files.bitext_train, BITEXT_COLUMNS, [
        bitext_row("where is my parcel", "track_order"),
        bitext_row("refund me", "get_refund"),
    ])
    write_csv(files.bitext_dev, BITEXT_COLUMNS, [
        bitext_row("Where is my parcel", "track_order"),  # also in train: dropped
        bitext_row("has my order shipped", "track_order", "BQ"),
        bitext_row("I want to complain", "complaint", "BW"),
    ])
    write_csv(files.bitext_llm, LLM_COLUMNS, [
        {"instruction": "refund me", "intent": "get_refund", "tags": "B", "response": "Sure."},
    ])
    write_clinc(files, {
        "train": [["is it sunny", "weather"]],
        "oos_train": [["who is the pope", "oos"]],
        "val": [["will it rain", "weather"], ["where is my package", "order_status"]],
        "oos_val": [["how tall is everest", "oos"]],
        "test": [["RESERVED", "weather"]],
    })
    return files


def test_convert_all_writes_every_file_with_counts(tmp_path: Path) -> None:
    make_datasets(tmp_path / "datasets")
    out = tmp_path / "out"

    written = {f.name: f for f in convert_all(tmp_path / "datasets", out)}

    assert set(written) == {
        "bitext_train.jsonl", "bitext_dev.jsonl", "clinc_val.jsonl", "clinc_oos_val.jsonl",
        "bitext_llm.jsonl", "handoff_dev.jsonl",
    }
    dev = read_queries(out / "bitext_dev.jsonl")
    assert [q.text for q in dev] == ["has my order shipped", "I want to complain"]
    assert (written["bitext_dev.jsonl"].rows, written["bitext_dev.jsonl"].dropped) == (2, 1)
    handoff = read_queries(out / "handoff_dev.jsonl")
    assert [q.text for q in handoff] == [
        "I want to complain", "will it rain", "how tall is everest"
    ]
    assert all(q.expect == "handoff" for q in handoff)
    everything = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.jsonl"))
    assert "RESERVED" not in everything
    llm = read_queries(out / "bitext_llm.jsonl")
    assert llm[0].reference == "Sure."


def test_query_files_round_trip_and_bad_lines_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    queries = [
        EvalQuery(text="tell me a joke", intent=None, expect="handoff"),
        EvalQuery(text="where is my parcel?", intent="track_order", expect="answer", tags="BQ"),
    ]
    write_queries(path, queries)
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(first_line) == {"text": "tell me a joke", "intent": None, "expect": "handoff"}
    assert read_queries(path) == queries

    path.write_text(
        '{"text": "ok", "intent": null, "expect": "handoff", "extra": 1}\n'
        '{"text": "x", "intent": "track_order", "expect": "maybe"}\n',
        encoding="utf-8",
    )
    with pytest.raises(DatasetInvalid, match=r"q\.jsonl:2: expect:"):
        read_queries(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(DatasetInvalid, match=r"q\.jsonl:1: not valid JSON"):
        read_queries(path)
    with pytest.raises(DatasetMissing):
        read_queries(tmp_path / "missing.jsonl")


def test_cli_convert_prints_counts_and_fails_cleanly(tmp_path: Path) -> None:
    make_datasets(tmp_path / "datasets")
    runner = CliRunner()

    result = runner.invoke(
        app, ["convert", "--out", str(tmp_path / "out"), "--datasets", str(tmp_path / "datasets")]
    )
    assert result.exit_code == 0, result.output
    assert "bitext_dev.jsonl" in result.output
    assert "handoff_dev.jsonl" in result.output

    missing = runner.invoke(
        app, ["convert", "--out", str(tmp_path / "o2"), "--datasets", str(tmp_path / "none")]
    )
    assert missing.exit_code == 1
    assert "error: dataset file not found:" in missing.output
    assert "Traceback" not in missing.output
