"""The buyer chat widget in real Chromium against a real uvicorn server (fake drafter).

A buyer uses the widget with mouse or keyboard; agents act through the real agent API.
Sellers' pages are served by a second small HTTP server on another port (another origin),
so the widget's calls to the API are really cross-origin and CORS is really checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.axe_support import serious_violations
from tests.conftest import SECRET_ENV_PREFIXES
from tests.workflow_support import free_port

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SELLER = "Brightwater Home"
ACK = "A person from our team will reply"
REVIEWING = "A person from the team is reviewing your message"
CANT_REACH = "We can’t reach the team right now"


class LiveServer:
    """``uvicorn bot.web.app:create_app`` in a subprocess; ``stop``/``start`` keep the port.

    ``seller_origin`` is configured as the one widget origin (``DRAFTDESK_WIDGET_ORIGINS``).
    """

    def __init__(self, data_dir: Path, *, seller_origin: str = "https://shop.example") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seller_origin = seller_origin
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_ENV_PREFIXES)}
        self.env.update({
            "DRAFTDESK_ENVIRONMENT": "test",
            "DRAFTDESK_DATA_DIR": str(data_dir),
            "DRAFTDESK_WIDGET_ORIGINS": self.seller_origin,
            "DRAFTDESK_WORKER_POLL_SECONDS": "0.1",
            # Every browser request comes from 127.0.0.1: lift the per-IP limit.
            "DRAFTDESK_RATE_LIMIT_PER_IP": "100000",
            "PYTHONPATH": str(REPO_ROOT),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
        })
        self._process: subprocess.Popen[bytes] | None = None
        self._agent_token: str | None = None

    def start(self, *, timeout: float = 90.0) -> None:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.with_fake_services", "uvicorn",
                 "bot.web.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                 "--timeout-graceful-shutdown", "2"],
                cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start:\n{self.log_tail()}")

    def stop(self, *, crash: bool = False) -> None:
        """Stop the server; ``crash`` kills it without a graceful shutdown."""
        process, self._process = self._process, None
        if process is None:
            return
        if crash:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def agent(self) -> httpx.Client:
        """An agent of the seller's team, on the real agent API."""
        if self._agent_token is None:
            from bot.accounts.service import create_user
            from bot.settings import Settings
            from knowledge_base.db import make_engine, make_session_factory

            engine = make_engine(Settings(data_dir=self.data_dir).resolved_database_url)
            try:
                created = create_user(
                    make_session_factory(engine), email="agent@example.com", role="agent"
                )
            finally:
                engine.dispose()
            self._agent_token = created.token
        return httpx.Client(
            base_url=self.url, timeout=10,
            headers={"Authorization": f"Bearer {self._agent_token}"},
        )

    def pending_draft(self, conversation_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """Wait for the worker to draft a reply in this conversation."""
        deadline = time.monotonic() + timeout
        with self.agent() as agent:
            while time.monotonic() < deadline:
                response = agent.get("/api/v1/drafts", params={"status": "pending_review"})
                response.raise_for_status()
                for draft in response.json()["drafts"]:
                    if draft["conversation_id"] == conversation_id:
                        found: dict[str, Any] = draft
                        return found
                time.sleep(0.1)
        raise AssertionError(f"no draft for {conversation_id}:\n{self.log_tail()}")

    def approve(self, draft_id: int, text: str | None = None) -> None:
        with self.agent() as agent:
            response = agent.post(
                f"/api/v1/drafts/{draft_id}/approve", json={"text": text} if text else {}
            )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "sent"

    def buyer_get(self, state: dict[str, Any], path: str = "") -> Any:
        """What the buyer's own token reads from the API (outside the browser)."""
        response = httpx.get(
            f"{self.url}/api/v1/conversations/{state['id']}{path}", timeout=10,
            headers={"Authorization": f"Bearer {state['token']}"},
        )
        response.raise_for_status()
        return response.json()


class Buyer:
    """One browser tab of a buyer, with what it noticed (dialogs, script errors)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_test_id("draftdesk-launcher")

    @property
    def input(self) -> Locator:
        return self.page.get_by_test_id("draftdesk-input")

    @property
    def status(self) -> Locator:
        return self.page.locator("draftdesk-chat").get_by_role("status")

    def bubbles(self, role: str | None = None) -> Locator:
        selector = '[data-testid="draftdesk-message"]'
        if role:
            selector += f'[data-role="{role}"]'
        return self.page.locator(selector)

    def open(self) -> None:
        self.launcher.click()
        expect(self.input).to_be_focused()

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.page.get_by_test_id("draftdesk-send").click()

    def thread(self) -> list[tuple[str, str]]:
        pairs = self.bubbles().evaluate_all(
            "els => els.map(e => [e.dataset.role, e.textContent])"
        )
        return [(role, text) for role, text in pairs]

    def state(self) -> dict[str, Any]:
        """The widget's saved conversation (localStorage of the page's origin)."""
        raw = self.page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('draftdesk:'))"
            ".map(k => localStorage.getItem(k))[0] || null"
        )
        assert raw, "the widget saved nothing"
        state: dict[str, Any] = json.loads(raw)
        return state

    def wait_for_conversation(self) -> dict[str, Any]:
        self.page.wait_for_function(
            "() => Object.keys(localStorage).some(k => k.startsWith('draftdesk:') &&"
            " JSON.parse(localStorage.getItem(k)).id)"
        )
        return self.state()


def host_page(script_src: str, *, lang: str | None = "en", extra_head: str = "",
              attributes: str = "") -> str:
    """A seller's page embedding the widget with the one documented script tag."""
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!doctype html><html{lang_attr}><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Shop</title>{extra_head}</head><body><main><h1>Our shop</h1>"
        "<p>Kettles and more.</p><button>Add to basket</button></main>"
        f'<script src="{script_src}/widget.js" data-draftdesk-seller="{SELLER}"'
        f" {attributes} async></script></body></html>"
    )


