"""HTTP for consulates and routing."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.consulates import service
from src.consulates.schemas import ConsulateCreate, ConsulateRead
from src.platform.errors import problem_responses
from src.platform.idempotency import IdempotencyKey, idempotent
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page
from src.platform.session import DbSession

router = Router(
    prefix="/v1/consulates",
    tags=["consulates"],
    responses=problem_responses(401, 422),
)

Country = Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsulateRead,
    responses=problem_responses(403, 409),
    summary="Create a consulate",
)
async def create_consulate(
    session: DbSession,
    principal: CurrentPrincipal,
    body: ConsulateCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create a consulate (an organization of kind `consulate`) with its jurisdiction: whole countries, or
    regions of them (ISO 3166-2). A platform administrator only (403 otherwise); a taken name, or a
    jurisdiction that overlaps another consulate of the same state, is 409. Takes an optional
    Idempotency-Key."""
    return await idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="organization",
        create=lambda: service.create_consulate(session, principal, body),
    )


@router.get("", response_model=Page[ConsulateRead], summary="List consulates")
async def list_consulates(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConsulateRead]:
    """Every consulate with its jurisdiction, keyset-paged. Any signed-in caller."""
    rows = await service.list_consulates(
        session, principal, after=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1
    )
    return build_page(request, response, rows, limit)


@router.get(
    "/route",
    response_model=ConsulateRead,
    responses=problem_responses(404),
    summary="Find the consulate for a place",
)
async def route_to_consulate(
    session: DbSession,
    principal: CurrentPrincipal,
    country: Country,
    region: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$", description="ISO 3166-2")
    ] = None,
    sending_country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="The consulate's state; default: the caller's")
    ] = None,
) -> ConsulateRead:
    """The consulate of `sending_country` (default: the caller's organization's country) whose jurisdiction
    names the region, else the one covering the whole country; 404 when none covers the place, 422 for a
    region outside the country. Any signed-in caller; a case opened by a ministry is routed the same way."""
    return await service.route(
        session, principal, country=country, region=region, sending_country=sending_country
    )


@router.get(
    "/{consulate_id}",
    response_model=ConsulateRead,
    responses=problem_responses(404),
    summary="Read a consulate",
)
async def read_consulate(
    session: DbSession, principal: CurrentPrincipal, consulate_id: uuid.UUID
) -> ConsulateRead:
    """One consulate with its jurisdiction. Any signed-in caller; an unknown id (or an organization that is
    not a consulate) is 404."""
    return await service.get_consulate(session, principal, consulate_id)
