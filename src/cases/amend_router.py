"""HTTP for what is learned after intake: persons and violations (`cases/amend.py`; each call with the case's
ETag in If-Match, each answering the case as amended with its new ETag) and the consent history
(`cases/consents.py`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.cases import amend, consents
from src.cases.read_schemas import CaseRead, ConsentHistory
from src.cases.schemas import ConsentRecordIn, PersonIn, PersonPatch, ViolationChange, ViolationPatch
from src.platform.errors import problem_responses
from src.platform.session import DbSession

router = APIRouter(prefix="/v1", responses=problem_responses(401, 422), tags=["cases"])

CaseId = Annotated[uuid.UUID, Path()]
PersonId = Annotated[uuid.UUID, Path()]
ViolationId = Annotated[uuid.UUID, Path()]
IfMatch = Annotated[str | None, Header(max_length=100, description="The case's ETag")]
_WRITE = problem_responses(403, 404, 409, 412, 428)


def _answer(response: Response, answer: tuple[CaseRead, str]) -> CaseRead:
    case, tag = answer
    response.headers["ETag"] = tag
    return case


@router.post(
    "/cases/{case_id}/persons", status_code=status.HTTP_201_CREATED, response_model=CaseRead, responses=_WRITE
)
async def add_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: PersonIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Add a person learned of after intake; the answer carries the duplicate search for them."""
    return _answer(response, await amend.add_person(session, principal, case_id, if_match, body))


@router.patch("/cases/{case_id}/persons/{person_id}", response_model=CaseRead, responses=_WRITE)
async def update_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    person_id: PersonId,
    body: PersonPatch,
    if_match: IfMatch = None,
) -> CaseRead:
    """Correct a person (the subject too); correcting a name part confirms the parts."""
    return _answer(
        response, await amend.update_person(session, principal, case_id, person_id, if_match, body)
    )


@router.delete("/cases/{case_id}/persons/{person_id}", response_model=CaseRead, responses=_WRITE)
async def delete_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    person_id: PersonId,
    if_match: IfMatch = None,
) -> CaseRead:
    """Remove a person entered by mistake; never the subject (422), nor a violation's perpetrator (409)."""
    return _answer(response, await amend.delete_person(session, principal, case_id, person_id, if_match))


@router.post(
    "/cases/{case_id}/violations",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    responses=_WRITE,
)
async def add_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: ViolationChange,
    if_match: IfMatch = None,
) -> CaseRead:
    """Add a violation; a trafficking indicator on a child's case opens the linked trafficking case."""
    return _answer(response, await amend.add_violation(session, principal, case_id, if_match, body))


@router.patch("/cases/{case_id}/violations/{violation_id}", response_model=CaseRead, responses=_WRITE)
async def update_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    violation_id: ViolationId,
    body: ViolationPatch,
    if_match: IfMatch = None,
) -> CaseRead:
    return _answer(
        response, await amend.update_violation(session, principal, case_id, violation_id, if_match, body)
    )


@router.delete("/cases/{case_id}/violations/{violation_id}", response_model=CaseRead, responses=_WRITE)
async def delete_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    violation_id: ViolationId,
    if_match: IfMatch = None,
) -> CaseRead:
    return _answer(
        response, await amend.delete_violation(session, principal, case_id, violation_id, if_match)
    )


@router.post(
    "/cases/{case_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentHistory,
    responses=problem_responses(403, 404),
)
async def record_consent(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: ConsentRecordIn,
) -> ConsentHistory:
    """Record consent given or withdrawn for each purpose. A withdrawal of `referral` or
    `partner_data_sharing` takes effect at once: no new referral, open referrals show their recipients no
    case data (`consent_withdrawn`) and each recipient gets `referral.consent_withdrawn`."""
    history, tag = await consents.record(session, principal, case_id, body)
    response.headers["ETag"] = tag
    return history


@router.get("/cases/{case_id}/consents", response_model=ConsentHistory, responses=problem_responses(404))
async def list_consents(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> ConsentHistory:
    """The case's consent history, oldest first, and the consent in force."""
    return await consents.history(session, principal, case_id)