class SellerSite:
    """A seller's web server on its own port: ``publish(path, html)`` then open ``url(path)``.

    ``origin`` is ``http://127.0.0.1:PORT``; the same pages under ``http://localhost:PORT``
    are a different origin (one the API was not configured for).
    """

    def __init__(self) -> None:
        pages: dict[str, bytes] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.other_origin = f"http://localhost:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def publish(self, path: str, html: str) -> str:
        self.pages[path] = html.encode("utf-8")
        return f"{self.origin}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two computed ``rgb(r, g, b)`` colours."""

    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> Iterator[SellerSite]:
    site = SellerSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shop: SellerSite) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("widget-server"), seller_origin=shop.origin)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def new_buyer(browser: Browser) -> Iterator[Callable[..., Buyer]]:
    """Buyers in fresh browser contexts (own storage); none may see a dialog or script error."""
    buyers: list[Buyer] = []
    contexts = []

    def make(**context_options: Any) -> Buyer:
        options: dict[str, Any] = {"locale": "en-US", "viewport": {"width": 1280, "height": 800}}
        options.update(context_options)
        context = browser.new_context(**options)
        contexts.append(context)
        buyer = Buyer(context.new_page())
        buyers.append(buyer)
        return buyer

    yield make
    for context in contexts:
        context.close()
    for buyer in buyers:
        assert buyer.errors == [], buyer.errors
        assert buyer.dialogs == [], buyer.dialogs


@pytest.fixture
def buyer(new_buyer: Callable[..., Buyer]) -> Buyer:
    return new_buyer()


# --- the conversation -----------------------------------------------------------------------


