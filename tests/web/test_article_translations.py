"""Article translations in the API and the /kb editor pages (issue 13, item 2).

The API reports ``translation_of``, ``source_revision`` and a computed ``stale``; it takes
``translation_of`` and ``locale`` on create and refuses a translation that cannot be one
with 409 ``invalid_translation``. The pages list translations with their source (stale ones
flagged), show an original's translations with an "Add translation" action, and show a
translation beside its source with a banner while the source is newer.

Runs on SQLite, and on PostgreSQL too when DRAFTDESK_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.services import Services
from tests.factories import add_user
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

SOURCE: dict[str, Any] = {
    "id": "returns",
    "title": "How to return an item",
    "body": "Start a return in Your Orders within 30 days.\n",
    "questions": ["How do I return it?", "Can I send it back?"],
    "tags": ["returns"],
}
GERMAN: dict[str, Any] = {
    "title": "So senden Sie einen Artikel zurück",
    "body": "Starten Sie die Rücksendung innerhalb von 30 Tagen unter Meine Bestellungen.\n",
    "questions": ["Wie schicke ich es zurück?"],
    "tags": ["returns"],
    "locale": "de",
    "translation_of": "returns",
}
NEW_SOURCE_BODY = "Start a return in Your Orders within 60 days.\n"


def _post(api: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/articles", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _edit_source(api: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """The source gets revision 2: its translations made from revision 1 are now stale."""
    source = api.get("/api/v1/articles/returns", headers=headers).json()
    body = {key: source[key] for key in ("title", "intents", "questions", "tags", "locale")}
    response = api.put(
        "/api/v1/articles/returns",
        json={**body, "body": NEW_SOURCE_BODY, "revision": source["revision"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    edited: dict[str, Any] = response.json()
    assert edited["revision"] == 2
    return edited


def _content(article: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "body", "intents", "questions", "tags", "locale", "translation_of")
    return {key: article[key] for key in keys}


# --- the API ---------------------------------------------------------------------------------


def test_a_translation_says_what_it_translates_and_when_it_is_stale(
    api: TestClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    source = _post(api, lead, SOURCE)
    assert (source["translation_of"], source["source_revision"], source["stale"]) == (
        None,
        None,
        False,
    )
    german = _post(api, lead, GERMAN)
    # No id given: the translation is named after its source and locale.
    assert german["id"] == "returns-de"
    assert (german["locale"], german["translation_of"], german["source_revision"]) == (
        "de",
        "returns",
        1,
    )
    assert german["stale"] is False

    _edit_source(api, lead)
    stale = api.get("/api/v1/articles/returns-de", headers=agent).json()
    assert (stale["source_revision"], stale["stale"]) == (1, True)
    listed = {a["id"]: a for a in api.get("/api/v1/articles", headers=agent).json()["articles"]}
    assert listed["returns-de"]["stale"] is True
    assert listed["returns"]["stale"] is False  # an original is never stale

    # Saving with the old source revision keeps it stale; leaving it out records the newest.
    kept = api.put(
        "/api/v1/articles/returns-de",
        json={**_content(stale), "source_revision": 1, "revision": stale["revision"]},
        headers=lead,
    ).json()
    assert (kept["source_revision"], kept["stale"]) == (1, True)
    fresh = api.put(
        "/api/v1/articles/returns-de",
        json={**_content(kept), "revision": kept["revision"]},
        headers=lead,
    ).json()
    assert (fresh["revision"], fresh["source_revision"], fresh["stale"]) == (3, 2, False)
    assert api.get("/api/v1/articles/returns-de", headers=agent).json()["stale"] is False


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({**GERMAN, "translation_of": "no-such-article"}, "does not exist"),
        (
            {**GERMAN, "id": "returns-fr", "locale": "fr", "translation_of": "returns-de"},
            "itself a translation",
        ),
        ({**GERMAN, "id": "returns-en", "locale": "EN"}, "same locale"),
    ],
    ids=["missing-source", "translation-of-a-translation", "same-locale"],
)
def test_a_translation_that_cannot_be_one_is_refused_with_its_code(
    api: TestClient, lead: dict[str, str], body: dict[str, Any], says: str
) -> None:
    _post(api, lead, SOURCE)
    _post(api, lead, GERMAN)
    before = api.get("/api/v1/articles", headers=lead).json()["articles"]

    response = api.post("/api/v1/articles", json=body, headers=lead)

    # 409, as documented: the request is well formed, it conflicts with the KB as it is.
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_translation"
    assert says in error["message"]
    assert api.get("/api/v1/articles", headers=lead).json()["articles"] == before


def test_an_edit_that_breaks_a_translation_is_refused_and_changes_nothing(
    api: TestClient, lead: dict[str, str]
) -> None:
    _post(api, lead, SOURCE)
    german = _post(api, lead, GERMAN)
    response = api.put(
        "/api/v1/articles/returns-de",
        json={**_content(german), "locale": "en", "revision": german["revision"]},
        headers=lead,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_translation"
    assert api.get("/api/v1/articles/returns-de", headers=lead).json()["revision"] == 1


def test_the_list_filters_by_locale(api: TestClient, lead: dict[str, str]) -> None:
    _post(api, lead, SOURCE)
    _post(api, lead, GERMAN)
    german = api.get("/api/v1/articles?locale=DE", headers=lead).json()["articles"]
    assert [a["id"] for a in german] == ["returns-de"]
    english = api.get("/api/v1/articles?locale=en", headers=lead).json()["articles"]
    assert [a["id"] for a in english] == ["returns"]


def test_the_openapi_schema_documents_translations(app: FastAPI) -> None:
    schema = app.openapi()
    article = schema["components"]["schemas"]["ArticlePublic"]
    assert {"translation_of", "source_revision", "stale"} <= set(article["required"])
    assert article["properties"]["stale"]["type"] == "boolean"
    assert "source_revision" in article["properties"]["stale"]["description"]
    create = schema["paths"]["/api/v1/articles"]["post"]
    assert "translation_of" in create["description"]
    assert "invalid_translation" in create["responses"]["409"]["description"]
    update = schema["paths"]["/api/v1/articles/{article_id}"]["put"]
    assert "invalid_translation" in update["responses"]["409"]["description"]
    assert "revision_conflict" in update["responses"]["409"]["description"]
    listing = schema["paths"]["/api/v1/articles"]["get"]
    assert "locale" in {p["name"] for p in listing["parameters"]}


# --- the editor pages --------------------------------------------------------------------


@pytest.fixture
def editor(pages: TestClient, services: Services) -> TestClient:
    """A lead signed in to the pages (the API fixtures' lead has a token, no password)."""
    add_user(
        services.session_factory, email="editor@example.com", role="lead", password=TEST_PASSWORD
    )
    assert sign_in(pages, "editor@example.com", next_url="/kb").status_code == 303
    return pages


@pytest.fixture
def stale_german(api: TestClient, lead: dict[str, str]) -> None:
    """``returns`` at revision 2, ``returns-de`` translated from revision 1."""
    _post(api, lead, SOURCE)
    _post(api, lead, GERMAN)
    _edit_source(api, lead)


def _text(page: str) -> str:
    """The page's text without tags, white space collapsed (for phrases across elements)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _row(page: str, article_id: str) -> str:
    found = re.search(rf'<tr data-article-id="{article_id}">(.*?)</tr>', page, re.S)
    assert found is not None, f"no row for {article_id}"
    return found.group(1)


def _form_fields(client: TestClient, path: str) -> dict[str, Any]:
    """What the editor form at ``path`` would post as it is (the person changes nothing)."""
    page = client.get(path).text
    form = page[page.index('id="kb-editor"') :]
    form = form[: form.index("</form>")]
    fields: dict[str, Any] = {"questions": []}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None:
            continue
        text = html.unescape(value.group(1)) if value else ""
        if name.group(1) == "questions":
            fields["questions"].append(text)
        else:
            fields[name.group(1)] = text
    body = re.search(r'<textarea id="kb-body"[^>]*>(.*?)</textarea>', form, re.S)
    assert body is not None
    fields["body"] = html.unescape(body.group(1))
    fields["action"] = "save"
    return fields


def test_the_list_shows_translations_with_their_source_and_flags_stale_ones(
    editor: TestClient, stale_german: None
) -> None:
    listing = editor.get("/kb").text
    source_row = _row(listing, "returns")
    assert 'data-translation="returns-de"' in source_row
    assert "de (stale)" in _text(source_row)
    # By default a translation is no row of its own: it is listed with its source.
    assert 'data-article-id="returns-de"' not in listing

    german = editor.get("/kb?locale=de").text
    assert 'data-article-id="returns"' not in german
    row = _text(_row(german, "returns-de"))
    assert "German translation of How to return an item" in row
    assert "Stale" in row
    assert editor.get("/kb?locale=de&q=Rücksendung").text.count("data-article-id=") == 1
    # Searching German words finds the English source row through its translation.
    assert 'data-article-id="returns"' in editor.get("/kb?q=Rücksendung").text


def test_a_source_lists_its_translations_and_adds_one(
    editor: TestClient, stale_german: None, services: Services
) -> None:
    page = editor.get("/kb/articles/returns").text
    section = page[page.index('id="kb-translations"') : page.index('id="kb-editor"')]
    assert 'href="/kb/articles/returns-de"' in section
    assert "Stale translated from revision 1, this article is at revision 2" in _text(section)
    offered = re.findall(r'<option value="([^"]+)"', section)
    assert "de" not in offered and "en" not in offered and "fr" in offered

    new = editor.get("/kb/articles/new?translation_of=returns&locale=fr")
    assert new.status_code == 200
    fields = _form_fields(editor, "/kb/articles/new?translation_of=returns&locale=fr")
    # Prefilled from the source's newest revision, to translate.
    assert fields["title"] == SOURCE["title"]
    assert fields["body"] == NEW_SOURCE_BODY.strip()
    assert fields["questions"][:2] == SOURCE["questions"]
    assert (fields["translation_of"], fields["locale"], fields["source_revision"]) == (
        "returns",
        "fr",
        "2",
    )
    assert 'type="text" id="kb-locale"' not in new.text  # the locale is not typed

    csrf = csrf_token_in(new.text)
    saved = editor.post(
        "/kb/articles",
        data={
            **fields,
            "csrf_token": csrf,
            "title": "Comment retourner un article",
            "body": "Lancez le retour sous 60 jours dans Vos commandes.",
        },
    )
    assert saved.status_code == 303, saved.text
    assert urlparse(saved.headers["location"]).path == "/kb/articles/returns-fr"
    french = editor.get("/kb/articles/returns-fr").text
    assert "French translation of" in _text(french)
    assert 'id="kb-stale-banner"' not in french

    # A second French translation is refused; the link goes to the existing one.
    again = editor.post("/kb/articles", data={**fields, "csrf_token": csrf})
    assert again.status_code == 409
    assert "returns-fr" in again.text
    opened = editor.get("/kb/articles/new?translation_of=returns&locale=fr")
    assert opened.status_code == 303
    assert opened.headers["location"].startswith("/kb/articles/returns-fr?")


def test_a_stale_translation_is_shown_beside_its_source_until_saved(
    editor: TestClient, stale_german: None, api: TestClient, lead: dict[str, str]
) -> None:
    page = editor.get("/kb/articles/returns-de").text
    text = _text(page)
    assert (
        "The source changed since this translation (revision 1 → 2): check the changes "
        "and save to mark it up to date."
    ) in text
    assert 'href="/kb/articles/returns/history?left=1&amp;right=2"' in page
    source = page[page.index('id="kb-source"') : page.index('id="kb-body"')]
    assert SOURCE["title"] in source and SOURCE["questions"][0] in source
    assert "60 days" in page[page.index('id="kb-source-body"') :]  # the newest source text

    fields = _form_fields(editor, "/kb/articles/returns-de")
    assert (fields["translation_of"], fields["source_revision"]) == ("returns", "2")
    fields["body"] = "Starten Sie die Rücksendung innerhalb von 60 Tagen."
    saved = editor.post(
        "/kb/articles/returns-de", data={**fields, "csrf_token": csrf_token_in(page)}
    )
    assert saved.status_code == 303, saved.text

    after = editor.get("/kb/articles/returns-de").text
    assert 'id="kb-stale-banner"' not in after
    assert "Up to date" in _text(after)
    article = api.get("/api/v1/articles/returns-de", headers=lead).json()
    assert (article["translation_of"], article["source_revision"], article["stale"]) == (
        "returns",
        2,
        False,
    )
    assert "de (stale)" not in _text(_row(editor.get("/kb").text, "returns"))


def test_saving_against_an_older_source_revision_keeps_the_translation_stale(
    editor: TestClient, stale_german: None, api: TestClient, lead: dict[str, str]
) -> None:
    """The form records the source revision shown beside the translation: when the source
    changes while the translator works, the save does not claim the newer one."""
    page = editor.get("/kb/articles/returns-de").text
    fields = _form_fields(editor, "/kb/articles/returns-de")
    source = api.get("/api/v1/articles/returns", headers=lead).json()
    moved = api.put(
        "/api/v1/articles/returns",
        headers=lead,
        json={
            **_content(source),
            "body": "Returns within 90 days.",
            "revision": source["revision"],
        },
    )
    assert moved.status_code == 200

    saved = editor.post(
        "/kb/articles/returns-de", data={**fields, "csrf_token": csrf_token_in(page)}
    )
    assert saved.status_code == 303
    article = api.get("/api/v1/articles/returns-de", headers=lead).json()
    assert (article["source_revision"], article["stale"]) == (2, True)
    assert "(revision 2 → 3)" in _text(editor.get("/kb/articles/returns-de").text)


def test_an_agent_sees_the_translation_state_read_only(
    pages: TestClient, services: Services, stale_german: None
) -> None:
    add_user(
        services.session_factory, email="reader@example.com", role="agent", password=TEST_PASSWORD
    )
    assert sign_in(pages, "reader@example.com", next_url="/kb").status_code == 303
    german = pages.get("/kb/articles/returns-de").text
    assert "a lead should check the changes" in _text(german)
    source = pages.get("/kb/articles/returns").text
    assert 'href="/kb/articles/returns-de"' in source
    assert 'id="kb-add-translation"' not in source
