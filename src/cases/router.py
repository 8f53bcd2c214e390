"""HTTP for cases: intake, reads, changes, notes, timeline, duplicates, links, legal holds."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Header, Path, Query, Request, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.cases import changes, duplicates, intake, service, views, workflow
from src.cases.read_schemas import (
    CaseRead,
    CaseSummary,
    DuplicateList,
    LinkList,
    LinkRead,
    NoteRead,
    TimelineEntry,
)
from src.cases.rows import age_band
from src.cases.schemas import (
    AssignIn,
    CaseCreate,
    CaseKind,
    CasePatch,
    LegalHoldIn,
    LinkIn,
    NoteIn,
    TransitionIn,
)
from src.platform import clock, idempotency, ratelimit
from src.platform.dependencies import AppSettings
from src.platform.errors import Unprocessable, problem_responses
from src.platform.idempotency import IdempotencyKey
from src.platform.pagination import (
    Cursor,
    Limit,
    build_page,
    datetime_after,
    decode_cursor,
    int_after,
    uuid_after,
)
from src.platform.routing import Router
from src.platform.schemas import IsoDateTime, Page
from src.platform.session import DbSession

# The budget name searches spend (and the audit action of a refused one).
SEARCH = "case.search"

router = Router(prefix="/v1", responses=problem_responses(401, 422))

# ---- cases ---------------------------------------------------------------------------------------------

CaseId = Annotated[uuid.UUID, Path()]
IfMatch = Annotated[str | None, Header(max_length=100, description="The case's ETag")]


def _with_etag(response: Response, tag: str) -> None:
    response.headers["ETag"] = tag


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 409, 415),
    summary="Open a case",
)
async def create_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    body: CaseCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Open a case with its subject, persons, violations and consent; `details` must fit the kind. Officers,
    supervisors and coordinators with `cases:write` (403 otherwise); a ministry caller may name, or is
    routed to, the owning consulate. Answers 201 with the ETag and `possible_duplicates`; an
    Idempotency-Key replays the first answer (another body with the same key: 422)."""
    case = await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="case",
        create=lambda: intake.create_case(session, principal, body),
    )
    if isinstance(case, CaseRead):
        response.headers["Location"] = f"/v1/cases/{case.id}"
        _with_etag(response, views.etag_of(case.version))
    return case


@router.get("/cases", response_model=Page[CaseSummary], tags=["cases"], summary="List cases")
async def list_cases(
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    kind: CaseKind | None = None,
    status_: Annotated[
        str | None,
        Query(alias="status", max_length=32, description="A state of a workflow (of `kind`, if given)."),
    ] = None,
    assignee_id: Annotated[
        uuid.UUID | Literal["me"] | None,
        Query(description="A user's id, or `me` for the caller's own cases."),
    ] = None,
    unassigned: Annotated[
        bool | None, Query(description="`true`: cases assigned to nobody; `false`: to somebody.")
    ] = None,
    occurred_country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    created_from: IsoDateTime | None = None,
    created_to: IsoDateTime | None = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    document_number: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="Exact document number of anyone in the case (spaces, dashes, case ignored).",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CaseSummary]:
    """Cases the caller may see (officers and supervisors: their organization's; coordinators: all), newest
    first, keyset-paged. Searches (`q`, `document_number`) spend a per-minute budget (429 beyond it)."""
    if status_ is not None and not workflow.is_state(kind, status_):
        of = f"the {kind} workflow" if kind else "any workflow"
        raise Unprocessable.at(["query", "status"], f"not a state of {of}")
    if assignee_id is not None and unassigned is not None:
        raise Unprocessable.at(["query", "unassigned"], "not with assignee_id")
    filters = {
        "kind": kind,
        "status": status_,
        "assignee_id": principal.id if assignee_id == "me" else assignee_id,
        "unassigned": unassigned,
        "occurred_country": occurred_country,
        "created_from": created_from,
        "created_to": created_to,
        "overdue": overdue,
        "q": q,
        "document_number": document_number,
    }
    before = uuid_after(decode_cursor(cursor, 1))
    if q is not None or document_number is not None:
        await ratelimit.spend(session, principal, SEARCH, per_window=settings.search_max_per_minute)
    rows = await service.list_cases(session, principal, filters=filters, before=before, limit=limit + 1)
    now = clock.utcnow()
    today = now.date()
    items = [
        CaseSummary(
            id=c["id"],
            reference=c["reference"],
            kind=c["kind"],
            status=c["status"],
            owner_organization_id=c["owner_organization_id"],
            assignee_id=c["assignee_id"],
            occurred_country=c["occurred_country"],
            overdue=c["due_at"] is not None and c["due_at"] < now,
            due_at=c["due_at"],
            created_at=c["created_at"],
            subject_name=c["subject_name"],
            subject_age_band=age_band(c["subject_birth_date"], today),
        )
        for c in rows
    ]
    return build_page(request, response, items, limit)


