"""HTTP for referrals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.platform import idempotency
from src.platform.errors import Unprocessable, problem_responses
from src.platform.idempotency import IdempotencyKey
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page
from src.platform.session import DbSession
from src.referrals import inbox, service
from src.referrals.models import REFERRAL_STATUSES
from src.referrals.schemas import (
    InboundReferralCreate,
    ReferralAction,
    ReferralCreate,
    ReferralRead,
    ReferralUpdateIn,
    ReferralUpdateRead,
)

router = Router(prefix="/v1", tags=["referrals"], responses=problem_responses(401, 422))

ReferralId = Annotated[uuid.UUID, Path()]
ReferralStatus = Literal[REFERRAL_STATUSES]  # type: ignore[valid-type]


@router.post(
    "/cases/{case_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRead,
    response_model_exclude_none=True,
    responses=problem_responses(403, 404, 409),
    summary="Refer a case",
)
async def refer_case(
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: Annotated[uuid.UUID, Path()],
    body: ReferralCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Refer the case to a partner organization or another consulate for services, sharing the groups of data
    named in `share` (and the attachments named in `evidence`). Whoever may change the case, with the
    `referrals:write` scope (403 otherwise; 404 for an unseen case). The recipient must be a partner or
    another consulate (422). The case's consent must cover `referral` and `partner_data_sharing`, or the
    body records a `consent_exception` with its legal basis: 409 with `missing_consent` otherwise; an open
    referral to the same organization is 409 too. The recipient's webhook gets `referral.created`. Takes an
    optional Idempotency-Key."""
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
    summary="Send an inbound referral",
)
async def send_inbound_referral(
    session: DbSession,
    principal: CurrentPrincipal,
    body: InboundReferralCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A partner organization refers a new case: the body is a case intake plus the services asked for. The
    case is opened (intake channel `partner_referral`) at, and owned by, the consulate of the subject's
    citizenship that covers `occurred` (422 when none does); the referral goes from the partner to that
    consulate, whose webhook gets `referral.received`. Partners with `referrals:write` only (403
    otherwise). An Idempotency-Key is required (422 without): partner systems retry."""
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


@router.get("/referrals", response_model=Page[ReferralRead], summary="List referrals")
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
    """Referrals sent by or to the caller's organization, newest first, keyset-paged; filter by `direction`
    (`incoming`, `outgoing`) and `status`. Lists carry no case view: read one referral for it."""
    rows = await inbox.list_referrals(
        session,
        principal,
        direction=direction,
        status=status_,
        before=uuid_after(decode_cursor(cursor, 1)),
        limit=limit + 1,
    )
    references = await inbox.references(session, principal, rows[:limit])
    items = [service.referral_read(r, principal, reference=references.get(r.id)) for r in rows]
    return build_page(request, response, items, limit)


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralRead,
    response_model_exclude_none=True,
    responses=problem_responses(404),
    summary="Read a referral",
)
async def read_referral(
    session: DbSession, principal: CurrentPrincipal, referral_id: ReferralId
) -> ReferralRead:
    """One referral the caller's organization sent or received (404 otherwise). The recipient also sees
    `case`: only the shared groups, only while the referral is open and consent holds. Audited as a read."""
    return await service.get_referral(session, principal, referral_id)


def _action_route(action: str, summary: str, description: str) -> None:
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
        description=description,
        name=f"{action}_referral",
        responses=problem_responses(403, 404, 409),
    )


_action_route(
    "accept",
    "Accept a referral",
    "The recipient accepts a pending referral: the services are under way. Only the recipient's "
    "organization, with `referrals:write` (403 otherwise; 404 for a referral it is not party to). A "
    "referral no longer pending is 409 with the `allowed` actions. The sender's webhook gets the change.",
)
_action_route(
    "decline",
    "Decline a referral",
    "The recipient declines a pending referral, saying why in `note` (422 without). Only the recipient's "
    "organization, with `referrals:write` (403 otherwise; 404 for a referral it is not party to). A "
    "referral no longer pending is 409 with the `allowed` actions.",
)
_action_route(
    "complete",
    "Complete a referral",
    "The recipient completes an accepted referral, with the outcome in `note` (422 without). Only the "
    "recipient's organization, with `referrals:write` (403 otherwise; 404 for a referral it is not party "
    "to). A referral not accepted is 409 with the `allowed` actions.",
)
_action_route(
    "withdraw",
    "Withdraw a referral",
    "The sender withdraws an open (pending or accepted) referral: a supervisor of the sending "
    "organization, or the partner that sent an inbound referral (403 otherwise; 404 for a referral it is "
    "not party to). A closed referral is 409 with the `allowed` actions; the recipient no longer sees the "
    "case.",
)


@router.post(
    "/referrals/{referral_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralUpdateRead,
    responses=problem_responses(403, 404, 409),
    summary="Add an update to a referral",
)
async def add_referral_update(
    session: DbSession,
    principal: CurrentPrincipal,
    referral_id: ReferralId,
    body: ReferralUpdateIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Post a progress update on a referral (either side, with `referrals:write`; 403 otherwise, 404 for a
    referral the caller's organization is not party to). A closed referral takes no more updates (409). The
    other side's webhook is notified. Takes an optional Idempotency-Key."""
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
    summary="List a referral's updates",
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
    """The referral's updates and status changes, oldest first, a page at a time, for either side (404 for
    others)."""
    after = uuid_after(decode_cursor(cursor, 1))
    updates = await service.list_updates(session, principal, referral_id, after=after, limit=limit + 1)
    return build_page(request, response, updates, limit)
