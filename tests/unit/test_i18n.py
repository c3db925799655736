"""Every buyer in their own language (issue 13): detection, signals, templates, verdicts,
acknowledgement and the reply checks on the marketplace languages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.checks.context import CheckContext
from bot.checks.registry import run_checks
from bot.drafting.acknowledgements import acknowledgement_in_language
from bot.drafting.offline import TEMPLATES_DIR, AnswerPart, ComposeInput, OfflineComposer
from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.policy.wording import format_day_for, verdict_text
from bot.understanding.escalation import escalation_reasons
from bot.understanding.signals import (
    closes_the_conversation,
    detect_language,
    detected_language,
    find_order_ids,
    reply_language_for,
    sentiment_of,
)
from ingest.index import IndexedChunk

LANGUAGES = ("de", "fr", "es", "it", "ja")
SHIPPED = OrderFacts(
    order_id="112-2233445-5566778", status="shipped", shipped_at=date(2026, 12, 1),
    estimated_delivery=date(2026, 12, 4), carrier="UPS", tracking_number="1Z999AA10123456784",
    items=[OrderItemFacts(sku="PAN", title="Ceramic non-stick pan set", category="cookware")],
)
DELIVERED = OrderFacts(
    order_id="112-3456789-1234567", status="delivered", delivered_at=date(2026, 11, 24),
    items=[OrderItemFacts(sku="K", title="Stainless steel electric kettle, 1.7 L",
                          category="small_appliances")],
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wo bleibt meine Bestellung?", "de"),
        ("Kann ich das zurückschicken?", "de"),
        ("où est mon colis ?", "fr"),
        ("Je voudrais annuler ma commande", "fr"),
        ("¿Dónde está mi pedido?", "es"),
        ("quiero devolver el hervidor", "es"),
        ("Dov'è il mio ordine?", "it"),
        ("posso fare il reso?", "it"),
        ("荷物がまだ届きません", "ja"),
        ("返品希望", "ja"),
        ("where is my parcel?", "en"),
        ("status of my towels?", "en"),
        ("no way", "en"),
        ("ok", "en"),
        ("112-2233445-5566778", "en"),
    ],
)
def test_language_of_short_messages(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_unsure_text_follows_the_conversation_locale_else_english() -> None:
    assert reply_language_for("112-2233445-5566778", "de-DE") == "de"
    assert reply_language_for("?", "ja") == "ja"
    assert reply_language_for("?", "pt-BR") == "en"
    assert reply_language_for("Wo bleibt meine Bestellung?", "fr") == "de"


@pytest.mark.parametrize(
    ("text", "statistical", "language"),
    [
        ("Wo bleibt meine Bestellung? Ich warte schon lange.", False, "de"),
        ("Bonjour, je voudrais retourner la poêle", False, "fr"),
        ("check status of order 113542617735902", False, "en"),
        # No function word of any language: the statistics decide, else nobody does.
        ("Spedite anche in Italia?", True, "it"),
        ("Spedite anche in Italia?", False, None),
    ],
)
def test_api_only_processes_tell_the_language_without_letter_statistics(
    text: str, statistical: bool, language: str | None
) -> None:
    assert detected_language(text, statistical=statistical) == language
    # Unsure without statistics: the conversation's locale decides the acknowledgement.
    if language is None:
        assert reply_language_for(text, "it-IT", statistical=False) == "it"


def test_order_ids_as_japanese_keyboards_type_them() -> None:
    full_width = "注文番号１１２－２２３３４４５－５５６６７７８です"
    assert find_order_ids(full_width) == ["112-2233445-5566778"]
    assert find_order_ids("112ー2233445ー5566778") == ["112-2233445-5566778"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Der Toaster hat gequalmt und es riecht verschmort", "safety"),
        ("le couvercle a explosé et ma fille s'est blessée", "safety"),
        ("me quemé la mano con la sartén", "safety"),
        ("il bollitore ha fatto scintille", "safety"),
        ("子どもがやけどしました", "safety"),
        ("Ich mache eine Rückbuchung bei meiner Bank", "legal"),
        ("je contacte mon avocat", "legal"),
        ("voy a pedir un contracargo", "legal"),
        ("mi rivolgo al mio avvocato", "legal"),
        ("弁護士に相談します", "legal"),
        ("Bitte schicken Sie uns Ihre Bankdaten", "fraud"),
        ("envoyez-moi vos coordonnées bancaires", "fraud"),
        ("necesitamos la contraseña de su cuenta", "fraud"),
        ("ci invii i suoi dati bancari", "fraud"),
        ("カード番号と暗証番号を送ってください", "fraud"),
        ("Ich will mit einem echten Menschen sprechen", "human_request"),
        ("je voudrais parler à une vraie personne", "human_request"),
        ("quiero hablar con una persona real", "human_request"),
        ("vorrei parlare con una persona vera", "human_request"),
        ("担当者と話したいです", "human_request"),
    ],
)
def test_hand_off_reasons_in_every_language(text: str, reason: str) -> None:
    assert reason in escalation_reasons(text, angry=False)


@pytest.mark.parametrize(
    "text",
    [
        "Ich brauche die Pfanne bis Samstag",  # "brauche" holds "rauch"
        "Ist die Form feuerfest?",
        "Das Gericht ist angebrannt, wie reinige ich die Pfanne?",  # Gericht: a dish
        "Das habe ich nicht bestellt, falsche Farbe",  # a wrong item, not fraud
        "Can I pay with PayPal?",
        "how do you spell sanguine",
        "I surrendered the parcel to the courier",
    ],
)
def test_no_hand_off_for_ordinary_words(text: str) -> None:
    assert escalation_reasons(text, angry=False) == []


@pytest.mark.parametrize(
    "text",
    [
        "Das ist eine Frechheit!! Zum dritten Mal schreibe ich",
        "C'EST INADMISSIBLE !!! vous êtes nuls",
        "Es la tercera vez que escribo, sois unos ladrones!!",
        "È INACCETTABILE!!! vergognatevi",
        "ふざけるな！！最悪の店だ",
    ],
)
def test_anger_in_every_language(text: str) -> None:
    assert sentiment_of(text)[0] == "angry"


@pytest.mark.parametrize(
    ("text", "closes"),
    [
        ("Vielen Dank, alles angekommen!", True),
        ("Merci beaucoup, bonne journée", True),
        ("ありがとうございました。無事に届きました。", True),
        ("Danke, aber wann kommt der Rest?", False),
        ("grazie, ma manca un pezzo", False),
        # "Merci de …" asks for something: cancel this order, please.
        ("Merci d'annuler la commande 112-3344556-6677889, je me suis trompé", False),
        ("Grazie, annullate l'ordine", False),
    ],
)
def test_thanks_only_in_every_language(text: str, closes: bool) -> None:
    assert closes_the_conversation(text) is closes


def _keys(data: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_wording_file_has_every_english_key(language: str) -> None:
    english = yaml.safe_load((TEMPLATES_DIR / "offline_en.yaml").read_text(encoding="utf-8"))
    other = yaml.safe_load(
        (Path(TEMPLATES_DIR) / f"offline_{language}.yaml").read_text(encoding="utf-8")
    )
    assert _keys(english) <= _keys(other)


def test_dates_in_the_buyers_locale() -> None:
    day = date(2026, 12, 4)
    assert format_day_for(day, "en") == "4 December 2026"
    assert format_day_for(day, "de") == "4. Dezember 2026"
    assert format_day_for(day, "fr") == "4 décembre 2026"
    assert format_day_for(day, "ja") == "2026年12月4日"


def test_order_status_in_german_with_carrier_tracking_and_expected_date() -> None:
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name="Jonas Weber", sentiment="neutral", handoff=False,
                     order=SHIPPED, buyer_text="Wo bleibt meine Bestellung?", language="de",
                     order_id_given=True, signature="Das Team")
    )
    assert reply.text.startswith("Hallo Jonas,")
    assert "Es tut mir leid, dass Ihre Bestellung noch nicht" in reply.text
    assert "am 1. Dezember 2026 mit UPS versandt (Sendungsnummer 1Z999AA10123456784)" in reply.text
    assert "Die voraussichtliche Zustellung ist am 4. Dezember 2026." in reply.text
    assert "Viele Grüße\nDas Team" in reply.text
    assert detect_language(reply.text) == "de"


def test_japanese_order_status_writes_the_date_the_japanese_way() -> None:
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name=None, sentiment="neutral", handoff=False, order=SHIPPED,
                     buyer_text="荷物はいつ届きますか", language="ja")
    )
    assert reply.text.startswith("お客様")
    assert "2026年12月1日にUPSにて発送いたしました" in reply.text
    assert "お届け予定日は2026年12月4日です。" in reply.text


@pytest.mark.parametrize(
    ("language", "advice"),
    [("de", "nicht mehr"), ("fr", "arrêtez d'utiliser"), ("es", "deje de usar"),
     ("it", "smetta"), ("ja", "使用を中止")],
)
def test_safety_hand_off_tells_the_buyer_to_stop_and_unplug(language: str, advice: str) -> None:
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name=None, sentiment="negative", handoff=True,
                     handoff_reasons=["safety"], order=DELIVERED, buyer_text="...",
                     language=language)
    )
    assert advice in reply.text
    assert "24" in reply.text
    assert not reply.citations


def test_verdicts_keep_the_engines_decision_and_english_text() -> None:
    verdict = PolicyVerdict(
        kind="return", eligible=True, deadline=date(2026, 12, 24),
        rule_ids=["return.window.30d", "fee.none.original_condition"],
        text="Your stainless steel electric kettle from order 112-3456789-1234567 can be "
        "returned until 24 December 2026.",
    )
    assert verdict_text(verdict, language="en", order=DELIVERED) == verdict.text
    german = verdict_text(verdict, language="de", order=DELIVERED)
    assert german == ("Sie können den Artikel aus Bestellung 112-3456789-1234567 bis zum "
                      "24. Dezember 2026 zurücksenden (30 Tage ab Lieferung).")
    closed = verdict.model_copy(update={
        "eligible": False, "rule_ids": ["return.window.30d", "warranty.small_appliances.24m"],
    })
    japanese = verdict_text(closed, language="ja", order=DELIVERED)
    assert "返品期間は2026年12月24日に終了" in japanese
    assert "2028年11月24日までは当店の保証期間内" in japanese


def test_untranslated_kb_text_is_introduced_and_reported() -> None:
    chunk = IndexedChunk(
        id="c1", article_id="payment-methods", revision=1, title="Payment methods",
        heading="Payment methods", text="We accept Visa, Mastercard and PayPal.", number=0,
        content_hash="x",
    )
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name=None, sentiment="neutral", handoff=False,
                     answers=[AnswerPart(chunks=[chunk])], buyer_text="Welche Zahlungsarten?",
                     language="de")
    )
    assert "bisher nur auf Englisch" in reply.text
    assert reply.untranslated == ["We accept Visa, Mastercard and PayPal."]


def test_a_translation_in_the_buyers_language_is_quoted_as_the_answer() -> None:
    chunk = IndexedChunk(
        id="payment-methods-de:1:0", article_id="payment-methods-de", revision=1,
        title="Zahlungsarten", heading="", number=0, content_hash="x", locale="de",
        translation_of="payment-methods",
        text="Wir akzeptieren Visa, Mastercard und PayPal.",
    )
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name=None, sentiment="neutral", handoff=False,
                     answers=[AnswerPart(chunks=[chunk])], buyer_text="Welche Zahlungsarten?",
                     language="de")
    )
    assert "Wir akzeptieren Visa, Mastercard und PayPal." in reply.text
    assert "bisher nur auf Englisch" not in reply.text
    assert reply.untranslated == []
    cited = reply.citations[0]
    assert (cited.article_id, cited.translation_of, cited.topic_article_id) == (
        "payment-methods-de", "payment-methods", "payment-methods"
    )


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Wo bleibt meine Bestellung?", None, "Danke, Jonas! Eine Person aus unserem Team"),
        ("?", "ja", "Jonas様、ありがとうございます。"),
    ],
)
def test_acknowledgement_in_the_buyers_language(text: str, locale: str | None,
                                                expected: str) -> None:
    ack = acknowledgement_in_language(text=text, locale=locale, name="Jonas",
                                      when="within 24 hours", already_waiting=False)
    assert ack is not None and ack.startswith(expected)
    assert acknowledgement_in_language(text="where is it?", locale=None, name=None,
                                       when="soon", already_waiting=False) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_reply_checks_do_not_misfire_on_other_languages(language: str) -> None:
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name="Maria", sentiment="neutral", handoff=True,
                     handoff_reasons=["human_request"], buyer_text="...", language=language)
    )
    context = CheckContext(buyer_texts=["..."], buyer_name="Maria", handoff=True,
                           handoff_reasons=["human_request"], reply_language=language)
    failed = [c.id for c in run_checks(reply.text, context) if not c.passed]
    assert failed == []


def test_a_holiday_return_window_is_not_called_n_days_from_delivery() -> None:
    verdict = PolicyVerdict(
        kind="return", eligible=True, deadline=date(2027, 1, 31),
        rule_ids=["return.window.30d", "return.holiday", "fee.none.original_condition"],
        text="Your kettle from order 112-3456789-1234567 can be returned until 31 January "
        "2027 — it was bought in the holiday season, so the holiday return window applies.",
    )
    german = verdict_text(verdict, language="de", order=DELIVERED)
    assert "31. Januar 2027" in german and "Weihnachtszeit" in german
    assert "Tage ab Lieferung" not in german
    japanese = verdict_text(verdict, language="ja", order=DELIVERED)
    assert "2027年1月31日" in japanese and "お届けから" not in japanese


@pytest.mark.parametrize(
    ("signature", "expected"),
    [("The Brightwater Home team", "Ihr Brightwater Home-Team"),
     ("Anna, Brightwater", "Anna, Brightwater")],
)
def test_the_default_signature_is_in_the_buyers_language(signature: str, expected: str) -> None:
    reply = OfflineComposer().compose(
        ComposeInput(buyer_name=None, sentiment="neutral", handoff=True,
                     handoff_reasons=["low_confidence"], buyer_text="Hallo?", language="de",
                     seller_name="Brightwater Home", signature=signature)
    )
    assert reply.text.endswith(f"Viele Grüße\n{expected}")
