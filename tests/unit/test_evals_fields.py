"""Buyer-voice fields (EVAL.md): query parsing, per-field scoring on hand-made drafts, the
summary, article-scored retrieval, the ``--outcomes`` line and ``eval drafts`` end to end
with the fake embedder (no model is loaded in this file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import evals.harness
from bot.facts import Citation, DraftReply, PolicyVerdict
from bot.orders import UnreadableOrderFile
from bot.services import open_database
from bot.settings import DEMO_KB_DIR, Settings
from evals.cli import app, format_drafts
from evals.errors import DatasetInvalid
from evals.fields import (
    FieldResult,
    auto_pass,
    fields_summary,
    mentions,
    reason_tokens,
    score_fields,
)
from evals.harness import load_orders, seller_overrides
from evals.metrics import QueryOutcome, answer_metrics, confusions
from evals.queries import EvalQuery, ExpectedVerdict, read_queries, write_queries
from evals.runs import DraftOutcome, drafts_summary, outcome_line
from tests.conftest import DEMO_ENGLISH
from tests.fakes import FakeEmbedder, InMemoryIndex

NORTHWIND_KB = DEMO_KB_DIR.parent / "examples" / "northwind-apparel"


class Reply(DraftReply):
    """A draft that may carry ``suggest_no_response`` (being added to DraftReply itself)."""

    suggest_no_response: bool = False


def cite(article_id: str) -> Citation:
    return Citation(article_id=article_id, revision=1, title=article_id,
                    chunk_id=f"{article_id}:1:0")


def reply(text: str = "Hi there, thanks for your message.", *, handoff: bool = False,
          reason: str | None = None, language: str = "en", cited: tuple[str, ...] = (),
          verdicts: tuple[PolicyVerdict, ...] = (), no_response: bool = False) -> Reply:
    return Reply(text=text, handoff=handoff, handoff_reason=reason, confidence=0.9,
                 language=language, citations=[cite(a) for a in cited],
                 verdicts=list(verdicts), suggest_no_response=no_response)


def query(expect: str = "answer", **fields: Any) -> EvalQuery:
    return EvalQuery.model_validate(
        {"text": fields.pop("text", "hey where is it"), "intent": None, "expect": expect,
         **fields}
    )


def verdict(kind: str, eligible: bool) -> PolicyVerdict:
    return PolicyVerdict(kind=kind, eligible=eligible, text="…")  # type: ignore[arg-type]


def results_by_field(q: EvalQuery, r: DraftReply) -> dict[str, FieldResult]:
    return {result.field: result for result in score_fields(q, r)}


# --- query files ----------------------------------------------------------------------------


def test_buyer_voice_fields_are_parsed_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {"text": "hey 112-2233445-5566778 still not here??", "intent": None,
         "expect": "answer", "article": "order-status", "alt_articles": ["late-delivery"],
         "lang": "en", "order_id": "112-2233445-5566778", "must_mention": ["UPS"],
         "must_not": ["order number"], "verdict": {"kind": "return", "eligible": True},
         "unknown_key": 1},
        {"text": "the kettle sparked", "intent": None, "expect": "handoff",
         "handoff_reason": "safety", "must_mention": ["stop using|unplug"]},
        {"text": "thanks, that's all!", "intent": None, "expect": "answer", "article": None,
         "no_response": True},
        {"text": "where is my parcel?", "intent": "track_order", "expect": "answer"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    first, second, third, plain = read_queries(path)

    assert first.article == "order-status"
    assert first.accepted_articles == ("order-status", "late-delivery")
    assert first.lang == "en" and first.order_id == "112-2233445-5566778"
    assert first.verdict == ExpectedVerdict(kind="return", eligible=True)
    assert first.must_mention == ["UPS"] and first.must_not == ["order number"]
    assert second.handoff_reason == "safety" and second.accepted_articles == ()
    assert third.no_response is True and third.article is None
    assert plain.alt_articles == [] and plain.verdict is None and plain.no_response is False
    # Default-valued fields are left out when written back (Bitext lines stay as they were).
    assert json.loads(plain.to_json_line()) == rows[3]
    write_queries(tmp_path / "again.jsonl", [first, second, third, plain])
    again = read_queries(tmp_path / "again.jsonl")
    assert again == [first, second, third, plain]
    assert len({*again, first, second, third, plain}) == 4  # still hashable, by value


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"must_mention": "UPS"}, "must_mention"),
        ({"alt_articles": "late-delivery"}, "alt_articles"),
        ({"verdict": {"kind": "return"}}, "verdict.eligible"),
        ({"verdict": {"kind": "return", "eligible": "yes"}}, "verdict.eligible"),
        ({"verdict": {"kind": "return", "eligible": True, "deadline": "x"}}, "verdict.deadline"),
        ({"no_response": "true"}, "no_response"),
        ({"lang": 5}, "lang"),
    ],
)
def test_a_bad_field_type_is_one_clear_error(tmp_path: Path, extra: dict[str, Any],
                                             where: str) -> None:
    path = tmp_path / "q.jsonl"
    good = {"text": "where is it", "intent": None, "expect": "answer"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, **extra}) + "\n",
                    encoding="utf-8")

    with pytest.raises(DatasetInvalid) as caught:
        read_queries(path)

    message = caught.value.message
    assert message.startswith(f"{path}:2: {where}: ")
    assert "\n" not in message


# --- scoring each field ---------------------------------------------------------------------


def test_routed_right_takes_the_first_citation_only() -> None:
    q = query(article="order-status", alt_articles=["late-delivery"])

    assert results_by_field(q, reply(cited=("order-status",)))["routed_right"].passed
    assert results_by_field(q, reply(cited=("late-delivery", "x")))["routed_right"].passed
    wrong = results_by_field(q, reply(cited=("returns", "order-status")))["routed_right"]
    assert not wrong.passed
    assert wrong.why == "first citation returns, expected order-status or late-delivery"
    none = results_by_field(q, reply())["routed_right"]
    assert not none.passed and "first citation (none)" in none.why
    handed = results_by_field(q, reply(handoff=True, reason="low_confidence",
                                       cited=("order-status",)))
    assert not handed["routed_right"].passed
    assert handed["routed_right"].why == "handed off (low_confidence)"


def test_wrong_hand_off_and_hand_off_correct() -> None:
    answer_q, handoff_q = query(), query("handoff")

    assert results_by_field(answer_q, reply())["answered"].passed
    wrong = results_by_field(answer_q, reply(handoff=True, reason="out_of_scope"))["answered"]
    assert not wrong.passed and wrong.why == "handed off (out_of_scope)"
    assert results_by_field(handoff_q, reply(handoff=True))["handed_off"].passed
    assert not results_by_field(handoff_q, reply())["handed_off"].passed
    # A plain Bitext row is scored on the expectation alone; nothing else applies.
    assert [r.field for r in score_fields(answer_q, reply())] == ["answered"]
    assert [r.field for r in score_fields(handoff_q, reply())] == ["handed_off"]


def test_handoff_reason_matches_a_token_of_the_drafts_reason() -> None:
    assert reason_tokens("sensitive:safety,legal") == {"sensitive", "safety", "legal"}
    assert reason_tokens("a, b  c") == {"a", "b", "c"}
    assert reason_tokens(None) == set()
    q = query("handoff", handoff_reason="safety")

    def scored(r: DraftReply) -> FieldResult:
        return results_by_field(q, r)["handoff_reason"]

    assert scored(reply(handoff=True, reason="sensitive:safety")).passed
    assert scored(reply(handoff=True, reason="sensitive:legal,safety")).passed
    assert scored(reply(handoff=True, reason="safety")).passed
    partial = scored(reply(handoff=True, reason="sensitive:safety_check"))
    assert not partial.passed  # a token must equal the reason, not merely contain it
    assert partial.why == "hand-off reason sensitive:safety_check, expected safety"
    assert not scored(reply(handoff=True, reason="sensitive:health")).passed
    assert not scored(reply(handoff=True)).passed
    answered = scored(reply(reason="safety"))  # not handed off: fails whatever the reason
    assert not answered.passed and answered.why == "answered, expected a hand-off for safety"
    human = query("handoff", handoff_reason="human_request")
    assert not results_by_field(
        human, reply(handoff=True, reason="person_requested"))["handoff_reason"].passed


GERMAN = ("Hallo Maria,\n\nVielen Dank für Ihre Nachricht. Ein Mitarbeiter aus unserem Team "
          "meldet sich innerhalb von 24 Stunden persönlich bei Ihnen.\n\nViele Grüße\nDas Team")
ENGLISH = ("Hi Maria,\n\nThank you for your message. A member of our team will reply to you "
           "personally within 24 hours.\n\nBest wishes\nThe team")


def test_lang_is_the_language_the_reply_is_written_in() -> None:
    q = query("handoff", lang="de")
    assert results_by_field(q, reply(GERMAN, handoff=True))["lang"].passed
    # Detecting the buyer's German is not enough: the reply itself must be German.
    wrong = results_by_field(q, reply(ENGLISH, handoff=True, language="de"))["lang"]
    assert not wrong.passed and wrong.why == "reply written in en, expected de"


def test_verdict_needs_the_kind_and_the_eligibility() -> None:
    q = query(verdict={"kind": "return", "eligible": False})

    def scored(*verdicts: PolicyVerdict) -> FieldResult:
        return results_by_field(q, reply(verdicts=verdicts))["verdict"]

    assert scored(verdict("refund", True), verdict("return", False)).passed
    wrong = scored(verdict("return", True))
    assert not wrong.passed
    assert wrong.why == "verdicts return:eligible, expected return:not eligible"
    assert not scored(verdict("cancel", False)).passed
    assert scored().why == "verdicts none, expected return:not eligible"


def test_must_mention_and_must_not_ignore_case_and_take_alternatives() -> None:
    assert mentions("Please UNPLUG it", "stop using|unplug")
    assert mentions("Stop using it", " stop using | unplug ")
    assert not mentions("Please return it", "stop using|unplug")
    assert not mentions("anything", "")
    text = "Your parcel is with UPS; please stop using the kettle."
    q = query(must_mention=["ups", "stop using|unplug"], must_not=["order number", "refund"])
    results = results_by_field(q, reply(text))
    assert results["must_mention"].passed and results["must_not"].passed

    missing = results_by_field(
        query(must_mention=["UPS", "tracking|track", "2 business days"]),
        reply("UPS has it, track it here."))["must_mention"]
    assert not missing.passed and missing.why == "missing '2 business days'"
    present = results_by_field(
        query(must_not=["order number", "sorry|apolog"]),
        reply("Please send us your Order Number. We APOLOGISE."))["must_not"]
    assert not present.passed and present.why == "contains 'order number', 'sorry|apolog'"


def test_no_response_reads_the_drafts_suggestion() -> None:
    q = query(no_response=True)
    assert results_by_field(q, reply(no_response=True))["no_response"].passed
    assert not results_by_field(q, reply())["no_response"].passed
    # A DraftReply without the attribute at all counts as "not suggested".
    plain = DraftReply(text="Hi", handoff=False, confidence=0.9)
    assert not results_by_field(q, plain)["no_response"].passed


def test_auto_pass_needs_every_applicable_field() -> None:
    q = query(article="order-status", lang="en", must_mention=["UPS"], must_not=["sorry"])
    good = reply("UPS has it.", cited=("order-status",))
    assert auto_pass(score_fields(q, good))
    assert [r.field for r in score_fields(q, good)] == [
        "routed_right", "answered", "lang", "must_mention", "must_not"]
    assert not auto_pass(score_fields(q, reply("UPS has it, sorry.", cited=("order-status",))))
    assert auto_pass([])


# --- the summary ----------------------------------------------------------------------------


def test_fields_summary_by_hand() -> None:
    scored_rows = [
        (query(text="a", article="order-status", lang="en"),
         reply(ENGLISH, cited=("order-status",))),                               # auto-pass
        (query(text="b", article="order-status", lang="de"),
         reply(GERMAN, cited=("returns",))),                                     # wrong article
        (query("handoff", text="c", lang="de", handoff_reason="safety"),
         reply(GERMAN, handoff=True, reason="sensitive:safety")),                # auto-pass
        (query("handoff", text="d", lang="en", handoff_reason="safety"),
         reply(ENGLISH, handoff=True, reason="out_of_scope")),                   # wrong reason
        (query("handoff", text="e", handoff_reason="legal"), reply()),           # answered
        (query(text="f", no_response=True), reply(no_response=True)),            # auto-pass
        (query(text="g"), reply(no_response=True)),                              # wrongly
    ]
    summary = fields_summary(
        [(q, r, score_fields(q, r)) for q, r in scored_rows], examples=1
    )

    assert summary["fields"] == {
        "routed_right": {"n": 2, "pass_rate": 0.5},
        "answered": {"n": 4, "pass_rate": 1.0},
        "handed_off": {"n": 3, "pass_rate": pytest.approx(2 / 3)},
        "handoff_reason": {"n": 3, "pass_rate": pytest.approx(1 / 3)},
        "lang": {"n": 4, "pass_rate": 1.0},
        "no_response": {"n": 1, "pass_rate": 1.0},
    }
    assert summary["per_lang"]["de"] == {
        "routed_right": {"n": 1, "pass_rate": 0.0},
        "answered": {"n": 1, "pass_rate": 1.0},
        "handed_off": {"n": 1, "pass_rate": 1.0},
        "handoff_reason": {"n": 1, "pass_rate": 1.0},
        "lang": {"n": 2, "pass_rate": 1.0},
        "auto_pass": {"n": 2, "pass_rate": 0.5},
    }
    assert set(summary["per_lang"]) == {"de", "en"}
    assert summary["handoff_reason_recall"] == {
        "legal": {"n": 1, "recall": 0.0},
        "safety": {"n": 2, "recall": 0.5},
    }
    assert summary["auto_pass"] == pytest.approx(4 / 7)
    assert summary["no_response_suggested_wrongly"] == 1
    assert summary["field_failures"]["handoff_reason"] == [
        {"text": "d", "why": "hand-off reason out_of_scope, expected safety"}
    ]  # capped at `examples`
    assert set(summary["field_failures"]) == {"routed_right", "handed_off", "handoff_reason"}


def test_drafts_summary_keeps_its_keys_and_adds_the_fields() -> None:
    q = query(article="order-status", lang="en", must_mention=["UPS"])
    r = reply("Hi there, it is with DHL.", cited=("order-status",))
    outcome = DraftOutcome(query=q, draft=r, valid_citations=1, latency_ms=3.0,
                           fields=score_fields(q, r))
    summary = drafts_summary([outcome])

    assert {"n", "answer_drafts", "handoff_drafts", "cited_share", "handoff_correct",
            "ready_to_send", "blocking_failures", "checks", "latency_ms"} <= set(summary)
    assert summary["fields"]["must_mention"] == {"n": 1, "pass_rate": 0.0}
    assert summary["auto_pass"] == 0.0 and not outcome.auto_pass
    assert summary["per_lang"]["en"]["auto_pass"] == {"n": 1, "pass_rate": 0.0}
    text = format_drafts(summary)
    assert "auto-pass (every applicable field holds): 0.000" in text
    assert "failing must mention (1 shown):" in text
    assert "missing 'UPS'" in text
    json.dumps(summary)


# --- the outcomes line ----------------------------------------------------------------------


def test_outcome_line_is_ask_json_plus_three_keys() -> None:
    q = query(text="hallo, wo ist mein Paket?")
    r = Reply(text="Hallo,", handoff=True, handoff_reason="sensitive:legal", confidence=0.3,
              language="de", sentiment="angry", citations=[cite("order-status")],
              verdicts=[verdict("return", True)], debug={"x": 1}, kb_revisions={"a": 1})
    line = outcome_line(q, r)

    assert line == {**r.ask_json(), "query_text": "hallo, wo ist mein Paket?",
                    "handoff_reason": "sensitive:legal", "language": "de"}
    assert set(line) == set(r.ask_json()) | {"query_text", "handoff_reason", "language"}
    outcome = DraftOutcome(query=q, draft=r, valid_citations=0, latency_ms=1.0)
    assert outcome.outcome_line() == line
    assert json.loads(json.dumps(line, ensure_ascii=False)) == line


# --- retrieval scored by article ------------------------------------------------------------


def routed(*, article: str | None, ranked: tuple[str, ...], intent: str | None = "track_order",
           alt: tuple[str, ...] = (), handoff: bool = False) -> QueryOutcome:
    return QueryOutcome(text="q", intent=intent, expect="answer", handoff=handoff,
                        ranked_intents=tuple(("track_order",) for _ in ranked),
                        article=article, alt_articles=alt, ranked_articles=ranked)


def test_retrieval_hits_by_article_when_the_query_names_one() -> None:
    # Every ranked article declares the topic, so intent scoring would call each a hit.
    assert routed(article=None, ranked=("late-delivery",)).rank == 1
    assert routed(article="order-status", ranked=("late-delivery", "order-status")).rank == 2
    assert routed(article="order-status", ranked=("late-delivery",), alt=("late-delivery",)
                  ).rank == 1
    assert routed(article="order-status", ranked=("returns",)).rank is None
    assert routed(article="order-status", ranked=("order-status",), handoff=True).rank is None
    assert routed(article="order-status", ranked=("order-status",), handoff=True).top_hit

    nothing_to_find = routed(article=None, intent=None, ranked=("returns",))
    metrics = answer_metrics([
        routed(article="order-status", ranked=("order-status",)),
        routed(article="order-status", ranked=("returns", "order-status")),
        nothing_to_find,
    ])
    assert metrics["n"] == 3
    assert metrics["hit_at_1"] == 0.5 and metrics["hit_at_3"] == 1.0
    assert metrics["mrr"] == 0.75
    assert confusions([routed(article="order-status", ranked=("returns",)),
                       routed(article="order-status", ranked=())]) == [
        {"expected": "order-status", "got": "(no article)", "count": 1},
        {"expected": "order-status", "got": "returns", "count": 1},
    ]
    again = QueryOutcome.from_json(json.loads(json.dumps(
        routed(article="a", ranked=("b", "a"), alt=("c",)).as_json())))
    assert again.article == "a" and again.alt_articles == ("c",)
    assert again.ranked_articles == ("b", "a") and again.rank == 2


# --- seller, policy and orders --------------------------------------------------------------


def test_seller_overrides_come_from_the_kbs_policy_file(tmp_path: Path) -> None:
    northwind = seller_overrides(NORTHWIND_KB)
    assert northwind == {
        "policy_file": NORTHWIND_KB / "_seller" / "policy.yaml",
        "seller_name": "Northwind Apparel",
        "signature": "The Northwind Apparel team",
    }
    # An explicit --policy wins over the KB's own.
    explicit = seller_overrides(NORTHWIND_KB, DEMO_KB_DIR / "_seller" / "policy.yaml")
    assert explicit["seller_name"] == "Brightwater Home"
    assert seller_overrides(tmp_path) == {}  # no policy anywhere: the settings' default
    unnamed = tmp_path / "policy.yaml"
    unnamed.write_text("return_window_days: 30\n", encoding="utf-8")
    assert seller_overrides(tmp_path, unnamed) == {"policy_file": unnamed}
    with pytest.raises(Exception, match="policy file not found"):
        seller_overrides(tmp_path, tmp_path / "missing.yaml")


def test_load_orders_demo_file_and_none(tmp_path: Path) -> None:
    database = open_database(Settings(data_dir=tmp_path / "data"))
    environment: Any = SimpleNamespace(
        services=SimpleNamespace(session_factory=database.session_factory))
    try:
        demo = load_orders(environment, "demo")
        assert demo is not None and demo.imported == 17 and demo.source == "demo"
        # Like `draftdesk orders import`: good orders are stored, bad rows are listed (the
        # example file has one on purpose).
        example = load_orders(environment, DEMO_KB_DIR / "_seller" / "orders_example.csv")
        assert example is not None and example.imported > 0
        assert [f.line for f in example.failed] == [6]
        assert load_orders(environment, "none") is None
        with pytest.raises(UnreadableOrderFile):
            load_orders(environment, tmp_path / "missing.csv")
    finally:
        database.dispose()


# --- `draftdesk eval drafts` end to end, fake embedder ----------------------------------------


@pytest.fixture
def fast_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The real pipeline over the fake hashing embedder (no model) and an in-memory index."""
    real = evals.harness.build_services

    def build(settings: Settings, **keywords: Any) -> Any:
        return real(settings, **{**keywords, "embedder": FakeEmbedder(dimension=384),
                                 "index": InMemoryIndex()})

    monkeypatch.setattr(evals.harness, "build_services", build)
    yield


