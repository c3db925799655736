"""The per-KB answer/hand-off bar: its shape, its fit and its storage with the index."""

from __future__ import annotations

import pytest

from bot.retrieval import Calibration, CalibrationPoint, fit_calibration, off_topic_probes


def test_the_bar_rises_with_out_of_scope_and_an_order_id_lowers_it() -> None:
    calibration = Calibration(
        midpoint=0.4, out_of_scope_lift=0.3, order_bonus=0.1, off_topic_weight=0.5
    )
    assert calibration.bar(out_of_scope=0.0, has_order=False) == pytest.approx(0.4)
    assert calibration.bar(out_of_scope=1.0, has_order=False) == pytest.approx(0.7)
    # An order id proves the message is about the shop: the classifier is not asked.
    assert calibration.bar(out_of_scope=1.0, has_order=True) == pytest.approx(0.3)
    assert calibration.confidence(dense=0.5, out_of_scope=0.0, has_order=False) > 0.5
    assert calibration.confidence(dense=0.5, out_of_scope=1.0, has_order=False) < 0.5
    # Resembling messages no shop answers raises the bar, with or without an order id.
    assert calibration.bar(
        out_of_scope=0.0, has_order=False, off_topic=0.4
    ) == pytest.approx(0.6)
    assert calibration.bar(out_of_scope=1.0, has_order=True, off_topic=0.4) == pytest.approx(0.5)


def test_the_fit_counts_the_off_topic_resemblance() -> None:
    # Same cosines; the off-topic messages also resemble the probes: a lower bar keeps
    # them out than the cosine alone would allow.
    positives = [CalibrationPoint(dense=0.45 + i / 100, out_of_scope=1.0) for i in range(20)]
    negatives = [
        CalibrationPoint(dense=0.45 + i / 100, out_of_scope=1.0, off_topic=0.6)
        for i in range(20)
    ]
    base = Calibration(out_of_scope_lift=0.0, off_topic_weight=0.5)
    fitted = fit_calibration(positives, negatives, max_false_answer_rate=0.0, defaults=base)
    assert fitted.fitted_on["recall"] == 1.0
    blind = fit_calibration(
        positives, negatives, max_false_answer_rate=0.0,
        defaults=Calibration(out_of_scope_lift=0.0, off_topic_weight=0.0),
    )
    assert blind.fitted_on["recall"] == 0.0


def test_a_calibration_stored_before_the_off_topic_term_keeps_its_meaning() -> None:
    old = Calibration.from_json('{"midpoint": 0.325, "order_bonus": 0.08, "slope": 20.0}')
    assert old.off_topic_weight == 0.0
    assert old.out_of_scope_lift == pytest.approx(0.30)
    assert old.bar(out_of_scope=1.0, has_order=False, off_topic=0.5) == pytest.approx(0.625)


def test_fit_picks_the_lowest_bar_that_keeps_off_topic_out() -> None:
    positives = [CalibrationPoint(dense=0.5 + i / 100, out_of_scope=0.0) for i in range(30)]
    negatives = [CalibrationPoint(dense=0.2 + i / 100, out_of_scope=0.0) for i in range(30)]
    fitted = fit_calibration(positives, negatives, max_false_answer_rate=0.0)
    assert 0.49 <= fitted.midpoint <= 0.5
    assert fitted.fitted_on["recall"] == 1.0
    assert fitted.fitted_on["false_answer_rate"] == 0.0
    # Allowing a few false answers lowers the bar.
    looser = fit_calibration(positives, negatives, max_false_answer_rate=0.1)
    assert looser.midpoint < fitted.midpoint


def test_fit_needs_both_kinds_of_message() -> None:
    with pytest.raises(ValueError, match="needs"):
        fit_calibration([], [CalibrationPoint(dense=0.1, out_of_scope=0.0)])


def test_calibration_round_trips_through_json() -> None:
    fitted = Calibration(midpoint=0.33, fitted_on={"recall": 0.9})
    assert Calibration.from_json(fitted.to_json()) == fitted
    with pytest.raises(ValueError):
        Calibration.from_json("[1, 2]")


def test_off_topic_probes_ship_with_the_package() -> None:
    probes = off_topic_probes()
    assert len(probes) >= 200
    assert len(set(probes)) == len(probes)
