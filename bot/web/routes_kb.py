"""The knowledge-base editor pages (``/kb``): leads and admins edit, agents read.

Server-rendered; every form carries the session's CSRF token; the Markdown preview is
rendered and sanitised on the server (``POST /kb/preview``). Article changes go through the
same :class:`~bot.kb_editor.articles.ArticleEditor` as the API, so the same rules hold:
a stale edit is a conflict, every change is audited, publishing re-syncs the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bot.accounts.service import AuthenticatedUser, Role
from bot.kb_editor import overview, review, uploads
from bot.kb_editor import repository as kb_repo
from bot.kb_editor.articles import ArticleEditor
from bot.kb_editor.diff import side_by_side
from bot.kb_editor.errors import KbEditorError, UploadRejected
from bot.kb_editor.forms import EditorForm, revision_text
from bot.kb_editor.rendering import render_markdown
from bot.kb_editor.translations import (
    SourceView,
    TranslationContext,
    language_name,
    same_locale,
    translation_id,
)
from bot.understanding.tiers import ANSWERABLE_TOPICS
from bot.web.archive_limits import check_archives
from bot.web.deps import ConsoleUser, CsrfProtected, ServicesDep, csrf_protected
from bot.web.routes_articles import EditorDep, LeadRequired
from bot.web.templating import templates
from bot.web.validation import MAX_ROW_ID, ArticleId, RowId
from knowledge_base.clock import utcnow
from knowledge_base.db import transaction
from knowledge_base.errors import (
    ArticleNotFound,
    InvalidArticle,
    InvalidTranslation,
    RevisionConflict,
)
from knowledge_base.schemas import MAX_QUESTIONS

if TYPE_CHECKING:
    from bot.kb_editor import lint as kb_lint

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
    "translation_exists": "There already is a translation into that language: here it is.",
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
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    user: AuthenticatedUser,
    status_code: int = 200,
) -> Response:
    context = {
        "is_lead": user.has_role(Role.LEAD),
        "status_labels": STATUS_LABELS,
        "done": DONE.get(str(request.query_params.get("done", ""))),
        "language_name": language_name,
        **context,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _editor_page(
    request: Request,
    *,
    user: AuthenticatedUser,
    form: EditorForm,
    article: Any = None,
    error: str | None = None,
    conflict: Any = None,
    status_code: int = 200,
    translation: TranslationContext | None = None,
) -> Response:
    """The editor. A translation's source is shown read-only beside it (``translation``)."""
    translation = translation or TranslationContext()
    source = translation.source
    return _page(
        request,
        "kb/editor.html",
        {
            "article": article,
            "form": form,
            "questions": form.question_slots(),
            "max_questions": MAX_QUESTIONS,
            "preview": Markup(render_markdown(form.body)),
            "known_topics": sorted(ANSWERABLE_TOPICS),
            "error": error,
            "conflict": conflict,
            "translation": translation,
            "source_html": Markup(render_markdown(source.source.body)) if source else None,
            "new_translation_id": (
                translation_id(form.translation_of, form.locale)
                if form.translation_of and article is None
                else None
            ),
        },
        user=user,
        status_code=status_code,
    )


def _translation_page_context(
    editor: ArticleEditor, article_id: str, form: EditorForm
) -> TranslationContext:
    """The translation side of an existing article's editor; ``form`` is adjusted so that
    saving a translation records the source revision shown beside it (or, when its source
    was deleted, makes it an original)."""
    translation = editor.translation_context(article_id)
    if translation.source is not None:
        form.source_revision = translation.source.source.revision
    elif translation.missing_source is not None:
        form.translation_of = ""
        form.source_revision = None
    return translation


def _new_translation_context(editor: ArticleEditor, form: EditorForm) -> TranslationContext:
    """The source beside a new translation's editor (its newest revision)."""
    try:
        source = editor.get(form.translation_of)
    except ArticleNotFound:
        return TranslationContext(missing_source=form.translation_of)
    return TranslationContext(source=SourceView(source=source, translated_from=None, stale=False))


