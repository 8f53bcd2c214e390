"""HTTP for transferring cases between consulates (`cases/transfers.py`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Path, Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.cases import transfers
from src.cases.read_schemas import TransferRead
from src.cases.schemas import TransferDecisionIn, TransferIn
from src.platform.errors import problem_responses
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page
from src.platform.session import DbSession

router = Router(prefix="/v1", responses=problem_responses(401, 422), tags=["transfers"])

TransferId = Annotated[uuid.UUID, Path()]


@router.post(
    "/cases/{case_id}/transfers",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferRead,
    responses=problem_responses(403, 404, 409),
    summary="Transfer a case to another consulate",
)
async def request_transfer(
    session: DbSession, principal: CurrentPrincipal, case_id: Annotated[uuid.UUID, Path()], body: TransferIn
) -> TransferRead:
    """Ask another consulate of the same state to take the case: the owning consulate's supervisor asks and
    the receiving consulate's supervisor decides; a coordinator's transfer takes effect at once. Other
    callers: 403; an unseen case 404; a consulate of another state 422; a case already under transfer 409."""
    return await transfers.request(session, principal, case_id, body)


@router.get("/transfers", response_model=Page[TransferRead], summary="List transfers")
async def list_transfers(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    direction: Literal["incoming", "outgoing"] | None = None,
    status_: Annotated[Literal["pending", "accepted", "declined"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TransferRead]:
    """Transfers to and from the caller's consulate (officers and supervisors), or every one (coordinators),
    newest first, keyset-paged; filter by `direction` and `status`."""
    items = await transfers.list_transfers(
        session,
        principal,
        direction=direction,
        status=status_,
        before=uuid_after(decode_cursor(cursor, 1)),
        limit=limit + 1,
    )
    return build_page(request, response, items, limit)


@router.post(
    "/transfers/{transfer_id}/accept",
    response_model=TransferRead,
    responses=problem_responses(403, 404, 409),
    summary="Accept a transfer",
)
async def accept_transfer(
    session: DbSession, principal: CurrentPrincipal, transfer_id: TransferId, body: TransferDecisionIn
) -> TransferRead:
    """The receiving consulate's supervisor takes the case: ownership moves to its consulate and the assignee
    is cleared. Other callers: 403 (404 for a transfer they may not see); a transfer already decided: 409."""
    return await transfers.decide(session, principal, transfer_id, True, body)


@router.post(
    "/transfers/{transfer_id}/decline",
    response_model=TransferRead,
    responses=problem_responses(403, 404, 409),
    summary="Decline a transfer",
)
async def decline_transfer(
    session: DbSession, principal: CurrentPrincipal, transfer_id: TransferId, body: TransferDecisionIn
) -> TransferRead:
    """The receiving consulate's supervisor declines, optionally saying why in `note`: nothing changes for the
    case. Other callers: 403 (404 for a transfer they may not see); a transfer already decided: 409."""
    return await transfers.decide(session, principal, transfer_id, False, body)
