"""The web review console (``/console``) and sign-in (``/login``, ``/logout``).

Server-rendered; every form carries the session's CSRF token; decisions go through the same
workflow functions as the API and Slack, so the same rules hold (409 when already decided).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
)
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.accounts.credentials import tokens_match
from bot.accounts.errors import InvalidCredentials
from bot.accounts.record_views import note_record_view
from bot.accounts.service import (
    AuthenticatedUser,
    Role,
    authenticate_password,
    end_web_session,
    list_users,
    start_web_session,
)
from bot.conversations import canned, desk, labels
from bot.conversations.errors import BlockedByChecks, InvalidMessage, WorkflowError
from bot.conversations.service import Workflow
from bot.conversations.states import DraftStatus
from bot.conversations.views import (
    SORTS,
    QueueQuery,
    QueueRow,
    conversations_sharing_orders,
    decision_notes,
    filter_queue,
    open_draft_of,
    past_conversations,
    queue_rows,
)
from bot.mail.channel import MailChannel
from bot.mail.errors import MailNotFound, NothingToRetry
from bot.mail.files import DocumentRefused, OutboundDocument, OutboundDocuments
from bot.mail.imap import MailboxStatus
from bot.mail.models import MailThread
from bot.mail.outbox import attaching, is_mail_conversation
from bot.mail.views import KEPT_ASIDE, Download
from bot.web.auth import (
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    new_login_csrf,
    session_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from bot.web.deps import (
    ConsoleUser,
    CsrfProtected,
    ServicesDep,
    WorkflowDep,
    client_ip,
    session_user,
)
from bot.web.downloads import file_response
from bot.web.errors import ApiError
from bot.web.templating import templates
from bot.web.validation import ConversationId, RowId

router = APIRouter(include_in_schema=False)

VIEWS = {
    "pending": ("Waiting for review", [DraftStatus.PENDING_REVIEW]),
    "escalated": ("Escalated", [DraftStatus.ESCALATED]),
}
MESSAGES = {
    "sent": "Sent to the buyer.",
    "rejected": "Rejected. The buyer's messages now wait for a reply written by a person.",
    "escalated": "Escalated to a lead.",
    "no_response_needed": "Marked as needing no response.",
    "replied": "Your reply was sent.",
    "redraft": "Queued for a new draft.",
    "order_bound": "Order bound to the conversation; the reply is drafted again with it.",
    "closed": "Closed without a reply.",
    "retry_queued": "Queued to send again: the reply goes out with its original Message-ID.",
    "retry_waiting": "This reply is already waiting to be sent.",
}
# The kept-aside mail page's filters (``draftdesk mail list --kind``).
KEPT_ASIDE_KINDS = {
    "all": ("Not from Amazon or unreadable", KEPT_ASIDE),
    "not_from_amazon": ("Not from Amazon", ("not_from_amazon",)),
    "unparseable": ("Unreadable", ("unparseable",)),
}
# Downloads are files from strangers: never rendered, sniffed or cached by the browser.
_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "same-origin",
}


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console"


# --- sign-in ------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    token = session_token(request, services.settings)
    if token and _signed_in(services, token):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, services, next_url=_safe_next(next))


def _signed_in(services: Any, token: str) -> bool:
    return session_user(services, token) is not None


def _login_form(
    request: Request,
    services: Any,
    *,
    next_url: str,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    value = new_login_csrf()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"login_csrf": value, "next_url": next_url, "error": error, "email": email},
        status_code=status_code,
    )
    set_login_csrf_cookie(response, value=value, settings=services.settings)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console",
) -> Response:
    """Check the password and start a session (HttpOnly, SameSite=Lax cookie)."""
    next_url = _safe_next(next)
    if not tokens_match(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_form(
            request,
            services,
            next_url=next_url,
            email=email,
            status_code=403,
            error="The sign-in form expired. Please try again.",
        )
    # Only failed sign-ins count, per address and per account: people who type their
    # password right are never locked out by colleagues behind the same office IP.
    counters = (
        (request.app.state.login_ip_limiter, client_ip(request)),
        (request.app.state.login_email_limiter, email.strip().lower()),
    )
    waits = [wait for limiter, key in counters if (wait := limiter.blocked(key)) is not None]
    if waits:
        raise ApiError(
            429,
            "rate_limited",
            "too many failed sign-ins; try again shortly",
            headers={"Retry-After": str(max(waits))},
        )
    try:
        user = authenticate_password(services.session_factory, email=email, password=password)
    except InvalidCredentials:
        for limiter, key in counters:
            limiter.hit(key)
        return _login_form(
            request,
            services,
            next_url=next_url,
            email=email,
            status_code=401,
            error="That e-mail and password do not match.",
        )
    hours = services.settings.console_session_hours
    token = start_web_session(services.session_factory, user_id=user.id, hours=hours)
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(
        response, token=token, settings=services.settings, max_age_seconds=int(hours * 3600)
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, services: ServicesDep) -> Response:
    token = session_token(request, services.settings)
    if token:
        end_web_session(services.session_factory, token=token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, settings=services.settings)
    return response


# --- the console ---------------------------------------------------------------------------


def _mail_channel(request: Request) -> MailChannel | None:
    """The process's mail channel (built with the workflow; None only without one)."""
    services = request.app.state.services
    services.workflow  # noqa: B018 - building the workflow builds the channel
    channel: MailChannel | None = services.mail_channel
    return channel