def test_approved_reply_arrives_live_and_history_survives_reload(
    server: LiveServer, buyer: Buyer
) -> None:
    page = buyer.page
    page.goto(f"{server.url}/demo")
    page.evaluate("() => { window.__sameDocument = true; }")
    buyer.open()
    buyer.send("How do I return a damaged kettle?")

    expect(buyer.bubbles("buyer")).to_have_text(["How do I return a damaged kettle?"])
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    expect(buyer.status).to_contain_text(REVIEWING)
    expect(buyer.input).to_have_value("")

    state = buyer.state()
    draft = server.pending_draft(state["id"])
    reply = "Hi,\n\nSorry it arrived damaged. Start the return at https://example.com/returns."
    server.approve(draft["id"], text=reply)

    expect(buyer.bubbles("seller")).to_have_text([reply])
    link = buyer.bubbles("seller").get_by_role("link")
    expect(link).to_have_attribute("href", "https://example.com/returns")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert page.evaluate("() => window.__sameDocument") is True  # no reload happened
    expect(buyer.status).to_have_text("")
    before = buyer.thread()
    assert [role for role, _ in before] == ["buyer", "system", "seller"]

    page.reload()
    # The panel was open: it stays open after the reload and the history comes back.
    expect(buyer.bubbles()).to_have_count(3)
    assert buyer.thread() == before
    assert buyer.state()["id"] == state["id"]
    assert page.evaluate("() => window.__sameDocument") is None


def test_a_long_reply_is_shown_from_its_first_line(server: LiveServer, buyer: Buyer) -> None:
    buyer.page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.send("Tell me everything about returns.")
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    reply = "First line of the answer.\n" + "\n".join(
        f"Detail {'i' * (n % 9 + 1)} of the answer." for n in range(60)
    )
    server.approve(server.pending_draft(buyer.state()["id"])["id"], text=reply)
    expect(buyer.bubbles("seller")).to_have_count(1)
    top_visible = """el => {
      const scroller = el.closest('.body').getBoundingClientRect();
      const top = el.getBoundingClientRect().top;
      return top >= scroller.top && top < scroller.bottom;
    }"""
    buyer.page.wait_for_function(
        f"() => ({top_visible})(document.querySelector('draftdesk-chat').shadowRoot"
        ".querySelector('[data-role=seller]'))"
    )


def test_buyer_and_reply_markup_is_shown_as_text_and_never_runs(
    server: LiveServer, buyer: Buyer
) -> None:
    page = buyer.page
    payload = "<img src=x onerror=alert(1)>"
    page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.send(payload)
    expect(buyer.bubbles("buyer")).to_have_text([payload])

    reply = (f"Hi, you wrote {payload} and <script>alert(2)</script>"
             "<b onmouseover=alert(3)>bold</b>. Thanks!")
    # The bubble shows before the server answers: wait until the conversation is saved.
    conversation = buyer.wait_for_conversation()
    server.approve(server.pending_draft(conversation["id"])["id"], text=reply)
    expect(buyer.bubbles("seller")).to_have_text([reply])
    buyer.bubbles("seller").hover()

    planted = "() => document.querySelector('draftdesk-chat').shadowRoot" \
              ".querySelectorAll('img, script, b').length + document.querySelectorAll('img').length"
    assert page.evaluate(planted) == 0
    page.reload()
    expect(buyer.bubbles("seller")).to_have_text([reply])
    expect(buyer.bubbles("buyer")).to_have_text([payload])
    assert page.evaluate(planted) == 0
    # buyer.dialogs is checked (empty) when the fixture ends.


