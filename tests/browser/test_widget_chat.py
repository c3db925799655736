"""Issue 18, the buyer's chat in Chromium: one acknowledgement per wait, "Talk to a person"
changes state, a damage photo reaches the agent, an honest end after *no response needed*,
timestamps, and focus kept inside the full-screen panel on a phone."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import expect

from bot.accounts.service import set_password
from bot.settings import Settings
from knowledge_base.db import make_engine, make_session_factory
from tests.browser.test_widget import (  # noqa: F401 (fixtures)
    ACK,
    ARTIFACTS,
    REVIEWING,
    Buyer,
    LiveServer,
    new_buyer,
    server,
    shop,
)

pytestmark = pytest.mark.browser

AGENT_PASSWORD = "a long enough password"
FOCUS_INSIDE_PANEL = """() => {
  const root = document.querySelector('draftdesk-chat').shadowRoot;
  return !!root.activeElement && root.getElementById('dd-panel').contains(root.activeElement);
}"""


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def agent_with_password(live: LiveServer) -> None:
    """The server's agent, able to sign in to the console."""
    live.agent().close()  # creates agent@example.com
    engine = make_engine(Settings(data_dir=live.data_dir).resolved_database_url)
    try:
        set_password(make_session_factory(engine), email="agent@example.com",
                     password=AGENT_PASSWORD)
    finally:
        engine.dispose()


def test_a_phone_buyer_is_acknowledged_once_asks_for_a_person_and_is_told_the_truth(
    server: LiveServer, new_buyer: Callable[..., Buyer]  # noqa: F811
) -> None:
    agent_with_password(server)
    buyer = new_buyer(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = buyer.page
    page.goto(f"{server.url}/demo")
    buyer.open()

    # Full screen: Tab and Shift+Tab cycle inside the panel; Escape closes it.
    dialog = page.locator("draftdesk-chat").get_by_role("dialog")
    expect(dialog).to_have_attribute("aria-modal", "true")
    for key in ["Tab"] * 9 + ["Shift+Tab"] * 9:
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_INSIDE_PANEL), f"focus left the panel after {key}"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    buyer.open()

    # Two messages in one wait: one acknowledgement, and the status line does not repeat it.
    buyer.send("My vase arrived cracked.")
    expect(buyer.bubbles("system")).to_have_text([re.compile(ACK)], timeout=20_000)
    buyer.send("The box was crushed too.")
    expect(buyer.bubbles("buyer")).to_have_count(2)
    state = buyer.wait_for_conversation()
    deadline = time.monotonic() + 10
    while len(server.buyer_get(state, "/messages")["messages"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m["role"] for m in server.buyer_get(state, "/messages")["messages"]] == [
        "buyer", "system", "buyer"]
    expect(buyer.bubbles("system")).to_have_count(1)
    expect(buyer.status).to_have_text(REVIEWING + ".")
    # Every message shows when it was written (the buyer's clock, e.g. "18:04").
    times = page.locator("draftdesk-chat .m.buyer .meta")
    expect(times).to_have_count(2)
    expect(times.first).to_have_text(re.compile(r"\d{1,2}[:.]\d{2}"))

    # "Talk to a person" visibly changes, and the agent's side records the request.
    human = page.get_by_test_id("draftdesk-human")
    human.click()
    expect(human).to_have_text("✓ A person will reply here")
    expect(human).to_have_attribute("aria-pressed", "true")
    expect(buyer.status).to_contain_text("You asked to talk to a person.")
    while not server.buyer_get(state)["needs_person"] and time.monotonic() < deadline + 10:
        time.sleep(0.1)
    assert server.buyer_get(state)["needs_person"] is True
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-chat-person-asked.png"))

    # A damage photo: refused by type in the widget, accepted as PNG, visible to the agent.
    photo_input = page.get_by_test_id("draftdesk-photo-input")
    photo_input.set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain",
                                        "buffer": b"not a photo"}])
    expect(buyer.status).to_contain_text("Photos must be JPEG, PNG or WebP")
    png = png_bytes()
    photo_input.set_input_files(files=[{"name": "cracked.png", "mimeType": "image/png",
                                        "buffer": png}])
    expect(buyer.bubbles("buyer").last).to_have_text("[photo: cracked.png]")
    expect(buyer.bubbles("system")).to_have_count(1)  # still the same wait
    agent_page = new_buyer().page  # a fresh browser context for the agent
    link = f"{server.url}/console/conversations/{state['id']}/photos/1"
    agent_page.goto(link)
    agent_page.fill("#email", "agent@example.com")
    agent_page.fill("#password", AGENT_PASSWORD)
    with agent_page.expect_response(link) as opened:
        agent_page.click("button[type=submit]")
    assert opened.value.headers["content-type"] == "image/png"
    assert opened.value.body() == png
    # On the draft the photo is a thumbnail the agent sees without opening anything.
    agent_page.goto(f"{server.url}/console/drafts/{server.pending_draft(state['id'])['id']}")
    thumbnail = agent_page.get_by_role("img", name="Photo from the buyer: cracked.png")
    expect(thumbnail).to_be_visible()
    # Visible comes before loaded: wait for the decoded image (a race seen once in CI).
    agent_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )

    # The team decides no reply is needed: only now does the chat say nothing more is coming.
    draft = server.pending_draft(state["id"])
    with server.agent() as agent:
        decided = agent.post(f"/api/v1/drafts/{draft['id']}/no-response-needed", json={})
    assert decided.status_code == 200, decided.text
    expect(buyer.status).to_have_text(re.compile("nothing more is coming"))
    expect(human).to_have_text("Talk to a person")
    page.screenshot(path=str(ARTIFACTS / "widget-chat-no-response-needed.png"))

    # Writing again opens a new wait: a new acknowledgement, and no "nothing more" claim.
    buyer.send("Actually, can you send a new one?")
    expect(buyer.bubbles("system")).to_have_count(2)
    expect(buyer.status).to_have_text(REVIEWING + ".")
    expect(human).to_have_attribute("aria-pressed", "false")