def _mail_required(request: Request) -> MailChannel:
    channel = _mail_channel(request)
    if channel is None:
        raise ApiError(404, "mail_not_configured", "the mail channel is not set up")
    return channel


def _mailbox_down(channel: MailChannel | None) -> MailboxStatus | None:
    """The mailbox's status while the poller cannot read it (what /healthz says)."""
    status = channel.mailbox_status() if channel is not None else None
    return status if status is not None and status.state == "down" else None


def _queue_query(request: Request) -> QueueQuery:
    """The queue's search, filters and sort from the URL (so a filtered view is a link).
    Values the console never offers are ignored, like an unknown ``view``."""
    params = request.query_params

    def one_of(name: str, allowed: Any) -> str:
        value = params.get(name, "")[:40]
        return value if value in allowed else ""

    return QueueQuery(
        search=params.get("q", "")[:200].strip(),
        channel=one_of("channel", labels.CHANNELS),
        language=one_of("lang", labels.LANGUAGES),
        reason=one_of("reason", labels.REASON_FILTERS),
        due_soon=params.get("due") == "soon",
        mine=params.get("mine") == "1",
        sort=one_of("sort", SORTS) or "due",
    )


def _query_string(query: QueueQuery) -> str:
    """The filters as they go back into links (empty values left out)."""
    pairs = {
        "q": query.search, "channel": query.channel, "lang": query.language,
        "reason": query.reason, "due": "soon" if query.due_soon else "",
        "mine": "1" if query.mine else "", "sort": "" if query.sort == "due" else query.sort,
    }
    return urlencode({name: value for name, value in pairs.items() if value})


def _relay_aliases(request: Request, conversation_ids: list[str]) -> dict[str, str]:
    """The relay address each mail conversation's buyer writes from (the name Amazon gives
    an anonymous buyer), by conversation. Read here: the conversations package may not
    import the mail channel's tables."""
    if not conversation_ids or _mail_channel(request) is None:
        return {}
    with request.app.state.services.session_factory() as session:
        rows = session.execute(
            select(MailThread.conversation_id, MailThread.relay_address)
            .where(MailThread.conversation_id.in_(conversation_ids))
        ).all()
    return {conversation_id: address for conversation_id, address in rows}


def _same_relay(request: Request, conversation_id: str) -> set[str]:
    """Mail conversations from the same relay address: the same Amazon buyer."""
    if _mail_channel(request) is None:
        return set()
    with request.app.state.services.session_factory() as session:
        relay = select(MailThread.relay_address).where(
            MailThread.conversation_id == conversation_id
        )
        return set(session.execute(
            select(MailThread.conversation_id).where(MailThread.relay_address.in_(relay))
        ).scalars())


def _desk_rows(
    request: Request, workflow: Workflow, statuses: list[DraftStatus]
) -> list[QueueRow]:
    """Queue rows with the relay alias of mail buyers, who claimed each conversation and
    who has each draft open."""
    rows = queue_rows(workflow.ctx, statuses=statuses)
    mail_rows = [row.conversation_id for row in rows if row.channel == "mail"]
    aliases = _relay_aliases(request, mail_rows)
    claimed = desk.assignments(workflow.ctx, conversation_ids={r.conversation_id for r in rows})
    viewing = desk.viewers_by_draft(workflow.ctx, draft_ids=[row.draft_id for row in rows])
    return [
        row.with_desk(
            relay_alias=aliases.get(row.conversation_id),
            assignee=claimed[row.conversation_id].assignee
            if row.conversation_id in claimed else None,
            viewers=viewing.get(row.draft_id, []),
        )
        for row in rows
    ]