def test_eval_drafts_command_writes_outcomes_and_fields(
    tmp_path: Path, fast_services: None
) -> None:
    queries = tmp_path / "q.jsonl"
    write_queries(queries, [
        query(text="hey 112-2233445-5566778 still not here??", article="order-status",
              alt_articles=["late-delivery"], lang="en", order_id="112-2233445-5566778",
              must_not=["order number"]),
        query("handoff", text="the kettle sparked and burned my hand", lang="en",
              handoff_reason="safety", must_mention=["stop using|unplug"]),
        query(text="thanks, that's all!", lang="en", no_response=True),
    ])
    outcomes = tmp_path / "out" / "outcomes.jsonl"

    # The English demo articles only (the translations add nothing to English queries and
    # take a minute to calibrate); the demo policy is still the configured one.
    result = CliRunner().invoke(app, ["drafts", "--queries", str(queries), "--json",
                                      "--kb", str(DEMO_ENGLISH), "--outcomes", str(outcomes)])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["n"] == 3
    assert summary["orders"] == {"source": "demo", "imported": 17, "failed_rows": 0}
    assert summary["seller_name"] == "Brightwater Home"
    assert summary["policy_file"].endswith("knowledge_base/demo/_seller/policy.yaml")
    assert {"fields", "per_lang", "handoff_reason_recall", "auto_pass", "checks",
            "handoff_correct", "ready_to_send", "cited_share"} <= set(summary)
    assert summary["fields"]["lang"]["n"] == 3
    assert set(summary["per_lang"]) == {"en"}
    assert summary["handoff_reason_recall"]["safety"]["n"] == 1
    lines = [json.loads(line) for line in outcomes.read_text(encoding="utf-8").splitlines()]
    assert [line["query_text"] for line in lines] == [
        "hey 112-2233445-5566778 still not here??", "the kettle sparked and burned my hand",
        "thanks, that's all!"]
    ask_keys = set(DraftReply.model_fields) - {
        "debug", "kb_revisions", "language", "sentiment", "handoff_reason", "evidence"}
    for line in lines:
        assert ask_keys <= set(line)
        assert {"handoff_reason", "language"} <= set(line)
    # The demo orders were loaded: the draft knows the order the buyer named.
    assert lines[0]["order"]["order_id"] == "112-2233445-5566778"
    assert lines[0]["order"]["carrier"] == "UPS"


