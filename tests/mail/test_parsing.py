"""Reading relay mails: the fixtures as a buyer's mail client and Amazon produce them."""

from __future__ import annotations

import pytest

from bot.mail.endpoints import parse_server_url
from bot.mail.errors import MailConfigError
from bot.mail.html_text import html_to_text
from bot.mail.outbox import reply_subject
from bot.mail.parsing import parse_mail, synthetic_message_id
from bot.mail.relay import classify_sender, is_amazon_domain
from tests.mail.conftest import fixture_bytes

RELAY = [
    # file, marketplace, order id, words the buyer's text must contain, words it must not
    ("01_plain_where_is_my_order.eml", "amazon.com", "112-2233445-5566778",
     "where is my order 112-2233445-5566778?", "Seller Central"),
    ("02_html_only.eml", "amazon.co.uk", "203-4455667-7788990",
     "The lamp arrived with a cracked base.", "track()"),
    ("03_multipart_with_image.eml", "amazon.com", "114-9988776-6554433",
     "arrived dented", "Begin message"),
    ("04_forwarded_carrier_mail.eml", "amazon.com", "111-2223334-4445556",
     "Can you send it again?", "pkginfo@ups.example"),
    ("05_german_quoted_printable.eml", "amazon.de", "302-1234567-7654321",
     "Können Sie mir bitte die Sendungsnummer schicken?", "Mit freundlichen Grüßen"),
    ("06_japanese_base64.eml", "amazon.co.jp", "503-7654321-1234567",
     "商品はいつ届きますか", "メッセージ開始"),
    ("07_french_reply_in_thread.eml", "amazon.fr", "402-1112223-3344455",
     "le colis n'est toujours pas arrivé", "Votre commande"),
    ("08_reply_in_thread_same_order.eml", "amazon.com", "112-2233445-5566778",
     "change the delivery address", "It was supposed to arrive"),
    ("09_signature.eml", "amazon.com", "113-5556667-7778889",
     "Can I return the rug", "Sent from my iPhone"),
    ("10_pdf_attachment.eml", "amazon.com", "115-1231231-2342342", "VAT number", "%PDF"),
    ("11_spanish_no_order.eml", "amazon.es", None, "placa de inducción", "Inicio"),
    ("12_italian_cancel.eml", "amazon.it", "404-9876543-2109876", "vorrei annullare", "ASIN"),
    ("13_canada_windows1252.eml", "amazon.ca", "701-3332221-1110009",
     "wrong size – I ordered queen, it’s a twin. Café", "Order ID"),
    ("19_no_message_id.eml", "amazon.com", "116-4567890-1234567", "ship to Alaska", "Amazon"),
]


@pytest.mark.parametrize(("name", "marketplace", "order_id", "present", "absent"), RELAY)
def test_a_relay_mail_gives_the_buyers_own_words_order_and_marketplace(
    name: str, marketplace: str, order_id: str | None, present: str, absent: str
) -> None:
    mail = parse_mail(fixture_bytes(name))

    assert mail.problem is None
    verdict = classify_sender(mail)
    assert verdict.relay, verdict.reason
    assert verdict.marketplace == marketplace
    assert mail.order_id == order_id
    assert present in mail.text
    assert absent not in mail.text
    assert mail.sent_at is not None and mail.sent_at.tzinfo is not None


def test_names_attachments_and_threading_headers_are_read() -> None:
    plain = parse_mail(fixture_bytes("01_plain_where_is_my_order.eml"))
    assert plain.from_name == "Maria Lopez"  # " - Amazon Marketplace" dropped
    assert plain.asin == "B07MUGSET4"
    image = parse_mail(fixture_bytes("03_multipart_with_image.eml"))
    assert [(a.filename, a.content_type) for a in image.attachments] == [
        ("IMG_2041.jpg", "image/jpeg")]
    assert image.attachments[0].data.startswith(b"\xff\xd8")
    french = parse_mail(fixture_bytes("07_french_reply_in_thread.eml"))
    assert french.in_reply_to == "<7c1d2e3f@brightwater.example>"
    assert french.references == ("<0100018c-french-first@email.amazonses.fr>",
                                 "<7c1d2e3f@brightwater.example>")


