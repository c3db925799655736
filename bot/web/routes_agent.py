"""The agent API: review drafts and decide them, reply by hand, live events, users (admin).

Authenticate with ``Authorization: Bearer <API token>`` (from ``draftdesk users create``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sse_starlette import EventSourceResponse

from bot.accounts.record_views import note_record_view
from bot.accounts.service import Role, create_user
from bot.conversations.schemas import (
    AttentionItem,
    DecisionOutcome,
    DraftDetail,
    ReplyOutcome,
)
from bot.conversations.states import DraftStatus
from bot.conversations.verification import BoundOrder
from bot.web.api_schemas import (
    INPUT_ERRORS,
    ApproveBody,
    BoundOrderList,
    DraftList,
    NoteBody,
    OrderBindBody,
    RejectBody,
    ReplyBody,
    UserCreate,
    UserCreated,
    error_responses,
)
from bot.web.deps import CurrentAdmin, CurrentAgent, ServicesDep, WorkflowDep
from bot.web.sse import agent_events
from bot.web.validation import MAX_ROW_ID, ConversationId, RowId

router = APIRouter(prefix="/api/v1", tags=["agents"],
                   responses=error_responses(*INPUT_ERRORS, 401, 403, 404, 409))


@router.get("/drafts", response_model=DraftList)
def list_drafts(
    user: CurrentAgent, workflow: WorkflowDep,
    status_filter: Annotated[DraftStatus, Query(alias="status")] = DraftStatus.PENDING_REVIEW,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description=(
        "``next_cursor`` of the previous page (404 ``draft_not_found`` if it is unknown)"
    ))] = None,
) -> DraftList:
    """Drafts in one status (default ``pending_review``), the soonest deadline first, a page
    of ``limit`` at a time: follow ``next_cursor`` (null on the last page). Keyset paging on
    (deadline, id): drafts decided between two pages neither repeat nor make others skip."""
    # One more than asked: whether a next page exists, without a count.
    drafts = workflow.list_drafts(statuses=[status_filter], limit=limit + 1,
                                  after_draft_id=cursor)
    page, more = drafts[:limit], len(drafts) > limit
    return DraftList(drafts=page, next_cursor=page[-1].id if more else None)


@router.get("/drafts/{draft_id}", response_model=DraftDetail)
def get_draft(draft_id: RowId, user: CurrentAgent, workflow: WorkflowDep) -> DraftDetail:
    """One draft with the thread, citations, checks, order facts and policy verdicts."""
    detail = workflow.get_draft(draft_id=draft_id)
    # The buyer's thread and orders: a lead's or admin's read is audited (issue 16, item 7).
    note_record_view(workflow.ctx.session_factory, user=user,
                     conversation_id=detail.conversation_id, where="api")
    return detail


@router.post("/drafts/{draft_id}/approve", response_model=DecisionOutcome)
def approve(
    draft_id: RowId, user: CurrentAgent, workflow: WorkflowDep, body: ApproveBody | None = None
) -> DecisionOutcome:
    """Send the draft, or your edited ``text``, to the buyer (``override_reason`` to send
    despite a failed blocking check). A decided draft answers 409."""
    body = body or ApproveBody()
    return workflow.approve(
        draft_id=draft_id, actor=user.actor, text=body.text,
        override_reason=body.override_reason, may_decide_escalated=user.has_role(Role.LEAD),
        may_override=user.has_role(Role.LEAD),
    )


@router.post("/drafts/{draft_id}/reject", response_model=DecisionOutcome)
def reject(
    draft_id: RowId, body: RejectBody, user: CurrentAgent, workflow: WorkflowDep
) -> DecisionOutcome:
    """Reject with a reason; the buyer's messages then wait for a reply written by a person."""
    return workflow.reject(draft_id=draft_id, actor=user.actor, reason=body.reason,
                           may_decide_escalated=user.has_role(Role.LEAD))