@router.get(
    "/cases/{case_id}",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(404),
    summary="Read a case",
)
async def read_case(
    response: Response, session: DbSession, principal: CurrentPrincipal, case_id: CaseId
) -> CaseRead:
    """The whole case with its ETag (send it back in If-Match to change the case); audited. A case the caller
    may not see (another organization's) is 404."""
    case, tag = await service.get_case(session, principal, case_id)
    _with_etag(response, tag)
    return case


@router.patch(
    "/cases/{case_id}",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 412, 428),
    summary="Update a case",
)
async def update_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: CasePatch,
    if_match: IfMatch = None,
) -> CaseRead:
    """Change the summary, intake channel, place or kind-specific details. The case's writers (403 otherwise,
    404 unseen). If-Match with the ETag: 428 without, 412 when stale; an anonymised case is 409."""
    case, tag = await changes.update_case(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/transitions",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409, 412, 428),
    summary="Move a case to another state",
)
async def transition_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: TransitionIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Move the case along its workflow (`GET /v1/workflows`); closing needs a `reason`. A role not allowed is
    403; an illegal move 409 with the `allowed` targets. If-Match: 428 without, 412 when stale."""
    case, tag = await changes.transition(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/assign",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 412, 428),
    summary="Assign a case",
)
async def assign_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: AssignIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Assign the case to a user of the owning organization, or to nobody (`null`): its supervisors and
    coordinators; an officer only takes an unassigned case for itself (403 otherwise). If-Match: 428, 412."""
    case, tag = await changes.assign(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteRead,
    tags=["cases"],
    responses=problem_responses(403, 404),
    summary="Add a note to a case",
)
async def add_case_note(
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: NoteIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Add a note (sealed at rest): the case's writers (403 otherwise, 404 unseen). Takes an
    Idempotency-Key."""
    return await idempotency.idempotent(
        session,
        principal,
        idempotency_key,
        body,
        resource_type="case_note",
        parent=case_id,
        create=lambda: service.add_note(session, principal, case_id, body),
    )


@router.get(
    "/cases/{case_id}/notes",
    response_model=Page[NoteRead],
    tags=["cases"],
    responses=problem_responses(404),
    summary="List a case's notes",
)
async def list_case_notes(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NoteRead]:
    """The case's notes, oldest first, a page at a time, for whoever may read the case (404 otherwise);
    each page is audited."""
    after = uuid_after(decode_cursor(cursor, 1))
    notes = await service.list_notes(session, principal, case_id, after=after, limit=limit + 1)
    return build_page(request, response, notes, limit)


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Page[TimelineEntry],
    tags=["cases"],
    responses=problem_responses(404),
    summary="Read a case's timeline",
)
async def read_case_timeline(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TimelineEntry]:
    """Transitions, notes, assignments, amendments, transfers, referrals and redress in time order, a page at
    a time, for whoever may read the case (404 otherwise); each page is audited."""
    key = decode_cursor(cursor, 2)
    at, same = datetime_after(key), int_after(key, index=1)
    after = (at, same) if at is not None and same is not None else None
    entries = await service.timeline(session, principal, case_id)
    page = service.timeline_page(entries, after, limit + 1)
    keys = {id(entry): key for key, entry in page}
    return build_page(
        request,
        response,
        [entry for _, entry in page],
        limit,
        key=lambda entry: [keys[id(entry)][0].isoformat(), keys[id(entry)][1]],
    )


@router.get(
    "/cases/{case_id}/duplicates",
    response_model=DuplicateList,
    tags=["cases"],
    responses=problem_responses(404),
    summary="List possible duplicates of a case",
)
async def list_case_duplicates(
    session: DbSession, settings: AppSettings, principal: CurrentPrincipal, case_id: CaseId
) -> DuplicateList:
    """Cases you may see whose people look like this one's subject (names across scripts, birth date,
    citizenship, sex), best first, at most 20, with reasons. Spends the search budget (429 beyond it)."""
    await ratelimit.spend(session, principal, SEARCH, per_window=settings.search_max_per_minute)
    return DuplicateList(items=await duplicates.list_duplicates(session, principal, case_id))


@router.post(
    "/cases/{case_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409),
    summary="Link two cases",
)
async def link_case(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId, body: LinkIn
) -> LinkRead:
    """Record that another case you may see is a duplicate or related: the case's writers (403 otherwise). An
    unseen or the same case is 422; an existing link 409."""
    return await duplicates.create_link(session, principal, case_id, body)


@router.get(
    "/cases/{case_id}/links",
    response_model=LinkList,
    tags=["cases"],
    responses=problem_responses(404),
    summary="List a case's links",
)
async def list_case_links(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> LinkList:
    """The cases linked to this one, with their references and the links' types (404 for an unseen case)."""
    return LinkList(items=await duplicates.list_links(session, principal, case_id))


@router.put(
    "/cases/{case_id}/legal-hold",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409, 412, 428),
    summary="Place or lift a legal hold",
)
async def set_case_legal_hold(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: LegalHoldIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Place (`hold: true`, with the legal basis) or lift a legal hold; a held case is never anonymised.
    Supervisors and coordinators of the owner (403 otherwise). If-Match: 428 without, 412 when stale."""
    case, tag = await changes.set_legal_hold(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case
