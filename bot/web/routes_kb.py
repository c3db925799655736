"""The knowledge-base editor pages (``/kb``): leads and admins edit, agents read.

Server-rendered; every form carries the session's CSRF token; the Markdown preview is
rendered and sanitised on the server (``POST /kb/preview``). Article changes go through the
same :class:`~bot.kb_editor.articles.ArticleEditor` as the API, so the same rules hold:
a stale edit is a conflict, every change is audited, publishing re-syncs the index.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bot.accounts.service import AuthenticatedUser, Role
from bot.kb_editor import lint as kb_lint
from bot.kb_editor import overview, review, uploads
from bot.kb_editor import repository as kb_repo
from bot.kb_editor.diff import side_by_side
from bot.kb_editor.errors import KbEditorError, UploadRejected
from bot.kb_editor.forms import EditorForm, revision_text
from bot.kb_editor.rendering import render_markdown
from bot.policy import PolicyError, load_policy
from bot.understanding.tiers import ANSWERABLE_TOPICS
from bot.web.archive_limits import check_archives
from bot.web.deps import ConsoleUser, CsrfProtected, ServicesDep, csrf_protected
from bot.web.routes_articles import EditorDep, LeadRequired
from bot.web.templating import templates
from bot.web.validation import MAX_ROW_ID, ArticleId, RowId
from knowledge_base.clock import utcnow
from knowledge_base.db import transaction
from knowledge_base.errors import ArticleNotFound, InvalidArticle, RevisionConflict
from knowledge_base.schemas import MAX_QUESTIONS

router = APIRouter(prefix="/kb", include_in_schema=False)

# Upload limits: checked on Content-Length before the body is parsed.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
DONE = {
    "created": "Saved as a draft (revision 1). Publish it when it is ready.",
    "saved": "Saved as a new revision. Publish it to use it in drafts.",
    "published": "Published. The next drafts use this revision.",
    "unpublished": "Unpublished. Drafts no longer use this article.",
    "rolled_back": "Rolled back: the old text is now the newest revision.",
    "deleted": "Article deleted.",
    "accepted": "Suggestion accepted as a new revision.",
    "accepted_published": "Suggestion accepted and published.",
    "dismissed": "Suggestion dismissed.",
}
STATUS_LABELS = {"draft": "Draft", "published": "Published", "unpublished": "Unpublished"}
SUGGESTION_ERRORS = {
    "suggestion_closed": "That suggestion was already accepted or dismissed.",
    "suggestion_stale": "That suggestion no longer fits the article: the sentences it changes "
                        "are gone. Dismiss it.",
    "suggestion_not_found": "That suggestion does not exist any more.",
}


def kb_lead(user: ConsoleUser) -> AuthenticatedUser:
    """Leads and admins only; agents get a friendly 403 page."""
    if not user.has_role(Role.LEAD):
        raise LeadRequired()
    return user


KbLead = Annotated[AuthenticatedUser, Depends(kb_lead)]


def _page(
    request: Request, template: str, context: dict[str, Any], *, user: AuthenticatedUser,
    status_code: int = 200,
) -> Response:
    context = {
        "is_lead": user.has_role(Role.LEAD), "status_labels": STATUS_LABELS,
        "done": DONE.get(str(request.query_params.get("done", ""))), **context,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _editor_page(
    request: Request, *, user: AuthenticatedUser, form: EditorForm, article: Any = None,
    error: str | None = None, conflict: Any = None, status_code: int = 200,
) -> Response:
    return _page(request, "kb/editor.html", {
        "article": article, "form": form, "questions": form.question_slots(),
        "max_questions": MAX_QUESTIONS, "preview": Markup(render_markdown(form.body)),
        "known_topics": sorted(ANSWERABLE_TOPICS), "error": error, "conflict": conflict,
    }, user=user, status_code=status_code)


# --- list, search --------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def kb_list(
    request: Request, user: ConsoleUser, services: ServicesDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Every article with its status, last editor and how drafts used it (last 30 days)."""
    with services.session_factory() as session:
        rows = overview.article_rows(
            session, now=utcnow(), query=q, status=status if status in STATUS_LABELS else None
        )
        open_suggestions = sum(kb_repo.count_open_suggestions(session).values())
    return _page(request, "kb/list.html", {
        "rows": rows, "q": q, "status": status, "open_suggestions": open_suggestions,
    }, user=user)