def test_keyboard_only_use(server: LiveServer, buyer: Buyer) -> None:
    page = buyer.page
    page.goto(f"{server.url}/demo")
    focused_hook = (
        "() => { const a = document.activeElement;"
        " return a && a.shadowRoot && a.shadowRoot.activeElement"
        " ? a.shadowRoot.activeElement.dataset.testid || 'other' : null; }"
    )
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(focused_hook) == "draftdesk-launcher":
            break
    else:
        raise AssertionError("Tab never reached the chat launcher")

    page.keyboard.press("Enter")
    expect(buyer.launcher).to_have_attribute("aria-expanded", "true")
    expect(buyer.input).to_be_focused()

    page.keyboard.type("Do you ship to Canada?")
    page.keyboard.press("Enter")
    expect(buyer.bubbles("buyer")).to_have_text(["Do you ship to Canada?"])
    expect(buyer.input).to_have_value("")
    expect(buyer.input).to_be_focused()

    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.keyboard.press("Enter")
    expect(buyer.bubbles("buyer")).to_have_text(["Do you ship to Canada?", "line one\nline two"])

    page.keyboard.press("Shift+Tab")
    expect(page.get_by_test_id("draftdesk-human")).to_be_focused()
    page.keyboard.press("Space")
    expect(buyer.status).to_contain_text("You asked to talk to a person")
    state = buyer.state()
    page.wait_for_function(
        "() => !JSON.parse(localStorage.getItem(Object.keys(localStorage)"
        ".find(k => k.startsWith('draftdesk:')))).outbox.length"
    )
    assert server.buyer_get(state)["needs_person"] is True

    page.keyboard.press("Escape")
    expect(page.locator("draftdesk-chat").get_by_role("dialog")).to_be_hidden()
    expect(buyer.launcher).to_be_focused()
    expect(buyer.launcher).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(buyer.input).to_be_focused()
    expect(buyer.bubbles("buyer")).to_have_count(2)


