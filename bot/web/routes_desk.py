"""The agent's desk in the console (issue 18): the open draft's "who is viewing" heartbeat,
claiming and assigning conversations, and the canned replies a lead maintains."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.accounts.service import list_users
from bot.conversations import canned, desk
from bot.conversations.errors import WorkflowError
from bot.conversations.service import Workflow
from bot.web.deps import ConsoleLead, ConsoleUser, CsrfProtected, WorkflowDep
from bot.web.errors import ApiError
from bot.web.templating import templates
from bot.web.validation import ConversationId, RowId

router = APIRouter(include_in_schema=False)


# --- the desk: who is viewing, who claimed what ---------------------------------------------


@router.post("/console/drafts/{draft_id}/presence", dependencies=[CsrfProtected])
def presence(
    draft_id: RowId, user: ConsoleUser, workflow: WorkflowDep, leaving: bool = False
) -> Response:
    """The open draft page's heartbeat (every 15 s): records that this agent is viewing it
    and answers who else is, who claimed the conversation and the draft's status (so a page
    whose event stream was not yet open sees a decision it missed). ``leaving`` when the
    page closes."""
    if leaving:
        desk.stop_viewing(workflow.ctx, draft_id=draft_id, agent=user.actor)
        return JSONResponse({"viewers": [], "assignee": None})
    desk.note_viewing(workflow.ctx, draft_id=draft_id, agent=user.actor)
    draft = workflow.get_draft(draft_id=draft_id)
    others = desk.viewers(workflow.ctx, draft_id=draft_id, besides=user.actor)
    claimed = desk.assignments(workflow.ctx, conversation_ids=[draft.conversation_id])
    assignment = claimed.get(draft.conversation_id)
    return JSONResponse({
        "viewers": [desk.display_name(agent) for agent in others],
        "assignee": desk.display_name(assignment.assignee) if assignment else None,
        "assigned_to_me": assignment is not None and assignment.assignee == user.actor,
        "status": draft.status,
    })


@router.post("/console/conversations/{conversation_id}/assign", dependencies=[CsrfProtected])
def assign(
    request: Request,
    conversation_id: ConversationId,
    user: ConsoleUser,
    workflow: WorkflowDep,
    assignee: Annotated[str, Form(max_length=254)] = "",
    draft_id: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """Claim the conversation (``assignee`` = "me"), hand it to a colleague (their e-mail),
    or release it (empty). The page comes back with the same draft and filters."""
    if assignee == "me":
        chosen: str | None = user.actor
    elif assignee:
        active = {email for email, _, is_active in list_users(
            request.app.state.services.session_factory) if is_active}
        if assignee not in active:
            raise ApiError(422, "unknown_agent", "no active agent has that e-mail")
        chosen = assignee
    else:
        chosen = None
    desk.assign(workflow.ctx, conversation_id=conversation_id, assignee=chosen, actor=user.actor)
    # ASCII digits only: "²".isdigit() is true and int("²") fails.
    target = f"/console/drafts/{draft_id}" if _ROW_ID.fullmatch(draft_id) else "/console"
    query = back if back.startswith("?") and "\\" not in back else ""
    return RedirectResponse(target + query, status_code=303)


_ROW_ID = re.compile(r"[1-9][0-9]{0,17}")


# --- canned replies (macros) a lead maintains ---------------------------------------------


def _canned_page(
    request: Request, workflow: Workflow, *, error: str | None = None,
    title: str = "", text: str = "", status_code: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request, "console/canned.html",
        {"canned": canned.canned_replies(workflow.ctx), "error": error, "title": title,
         "text": text, "max_title": canned.MAX_TITLE_CHARS, "max_text": canned.MAX_TEXT_CHARS},
        status_code=status_code,
    )


@router.get("/console/canned", response_class=HTMLResponse)
def canned_page(request: Request, user: ConsoleLead, workflow: WorkflowDep) -> Response:
    """Canned replies: a lead adds, replaces and deletes them; agents insert them (``m``)."""
    return _canned_page(request, workflow)


@router.post("/console/canned", dependencies=[CsrfProtected])
def save_canned(
    request: Request,
    user: ConsoleLead,
    workflow: WorkflowDep,
    title: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        canned.save_canned_reply(workflow.ctx, title=title, text=text, actor=user.actor)
    except WorkflowError as exc:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        return _canned_page(request, workflow, error=message, title=title, text=text,
                            status_code=exc.status)
    return RedirectResponse("/console/canned", status_code=303)


@router.post("/console/canned/{canned_id}/delete", dependencies=[CsrfProtected])
def delete_canned(canned_id: RowId, user: ConsoleLead, workflow: WorkflowDep) -> Response:
    canned.delete_canned_reply(workflow.ctx, canned_id=canned_id)
    return RedirectResponse("/console/canned", status_code=303)
