"""GET /widget.js, GET /demo and the buyer-API-only CORS policy."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.orders.demo import demo_orders
from bot.settings import Settings
from bot.web.routes_widget import (
    WIDGET_JS,
    BuyerApiCors,
    install_widget,
    normalise_origins,
    widget_etag,
)

SHOP = "https://shop.example"


def _app(tmp_path_factory: pytest.TempPathFactory, origins: list[str]) -> FastAPI:
    """The widget surface plus stand-ins for a buyer route and an agent route."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), widget_origins=origins)
    app = FastAPI()
    install_widget(app, settings)

    @app.post("/api/v1/conversations")
    def create() -> dict[str, str]:
        return {"id": "c1", "token": "t"}

    @app.get("/api/v1/conversations/{cid}/messages")
    def messages(cid: str) -> dict[str, list[str]]:
        return {"messages": []}

    @app.post("/api/v1/conversations/{cid}/reply")
    def agent_reply(cid: str) -> dict[str, str]:
        return {"status": "sent"}

    @app.get("/api/v1/drafts")
    def drafts() -> dict[str, list[str]]:
        return {"drafts": []}

    return app


def _middleware_names(app: FastAPI) -> list[str]:
    return [getattr(m.cls, "__name__", "") for m in app.user_middleware]


def test_configured_origins_install_the_buyer_cors_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    assert _middleware_names(_app(tmp_path_factory, [SHOP])) == [BuyerApiCors.__name__]


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(_app(tmp_path_factory, [SHOP + "/", "https://other.example"]))


def test_widget_js_is_served_as_cacheable_javascript(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=300" in response.headers["cache-control"]
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in response.headers
    assert response.headers["etag"] == widget_etag(WIDGET_JS.read_bytes())
    assert response.content == WIDGET_JS.read_bytes()


def test_widget_js_is_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["etag"].endswith('-gz"')
    assert int(response.headers["content-length"]) < len(WIDGET_JS.read_bytes()) / 2
    assert response.content == WIDGET_JS.read_bytes()  # httpx decodes it


def test_widget_js_revalidates_with_etag(client: TestClient) -> None:
    for encoding in ("identity", "gzip"):
        etag = client.get("/widget.js", headers={"Accept-Encoding": encoding}).headers["etag"]
        again = client.get(
            "/widget.js", headers={"If-None-Match": etag, "Accept-Encoding": encoding}
        )
        assert again.status_code == 304
        assert again.content == b""
        stale = client.get("/widget.js", headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200


def test_widget_source_never_parses_html_and_has_the_test_hooks() -> None:
    source = WIDGET_JS.read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert forbidden not in source
    for hook in ("draftdesk-launcher", "draftdesk-input", "draftdesk-send",
                 "draftdesk-message", "draftdesk-human"):
        assert f"'{hook}'" in source
    assert "mode: 'open'" in source


def test_demo_page_embeds_the_widget_for_the_configured_seller(client: TestClient) -> None:
    response = client.get("/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<script src="/widget.js" data-draftdesk-seller="Brightwater Home" async>' in html
    assert '<html lang="en">' in html
    csp = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'nonce="{nonce.group(1)}"' in html
    assert "unsafe-inline" not in csp


def test_demo_page_only_accepts_known_languages_and_hex_colours(client: TestClient) -> None:
    html = client.get("/demo", params={"lang": "de", "color": "#aa3300"}).text
    assert '<html lang="de">' in html
    assert 'data-draftdesk-color="#aa3300"' in html
    hostile = client.get("/demo", params={"lang": '"><b>', "color": '"><script>'}).text
    assert '<html lang="en">' in hostile
    assert "data-draftdesk-color" not in hostile
    assert "<b>" not in hostile


def test_preflight_from_a_configured_origin_is_allowed_without_credentials(
    client: TestClient,
) -> None:
    response = client.options(
        "/api/v1/conversations/c1/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-credentials" not in response.headers
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "idempotency-key" in allowed


def test_simple_response_names_the_origin_and_exposes_retry_after(client: TestClient) -> None:
    response = client.post("/api/v1/conversations", json={}, headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


def test_unknown_origins_get_no_cors_headers(client: TestClient) -> None:
    evil = "https://evil.example"
    preflight = client.options(
        "/api/v1/conversations",
        headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/v1/conversations/c1/messages", headers={"Origin": evil})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_does_not_reach_the_agent_api_or_pages(client: TestClient) -> None:
    for path in ("/api/v1/drafts", "/demo", "/api/v1/conversationsX"):
        response = client.get(path, headers={"Origin": SHOP})
        assert "access-control-allow-origin" not in response.headers, path
    for path in ("/api/v1/drafts", "/api/v1/conversations/c1/reply"):
        preflight = client.options(
            path, headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers, path
    reply = client.post("/api/v1/conversations/c1/reply", headers={"Origin": SHOP})
    assert "access-control-allow-origin" not in reply.headers


def test_without_configured_origins_no_cors_is_installed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    app = _app(tmp_path_factory, [])
    assert _middleware_names(app) == []
    response = TestClient(app).post(
        "/api/v1/conversations", json={}, headers={"Origin": SHOP}
    )
    assert "access-control-allow-origin" not in response.headers


def test_origins_are_normalised_and_junk_is_dropped() -> None:
    assert normalise_origins(
        [" https://Shop.Example/ ", "http://127.0.0.1:8080", "shop.example", "https://a.b/path", ""]
    ) == ["https://shop.example", "http://127.0.0.1:8080"]


def test_widget_origins_env_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTDESK_WIDGET_ORIGINS", "https://shop.example, http://127.0.0.1:8080")
    assert Settings().widget_origins == ["https://shop.example", "http://127.0.0.1:8080"]
    monkeypatch.setenv("DRAFTDESK_WIDGET_ORIGINS", "https://only.example")
    assert Settings().widget_origins == ["https://only.example"]


@pytest.mark.parametrize(
    ("lang", "marketplace"), [("en", "Amazon.com"), ("de", "Amazon.de"), ("ja", "Amazon.co.jp")]
)
def test_demo_page_suggests_a_demo_order_of_its_language_and_how_to_verify_it(
    client: TestClient, lang: str, marketplace: str
) -> None:
    html = client.get("/demo", params={"lang": lang}).text
    suggested = re.search(r"Where is my order (\d{3}-\d{7}-\d{7})\?", html)
    assert suggested, "the demo page suggests no order number"
    today = date(2026, 11, 30)
    demo = {order.order_id: order for order in demo_orders(today)}
    order = demo.get(suggested.group(1))
    assert order is not None, f"{suggested.group(1)} is not a demo order"
    assert order.marketplace == marketplace
    family_name = re.search(r"last name\s*<strong>([^<]+)</strong>", html)
    assert family_name and family_name.group(1) in (order.buyer_name or "")