# --- the editor ----------------------------------------------------------------------------


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(
    request: Request, user: KbLead,
    title: Annotated[str, Query(max_length=300)] = "",
    questions: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """An empty editor, or one prefilled from a knowledge gap."""
    form = EditorForm.prefilled(title=title, questions=questions or [])
    return _editor_page(request, user=user, form=form)


def _form(
    title: str, body: str, topics: str, questions: list[str] | None, tags: str, locale: str,
    revision: int,
) -> EditorForm:
    return EditorForm(title=title, body=body, topics=topics, questions=questions or [],
                      tags=tags, locale=locale, revision=revision)


FormText = Annotated[str, Form(max_length=300_000)]
FormLine = Annotated[str, Form(max_length=2_000)]


@router.post("/articles", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_article(
    request: Request, user: KbLead, editor: EditorDep,
    title: FormLine = "", body: FormText = "", topics: FormLine = "", tags: FormLine = "",
    locale: Annotated[str, Form(max_length=20)] = "en",
    questions: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form()] = "save",
) -> Response:
    """Save a new article as a draft (or save and publish)."""
    form = _form(title, body, topics, questions, tags, locale, 0)
    try:
        article = editor.create(form.to_create(), actor=user.actor, publish=action == "publish")
    except InvalidArticle as exc:
        return _editor_page(request, user=user, form=form, error=exc.message, status_code=422)
    done = "published" if action == "publish" else "created"
    return RedirectResponse(f"/kb/articles/{quote(article.id)}?done={done}", status_code=303)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, article_id: ArticleId, user: ConsoleUser, editor: EditorDep
) -> Response:
    """The editor for leads; a read-only view for agents."""
    article = editor.get(article_id)
    if not user.has_role(Role.LEAD):
        return _page(request, "kb/article.html", {
            "article": article, "html": Markup(render_markdown(article.body)),
        }, user=user)
    return _editor_page(request, user=user, form=EditorForm.from_article(article),
                        article=article)


@router.post("/articles/{article_id}", response_class=HTMLResponse,
             dependencies=[CsrfProtected])
def save_article(
    request: Request, article_id: ArticleId, user: KbLead, editor: EditorDep,
    title: FormLine = "", body: FormText = "", topics: FormLine = "", tags: FormLine = "",
    locale: Annotated[str, Form(max_length=20)] = "en",
    questions: Annotated[list[str] | None, Form()] = None,
    revision: Annotated[int, Form(ge=0, le=MAX_ROW_ID)] = 0,
    action: Annotated[str, Form()] = "save",
) -> Response:
    """Save a new revision based on ``revision``; a newer one saved meanwhile is a conflict:
    the page comes back with the person's text kept and the other change shown as a diff."""
    form = _form(title, body, topics, questions, tags, locale, revision)
    article = editor.get(article_id)
    try:
        saved = editor.update(article_id, form.to_update(), actor=user.actor,
                              publish=action == "publish")
    except InvalidArticle as exc:
        return _editor_page(request, user=user, form=form, article=article, error=exc.message,
                            status_code=422)
    except RevisionConflict:
        mine = form.content()
        conflict = {
            "theirs": article,
            "diff": side_by_side(revision_text(article), revision_text(mine)),
            "based_on": revision,
        }
        # Re-based on the newest revision: saving again is a deliberate overwrite.
        form.revision = article.revision
        return _editor_page(request, user=user, form=form, article=article,
                            conflict=conflict, status_code=409)
    done = "published" if action == "publish" else "saved"
    return RedirectResponse(f"/kb/articles/{quote(saved.id)}?done={done}", status_code=303)