def _source_revision(editor: ArticleEditor, translation_of: str, posted: str) -> int | None:
    """The posted source revision a translation was checked against, when it is one the
    source has; otherwise None (the source's newest when saved)."""
    if not translation_of.strip() or not posted.strip().isdigit():
        return None
    try:
        newest = editor.get(translation_of.strip()).revision
    except ArticleNotFound:
        return None
    number = int(posted)
    return number if 1 <= number <= newest else None


# --- list, search --------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def kb_list(
    request: Request,
    user: ConsoleUser,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Every article with its status, last editor and how drafts used it (last 30 days).

    Translations are listed with their source (stale ones flagged); ``?locale=`` lists the
    articles in one language instead, translations included.
    """
    with services.session_factory() as session:
        locales = overview.article_locales(session)
        chosen = next((code for code in locales if same_locale(code, locale)), None)
        rows = overview.article_rows(
            session,
            now=utcnow(),
            query=q,
            status=status if status in STATUS_LABELS else None,
            locale=chosen,
        )
        open_suggestions = sum(kb_repo.count_open_suggestions(session).values())
    return _page(
        request,
        "kb/list.html",
        {
            "rows": rows,
            "q": q,
            "status": status,
            "open_suggestions": open_suggestions,
            "locales": locales,
            "locale": chosen or "",
        },
        user=user,
    )


# --- the editor ----------------------------------------------------------------------------


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(
    request: Request,
    user: KbLead,
    editor: EditorDep,
    title: Annotated[str, Query(max_length=300)] = "",
    questions: Annotated[list[str] | None, Query()] = None,
    translation_of: Annotated[str, Query(max_length=120)] = "",
    locale: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """An empty editor, one prefilled from a knowledge gap, or a new translation of
    ``translation_of`` into ``locale`` started from the source's text (an existing
    translation into that locale opens instead)."""
    if not translation_of:
        form = EditorForm.prefilled(title=title, questions=questions or [])
        return _editor_page(request, user=user, form=form)
    start = editor.start_translation(translation_of, locale)
    if start.existing is not None:
        return RedirectResponse(
            f"/kb/articles/{quote(start.existing.article_id)}?done=translation_exists",
            status_code=303,
        )
    form = EditorForm.for_translation(start.source, locale)
    translation = TranslationContext(
        source=SourceView(source=start.source, translated_from=None, stale=False)
    )
    error = None
    if not locale.strip():
        error = "Choose the language of the translation."
    elif same_locale(locale, start.source.locale):
        error = f"{start.source.title!r} is already in {language_name(locale)}."
    return _editor_page(
        request,
        user=user,
        form=form,
        translation=translation,
        error=error,
        status_code=422 if error else 200,
    )


def _form(
    title: str,
    body: str,
    topics: str,
    questions: list[str] | None,
    tags: str,
    locale: str,
    revision: int,
    translation_of: str = "",
    source_revision: int | None = None,
) -> EditorForm:
    return EditorForm(
        title=title,
        body=body,
        topics=topics,
        questions=questions or [],
        tags=tags,
        locale=locale,
        revision=revision,
        translation_of=translation_of.strip(),
        source_revision=source_revision,
    )


FormText = Annotated[str, Form(max_length=300_000)]
FormLine = Annotated[str, Form(max_length=2_000)]


@router.post("/articles", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_article(
    request: Request,
    user: KbLead,
    editor: EditorDep,
    title: FormLine = "",
    body: FormText = "",
    topics: FormLine = "",
    tags: FormLine = "",
    locale: Annotated[str, Form(max_length=20)] = "en",
    questions: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form()] = "save",
    translation_of: Annotated[str, Form(max_length=120)] = "",
    source_revision: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save a new article as a draft (or save and publish); with ``translation_of``, a
    translation of that article (id ``<source>-<locale>``)."""
    form = _form(
        title,
        body,
        topics,
        questions,
        tags,
        locale,
        0,
        translation_of,
        _source_revision(editor, translation_of, source_revision),
    )
    translation = _new_translation_context(editor, form) if form.translation_of else None
    if translation is not None and translation.source is not None:
        existing = editor.translation_context(translation.source.source.id).translations
        taken = next((t for t in existing if same_locale(t.locale, form.locale)), None)
        if taken is not None:
            message = (
                f"There already is a {language_name(taken.locale)} translation of this "
                f"article ({taken.article_id}); edit that one."
            )
            return _editor_page(
                request,
                user=user,
                form=form,
                error=message,
                translation=translation,
                status_code=409,
            )
    try:
        article = editor.create(form.to_create(), actor=user.actor, publish=action == "publish")
    except InvalidArticle as exc:
        return _editor_page(
            request,
            user=user,
            form=form,
            error=exc.message,
            status_code=422,
            translation=translation,
        )
    except InvalidTranslation as exc:
        return _editor_page(
            request,
            user=user,
            form=form,
            error=exc.message,
            status_code=exc.status,
            translation=translation,
        )
    done = "published" if action == "publish" else "created"
    return RedirectResponse(f"/kb/articles/{quote(article.id)}?done={done}", status_code=303)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, article_id: ArticleId, user: ConsoleUser, editor: EditorDep
) -> Response:
    """The editor for leads; a read-only view for agents."""
    article = editor.get(article_id)
    if not user.has_role(Role.LEAD):
        return _page(
            request,
            "kb/article.html",
            {
                "article": article,
                "html": Markup(render_markdown(article.body)),
                "translation": editor.translation_context(article_id),
            },
            user=user,
        )
    form = EditorForm.from_article(article)
    translation = _translation_page_context(editor, article_id, form)
    return _editor_page(request, user=user, form=form, article=article, translation=translation)


