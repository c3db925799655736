"""Issue 18's agent's desk in real Chromium: a queue of 30 conversations, filtered to the
German one, claimed, read at its newest message and approved with the keyboard only; two
agents on one draft; the buyer writing again while an agent edits; axe-core on /console,
the console at 390 px, and /docs without internet access."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from bot.accounts.service import create_user, set_password
from bot.conversations.canned import save_canned_reply
from bot.drafting.interface import DraftRequest
from bot.facts import DraftReply
from tests.browser.axe_support import serious_violations
from tests.conftest import REPO_ROOT
from tests.fakes import FakeDrafter
from tests.workflow_support import wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "a long enough password"
DESKTOP = {"width": 1280, "height": 800}
CANNED = "Wir haben beim Versanddienst nachgefragt."
GERMAN_MESSAGES = [
    "Hallo, ich habe eine Frage zu meiner Bestellung.",
    "Das Paket sollte am Montag kommen.",
    "Heute ist schon Donnerstag und nichts ist da.",
    "Die Sendungsverfolgung zeigt seit Tagen nichts Neues.",
    "Können Sie bitte beim Versand nachfragen?",
    "Ich brauche die Vase für ein Geschenk am Samstag.",
    "Wo ist mein Paket jetzt genau?",
]


class LanguageAwareDrafter(FakeDrafter):
    """The fake drafter, writing in the conversation's language (as the real one does)."""

    def draft(self, request: DraftRequest) -> DraftReply:
        reply = super().draft(request)
        language = (request.locale or "en")[:2]
        return reply.model_copy(update={"language": language, "reply_language": language})


@pytest.fixture
def fake_drafter() -> FakeDrafter:
    return LanguageAwareDrafter()


def _agent(services: Any, email: str, role: str = "agent") -> str:
    create_user(services.session_factory, email=email, role=role)
    set_password(services.session_factory, email=email, password=PASSWORD)
    return email


def _signed_in(browser: Browser, base: str, email: str, *, bypass_csp: bool = False
               ) -> tuple[BrowserContext, Page]:
    # bypass_csp only to inject axe-core: the console's CSP forbids any script not ours.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=bypass_csp)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/console")
    return context, page


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _conversation(workflow: Any, name: str, messages: list[str], locale: str = "en") -> str:
    conversation = workflow.start_conversation(buyer_name=name, locale=locale)
    for text in messages:
        workflow.receive_buyer_message(conversation_id=conversation.id, text=text)
    return str(conversation.id)


def _seed_queue(workflow: Any, *, total: int) -> str:
    """``total`` conversations waiting for review, one of them German with a long thread;
    returns the German one's id."""
    for number in range(total - 1):
        _conversation(workflow, f"Buyer {number:02d}", [f"Question number {number} about my order"])
    german = _conversation(workflow, "Jonas Weber", GERMAN_MESSAGES, locale="de")
    wait_for(lambda: len(workflow.list_drafts()) == total, timeout=60)
    return german


# Browser tests are slow: the database only matters to presence (an upsert per dialect),
# which the two-agent test checks on both.
@pytest.mark.sqlite_only
def test_german_draft_found_by_filter_claimed_and_approved_by_keyboard(
    live_server: Any, browser: Browser, db_backend: str
) -> None:
    services = live_server.services
    workflow = services.workflow
    german = _seed_queue(workflow, total=30)
    save_canned_reply(workflow.ctx, title="Carrier asked", text=CANNED, actor="lead@example.com")
    context, page = _signed_in(browser, live_server.url, _agent(services, "ana@example.com"))
    items = page.locator("#queue .queue-item")
    expect(items).to_have_count(30)
    expect(items.nth(0)).to_have_class(re.compile("selected"))
    page.keyboard.press("j")  # the next conversation in the queue
    expect(items.nth(1)).to_have_class(re.compile("selected"))
    page.keyboard.press("k")
    expect(items.nth(0)).to_have_class(re.compile("selected"))

    page.select_option("#filter-language", "de")
    page.click("#apply-filters")
    expect(page).to_have_url(re.compile(r"/console\?view=pending&.*lang=de"))
    item = page.locator("#queue .queue-item")
    expect(item).to_have_count(1)
    # The buyer's name and their last message, not "Buyer" and the draft's "Hi there".
    expect(item).to_contain_text("Jonas Weber")
    expect(item).to_contain_text(GERMAN_MESSAGES[-1])
    expect(item).to_contain_text("German")
    item.click()

    page.click("#claim-button")
    expect(page.locator("#claimed-by")).to_have_text("Claimed by you")
    expect(page).to_have_url(re.compile("lang=de"))  # the filtered view is kept
    # The newest message is on screen without scrolling, and the draft answers it.
    newest = page.locator("#newest-message")
    expect(newest).to_contain_text(GERMAN_MESSAGES[-1])
    expect(newest).to_be_in_viewport()
    expect(page.locator(".msg.answered-by-draft")).to_have_count(len(GERMAN_MESSAGES))
    # Sources, order and policy beside the draft, above the fold at 1280 x 800.
    for facts in (".citations", ".facts h2:has-text('Order')", ".verdicts"):
        expect(page.locator(facts).first).to_be_in_viewport()
    expect(page.locator(".passed-checks summary")).to_have_text(re.compile(r"^\d+ checks passed$"))
    _shot(page, "console-desk-german-claimed.png")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("m")  # a canned reply, picked and inserted from the keyboard
    expect(page.locator("#canned-reply")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#reply-text")).to_have_value(re.compile(re.escape(CANNED) + "$"))
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.locator("#reply-text")).to_be_focused()
    page.keyboard.type(" Danke!")
    page.keyboard.press("a")  # typed into the reply, not a shortcut
    expect(page.locator("#reply-text")).to_have_value(re.compile(r" Danke!a$"))
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".alert-ok")).to_contain_text("Sent to the buyer.")
    thread = workflow.conversation_thread(conversation_id=german)
    assert thread[-1].role == "seller" and thread[-1].text.endswith(CANNED + " Danke!")
    context.close()


