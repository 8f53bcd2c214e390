"""HTTP for what is learned after intake: persons and violations (`cases/amend.py`; each call with the case's
ETag in If-Match, each answering the case as amended with its new ETag) and the consent history
(`cases/consents.py`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Path, Response, status

from src.auth.dependencies import CurrentPrincipal
from src.cases import amend, consents
from src.cases.read_schemas import CaseRead, ConsentHistory
from src.cases.schemas import ConsentRecordIn, PersonIn, PersonPatch, ViolationChange, ViolationPatch
from src.platform.errors import problem_responses
from src.platform.routing import Router
from src.platform.session import DbSession

router = Router(prefix="/v1", responses=problem_responses(401, 422), tags=["cases"])

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
    "/cases/{case_id}/persons",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    responses=_WRITE,
    summary="Add a person to a case",
)
async def add_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: PersonIn,
    if_match: IfMatch = None,
) -> CaseRead:
    """Add a person learned of after intake (a victim, witness, employer, recruiter, ...); the answer carries
    the duplicate search for them. The case's writers (the assigned officer, or any officer while
    unassigned; supervisors and coordinators of the owning organization); others 403, an unseen case 404.
    Needs If-Match with the case's ETag: 428 without it, 412 when the case changed since; the answer is the
    case as amended, with its new ETag."""
    return _answer(response, await amend.add_person(session, principal, case_id, if_match, body))


@router.patch(
    "/cases/{case_id}/persons/{person_id}",
    response_model=CaseRead,
    responses=_WRITE,
    summary="Correct a person",
)
async def update_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    person_id: PersonId,
    body: PersonPatch,
    if_match: IfMatch = None,
) -> CaseRead:
    """Correct a person of the case (the subject too); a name part sent as null is removed, and correcting any
    name part confirms the parts. The person as corrected must still be valid (422). The case's writers
    (the assigned officer, or any officer while unassigned; supervisors and coordinators of the owning
    organization); others 403, an unseen case 404. Needs If-Match with the case's ETag: 428 without it, 412
    when the case changed since; the answer is the case as amended, with its new ETag."""
    return _answer(
        response, await amend.update_person(session, principal, case_id, person_id, if_match, body)
    )


@router.delete(
    "/cases/{case_id}/persons/{person_id}",
    response_model=CaseRead,
    responses=_WRITE,
    summary="Remove a person",
)
async def delete_person(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    person_id: PersonId,
    if_match: IfMatch = None,
) -> CaseRead:
    """Remove a person entered by mistake: never the subject (422), nor a violation's perpetrator (409: change
    the violation first). The case's writers (the assigned officer, or any officer while unassigned;
    supervisors and coordinators of the owning organization); others 403, an unseen case 404. Needs
    If-Match with the case's ETag: 428 without it, 412 when the case changed since; the answer is the case
    as amended, with its new ETag."""
    return _answer(response, await amend.delete_person(session, principal, case_id, person_id, if_match))


@router.post(
    "/cases/{case_id}/violations",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseRead,
    responses=_WRITE,
    summary="Add a violation",
)
async def add_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: ViolationChange,
    if_match: IfMatch = None,
) -> CaseRead:
    """Add a violation with its ILO indicators; the perpetrator is named by a person's id in this case. A
    trafficking indicator on a child's case opens the linked trafficking case. The case's writers (the
    assigned officer, or any officer while unassigned; supervisors and coordinators of the owning
    organization); others 403, an unseen case 404. Needs If-Match with the case's ETag: 428 without it, 412
    when the case changed since; the answer is the case as amended, with its new ETag."""
    return _answer(response, await amend.add_violation(session, principal, case_id, if_match, body))


@router.patch(
    "/cases/{case_id}/violations/{violation_id}",
    response_model=CaseRead,
    responses=_WRITE,
    summary="Correct a violation",
)
async def update_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    violation_id: ViolationId,
    body: ViolationPatch,
    if_match: IfMatch = None,
) -> CaseRead:
    """Correct a violation's type, indicators, period, place, description, status or perpetrator; the
    violation as corrected must still be valid (422). The case's writers (the assigned officer, or any
    officer while unassigned; supervisors and coordinators of the owning organization); others 403, an
    unseen case 404. Needs If-Match with the case's ETag: 428 without it, 412 when the case changed since;
    the answer is the case as amended, with its new ETag."""
    return _answer(
        response, await amend.update_violation(session, principal, case_id, violation_id, if_match, body)
    )


@router.delete(
    "/cases/{case_id}/violations/{violation_id}",
    response_model=CaseRead,
    responses=_WRITE,
    summary="Remove a violation",
)
async def delete_violation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    violation_id: ViolationId,
    if_match: IfMatch = None,
) -> CaseRead:
    """Remove a violation entered by mistake. The case's writers (the assigned officer, or any officer while
    unassigned; supervisors and coordinators of the owning organization); others 403, an unseen case 404.
    Needs If-Match with the case's ETag: 428 without it, 412 when the case changed since; the answer is the
    case as amended, with its new ETag."""
    return _answer(
        response, await amend.delete_violation(session, principal, case_id, violation_id, if_match)
    )


@router.post(
    "/cases/{case_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentHistory,
    responses=problem_responses(403, 404),
    summary="Record consent given or withdrawn",
)
async def record_consent(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case_id: CaseId,
    body: ConsentRecordIn,
) -> ConsentHistory:
    """Record consent given or withdrawn, per purpose, by whom, when and how; a child's consent is given by a
    parent or guardian or a best-interests authority (422 otherwise). The case's writers (403 otherwise; an
    unseen case 404). The case's version moves: the answer's ETag is the case's new one.

    A withdrawal of `referral` or `partner_data_sharing` takes effect at once: no new referral, open
    referrals show their recipients no case data (`consent_withdrawn`) and each recipient gets
    `referral.consent_withdrawn`."""
    history, tag = await consents.record(session, principal, case_id, body)
    response.headers["ETag"] = tag
    return history


@router.get(
    "/cases/{case_id}/consents",
    response_model=ConsentHistory,
    responses=problem_responses(404),
    summary="List a case's consents",
)
async def list_consents(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> ConsentHistory:
    """The case's consent history, oldest first, and the consent in force per purpose, for whoever may read
    the case (404 otherwise)."""
    return await consents.history(session, principal, case_id)
