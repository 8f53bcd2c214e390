"""HTTP for the legal instruments catalog and redress actions on cases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Header, Path, Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.platform import i18n, idempotency
from src.platform.errors import problem_responses
from src.platform.idempotency import IdempotencyKey
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor
from src.platform.routing import Router
from src.platform.schemas import Page
from src.platform.session import DbSession
from src.redress import service
from src.redress.schemas import (
    InstrumentKind,
    LegalInstrumentCreate,
    LegalInstrumentRead,
    RedressCreate,
    RedressPatch,
    RedressRead,
)

router = Router(prefix="/v1", tags=["redress"], responses=problem_responses(401, 422))

AcceptLanguage = Annotated[str | None, Header(max_length=200)]


@router.get("/legal-instruments", response_model=Page[LegalInstrumentRead], summary="List legal instruments")
async def list_legal_instruments(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    kind: InstrumentKind | None = None,
    party: Annotated[str | None, Query(pattern=r"^[A-Z]{2,5}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    accept_language: AcceptLanguage = None,
) -> Page[LegalInstrumentRead]:
    """Agreements, conventions and laws a redress action can rest on, ordered by code, keyset-paged; filter by
    `kind` and by a `party` state. Titles in the negotiated language (Accept-Language: en, ru or ky). Any
    signed-in caller."""
    key = decode_cursor(cursor, 1)
    rows = await service.list_instruments(
        session, kind=kind, party=party, after=str(key[0]) if key else None, limit=limit + 1
    )
    language = i18n.negotiate(accept_language)
    response.headers["Content-Language"] = language
    items = [service.to_read(row, language) for row in rows]
    return build_page(request, response, items, limit, lambda item: [item.code])


@router.get(
    "/legal-instruments/{instrument_id}",
    response_model=LegalInstrumentRead,
    responses=problem_responses(404),
    summary="Read a legal instrument",
)
async def read_legal_instrument(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    instrument_id: Annotated[uuid.UUID, Path()],
    accept_language: AcceptLanguage = None,
) -> LegalInstrumentRead:
    """One instrument of the catalog, titled in the negotiated language. Any signed-in caller; an unknown id
    is 404."""
    language = i18n.negotiate(accept_language)
    response.headers["Content-Language"] = language
    return service.to_read(await service.get_instrument(session, principal, instrument_id), language)


@router.post(
    "/legal-instruments",
    status_code=status.HTTP_201_CREATED,
    response_model=LegalInstrumentRead,
    responses=problem_responses(403, 409),
    summary="Add a legal instrument",
)
async def create_legal_instrument(
    session: DbSession,
    principal: CurrentPrincipal,
    body: LegalInstrumentCreate,
    idempotency_key: IdempotencyKey = None,
    accept_language: AcceptLanguage = None,
) -> Any:
    """Add an agreement, convention or law to the catalog, with its titles in en and ru (ky optional).
    Coordinators only (403 otherwise); a code already taken is 409. Takes an optional Idempotency-Key."""

    async def create() -> LegalInstrumentRead:
        instrument = await service.create_instrument(session, principal, body)
        return service.to_read(instrument, i18n.negotiate(accept_language))

    return await idempotency.idempotent(
        session, principal, idempotency_key, body, resource_type="legal_instrument", create=create
    )


# ---- redress actions -----------------------------------------------------------------------------------

CaseId = Annotated[uuid.UUID, Path()]


@router.post(
    "/cases/{case_id}/redress",
    status_code=status.HTTP_201_CREATED,
    response_model=RedressRead,
    responses=problem_responses(403, 404),
    summary="Record a redress action",
)
async def create_redress_action(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: RedressCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record a claim for redress on the case: the instrument and article it rests on, the forum, the amount
    claimed and recovered (exact decimals with their currency), its status and dates. Whoever may change
    the case (403 otherwise; 404 for an unseen case). Answers with the action's own ETag. Takes an optional
    Idempotency-Key."""
    created = await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="redress_action",
        parent=case_id,
        create=lambda: service.create_redress(session, principal, case_id, body),
    )
    if isinstance(created, RedressRead):
        response.headers["ETag"] = f'"{created.version}"'
    return created


@router.get(
    "/cases/{case_id}/redress",
    response_model=list[RedressRead],
    responses=problem_responses(404),
    summary="List a case's redress actions",
)
async def list_redress_actions(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId
) -> list[RedressRead]:
    """The case's redress actions, oldest first, for whoever may read the case (404 otherwise)."""
    return await service.list_redress(session, principal, case_id)


@router.patch(
    "/cases/{case_id}/redress/{redress_id}",
    response_model=RedressRead,
    responses=problem_responses(403, 404, 409, 412, 428),
    summary="Update a redress action",
)
async def update_redress_action(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    redress_id: Annotated[uuid.UUID, Path()],
    body: RedressPatch,
    if_match: Annotated[str | None, Header(max_length=100, description="The redress action's ETag")] = None,
) -> RedressRead:
    """Change a redress action under its own ETag (If-Match: 428 without it, 412 when it changed since).
    Status moves follow the redress lifecycle (409 otherwise). Whoever may change the case (403 otherwise;
    404 for an unseen case or action)."""
    updated = await service.update_redress(session, principal, case_id, redress_id, if_match, body)
    response.headers["ETag"] = f'"{updated.version}"'
    return updated
