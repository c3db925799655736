"""The knowledge-base API (``/api/v1/articles``): leads and admins write, agents read.

Authenticate with ``Authorization: Bearer <API token>`` (``draftdesk users create``). Every
change is audited (who, when, what) by the knowledge-base repository; every change to what
is published re-syncs the search index before the response, so the next draft uses it.

Translations (issue 13): an article with ``translation_of`` (its source's id) and its own
``locale`` translates that source; ``source_revision`` is the source revision it was made
from (the source's newest when a save leaves it out) and ``stale`` says the source has
changed since. A translation of a missing article, of a translation, or in the source's
locale is refused with 409 ``invalid_translation`` (the request is well formed; it conflicts
with the articles as they are).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from pydantic import BaseModel

from bot.kb_editor.articles import ArticleEditor
from bot.web.api_schemas import (
    INPUT_ERRORS,
    ArticleCreate,
    ArticleUpdate,
    ErrorBody,
    RollbackBody,
    error_responses,
)
from bot.web.deps import CurrentAgent, CurrentLead, ServicesDep
from bot.web.errors import error_response
from bot.web.templating import templates
from bot.web.validation import ArticleId
from knowledge_base.errors import ArticleNotFound
from knowledge_base.schemas import ArticlePublic, RevisionPublic

router = APIRouter(
    prefix="/api/v1/articles",
    tags=["knowledge base"],
    responses=error_responses(*INPUT_ERRORS, 401, 403, 404, 409),
)
StatusName = Literal["draft", "published", "unpublished"]
_TRANSLATION_CONFLICT = (
    "`invalid_translation`: `translation_of` names an article that does not exist, is itself "
    "a translation, or is in the same locale"
)
_CREATE_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorBody, "description": _TRANSLATION_CONFLICT},
}
_UPDATE_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {
        "model": ErrorBody,
        "description": "`revision_conflict`: someone saved a newer revision than `revision`; "
        f"or {_TRANSLATION_CONFLICT}",
    },
}


class ArticleList(BaseModel):
    articles: list[ArticlePublic]


class RevisionList(BaseModel):
    revisions: list[RevisionPublic]


def article_editor(services: ServicesDep) -> ArticleEditor:
    """Article operations bound to this process's database and search index."""
    return ArticleEditor(session_factory=services.session_factory, resync=services.resync_index)


EditorDep = Annotated[ArticleEditor, Depends(article_editor)]


class LeadRequired(Exception):
    """A KB page or form only leads and admins may use; shown as a 403 page, not JSON."""


def install_kb_editor_errors(app: FastAPI) -> None:
    """The KB pages' HTML answers ("not found", "leads only"); every other editor error takes
    the one JSON shape of :func:`bot.web.errors.install_error_handlers`."""

    @app.exception_handler(ArticleNotFound)
    async def _article_not_found(request: Request, exc: ArticleNotFound) -> Response:
        # The KB pages answer with a page; the API (and everything else) with JSON.
        if request.url.path.startswith("/kb/"):
            return templates.TemplateResponse(request, "kb/not_found.html", {}, status_code=404)
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(LeadRequired)
    async def _lead_required(request: Request, _: LeadRequired) -> Response:
        return templates.TemplateResponse(request, "kb/forbidden.html", {}, status_code=403)


@router.get("", response_model=ArticleList)
def list_articles(
    user: CurrentAgent,
    editor: EditorDep,
    status_filter: Annotated[StatusName | None, Query(alias="status")] = None,
    locale: Annotated[
        str | None,
        Query(
            max_length=20,
            pattern=r"^[A-Za-z_-]+$",
            description="Only articles in this locale (case ignored), translations included",
            examples=["de"],
        ),
    ] = None,
) -> ArticleList:
    """Every article's newest revision, most recently changed first (``?status=`` and
    ``?locale=`` filter). A translation says which article it translates
    (``translation_of``) and whether that article changed since (``stale``)."""
    articles = editor.list_all()
    if status_filter is not None:
        articles = [a for a in articles if a.status == status_filter]
    if locale is not None:
        articles = [a for a in articles if a.locale.lower() == locale.lower()]
    return ArticleList(articles=articles)


@router.post(
    "",
    response_model=ArticlePublic,
    status_code=status.HTTP_201_CREATED,
    responses=_CREATE_CONFLICT,
)
def create_article(body: ArticleCreate, user: CurrentLead, editor: EditorDep) -> ArticlePublic:
    """Create an article (revision 1, status ``draft``); publish it with ``…/publish``.

    A translation gives ``translation_of`` (the source article's id) and its ``locale``;
    ``source_revision`` defaults to the source's newest revision, and ``id`` to
    ``<source>-<locale>`` (``returns`` → ``returns-de``; taken → ``returns-de-2``)."""
    return editor.create(body, actor=user.actor)


@router.get("/{article_id}", response_model=ArticlePublic)
def get_article(article_id: ArticleId, user: CurrentAgent, editor: EditorDep) -> ArticlePublic:
    """The article's newest revision (``published_revision`` is what drafts use)."""
    return editor.get(article_id)


@router.put("/{article_id}", response_model=ArticlePublic, responses=_UPDATE_CONFLICT)
def update_article(
    article_id: ArticleId, body: ArticleUpdate, user: CurrentLead, editor: EditorDep
) -> ArticlePublic:
    """A new revision. ``revision`` is the one the edit is based on: if someone saved a newer
    one meanwhile, 409 ``revision_conflict`` and nothing is overwritten.

    The body is the whole content: a translation keeps ``translation_of`` to stay one.
    Leaving ``source_revision`` out records the source's newest revision, so saving a
    checked translation makes it up to date (``stale`` false); sending the old number keeps
    it stale."""
    return editor.update(article_id, body, actor=user.actor)


@router.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_article(article_id: ArticleId, user: CurrentLead, editor: EditorDep) -> Response:
    """Delete the article and its revisions; it leaves the search index at once."""
    editor.delete(article_id, actor=user.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{article_id}/publish", response_model=ArticlePublic)
def publish_article(article_id: ArticleId, user: CurrentLead, editor: EditorDep) -> ArticlePublic:
    """Publish the newest revision; the index is updated before this returns."""
    return editor.publish(article_id, actor=user.actor)


@router.post("/{article_id}/unpublish", response_model=ArticlePublic)
def unpublish_article(article_id: ArticleId, user: CurrentLead, editor: EditorDep) -> ArticlePublic:
    """Stop drafts from using the article (its revisions stay)."""
    return editor.unpublish(article_id, actor=user.actor)


@router.get("/{article_id}/revisions", response_model=RevisionList)
def list_revisions(article_id: ArticleId, user: CurrentAgent, editor: EditorDep) -> RevisionList:
    """Every revision, oldest first, with who made it, when and why (``note``)."""
    return RevisionList(revisions=editor.revisions(article_id))


@router.post("/{article_id}/rollback", response_model=ArticlePublic)
def rollback_article(
    article_id: ArticleId, body: RollbackBody, user: CurrentLead, editor: EditorDep
) -> ArticlePublic:
    """Make an old revision's content the newest revision (history is never rewritten); a
    published article is re-published with it at once."""
    return editor.rollback(article_id, body.revision, actor=user.actor)