def _queue_context(
    workflow: Workflow, view: str, request: Request, user: AuthenticatedUser
) -> dict[str, Any]:
    view = view if view in VIEWS or view == "attention" else "pending"
    query = _queue_query(request)
    pending = _desk_rows(request, workflow, VIEWS["pending"][1])
    escalated = _desk_rows(request, workflow, VIEWS["escalated"][1])
    attention = workflow.needs_attention()
    channel = _mail_channel(request)
    # Replies the mail server refused wait for a person too: they are listed with the
    # conversations that need a reply.
    undelivered = channel.failed_deliveries(limit=50) if channel is not None else []
    shown = {"pending": pending, "escalated": escalated}.get(view, [])
    return {
        "view": view,
        "pending": pending,
        "escalated": escalated,
        "attention": attention,
        "undelivered": undelivered,
        "mailbox_down": _mailbox_down(channel),
        "queue": filter_queue(shown, query, agent=user.actor, now=workflow.ctx.clock()),
        "query": query,
        "query_string": _query_string(query),
        "sorts": SORTS,
        "reason_filters": labels.REASON_FILTERS,
        "languages": labels.LANGUAGES,
        "channels": labels.CHANNELS,
        "me": user.actor,
        "labels": labels,
        "display_name": desk.display_name,
        "counts": {
            "pending": len(pending),
            "escalated": len(escalated),
            "attention": len(attention) + len(undelivered),
        },
    }