def test_eval_drafts_signs_as_the_kbs_seller_and_reads_an_orders_file(
    tmp_path: Path, fast_services: None
) -> None:
    queries = tmp_path / "q.jsonl"
    write_queries(queries, [query(text="where is order 114-2000001-0000001?"),
                            query("handoff", text="I want to speak to a real person")])
    outcomes = tmp_path / "o.jsonl"

    result = CliRunner().invoke(app, [
        "drafts", "--queries", str(queries), "--kb", str(NORTHWIND_KB), "--outcomes",
        str(outcomes), "--orders", str(DEMO_KB_DIR / "_seller" / "orders_example.csv"),
    ])

    assert result.exit_code == 0, result.output
    assert "buyer-voice fields (pass rate, n):" in result.stdout
    assert "warning: 1 order row(s) of" in result.stderr  # the example file's bad row
    drafts = [json.loads(line) for line in outcomes.read_text(encoding="utf-8").splitlines()]
    assert all("Northwind Apparel" in d["text"] for d in drafts)
    assert not any("Brightwater" in d["text"] for d in drafts)
    assert drafts[0]["order"]["order_id"] == "114-2000001-0000001"


def test_eval_drafts_bad_orders_or_policy_is_one_clean_line(
    tmp_path: Path, fast_services: None
) -> None:
    queries = tmp_path / "q.jsonl"
    write_queries(queries, [query()])
    runner = CliRunner()
    missing = runner.invoke(app, ["drafts", "--queries", str(queries), "--orders",
                                  str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert "error:" in missing.output
    no_policy = runner.invoke(app, ["drafts", "--queries", str(queries), "--policy",
                                    str(tmp_path / "nope.yaml")])
    assert no_policy.exit_code == 1 and "policy file not found" in no_policy.output
