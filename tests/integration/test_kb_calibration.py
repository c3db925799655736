"""The answer/hand-off bar is fitted per KB and kept with the index (real model + Chroma)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.retrieval import CALIBRATION_KEY, Calibration
from bot.services import build_services
from bot.settings import Settings
from tests.conftest import DEMO_ENGLISH

pytestmark = pytest.mark.slow


def test_ingest_calibrates_a_new_kb_and_kb_calibrate_refits_with_a_dev_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_embedder: Any
) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(DEMO_ENGLISH)])
    assert ingested.exit_code == 0, ingested.output
    assert "calibrated the answer/hand-off bar" in ingested.output

    services = build_services(Settings(data_dir=tmp_path), embedder=real_embedder)
    try:
        stored = services.index.read_metadata(CALIBRATION_KEY)
        assert stored is not None
        calibration = Calibration.from_json(stored)
        assert 0.0 < calibration.midpoint < 0.9
        assert calibration.fitted_on["false_answer_rate"] <= 0.035
        # A process that opens the same index uses the stored bar.
        assert services.pipeline is not None
        assert services.pipeline.retriever.calibration == calibration
    finally:
        services.close()

    # Re-running ingest with nothing changed keeps the bar (nothing re-fitted).
    again = runner.invoke(app, ["ingest", str(DEMO_ENGLISH)])
    assert again.exit_code == 0 and "calibrated" not in again.output

    dev = tmp_path / "dev.jsonl"
    dev.write_text("\n".join(json.dumps(row) for row in [
        {"text": "can i send my kettle back?", "expect": "answer", "article": "return-policy",
         "alt_articles": ["returns-how-to-start"]},
        {"text": "what's the capital of peru", "expect": "handoff",
         "handoff_reason": "out_of_scope"},
    ]) + "\n")
    refit = runner.invoke(app, ["kb", "calibrate", "--queries", str(dev), "--json"])
    assert refit.exit_code == 0, refit.output
    report = json.loads(refit.output)
    assert report["dev_messages"] == 2 and report["questions"] > 300
    assert report["fitted_on"]["negatives"] >= 200


def test_kb_calibrate_refuses_a_bad_dev_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(app, ["kb", "calibrate", "--queries", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "not valid JSON" in result.output
