"""HTTP for referrals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.platform import idempotency
from src.platform.errors import Unprocessable, problem_responses
from src.platform.idempotency import IdempotencyKey
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.schemas import Page
from src.platform.session import DbSession
from src.referrals import service
from src.referrals.models import REFERRAL_STATUSES
from src.referrals.schemas import (
    InboundReferralCreate,
    ReferralAction,
    ReferralCreate,
    ReferralRead,
    ReferralUpdateIn,
    ReferralUpdateRead,
)

router = APIRouter(prefix="/v1", tags=["referrals"], responses=problem_responses(401, 422))

ReferralId = Annotated[uuid.UUID, Path()]
ReferralStatus = Literal[REFERRAL_STATUSES]  # type: ignore[valid-type]


@router.post(
    "/cases/{case_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    response_model_exclude_none=True,
    responses=problem_responses(403, 404, 409),
)
async def refer_case(
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: Annotated[uuid.UUID, Path()],
    body: ReferralCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Refer a case: consent must cover `referral` and `partner_data_sharing`, or record an exception."""
    return await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="referral",
        exclude_none=True,
        parent=case_id,
        create=lambda: service.create_referral(session, principal, case_id, body),
    )


@router.post(
    "/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    response_model_exclude_none=True,
    responses=problem_responses(403, 409),
)
async def send_inbound_referral(
    session: DbSession,
    principal: CurrentPrincipal,
    body: InboundReferralCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A partner refers a new case to the consulate covering `occurred` (Idempotency-Key required)."""
    if idempotency_key is None:
        raise Unprocessable.at(
            ["header", "Idempotency-Key"],
            "required",
            "Send an Idempotency-Key: inbound referrals are retried by partner systems.",
        )
    return await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="referral",
        exclude_none=True,
        create=lambda: service.create_inbound(session, principal, body),
    )


@router.get("/referrals", response_model=Page[ReferralRead])
async def list_referrals(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    direction: Literal["incoming", "outgoing"] | None = None,
    status_: Annotated[ReferralStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReferralRead]:
    """Referrals sent by or to the caller's organization, newest first (no case view in lists)."""
    rows = await service.list_referrals(
        session,
        principal,
        direction=direction,
        status=status_,
        before=uuid_after(decode_cursor(cursor, 1)),
        limit=limit + 1,
    )
    references = await service.inbox_references(session, principal, rows[:limit])
    items = [service.referral_read(r, principal, reference=references.get(r.id)) for r in rows]
    return build_page(request, response, items, limit)


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralRead,
    response_model_exclude_none=True,
    responses=problem_responses(404),
)
async def read_referral(
    session: DbSession, principal: CurrentPrincipal, referral_id: ReferralId
) -> ReferralRead:
    """The recipient sees `case`: only the shared groups, and only while the referral is open."""
    return await service.get_referral(session, principal, referral_id)


def _action_route(action: str, summary: str) -> None:
    async def endpoint(
        session: DbSession, principal: CurrentPrincipal, referral_id: ReferralId, body: ReferralAction
    ) -> ReferralRead:
        return await service.act(session, principal, referral_id, action, body.note)

    endpoint.__name__ = f"{action}_referral"
    router.add_api_route(
        f"/referrals/{{referral_id}}/{action}",
        endpoint,
        methods=["POST"],
        response_model=ReferralRead,
        response_model_exclude_none=True,
        summary=summary,
        name=f"{action}_referral",
        responses=problem_responses(403, 404, 409),
    )


_action_route("accept", "Accept a referral (recipient)")
_action_route("decline", "Decline a referral with a reason in `note` (recipient)")
_action_route("complete", "Complete a referral with the outcome in `note` (recipient)")
_action_route("withdraw", "Withdraw a referral (sender)")


@router.post(
    "/referrals/{referral_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralUpdateRead,
    responses=problem_responses(403, 404, 409),
)
async def add_referral_update(
    session: DbSession,
    principal: CurrentPrincipal,
    referral_id: ReferralId,
    body: ReferralUpdateIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    return await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="referral_update",
        parent=referral_id,
        create=lambda: service.add_update(session, principal, referral_id, body),
    )


@router.get(
    "/referrals/{referral_id}/updates",
    response_model=Page[ReferralUpdateRead],
    responses=problem_responses(404),
)
async def list_referral_updates(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    referral_id: ReferralId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReferralUpdateRead]:
    after = uuid_after(decode_cursor(cursor, 1))
    updates = await service.list_updates(session, principal, referral_id, after=after, limit=limit + 1)
    return build_page(request, response, updates, limit)
