"""The Selling Partner API settings as a seller writes them in the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.services import sp_api_setup
from bot.settings import Settings


def test_region_hosts_marketplaces_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().sp_api_url == "https://sellingpartnerapi-na.amazon.com"
    assert Settings().sp_api_token_url == "https://api.amazon.com/auth/o2/token"
    assert Settings().sp_api_sync_seconds == 900.0
    assert sp_api_setup(Settings()) is None  # nothing set: orders from the marketplace are off
    monkeypatch.setenv("DRAFTDESK_SP_API_REGION", "eu")
    monkeypatch.setenv("DRAFTDESK_SP_API_MARKETPLACE_IDS", "A1PA6795UKMFR9, A13V1IB3VIYZZH")
    monkeypatch.setenv("DRAFTDESK_SP_API_REFRESH_TOKEN", "Atzr|x")
    monkeypatch.setenv("DRAFTDESK_SP_API_CLIENT_ID", "amzn1.application-oa2-client.x")
    monkeypatch.setenv("DRAFTDESK_SP_API_CLIENT_SECRET", "amzn1.oa2-cs.v1.x")
    settings = Settings()
    assert settings.sp_api_url == "https://sellingpartnerapi-eu.amazon.com"
    assert settings.sp_api_marketplace_ids == ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"]
    setup = sp_api_setup(settings)
    assert setup is not None and setup.endpoint == settings.sp_api_url
    assert "amzn1.oa2-cs.v1.x" not in repr(settings) and "Atzr|x" not in repr(setup)
    monkeypatch.setenv("DRAFTDESK_SP_API_REGION", "fe")
    assert Settings().sp_api_url == "https://sellingpartnerapi-fe.amazon.com"
    monkeypatch.setenv("DRAFTDESK_SP_API_ENDPOINT", "http://127.0.0.1:9999")
    assert Settings().sp_api_url == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DRAFTDESK_SP_API_REGION", "us"),
        ("DRAFTDESK_SP_API_ENDPOINT", "sellingpartnerapi-na.amazon.com"),
        ("DRAFTDESK_SP_API_SYNC_SECONDS", "-1"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