@router.post("/drafts/{draft_id}/escalate", response_model=DecisionOutcome)
def escalate(
    draft_id: RowId, user: CurrentAgent, workflow: WorkflowDep, body: NoteBody | None = None
) -> DecisionOutcome:
    """Hand the draft to a lead."""
    return workflow.escalate(draft_id=draft_id, actor=user.actor,
                             note=(body or NoteBody()).note)


@router.post("/drafts/{draft_id}/no-response-needed", response_model=DecisionOutcome)
def no_response_needed(
    draft_id: RowId, user: CurrentAgent, workflow: WorkflowDep, body: NoteBody | None = None
) -> DecisionOutcome:
    """Nothing to send (e.g. a thank-you message)."""
    return workflow.no_response_needed(
        draft_id=draft_id, actor=user.actor, note=(body or NoteBody()).note,
        may_decide_escalated=user.has_role(Role.LEAD),
    )


@router.get("/attention", response_model=list[AttentionItem])
def needs_attention(user: CurrentAgent, workflow: WorkflowDep) -> list[AttentionItem]:
    """Conversations waiting for a reply written by a person (drafting failed, rejected)."""
    return workflow.needs_attention()


@router.post("/conversations/{conversation_id}/reply", response_model=ReplyOutcome)
def reply(
    conversation_id: ConversationId, body: ReplyBody, user: CurrentAgent, workflow: WorkflowDep
) -> ReplyOutcome:
    """Send a reply you wrote yourself (supersedes any undecided draft)."""
    return workflow.reply_manually(conversation_id=conversation_id, actor=user.actor,
                                   text=body.text)


@router.post("/conversations/{conversation_id}/orders", response_model=BoundOrder)
def bind_order(
    conversation_id: ConversationId, body: OrderBindBody, user: CurrentAgent,
    workflow: WorkflowDep,
) -> BoundOrder:
    """Bind an order you checked is this buyer's: drafts may then state its facts (the
    unanswered messages are drafted again). 404 ``order_not_found`` if not in order data."""
    return workflow.bind_order(conversation_id=conversation_id, order_id=body.order_id,
                               actor=user.actor)


@router.get("/conversations/{conversation_id}/orders", response_model=BoundOrderList)
def bound_orders(
    conversation_id: ConversationId, user: CurrentAgent, workflow: WorkflowDep
) -> BoundOrderList:
    """The orders drafts for this conversation may state facts of."""
    return BoundOrderList(order_ids=workflow.bound_orders(conversation_id=conversation_id))


@router.post("/conversations/{conversation_id}/redraft", status_code=status.HTTP_202_ACCEPTED)
def redraft(
    conversation_id: ConversationId, user: CurrentAgent, workflow: WorkflowDep
) -> dict[str, str]:
    """Queue the unanswered messages for drafting again."""
    workflow.request_redraft(conversation_id=conversation_id, actor=user.actor)
    return {"status": "awaiting_draft"}


@router.post("/conversations/{conversation_id}/close")
def close(
    conversation_id: ConversationId, user: CurrentAgent, workflow: WorkflowDep,
    body: NoteBody | None = None,
) -> dict[str, str]:
    """Mark every unanswered message as needing no response."""
    workflow.close_without_reply(conversation_id=conversation_id, actor=user.actor,
                                 note=(body or NoteBody()).note)
    return {"status": "closed"}


@router.get("/events", response_class=EventSourceResponse)
async def events(
    request: Request, user: CurrentAgent, services: ServicesDep
) -> EventSourceResponse:
    """Server-sent events for reviewers: ``draft_created``, ``draft_decided``,
    ``message_received``, ``needs_manual_reply``, ``conversation_updated``."""
    return agent_events(request, bus=services.events)


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserCreated)
def add_user(body: UserCreate, admin: CurrentAdmin, services: ServicesDep) -> UserCreated:
    """Create a user (admins only); the API token is shown once."""
    created = create_user(services.session_factory, email=body.email, role=body.role,
                          actor=admin.actor)
    return UserCreated(email=created.user.email, role=created.user.role.value,
                       token=created.token)