def test_talk_to_a_person_is_always_there_and_says_what_happens(
    server: LiveServer, buyer: Buyer
) -> None:
    buyer.page.goto(f"{server.url}/demo")
    buyer.open()
    human = buyer.page.get_by_test_id("draftdesk-human")
    expect(human).to_be_visible()
    expect(human).to_have_text("Talk to a person")
    buyer.send("My kettle leaks.")
    expect(buyer.status).to_contain_text(REVIEWING)
    human.click()
    expect(buyer.status).to_have_text(
        "You asked to talk to a person. Someone from the team will reply here — "
        "usually within a few hours."
    )
    state = buyer.wait_for_conversation()
    deadline = time.monotonic() + 10
    while not server.buyer_get(state)["needs_person"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.buyer_get(state)["needs_person"] is True
    # Never a fake "typing…" indicator: the only activity shown is the honest status line.
    assert "typing" not in buyer.page.locator("draftdesk-chat").inner_text().lower()

    # A reply that arrives while the panel is closed shows up as "new reply" on the launcher.
    buyer.page.keyboard.press("Escape")
    expect(buyer.launcher).to_have_accessible_name("Chat with us")
    server.approve(server.pending_draft(state["id"])["id"])
    expect(buyer.launcher).to_have_accessible_name("Chat with us New reply")
    buyer.open()
    expect(buyer.bubbles("seller")).to_have_count(1)
    expect(buyer.launcher).to_have_accessible_name("Chat with us")
    expect(buyer.status).to_have_text("")
    expect(human).to_be_visible()


def test_at_375_px_the_panel_fills_the_screen_without_overflow(
    server: LiveServer, new_buyer: Callable[..., Buyer]
) -> None:
    buyer = new_buyer(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = buyer.page
    page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.send("Where is my order 114-3941689-8772232?")
    expect(buyer.bubbles("system")).to_contain_text([ACK])

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "widget-375px.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    panel = page.locator("draftdesk-chat").get_by_role("dialog").bounding_box()
    assert panel is not None
    assert (panel["x"], panel["width"]) == (0, 375)
    for hook in ("draftdesk-input", "draftdesk-send", "draftdesk-human", "draftdesk-message"):
        box = page.get_by_test_id(hook).first.bounding_box()
        assert box is not None, hook
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, hook
        assert box["y"] >= 0 and box["y"] + box["height"] <= 740, hook
    close = page.locator("draftdesk-chat").get_by_role("button", name="Close chat")
    close.click()
    expect(buyer.launcher).to_be_focused()


# --- the host page cannot break it ----------------------------------------------------------

HOSTILE_CSS = """<style>
  html { font-size: 5px !important; }
  body { font: 40px/3 "Comic Sans MS", cursive !important; color: red !important;
         letter-spacing: 4px !important; text-transform: uppercase !important; }
  body * { display: none !important; visibility: hidden !important; opacity: 0 !important; }
  body > main { display: block !important; visibility: visible !important; opacity: 1 !important; }
  button { all: unset !important; }
  div, section, textarea, p, span, header, h2, form, label, svg {
    all: unset; color: lime !important; background: black !important;
    font-size: 30px !important; border: 5px solid red !important; padding: 40px !important;
    margin: 20px !important; box-sizing: content-box !important; }
  * { transition: all 10s !important; animation: none !important; z-index: 0 !important; }
  [data-testid], [role], [hidden] { display: block !important; }
  draftdesk-chat { position: static !important; transform: scale(.1) !important;
                   filter: blur(4px) !important; width: 10px !important; height: 10px !important; }
  body * { --a: red; --af: red; --ring: red; }
</style>"""

_MEASURE = """() => {
  const root = document.querySelector('draftdesk-chat').shadowRoot;
  const props = ['display', 'visibility', 'opacity', 'position', 'font-size', 'font-family',
    'font-weight', 'line-height', 'letter-spacing', 'text-transform', 'color', 'background-color',
    'border-top-width', 'border-top-color', 'padding-top', 'padding-left', 'margin-top',
    'box-sizing', 'transform', 'filter'];
  const hooks = ['draftdesk-launcher', 'draftdesk-input', 'draftdesk-send', 'draftdesk-human',
    'draftdesk-message'];
  const host = getComputedStyle(root.host);
  const out = {host: [host.display, host.position, host.transform, host.filter, host.opacity]};
  for (const hook of hooks) {
    const el = root.querySelector(`[data-testid="${hook}"]`);
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    out[hook] = {box: [r.x, r.y, r.width, r.height].map(Math.round),
                 style: Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)]))};
  }
  return out;
}"""


def _widget_on(buyer: Buyer, url: str) -> dict[str, Any]:
    buyer.page.goto(url)
    buyer.open()
    buyer.send("Hello from the shop page")
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    measured: dict[str, Any] = buyer.page.evaluate(_MEASURE)
    return measured


def test_hostile_host_css_does_not_change_the_widget(
    server: LiveServer, shop: SellerSite, new_buyer: Callable[..., Buyer]
) -> None:
    # Both pages live on the configured seller origin: this also exercises real CORS.
    plain = _widget_on(new_buyer(), shop.publish("/plain", host_page(server.url)))
    hostile_buyer = new_buyer()
    hostile = _widget_on(
        hostile_buyer, shop.publish("/hostile", host_page(server.url, extra_head=HOSTILE_CSS))
    )
    assert hostile == plain
    for hook in ("draftdesk-launcher", "draftdesk-input", "draftdesk-send", "draftdesk-human"):
        expect(hostile_buyer.page.get_by_test_id(hook)).to_be_visible()
    assert plain["draftdesk-launcher"]["style"]["font-size"] == "15px"

    # The approved reply streams in across origins too.
    state = hostile_buyer.state()
    server.approve(server.pending_draft(state["id"])["id"], text="Hello from the team!")
    expect(hostile_buyer.bubbles("seller")).to_have_text(["Hello from the team!"])
    expect(hostile_buyer.bubbles("seller")).to_be_visible()


def test_an_origin_that_is_not_configured_cannot_use_the_api(
    server: LiveServer, shop: SellerSite, buyer: Buyer
) -> None:
    shop.publish("/stranger", host_page(server.url))
    buyer.page.goto(f"{shop.other_origin}/stranger")
    buyer.open()
    expect(buyer.status).to_contain_text(CANT_REACH)
    buyer.send("Can you see this?")
    # Kept, not lost: the bubble waits and the outbox still holds the text.
    expect(buyer.bubbles("buyer")).to_have_text(["Can you see this?"])
    expect(buyer.page.locator("draftdesk-chat").get_by_text("Not sent yet")).to_be_visible()
    assert [item["text"] for item in buyer.state()["outbox"]] == ["Can you see this?"]


# --- failures the buyer sees ----------------------------------------------------------------


def test_message_survives_a_server_outage_and_is_sent_once_it_returns(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory,
    new_buyer: Callable[..., Buyer],
) -> None:
    live = LiveServer(tmp_path_factory.mktemp("outage-server"))
    live.start()
    try:
        buyer = new_buyer()
        buyer.page.goto(f"{live.url}/demo")
        buyer.open()
        state = buyer.wait_for_conversation()

        live.stop(crash=True)
        buyer.send("Is my parcel lost?")
        expect(buyer.bubbles("buyer")).to_have_text(["Is my parcel lost?"])
        expect(buyer.status).to_contain_text(CANT_REACH)
        expect(buyer.page.locator("draftdesk-chat").get_by_text("Not sent yet")).to_be_visible()
        assert [item["text"] for item in buyer.state()["outbox"]] == ["Is my parcel lost?"]

        live.start()
        # Retried with backoff: the acknowledgement arrives without the buyer doing anything.
        expect(buyer.bubbles("system")).to_contain_text([ACK], timeout=60_000)
        expect(buyer.page.locator("draftdesk-chat").get_by_text("Not sent yet")).to_have_count(0)
        assert buyer.state()["outbox"] == []
        assert buyer.state()["id"] == state["id"]
        sent = [m for m in live.buyer_get(state, "/messages")["messages"] if m["role"] == "buyer"]
        assert [m["text"] for m in sent] == ["Is my parcel lost?"]
    finally:
        live.stop()


def test_replies_still_arrive_by_polling_when_the_event_stream_is_blocked(
    server: LiveServer, buyer: Buyer
) -> None:
    blocked: list[str] = []

    def refuse_stream(route: Route) -> None:
        blocked.append(route.request.url)
        route.fulfill(status=503, body="streaming is not available here")

    buyer.page.route("**/api/v1/conversations/*/events", refuse_stream)
    buyer.page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.send("Do the towels shrink?")
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    server.approve(server.pending_draft(buyer.state()["id"])["id"], text="They don't, promise.")
    expect(buyer.bubbles("seller")).to_have_text(["They don't, promise."], timeout=20_000)
    assert blocked  # the widget did try to stream first
    assert [role for role, _ in buyer.thread()] == ["buyer", "system", "seller"]


def test_offline_message_is_kept_and_sent_when_the_browser_is_back_online(
    server: LiveServer, new_buyer: Callable[..., Buyer]
) -> None:
    buyer = new_buyer()
    buyer.page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.wait_for_conversation()
    buyer.page.context.set_offline(True)
    buyer.send("Sent from a train")
    expect(buyer.status).to_have_text(
        "You’re offline. Your message is saved and will be sent when you’re back online."
    )
    expect(buyer.page.locator("draftdesk-chat").get_by_text("Not sent yet")).to_be_visible()
    buyer.page.context.set_offline(False)
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    # The acknowledgement can arrive over the event stream a moment before the POST's own
    # response clears the outbox entry: wait for the entry to go, then check it stays gone.
    buyer.page.wait_for_function(
        "() => Object.keys(localStorage).filter(k => k.startsWith('draftdesk:'))"
        ".every(k => (JSON.parse(localStorage.getItem(k)).outbox || []).length === 0)",
        timeout=10_000,
    )
    assert buyer.state()["outbox"] == []


def test_rate_limit_is_explained_and_the_message_goes_after_retry_after(
    server: LiveServer, buyer: Buyer
) -> None:
    page = buyer.page
    refused: list[str] = []

    def limit_first_post(route: Route) -> None:
        if route.request.method == "POST" and not refused:
            refused.append(route.request.post_data or "")
            route.fulfill(
                status=429, headers={"Retry-After": "2"}, content_type="application/json",
                body='{"error": {"code": "rate_limited", "message": "too many messages"}}',
            )
        else:
            route.continue_()

    page.route("**/api/v1/conversations/*/messages", limit_first_post)
    page.goto(f"{server.url}/demo")
    buyer.open()
    buyer.send("Quick question about towels")
    expect(buyer.status).to_contain_text("You’re sending messages quickly")
    expect(buyer.status).to_contain_text("2 s")
    expect(buyer.bubbles("buyer")).to_have_text(["Quick question about towels"])
    expect(buyer.bubbles("system")).to_contain_text([ACK], timeout=15_000)
    assert json.loads(refused[0]) == {"text": "Quick question about towels"}
    expect(buyer.status).to_contain_text(REVIEWING)


def test_a_lost_answer_is_retried_with_the_same_key_and_stored_once(
    server: LiveServer, buyer: Buyer
) -> None:
    """Issue 15: the server stores the message, the answer is lost on the way back; the
    widget's retry carries the same Idempotency-Key, so nothing is stored twice."""
    page = buyer.page
    keys: list[str] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server receives and stores it...
            route.abort("connectionreset")  # ...but the buyer never hears back
        else:
            route.continue_()

    page.route("**/api/v1/conversations/*/messages", lose_the_first_answer)
    page.goto(f"{server.url}/demo")
    buyer.open()
    state = buyer.wait_for_conversation()
    buyer.send("Is the pan oven safe?")
    expect(buyer.bubbles("system")).to_contain_text([ACK], timeout=30_000)
    page.wait_for_function(
        "() => Object.keys(localStorage).filter(k => k.startsWith('draftdesk:'))"
        ".every(k => (JSON.parse(localStorage.getItem(k)).outbox || []).length === 0)",
        timeout=30_000,
    )
    assert len(keys) >= 2 and keys[0] and len(set(keys)) == 1
    sent = [m for m in server.buyer_get(state, "/messages")["messages"] if m["role"] == "buyer"]
    assert [m["text"] for m in sent] == ["Is the pan oven safe?"]
    expect(buyer.bubbles("buyer")).to_have_text(["Is the pan oven safe?"])


def test_length_limit_is_shown_before_sending(server: LiveServer, buyer: Buyer) -> None:
    page = buyer.page
    page.goto(f"{server.url}/demo")
    buyer.open()
    counter = page.locator("draftdesk-chat").locator("#dd-count")
    expect(counter).to_have_text("0 / 4,000")
    buyer.input.fill("x" * 4001)
    expect(counter).to_have_text("4,001 / 4,000")
    expect(page.get_by_test_id("draftdesk-send")).to_be_disabled()
    expect(buyer.input).to_have_attribute("aria-invalid", "true")
    expect(buyer.status).to_have_text(
        "Your message is longer than 4,000 characters. Please shorten it."
    )
    buyer.input.press("Enter")
    expect(buyer.bubbles()).to_have_count(0)

    buyer.input.press("Backspace")
    expect(counter).to_have_text("4,000 / 4,000")
    expect(buyer.status).to_have_text("")
    page.get_by_test_id("draftdesk-send").click()
    expect(buyer.bubbles("buyer")).to_have_count(1)
    expect(buyer.bubbles("system")).to_contain_text([ACK])


# --- languages, theme, accessibility --------------------------------------------------------

LAUNCHER_TEXT = {
    "en": "Chat with us", "de": "Chat mit uns", "fr": "Discuter avec nous",
    "es": "Chatea con nosotros", "it": "Scrivici in chat", "ja": "チャットで問い合わせ",
    "zh": "在线咨询",
}


def test_chrome_language_follows_data_lang_then_page_then_browser(
    server: LiveServer, shop: SellerSite, new_buyer: Callable[..., Buyer]
) -> None:
    buyer = new_buyer()
    for lang, text in LAUNCHER_TEXT.items():
        buyer.page.goto(f"{server.url}/demo?lang={lang}")
        expect(buyer.launcher).to_have_accessible_name(text)

    french_browser = new_buyer(locale="fr-FR")
    french_browser.page.goto(shop.publish("/nolang", host_page(server.url, lang=None)))
    expect(french_browser.launcher).to_have_accessible_name(LAUNCHER_TEXT["fr"])

    french_browser.page.goto(
        shop.publish("/attr", host_page(server.url, lang="de", attributes='data-lang="es"'))
    )
    expect(french_browser.launcher).to_have_accessible_name(LAUNCHER_TEXT["es"])
    french_browser.open()
    expect(french_browser.page.get_by_test_id("draftdesk-human")).to_have_text(
        "Hablar con una persona"
    )


def test_theme_colour_keeps_text_readable(server: LiveServer, buyer: Buyer) -> None:
    page = buyer.page
    colours = "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    page.goto(f"{server.url}/demo")
    fg, bg = buyer.launcher.evaluate(colours)
    assert (fg, bg) == ("rgb(255, 255, 255)", "rgb(11, 92, 173)")
    assert contrast(fg, bg) >= 4.5

    page.goto(f"{server.url}/demo?color=%23ffd400")  # a light yellow brand colour
    fg, bg = buyer.launcher.evaluate(colours)
    assert bg == "rgb(255, 212, 0)"
    assert fg == "rgb(0, 0, 0)"
    assert contrast(fg, bg) >= 4.5


def test_axe_core_finds_no_serious_violations_in_any_state_of_the_widget(
    server: LiveServer, new_buyer: Callable[..., Buyer]
) -> None:
    # bypass_csp only to inject axe-core into the page; the widget itself is unchanged.
    buyer = new_buyer(bypass_csp=True)
    page = buyer.page
    page.goto(f"{server.url}/demo")
    expect(buyer.launcher).to_be_visible()
    states = {"closed": serious_violations(page)}
    buyer.open()
    states["open"] = serious_violations(page)
    buyer.send("How do I return a damaged kettle?")
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    states["waiting"] = serious_violations(page)
    draft = server.pending_draft(buyer.state()["id"])
    server.approve(draft["id"], text="Hi,\n\nSorry it arrived damaged. Start the return "
                                       "at https://example.com/returns.")
    expect(buyer.bubbles("seller")).to_have_count(1)
    states["answered"] = serious_violations(page)
    page.set_viewport_size({"width": 375, "height": 740})
    states["phone, full screen"] = serious_violations(page)
    assert states == {name: [] for name in states}


def test_accessible_names_roles_contrast_and_reduced_motion(
    server: LiveServer, new_buyer: Callable[..., Buyer]
) -> None:
    buyer = new_buyer(reduced_motion="reduce")
    page = buyer.page
    page.goto(f"{server.url}/demo")
    widget = page.locator("draftdesk-chat")
    launcher = widget.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    dialog = widget.get_by_role("dialog", name=SELLER)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("el => getComputedStyle(el).animationName") == "none"
    expect(widget.get_by_role("textbox", name="Your message")).to_be_focused()
    for name in ("Send", "Talk to a person", "Close chat"):
        expect(widget.get_by_role("button", name=name)).to_be_visible()
    log = widget.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")

    buyer.send("Is the skillet oven-safe?")
    expect(buyer.bubbles("system")).to_contain_text([ACK])
    # Every message carries who said it, for screen readers.
    expect(log).to_contain_text("You: Is the skillet oven-safe?")
    expect(log).to_contain_text("Automatic message: ")

    pairs = page.evaluate("""() => {
      const root = document.querySelector('draftdesk-chat').shadowRoot;
      const bg = el => { for (; el; el = el.parentElement) {
          const c = getComputedStyle(el).backgroundColor;
          if (c !== 'rgba(0, 0, 0, 0)') return c; } return 'rgb(255, 255, 255)'; };
      return [...root.querySelectorAll('.b, .status, .hello, .count, .sub, h2, .human, .send')]
        .filter(el => el.textContent.trim())
        .map(el => [el.className || el.tagName, getComputedStyle(el).color, bg(el)]);
    }""")
    assert len(pairs) >= 7
    for name, fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, (name, fg, bg)

    animated = new_buyer()
    animated.page.goto(f"{server.url}/demo")
    animated.open()
    panel = animated.page.locator("draftdesk-chat").get_by_role("dialog")
    assert panel.evaluate("el => getComputedStyle(el).animationName") == "dd-in"