@pytest.mark.parametrize(("name", "why"), [
    ("15_spoofed_sender.eml", "spf failed"),
    ("16_spoofed_lookalike_domain.eml", "not a relay domain"),
    ("17_spoofed_forged_auth_header.eml", "dmarc failed"),
    ("18_ordinary_mail.eml", "not a relay domain"),
    ("20_seller_forward_not_relay.eml", "not a relay domain"),
])
def test_spoofed_and_ordinary_mail_is_not_from_amazon(name: str, why: str) -> None:
    verdict = classify_sender(parse_mail(fixture_bytes(name)))

    assert not verdict.relay
    assert why in verdict.reason


def test_a_relay_address_without_any_authentication_is_refused_unless_allowed() -> None:
    raw = fixture_bytes("01_plain_where_is_my_order.eml")
    stripped = b"\n".join(line for line in raw.split(b"\n")
                          if not line.startswith(b"Authentication-Results"))
    mail = parse_mail(stripped)

    assert not classify_sender(mail).relay
    assert classify_sender(mail, require_authentication=False).relay


def test_only_trusted_servers_results_count() -> None:
    mail = parse_mail(fixture_bytes("01_plain_where_is_my_order.eml"))

    assert classify_sender(mail, trusted_authserv_ids=["mx.brightwater.example"]).relay
    assert not classify_sender(mail, trusted_authserv_ids=["mx.other.example"]).relay


def test_a_malformed_mail_is_reported_not_raised() -> None:
    raw = fixture_bytes("14_malformed_mime.eml")
    mail = parse_mail(raw)

    assert mail.problem is not None
    assert mail.message_id == "<broken-mime-0001@mx.brightwater.example>"
    assert parse_mail(b"\x00\xff" * 10).problem is not None


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    raw = fixture_bytes("19_no_message_id.eml")

    assert parse_mail(raw).message_id == parse_mail(raw).message_id == synthetic_message_id(raw)


def test_amazon_domains_and_look_alikes() -> None:
    assert is_amazon_domain("amazon.de")
    assert is_amazon_domain("marketplace.amazon.co.jp")
    assert not is_amazon_domain("amazonses.com")
    assert not is_amazon_domain("amazon.com.evil.example")
    assert not is_amazon_domain("notamazon.com")


def test_html_becomes_lines_without_scripts_styles_or_markup() -> None:
    text = html_to_text("<style>p{}</style><p>Hello&nbsp;<b>there</b></p><ul><li>one</li>"
                        "<li>two</li></ul><script>x()</script><blockquote>old</blockquote>")

    assert text.splitlines() == ["Hello there", "", "- one", "- two", "", "> old"]


def test_reply_subjects_follow_the_relays_convention() -> None:
    assert reply_subject("Inquiry from Amazon customer (Order: 112-1)") == \
        "Re: Inquiry from Amazon customer (Order: 112-1)"
    assert reply_subject("RE: Anfrage") == "RE: Anfrage"
    assert reply_subject("") == "Re: your message"


def test_server_urls_require_tls_except_on_loopback_and_hide_the_password() -> None:
    imap = parse_server_url("imaps://seller%40shop.example:s3cret@imap.shop.example/Amazon",
                            kind="imap")
    assert (imap.host, imap.port, imap.security, imap.folder) == (
        "imap.shop.example", 993, "tls", "Amazon")
    assert imap.username == "seller@shop.example" and imap.password == "s3cret"
    assert "s3cret" not in repr(imap) and "s3cret" not in str(imap)
    assert parse_server_url("smtp://mail.shop.example", kind="smtp").security == "starttls"
    assert parse_server_url("smtp://127.0.0.1:2525", kind="smtp").security == \
        "starttls_or_plain"
    assert parse_server_url("smtps://u:p@h", kind="smtp", password="from-file").password == \
        "from-file"
    with pytest.raises(MailConfigError):
        parse_server_url("http://example.com", kind="imap")