def _maria_asking_where_her_parcel_is(workflow: Any) -> tuple[str, Any]:
    """A conversation and its pending draft."""
    conversation = _conversation(workflow, "Maria Lopez", ["Where is my parcel?"])
    (draft,) = wait_for(lambda: workflow.list_drafts(), timeout=30)
    return conversation, draft


def test_two_agents_and_the_buyer_writing_again_while_one_edits(
    live_server: Any, browser: Browser
) -> None:
    services = live_server.services
    workflow = services.workflow
    conversation, draft = _maria_asking_where_her_parcel_is(workflow)
    ana_context, ana = _signed_in(browser, live_server.url, _agent(services, "ana@example.com"))
    expect(ana.locator("article.draft")).to_have_attribute("data-draft-id", str(draft.id))
    ben_context, ben = _signed_in(browser, live_server.url, _agent(services, "ben@example.com"))
    expect(ben.locator("#viewers")).to_have_text("Ana is viewing")
    expect(ben.locator(f'.queue-item[data-draft-id="{draft.id}"]')).to_contain_text(
        "Ana is viewing")

    edit = "Hi Maria,\n\nYour parcel left our warehouse today.\n\nThe Brightwater Home team"
    ben.fill("#reply-text", edit)
    workflow.receive_buyer_message(conversation_id=conversation,
                                   text="Also, can I change the colour?")
    banner = ben.locator("#wrote-again-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("The buyer wrote again")
    expect(ben.locator("#stale-banner")).to_be_hidden()
    expect(ben.locator("#reply-text")).to_have_value(edit)
    new_draft = ben.locator("#new-draft-link")
    expect(new_draft).to_be_visible(timeout=30_000)
    _shot(ben, "console-desk-buyer-wrote-again.png")

    new_draft.click()
    expect(ben.locator("#newest-message")).to_contain_text("can I change the colour?")
    expect(ben.locator("#earlier-edit")).to_be_visible()
    ben.click("#use-earlier-edit")
    expect(ben.locator("#reply-text")).to_have_value(edit)
    ana_context.close()
    ben_context.close()


def test_a_buyer_message_that_lands_before_the_event_stream_opens_still_shows_the_banner(
    live_server: Any, browser: Browser
) -> None:
    # Under load the page's event stream can open seconds after the page: a draft replaced
    # in between has no event left to deliver; the page asks for its status when it opens.
    services = live_server.services
    workflow = services.workflow
    conversation, draft = _maria_asking_where_her_parcel_is(workflow)
    context, page = _signed_in(browser, live_server.url, _agent(services, "cy@example.com"))
    held: list[Route] = []
    page.route("**/api/v1/events", lambda route: held.append(route))  # held until released
    page.goto(f"{live_server.url}/console/drafts/{draft.id}")
    expect(page.locator("article.draft")).to_have_attribute("data-status", "pending_review")
    wait_for(lambda: held or page.wait_for_timeout(50), timeout=30)

    workflow.receive_buyer_message(conversation_id=conversation,
                                   text="Also, can I change the colour?")
    wait_for(lambda: workflow.get_draft(draft_id=draft.id).status == "superseded" or None,
             timeout=30)
    expect(page.locator("#wrote-again-banner")).to_be_hidden()
    # Every stream request held (under load the console page's own stream may have been
    # opened after the route was set, before the draft page's).
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the console page's, gone with the page
            route.continue_()

    expect(page.locator("#wrote-again-banner")).to_be_visible(timeout=15_000)
    expect(page.locator("#stale-banner")).to_be_hidden()
    context.close()


def _offline(route: Route) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "data:")):
        route.continue_()
    else:
        route.abort()


@pytest.mark.sqlite_only
def test_console_is_accessible_fits_a_phone_and_docs_work_offline(
    live_server: Any, browser: Browser, db_backend: str
) -> None:
    services = live_server.services
    workflow = services.workflow
    _conversation(workflow, "Maria Lopez", ["Where is my parcel?", "It is a gift."])
    wait_for(lambda: workflow.list_drafts(), timeout=30)
    _agent(services, "lead@example.com", role="lead")
    context, page = _signed_in(browser, live_server.url, "lead@example.com", bypass_csp=True)
    context.route("**/*", _offline)

    draft = workflow.list_drafts()[0]
    found = {"/console": serious_violations(page)}
    for path in (f"/console/drafts/{draft.id}", f"/console/conversations/{draft.conversation_id}",
                 "/console/canned"):
        page.goto(f"{live_server.url}{path}")
        found[path] = serious_violations(page)
    assert found == {path: [] for path in found}

    page.goto(f"{live_server.url}/console")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _shot(page, "console-desk-390px.png")
    wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8)
        .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)""")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], wide

    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("draftdesk")
    expect(page.locator(".opblock").first).to_be_visible()
    context.close()
