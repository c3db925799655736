"""Damage photos from the chat (issue 18): what is accepted (by the bytes, not the name),
the limits, and the signed-in download link agents get."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from bot.conversations.photos import MAX_PHOTO_BYTES
from bot.services import Services
from tests.factories import BuyerConversation, add_user, open_conversation
from tests.migration_support import assert_migration_matches_the_models
from tests.workflow_support import TEST_PASSWORD, sign_in


def image_bytes(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def upload(api: TestClient, buyer: BuyerConversation, *files: tuple[str, bytes],
           caption: str | None = None) -> httpx.Response:
    return api.post(f"/api/v1/buyer-photos/{buyer.id}", headers=buyer.headers,
                    files=[("photo", (name, data, "image/jpeg")) for name, data in files],
                    data={"caption": caption} if caption else None)


@pytest.fixture
def buyer(api: TestClient) -> BuyerConversation:
    return open_conversation(api, buyer_name="Maria")


def test_photos_become_one_buyer_message_and_agents_can_open_them(
    api: TestClient, pages: TestClient, buyer: BuyerConversation, services: Services
) -> None:
    png, webp = image_bytes("PNG"), image_bytes("WEBP")
    sent = upload(api, buyer, ("../../etc/cracked lid.png", png), ("side.webp", webp),
                  caption="It arrived like this")
    assert sent.status_code == 202, sent.text
    assert sent.json()["ack"] is not None  # the first message of a wait is acknowledged
    thread = api.get(f"/api/v1/conversations/{buyer.id}/messages", headers=buyer.headers)
    assert thread.json()["messages"][0]["text"] == (
        "It arrived like this\n[photo: cracked lid.png]\n[photo: side.webp]")
    photos = services.workflow.buyer_photos(conversation_id=buyer.id)
    assert [(p.filename, p.content_type, p.size) for p in photos] == [
        ("cracked lid.png", "image/png", len(png)), ("side.webp", "image/webp", len(webp))]

    link = f"/console/conversations/{buyer.id}/photos/{photos[0].id}"
    assert pages.get(link).status_code == 303  # signed out: to the login page
    add_user(services.session_factory, email="agent@example.com", role="agent",
             password=TEST_PASSWORD)
    sign_in(pages, "agent@example.com")
    opened = pages.get(link)
    assert opened.status_code == 200 and opened.content == png
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in opened.headers["content-security-policy"]
    assert pages.get(f"/console/conversations/other/photos/{photos[0].id}").status_code == 404


@pytest.mark.parametrize(("files", "message"), [
    ([("damage.jpg", b"<html><script>alert(1)</script></html>")], "JPEG, PNG or WebP"),
    ([("damage.jpg", image_bytes("GIF"))], "JPEG, PNG or WebP"),
    ([("damage.jpg", image_bytes("JPEG")[:40])], "JPEG, PNG or WebP"),  # cut short
    ([(f"{i}.jpg", image_bytes("JPEG")) for i in range(4)], "at most 3 photos"),
    ([("big.jpg", image_bytes("JPEG") + b"\0" * MAX_PHOTO_BYTES)], "at most 5 MB"),
    ([], "at least one photo"),
])
def test_refused_photos_store_nothing(
    api: TestClient, buyer: BuyerConversation, services: Services,
    files: list[tuple[str, bytes]], message: str,
) -> None:
    refused = upload(api, buyer, *files, caption="look" if not files else None)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "photo_refused"
    assert message in refused.json()["error"]["message"]
    thread = api.get(f"/api/v1/conversations/{buyer.id}/messages", headers=buyer.headers)
    assert thread.json()["messages"] == []
    assert services.workflow.buyer_photos(conversation_id=buyer.id) == []


def test_another_buyers_token_cannot_post_photos(
    api: TestClient, buyer: BuyerConversation
) -> None:
    other = open_conversation(api)
    response = api.post(f"/api/v1/buyer-photos/{buyer.id}", headers=other.headers,
                        files=[("photo", ("a.png", image_bytes("PNG"), "image/png"))])
    assert response.status_code == 404


def test_the_0018_migration_matches_the_models(tmp_path: Any) -> None:
    assert_migration_matches_the_models(tmp_path, revision="0018", previous="0017",
                                        tables={"buyer_photos", "reply_notices"})


def test_the_console_include_lists_the_photos_as_links(
    api: TestClient, buyer: BuyerConversation, services: Services, app: Any
) -> None:
    from types import SimpleNamespace

    from bot.web.templating import templates

    assert upload(api, buyer, ("lid.png", image_bytes("PNG"))).status_code == 202
    [photo] = services.workflow.buyer_photos(conversation_id=buyer.id)
    request = SimpleNamespace(app=app)
    html = templates.env.get_template("console/_buyer_photos.html").render(
        request=request, conversation_id=buyer.id)
    assert f'href="/console/conversations/{buyer.id}/photos/{photo.id}"' in html
    assert "<span>lid.png</span></a>" in html
    # A thumbnail of the same (signed-in, sandboxed) download, described for screen readers.
    assert (f'<img src="/console/conversations/{buyer.id}/photos/{photo.id}" '
            'alt="Photo from the buyer: lid.png"') in html
    empty = open_conversation(api)
    assert "<section" not in templates.env.get_template("console/_buyer_photos.html").render(
        request=request, conversation_id=empty.id)
