"""HTTP for cases and their reference data (taxonomies, workflows)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from src.audit import service as audit
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
from src.cases.reference_schemas import (
    Taxonomy,
    TaxonomyIndex,
    TaxonomyItem,
    WorkflowDeadline,
    WorkflowIndex,
    WorkflowRead,
    WorkflowTransition,
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
from src.cases.taxonomies import TAXONOMIES
from src.platform import clock, i18n, idempotency, ratelimit
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
from src.platform.schemas import IsoDateTime, Page
from src.platform.session import DbSession

# The budget name searches spend (and the audit action of a refused one).
SEARCH = "case.search"

router = APIRouter(prefix="/v1", responses=problem_responses(401, 422))

AcceptLanguage = Annotated[str | None, Header(max_length=200)]


def _taxonomy(name: str, language: str) -> Taxonomy:
    items = [
        TaxonomyItem(code=code, label=i18n.label(labels, language))
        for code, labels in TAXONOMIES[name].items()
    ]
    return Taxonomy(name=name, language=language, items=items)


def _localized(response: Response, language: str) -> None:
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"


@router.get("/taxonomies", response_model=TaxonomyIndex, tags=["reference"])
async def list_taxonomies(
    response: Response, principal: CurrentPrincipal, accept_language: AcceptLanguage = None
) -> TaxonomyIndex:
    """Every controlled vocabulary, labelled in the negotiated language (en, ru or ky)."""
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return TaxonomyIndex(language=language, items=[_taxonomy(name, language) for name in sorted(TAXONOMIES)])


@router.get(
    "/taxonomies/{name}", response_model=Taxonomy, tags=["reference"], responses=problem_responses(404)
)
async def read_taxonomy(
    response: Response,
    principal: CurrentPrincipal,
    name: Annotated[str, Path(max_length=64)],
    accept_language: AcceptLanguage = None,
) -> Taxonomy:
    if name not in TAXONOMIES:
        raise audit.not_found(principal.actor, "taxonomy.read", "taxonomy", None, "No such taxonomy.")
    language = i18n.negotiate(accept_language)
    _localized(response, language)
    return _taxonomy(name, language)


@router.get("/workflows", response_model=WorkflowIndex, tags=["reference"])
async def list_workflows(principal: CurrentPrincipal) -> WorkflowIndex:
    """States, transitions (with the roles that may take them), deadlines and minimum stays per case kind."""
    items = []
    for kind, flow in sorted(workflow.WORKFLOWS.items()):
        transitions = [
            WorkflowTransition(from_state=state, to_state=target, roles=sorted(flow.roles_for(target)))
            for state in flow.states
            for target in sorted(flow.targets(state))
        ]
        items.append(
            WorkflowRead(
                kind=kind,
                initial_state=flow.initial_state,
                working_state=flow.working_state,
                states=list(flow.states),
                transitions=transitions,
                deadlines=[
                    WorkflowDeadline(since=d.since, reach=d.reach, days=d.days) for d in flow.deadlines
                ],
                minimum_days=dict(flow.minimum_days or {}),
            )
        )
    return WorkflowIndex(items=items)


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
)
async def create_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    body: CaseCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
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


@router.get("/cases", response_model=Page[CaseSummary], tags=["cases"])
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
    """Cases the caller may see, newest first, keyset-paged."""
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


@router.get("/cases/{case_id}", response_model=CaseRead, tags=["cases"], responses=problem_responses(404))
async def read_case(
    response: Response, session: DbSession, principal: CurrentPrincipal, case_id: CaseId
) -> CaseRead:
    case, tag = await service.get_case(session, principal, case_id)
    _with_etag(response, tag)
    return case


@router.patch(
    "/cases/{case_id}",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 412, 428),
)
async def update_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: CasePatch,
    if_match: IfMatch = None,
) -> CaseRead:
    case, tag = await changes.update_case(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/transitions",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def transition_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: TransitionIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Move the case along its workflow; an illegal move answers 409 with the `allowed` targets."""
    case, tag = await changes.transition(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/assign",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 412, 428),
)
async def assign_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: AssignIn,
    if_match: IfMatch = None,
) -> CaseRead:
    case, tag = await changes.assign(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case


@router.post(
    "/cases/{case_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteRead,
    tags=["cases"],
    responses=problem_responses(403, 404),
)
async def add_case_note(
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: NoteIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
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
    "/cases/{case_id}/notes", response_model=Page[NoteRead], tags=["cases"], responses=problem_responses(404)
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
    after = uuid_after(decode_cursor(cursor, 1))
    notes = await service.list_notes(session, principal, case_id, after=after, limit=limit + 1)
    return build_page(request, response, notes, limit)


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Page[TimelineEntry],
    tags=["cases"],
    responses=problem_responses(404),
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
    """Transitions, notes and assignments in time order."""
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
)
async def list_case_duplicates(
    session: DbSession, settings: AppSettings, principal: CurrentPrincipal, case_id: CaseId
) -> DuplicateList:
    """Cases you may see whose people look like this case's subject, best first (at most 20), with reasons."""
    await ratelimit.spend(session, principal, SEARCH, per_window=settings.search_max_per_minute)
    return DuplicateList(items=await duplicates.list_duplicates(session, principal, case_id))


@router.post(
    "/cases/{case_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409),
)
async def link_case(
    session: DbSession, principal: CurrentPrincipal, case_id: CaseId, body: LinkIn
) -> LinkRead:
    """Record that another case you may see is a confirmed duplicate or related (sibling, perpetrator)."""
    return await duplicates.create_link(session, principal, case_id, body)


@router.get(
    "/cases/{case_id}/links", response_model=LinkList, tags=["cases"], responses=problem_responses(404)
)
async def list_case_links(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> LinkList:
    return LinkList(items=await duplicates.list_links(session, principal, case_id))


@router.put(
    "/cases/{case_id}/legal-hold",
    response_model=CaseRead,
    tags=["cases"],
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def set_case_legal_hold(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: LegalHoldIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Place (`hold: true`, with the legal basis) or lift a legal hold: a held case is never anonymised."""
    case, tag = await changes.set_legal_hold(session, principal, case_id, if_match, body)
    _with_etag(response, tag)
    return case