def _page(
    request: Request,
    workflow: Workflow,
    user: AuthenticatedUser,
    *,
    view: str,
    draft_id: int | None = None,
    conversation_id: str | None = None,
    flash: str | None = None,
    error: str | None = None,
    edited_text: str | None = None,
    blocked_checks: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    context = _queue_context(workflow, view, request, user)
    draft = None
    thread = None
    if draft_id is not None:
        draft = workflow.get_draft(draft_id=draft_id)
    elif conversation_id is not None:
        thread = workflow.conversation_thread(conversation_id=conversation_id)
    elif context["queue"]:
        draft = workflow.get_draft(draft_id=context["queue"][0].draft_id)
    elif context["view"] == "attention" and context["attention"]:
        conversation_id = context["attention"][0].conversation_id
        thread = workflow.conversation_thread(conversation_id=conversation_id)
    elif context["view"] == "attention" and context["undelivered"]:
        first = context["undelivered"][0]
        if first.draft_id is not None:
            draft = workflow.get_draft(draft_id=first.draft_id)
        else:
            conversation_id = first.conversation_id
            thread = workflow.conversation_thread(conversation_id=conversation_id)
    channel = _mail_channel(request)
    shown_conversation = draft.conversation_id if draft is not None else conversation_id
    mail = (
        channel.conversation_mail(conversation_id=shown_conversation)
        if channel is not None and shown_conversation
        else None
    )
    can_decide = draft is not None and (
        draft.status == DraftStatus.PENDING_REVIEW.value
        or (draft.status == DraftStatus.ESCALATED.value and user.has_role(Role.LEAD))
    )
    context.update(
        draft=draft,
        thread=thread,
        conversation_id=conversation_id,
        can_decide=can_decide,
        flash=MESSAGES.get(flash or ""),
        error=error,
        edited_text=edited_text,
        blocked_checks=blocked_checks or [],
        is_lead=user.has_role(Role.LEAD),
        deliveries=mail.shown_for(draft.id if draft is not None else None) if mail else [],
        outbound_documents=_documents_to_offer(request, draft) if can_decide else [],
        mail_attachments=mail.attachments if mail else {},
    )
    if shown_conversation:
        # The buyer's full record (thread, orders, past conversations): a lead's or admin's
        # view is audited (issue 16, item 7).
        note_record_view(workflow.ctx.session_factory, user=user,
                         conversation_id=shown_conversation, where="console")
        context.update(_desk_panel(request, workflow, user, draft, shown_conversation))
    return templates.TemplateResponse(
        request, "console/page.html", context, status_code=status_code
    )


def _desk_panel(
    request: Request, workflow: Workflow, user: AuthenticatedUser, draft: Any,
    conversation_id: str,
) -> dict[str, Any]:
    """Who else is on the draft, who claimed it, notes left by earlier decisions, the
    buyer's other conversations and orders, and where a superseded draft went."""
    ctx = workflow.ctx
    open_draft = draft is not None and draft.status in (
        DraftStatus.PENDING_REVIEW.value, DraftStatus.ESCALATED.value
    )
    if open_draft:
        desk.note_viewing(ctx, draft_id=draft.id, agent=user.actor)
    others = desk.viewers(ctx, draft_id=draft.id, besides=user.actor) if open_draft else []
    claimed = desk.assignments(ctx, conversation_ids=[conversation_id]).get(conversation_id)
    related = _same_relay(request, conversation_id) | conversations_sharing_orders(
        ctx, conversation_id=conversation_id
    )
    newer = (
        open_draft_of(ctx, conversation_id=conversation_id)
        if draft is not None and draft.status == DraftStatus.SUPERSEDED.value else None
    )
    return {
        "viewers": [desk.display_name(agent) for agent in others],
        "assignment": claimed,
        "assignee_name": desk.display_name(claimed.assignee) if claimed else None,
        "notes": decision_notes(ctx, conversation_id=conversation_id),
        "past": past_conversations(ctx, conversation_ids=related, besides=conversation_id),
        "bound_orders": workflow.bound_orders(conversation_id=conversation_id),
        "newer_draft_id": newer,
        "canned": canned.canned_replies(ctx) if draft is not None else [],
        "channel_of_draft": "mail" if _is_mail_conversation(request, conversation_id) else "widget",
        "agents": sorted(email for email, _, active in list_users(ctx.session_factory) if active),
    }


def _documents_to_offer(request: Request, draft: Any) -> list[OutboundDocument]:
    """The seller's documents the agent may tick when approving a reply by e-mail."""
    if draft is None or not _is_mail_conversation(request, draft.conversation_id):
        return []
    return _outbound_documents(request).available()


@router.get("/console", response_class=HTMLResponse)
def console(
    request: Request,
    user: ConsoleUser,
    workflow: WorkflowDep,
    view: str = "pending",
    done: str | None = None,
) -> Response:
    """The review queue, soonest deadline first, with the first draft open."""
    return _page(request, workflow, user, view=view, flash=done)


@router.get("/console/queue", response_class=HTMLResponse)
def queue_fragment(
    request: Request,
    user: ConsoleUser,
    workflow: WorkflowDep,
    view: str = "pending",
    selected: str = "",
) -> Response:
    """Just the queue list (the page's script swaps it in on live events)."""
    context = _queue_context(workflow, view, request, user)
    context["selected"] = selected
    return templates.TemplateResponse(request, "console/_queue.html", context)


@router.get("/console/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request,
    draft_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    view: str = "pending",
    done: str | None = None,
) -> Response:
    return _page(request, workflow, user, view=view, draft_id=draft_id, flash=done)


@router.get("/console/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: ConversationId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    done: str | None = None,
) -> Response:
    return _page(
        request, workflow, user, view="attention", conversation_id=conversation_id, flash=done
    )


async def _act(
    request: Request,
    workflow: Workflow,
    user: AuthenticatedUser,
    *,
    draft_id: int,
    view: str,
    action: Any,
    edited_text: str | None = None,
) -> Response:
    """Run a decision; on a workflow error show the draft again with the reason."""
    try:
        outcome = await run_in_threadpool(action)
    except WorkflowError as exc:
        message = exc.message[:1].upper() + exc.message[1:]
        blocked: list[dict[str, str]] = []
        if isinstance(exc, BlockedByChecks):
            blocked = [
                {"id": check_id, "problem": problem}
                for check_id, problem in zip(
                    exc.check_ids, exc.problems or [""] * len(exc.check_ids), strict=False
                )
            ]
        status = exc.status

        def again() -> Response:
            return _page(
                request,
                workflow,
                user,
                view=view,
                draft_id=draft_id,
                error=message + ".",
                edited_text=edited_text,
                blocked_checks=blocked,
                status_code=status,
            )

        return await run_in_threadpool(again)
    return RedirectResponse(
        f"/console?view={quote(view)}&done={quote(outcome.status)}", status_code=303
    )


@router.post("/console/drafts/{draft_id}/approve", dependencies=[CsrfProtected])
async def approve(
    request: Request,
    draft_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    text: Annotated[str | None, Form()] = None,
    override_reason: Annotated[str | None, Form()] = None,
    view: Annotated[str, Form()] = "pending",
    documents: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def approve_with_documents() -> Any:
        # Checked before the approval: a refused document approves and queues nothing.
        chosen = _chosen_documents(request, workflow, draft_id=draft_id, names=documents or [])
        with attaching(chosen):
            return workflow.approve(
                draft_id=draft_id,
                actor=user.actor,
                text=text,
                override_reason=override_reason,
                may_decide_escalated=user.has_role(Role.LEAD),
                may_override=user.has_role(Role.LEAD),
            )

    return await _act(
        request,
        workflow,
        user,
        draft_id=draft_id,
        view=view,
        edited_text=text,
        action=approve_with_documents,
    )


def _outbound_documents(request: Request) -> OutboundDocuments:
    settings = request.app.state.services.settings
    folder = settings.mail_documents_dir or settings.data_dir / "mail" / "outbound_documents"
    return OutboundDocuments(folder)


def _is_mail_conversation(request: Request, conversation_id: str) -> bool:
    channel = _mail_channel(request)
    if channel is None:
        return False
    with channel.session_factory() as session:
        return is_mail_conversation(session, conversation_id=conversation_id)


def _chosen_documents(
    request: Request, workflow: Workflow, *, draft_id: int, names: list[str]
) -> list[dict[str, Any]]:
    """The documents ticked for a reply by e-mail, checked (422 when one may not go)."""
    if not [name for name in names if name.strip()]:
        return []
    draft = workflow.get_draft(draft_id=draft_id)
    if not _is_mail_conversation(request, draft.conversation_id):
        raise InvalidMessage(
            "documents can only be attached to a reply by e-mail (an Amazon conversation)",
            code="attachments_not_mail",
        )
    try:
        return _outbound_documents(request).choose(names)
    except DocumentRefused as exc:
        raise InvalidMessage(str(exc), code="attachment_refused") from exc


@router.post("/console/drafts/{draft_id}/reject", dependencies=[CsrfProtected])
async def reject(
    request: Request,
    draft_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    reason: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "pending",
) -> Response:
    return await _act(
        request,
        workflow,
        user,
        draft_id=draft_id,
        view=view,
        action=lambda: workflow.reject(
            draft_id=draft_id,
            actor=user.actor,
            reason=reason,
            may_decide_escalated=user.has_role(Role.LEAD),
        ),
    )


@router.post("/console/drafts/{draft_id}/escalate", dependencies=[CsrfProtected])
async def escalate(
    request: Request,
    draft_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    note: Annotated[str | None, Form()] = None,
    view: Annotated[str, Form()] = "pending",
) -> Response:
    return await _act(
        request,
        workflow,
        user,
        draft_id=draft_id,
        view=view,
        action=lambda: workflow.escalate(draft_id=draft_id, actor=user.actor, note=note),
    )


@router.post("/console/drafts/{draft_id}/no-response-needed", dependencies=[CsrfProtected])
async def no_response_needed(
    request: Request,
    draft_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    view: Annotated[str, Form()] = "pending",
) -> Response:
    return await _act(
        request,
        workflow,
        user,
        draft_id=draft_id,
        view=view,
        action=lambda: workflow.no_response_needed(
            draft_id=draft_id, actor=user.actor, may_decide_escalated=user.has_role(Role.LEAD)
        ),
    )


def _conversation_redirect(conversation_id: str, done: str) -> Response:
    return RedirectResponse(f"/console?view=attention&done={quote(done)}", status_code=303)


def _conversation_error(
    request: Request,
    workflow: Workflow,
    user: AuthenticatedUser,
    conversation_id: str,
    exc: WorkflowError,
) -> Response:
    """A conversation action the workflow refused: the conversation again, with why."""
    return _page(request, workflow, user, view="attention", conversation_id=conversation_id,
                 error=exc.message, status_code=exc.status)


@router.post("/console/conversations/{conversation_id}/reply", dependencies=[CsrfProtected])
def reply(
    request: Request,
    conversation_id: ConversationId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        workflow.reply_manually(conversation_id=conversation_id, actor=user.actor, text=text)
    except WorkflowError as exc:
        return _conversation_error(request, workflow, user, conversation_id, exc)
    return _conversation_redirect(conversation_id, "replied")


@router.post("/console/conversations/{conversation_id}/redraft", dependencies=[CsrfProtected])
def redraft(
    request: Request, conversation_id: ConversationId, user: ConsoleUser, workflow: WorkflowDep
) -> Response:
    try:
        workflow.request_redraft(conversation_id=conversation_id, actor=user.actor)
    except WorkflowError as exc:
        return _conversation_error(request, workflow, user, conversation_id, exc)
    return _conversation_redirect(conversation_id, "redraft")


@router.post("/console/conversations/{conversation_id}/bind-order", dependencies=[CsrfProtected])
def bind_order(
    request: Request,
    conversation_id: ConversationId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    order_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Bind an order to the conversation: drafts may then state its facts (issue 15)."""
    try:
        workflow.bind_order(conversation_id=conversation_id, order_id=order_id, actor=user.actor)
    except WorkflowError as exc:
        return _conversation_error(request, workflow, user, conversation_id, exc)
    return _conversation_redirect(conversation_id, "order_bound")


@router.post("/console/conversations/{conversation_id}/close", dependencies=[CsrfProtected])
def close(
    request: Request,
    conversation_id: ConversationId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    note: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        workflow.close_without_reply(conversation_id=conversation_id, actor=user.actor, note=note)
    except WorkflowError as exc:
        return _conversation_error(request, workflow, user, conversation_id, exc)
    return _conversation_redirect(conversation_id, "closed")


# --- the Amazon inbox: replies the server refused, buyers' files, mails kept aside ----------


@router.post("/console/mail/outbox/{outbound_id}/retry", dependencies=[CsrfProtected])
def retry_sending(
    request: Request,
    outbound_id: RowId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    view: Annotated[str, Form(max_length=20)] = "attention",
) -> Response:
    """Send again a reply the mail server refused ("Retry sending"): queued with its
    Message-ID by ``draftdesk mail retry``'s function. A reply already waiting is left alone
    (the same answer again); one that was delivered is a 409."""
    channel = _mail_required(request)
    delivery = channel.delivery(outbound_id=outbound_id)  # MailNotFound: 404
    try:
        outcome = channel.retry_sending(actor=user.actor, outbound_id=outbound_id)
    except NothingToRetry as exc:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        if delivery.draft_id is not None:
            return _page(
                request,
                workflow,
                user,
                view=view,
                draft_id=delivery.draft_id,
                error=message,
                status_code=exc.status,
            )
        return _page(
            request,
            workflow,
            user,
            view="attention",
            conversation_id=delivery.conversation_id,
            error=message,
            status_code=exc.status,
        )
    done = "retry_queued" if outcome.queued else "retry_waiting"
    if outcome.draft_id is not None:
        view = view if view in VIEWS or view == "attention" else "attention"
        return RedirectResponse(
            f"/console/drafts/{outcome.draft_id}?view={quote(view)}&done={done}", status_code=303
        )
    return RedirectResponse(
        f"/console/conversations/{outcome.conversation_id}?done={done}", status_code=303
    )


@router.get("/console/mail", response_class=HTMLResponse)
def kept_aside_page(
    request: Request,
    user: ConsoleUser,
    kind: Annotated[str, Query(max_length=40)] = "all",
) -> Response:
    """Mails that became no buyer message — not from Amazon, or unreadable — for a person
    (what ``draftdesk mail list`` prints), each with its raw .eml."""
    channel = _mail_required(request)
    kind = kind if kind in KEPT_ASIDE_KINDS else "all"
    mails = channel.kept_aside(kinds=KEPT_ASIDE_KINDS[kind][1], limit=200)
    return templates.TemplateResponse(
        request,
        "console/mail.html",
        {
            "mails": mails,
            "kind": kind,
            "kinds": KEPT_ASIDE_KINDS,
            "mailbox_down": _mailbox_down(channel),
            "mailbox_configured": channel.config.imap is not None,
        },
    )


def _download(download: Download) -> Response:
    return file_response(
        download.data,
        media_type=download.content_type,
        filename=download.filename,
        disposition="attachment",
        headers=_DOWNLOAD_HEADERS,
    )


@router.get("/console/mail/{inbound_id}/raw")
def raw_mail(request: Request, inbound_id: RowId, user: ConsoleUser) -> Response:
    """A stored mail exactly as it arrived, as a .eml download (never shown inline)."""
    return _download(_mail_required(request).raw_mail(inbound_id=inbound_id))


@router.get("/console/mail/{inbound_id}/attachments/{index}")
def mail_attachment(
    request: Request,
    inbound_id: RowId,
    index: Annotated[str, Path(max_length=40)],
    user: ConsoleUser,
) -> Response:
    """A file a buyer attached (by its place in the mail), as a download: its type only
    when it is an image or a PDF whose bytes agree, else opaque bytes. Anything but a
    place in the mail's list — a name, a path — is a 404."""
    if not (index.isascii() and index.isdigit() and len(index) <= 3):
        raise MailNotFound("no such attachment")
    return _download(_mail_required(request).attachment(inbound_id=inbound_id, index=int(index)))