@router.post("/preview", response_class=HTMLResponse, dependencies=[CsrfProtected])
def preview(
    request: Request, user: ConsoleUser, body: FormText = ""
) -> Response:
    """The sanitised HTML of some Markdown (the editor's live preview)."""
    return HTMLResponse(render_markdown(body))


@router.post("/articles/{article_id}/publish", dependencies=[CsrfProtected])
def publish(article_id: ArticleId, user: KbLead, editor: EditorDep) -> Response:
    editor.publish(article_id, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=published", status_code=303)


@router.post("/articles/{article_id}/unpublish", dependencies=[CsrfProtected])
def unpublish(article_id: ArticleId, user: KbLead, editor: EditorDep) -> Response:
    editor.unpublish(article_id, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=unpublished",
                            status_code=303)


@router.get("/articles/{article_id}/delete", response_class=HTMLResponse)
def confirm_delete(
    request: Request, article_id: ArticleId, user: KbLead, editor: EditorDep
) -> Response:
    """Ask before deleting (works without JavaScript)."""
    return _page(request, "kb/delete.html", {"article": editor.get(article_id)}, user=user)


@router.post("/articles/{article_id}/delete", dependencies=[CsrfProtected])
def delete(article_id: ArticleId, user: KbLead, editor: EditorDep) -> Response:
    editor.delete(article_id, actor=user.actor)
    return RedirectResponse("/kb?done=deleted", status_code=303)


# --- history -------------------------------------------------------------------------------


@router.get("/articles/{article_id}/history", response_class=HTMLResponse)
def history(
    request: Request, article_id: ArticleId, user: ConsoleUser, editor: EditorDep,
    left: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    right: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> Response:
    """Every revision, and a side-by-side diff of two (default: the last two)."""
    article = editor.get(article_id)
    revisions = editor.revisions(article_id)
    by_number = {r.revision: r for r in revisions}
    right_number = right if right in by_number else revisions[-1].revision
    default_left = max(1, right_number - 1)
    left_number = left if left in by_number else default_left
    diff = side_by_side(revision_text(by_number[left_number]),
                        revision_text(by_number[right_number]))
    return _page(request, "kb/history.html", {
        "article": article, "revisions": list(reversed(revisions)), "left": left_number,
        "right": right_number, "diff": diff,
    }, user=user)


@router.post("/articles/{article_id}/rollback", dependencies=[CsrfProtected])
def rollback(
    article_id: ArticleId, user: KbLead, editor: EditorDep,
    revision: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
) -> Response:
    editor.rollback(article_id, revision, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=rolled_back",
                            status_code=303)


# --- upload --------------------------------------------------------------------------------


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, user: KbLead) -> Response:
    return _page(request, "kb/upload.html", {"error": None, "created": []}, user=user)


@router.post("/upload", response_class=HTMLResponse, max_body_size=MAX_UPLOAD_BYTES)
async def upload(request: Request, user: KbLead, services: ServicesDep) -> Response:
    """md, html, pdf, csv, docx, txt → new draft articles; one bad file → nothing stored."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_UPLOAD_BYTES:
        message = f"Upload at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB at a time."
        return _page(request, "kb/upload.html", {"error": message, "created": []},
                     user=user, status_code=413)
    await csrf_protected(request, services)
    form = await request.form(max_files=uploads.MAX_FILES + 1)
    files: list[uploads.UploadedFile] = []
    for value in form.getlist("files"):
        if isinstance(value, UploadFile) and value.filename:
            files.append(uploads.UploadedFile(value.filename, await value.read()))

    def store() -> list[Any]:
        check_archives(files)  # before any parser unpacks a zip bomb
        with transaction(services.session_factory) as session:
            created = uploads.create_draft_articles(session, uploads=files, actor=user.actor)
            return [(a.id, a.revisions[-1].title, a.source) for a in created]

    try:
        created = await run_in_threadpool(store)
    except UploadRejected as exc:
        return _page(request, "kb/upload.html", {
            "error": f"Nothing was imported — {exc.message}", "created": []
        }, user=user, status_code=exc.status)
    return _page(request, "kb/upload.html", {"error": None, "created": created}, user=user)


# --- policy consistency --------------------------------------------------------------------


@router.get("/lint", response_class=HTMLResponse)
def policy_consistency(request: Request, user: ConsoleUser, services: ServicesDep) -> Response:
    """Sentences of published articles whose figures contradict the policy file (the one
    drafts are checked against) or another article — what ``draftdesk kb lint`` prints."""
    with services.session_factory() as session:
        articles = kb_lint.published_articles(session)
    policy_file = services.settings.resolved_policy_file
    findings: list[kb_lint.LintFinding] = []
    error = None
    try:
        findings = kb_lint.lint_articles(articles, load_policy(policy_file))
    except PolicyError as exc:
        error = exc.message
    return _page(request, "kb/lint.html", {
        "findings": findings, "error": error, "policy_file": policy_file.name,
        "checked": len(articles), "titles": {a.article_id: a.title for a in articles},
    }, user=user)


# --- knowledge gaps and suggestions --------------------------------------------------------


@router.get("/gaps", response_class=HTMLResponse)
def gaps(
    request: Request, user: ConsoleUser, services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=365)] = overview.GAP_DAYS,
) -> Response:
    """Buyer questions the KB did not answer well, clustered by meaning, largest first."""
    clusters = overview.knowledge_gaps(
        session_factory=services.session_factory, embedder=services.embedder, now=utcnow(),
        days=days,
    )
    links = [
        "/kb/articles/new?" + urlencode(
            {"title": c.suggested_title(), "questions": c.examples[:MAX_QUESTIONS]},
            doseq=True,
        )
        for c in clusters
    ]
    return _page(request, "kb/gaps.html", {
        "clusters": list(zip(clusters, links, strict=True)), "days": days,
    }, user=user)


@router.get("/suggestions", response_class=HTMLResponse)
def suggestions(request: Request, user: ConsoleUser, services: ServicesDep) -> Response:
    """Proposed article changes from approved replies that agents edited substantially."""
    try:
        with transaction(services.session_factory) as session:
            review.collect_suggestions(session, now=utcnow())
    except IntegrityError:
        pass  # another request collected the same drafts at the same moment: nothing lost
    with services.session_factory() as session:
        views = []
        for suggestion in kb_repo.list_suggestions(session, status="open"):
            try:
                views.append(review.view_suggestion(session, suggestion=suggestion))
            except ArticleNotFound:
                continue  # its article was deleted; the row goes with it on cascade
    return _page(request, "kb/suggestions.html", {
        "views": views, "error": SUGGESTION_ERRORS.get(request.query_params.get("error", "")),
    }, user=user)


@router.post("/suggestions/{suggestion_id}/accept", dependencies=[CsrfProtected])
def accept_suggestion(
    suggestion_id: RowId, user: KbLead, services: ServicesDep,
    publish: Annotated[str, Form()] = "",
) -> Response:
    """Apply the proposal as a new revision (and publish it when asked)."""
    try:
        with transaction(services.session_factory) as session:
            review.accept_suggestion(session, suggestion_id=suggestion_id, actor=user.actor,
                                     publish=publish == "yes")
    except KbEditorError as exc:
        return RedirectResponse(f"/kb/suggestions?error={quote(exc.code)}", status_code=303)
    if publish == "yes":
        services.resync_index()
    done = "accepted_published" if publish == "yes" else "accepted"
    return RedirectResponse(f"/kb/suggestions?done={done}", status_code=303)


@router.post("/suggestions/{suggestion_id}/dismiss", dependencies=[CsrfProtected])
def dismiss_suggestion(suggestion_id: RowId, user: KbLead, services: ServicesDep) -> Response:
    try:
        with transaction(services.session_factory) as session:
            review.dismiss_suggestion(session, suggestion_id=suggestion_id, actor=user.actor)
    except KbEditorError as exc:
        return RedirectResponse(f"/kb/suggestions?error={quote(exc.code)}", status_code=303)
    return RedirectResponse("/kb/suggestions?done=dismissed", status_code=303)