@router.post("/articles/{article_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def save_article(
    request: Request,
    article_id: ArticleId,
    user: KbLead,
    editor: EditorDep,
    title: FormLine = "",
    body: FormText = "",
    topics: FormLine = "",
    tags: FormLine = "",
    locale: Annotated[str, Form(max_length=20)] = "en",
    questions: Annotated[list[str] | None, Form()] = None,
    revision: Annotated[int, Form(ge=0, le=MAX_ROW_ID)] = 0,
    action: Annotated[str, Form()] = "save",
    translation_of: Annotated[str, Form(max_length=120)] = "",
    source_revision: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save a new revision based on ``revision``; a newer one saved meanwhile is a conflict:
    the page comes back with the person's text kept and the other change shown as a diff.

    A translation records the source revision shown beside it (``source_revision``):
    saving it after checking the source's changes makes it up to date."""
    form = _form(
        title,
        body,
        topics,
        questions,
        tags,
        locale,
        revision,
        translation_of,
        _source_revision(editor, translation_of, source_revision),
    )
    article = editor.get(article_id)
    try:
        saved = editor.update(
            article_id, form.to_update(), actor=user.actor, publish=action == "publish"
        )
    except (InvalidArticle, InvalidTranslation) as exc:
        # The page comes back as it would open now, with the person's text kept.
        translation = _translation_page_context(editor, article_id, form)
        return _editor_page(
            request,
            user=user,
            form=form,
            article=article,
            error=exc.message,
            status_code=exc.status,
            translation=translation,
        )
    except RevisionConflict:
        mine = form.content()
        translation = _translation_page_context(editor, article_id, form)
        conflict = {
            "theirs": article,
            "diff": side_by_side(revision_text(article), revision_text(mine)),
            "based_on": revision,
        }
        # Re-based on the newest revision: saving again is a deliberate overwrite.
        form.revision = article.revision
        return _editor_page(
            request,
            user=user,
            form=form,
            article=article,
            conflict=conflict,
            status_code=409,
            translation=translation,
        )
    done = "published" if action == "publish" else "saved"
    return RedirectResponse(f"/kb/articles/{quote(saved.id)}?done={done}", status_code=303)


@router.post("/preview", response_class=HTMLResponse, dependencies=[CsrfProtected])
def preview(request: Request, user: ConsoleUser, body: FormText = "") -> Response:
    """The sanitised HTML of some Markdown (the editor's live preview)."""
    return HTMLResponse(render_markdown(body))


@router.post("/articles/{article_id}/publish", dependencies=[CsrfProtected])
def publish(article_id: ArticleId, user: KbLead, editor: EditorDep) -> Response:
    editor.publish(article_id, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=published", status_code=303)


@router.post("/articles/{article_id}/unpublish", dependencies=[CsrfProtected])
def unpublish(article_id: ArticleId, user: KbLead, editor: EditorDep) -> Response:
    editor.unpublish(article_id, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=unpublished", status_code=303)


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
    request: Request,
    article_id: ArticleId,
    user: ConsoleUser,
    editor: EditorDep,
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
    diff = side_by_side(
        revision_text(by_number[left_number]), revision_text(by_number[right_number])
    )
    return _page(
        request,
        "kb/history.html",
        {
            "article": article,
            "revisions": list(reversed(revisions)),
            "left": left_number,
            "right": right_number,
            "diff": diff,
        },
        user=user,
    )


@router.post("/articles/{article_id}/rollback", dependencies=[CsrfProtected])
def rollback(
    article_id: ArticleId,
    user: KbLead,
    editor: EditorDep,
    revision: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
) -> Response:
    editor.rollback(article_id, revision, actor=user.actor)
    return RedirectResponse(f"/kb/articles/{quote(article_id)}?done=rolled_back", status_code=303)


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
        return _page(
            request, "kb/upload.html", {"error": message, "created": []}, user=user, status_code=413
        )
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
        return _page(
            request,
            "kb/upload.html",
            {"error": f"Nothing was imported — {exc.message}", "created": []},
            user=user,
            status_code=exc.status,
        )
    return _page(request, "kb/upload.html", {"error": None, "created": created}, user=user)


# --- policy consistency --------------------------------------------------------------------


@router.get("/lint", response_class=HTMLResponse)
def policy_consistency(request: Request, user: ConsoleUser, services: ServicesDep) -> Response:
    """Sentences of published articles whose figures contradict the policy file (the one
    drafts are checked against) or another article — what ``draftdesk kb lint`` prints."""
    # The linter and the policy engine compile their patterns on import (~200 ms together):
    # only this page needs them, so the app starts without them.
    from bot.kb_editor import lint as kb_lint
    from bot.policy import PolicyError, load_policy

    with services.session_factory() as session:
        articles = kb_lint.published_articles(session)
    policy_file = services.settings.resolved_policy_file
    findings: list[kb_lint.LintFinding] = []
    error = None
    try:
        findings = kb_lint.lint_articles(articles, load_policy(policy_file))
    except PolicyError as exc:
        error = exc.message
    return _page(
        request,
        "kb/lint.html",
        {
            "findings": findings,
            "error": error,
            "policy_file": policy_file.name,
            "checked": len(articles),
            "titles": {a.article_id: a.title for a in articles},
        },
        user=user,
    )


# --- knowledge gaps and suggestions --------------------------------------------------------


@router.get("/gaps", response_class=HTMLResponse)
def gaps(
    request: Request,
    user: ConsoleUser,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=365)] = overview.GAP_DAYS,
) -> Response:
    """Buyer questions the KB did not answer well, clustered by meaning, largest first."""
    clusters = overview.knowledge_gaps(
        session_factory=services.session_factory,
        embedder=services.embedder,
        now=utcnow(),
        days=days,
    )
    links = [
        "/kb/articles/new?"
        + urlencode(
            {"title": c.suggested_title(), "questions": c.examples[:MAX_QUESTIONS]},
            doseq=True,
        )
        for c in clusters
    ]
    return _page(
        request,
        "kb/gaps.html",
        {
            "clusters": list(zip(clusters, links, strict=True)),
            "days": days,
        },
        user=user,
    )


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
    return _page(
        request,
        "kb/suggestions.html",
        {
            "views": views,
            "error": SUGGESTION_ERRORS.get(request.query_params.get("error", "")),
        },
        user=user,
    )


@router.post("/suggestions/{suggestion_id}/accept", dependencies=[CsrfProtected])
def accept_suggestion(
    suggestion_id: RowId,
    user: KbLead,
    services: ServicesDep,
    publish: Annotated[str, Form()] = "",
) -> Response:
    """Apply the proposal as a new revision (and publish it when asked)."""
    try:
        with transaction(services.session_factory) as session:
            review.accept_suggestion(
                session, suggestion_id=suggestion_id, actor=user.actor, publish=publish == "yes"
            )
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
