"""Who may touch a case: the audited fetch, writability, the expected version, audited refusals."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import policies, repository, rows
from src.cases.models import Case
from src.platform.errors import Conflict, Forbidden, PreconditionFailed, PreconditionRequired


def denied(principal: Principal, action: str, case_id: uuid.UUID | None, detail: str) -> Forbidden:
    return audit.denied(principal.actor, action, "case", case_id, detail)


async def readable_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str, *, in_session: bool = True
) -> Case:
    """The case if the caller may read it; else a 404 audited under the caller's `action` (a case the caller
    may not see answers as one that does not exist). `in_session=False`: see `readable_whole`."""
    case = await repository.get_readable(session, principal, case_id, in_session=in_session)
    if case is None:
        raise audit.not_found(principal.actor, action, "case", case_id)
    return case


async def readable_whole(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str, *, in_session: bool = True
) -> tuple[Case, rows.Children]:
    """`readable_case` with the case's persons, violations and consents, read in the same statement; with
    `in_session=False` (a read that changes nothing) the case is not added to the session."""
    found = await repository.get_readable_whole(session, principal, case_id, in_session=in_session)
    if found is None:
        raise audit.not_found(principal.actor, action, "case", case_id)
    return found


async def writable_case(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    action: str,
    refusal: str = "You may not change this case.",
) -> Case:
    """The case if the caller may change it and retention has not anonymised it."""
    case = await readable_case(session, principal, case_id, action)
    _may_change(principal, case, action, refusal)
    return case


async def writable_whole(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str
) -> tuple[Case, rows.Children]:
    """`writable_case` with the case's persons, violations and consents, read in the same statement."""
    case, children = await readable_whole(session, principal, case_id, action)
    _may_change(principal, case, action, "You may not change this case.")
    return case, children


def _may_change(principal: Principal, case: Case, action: str, refusal: str) -> None:
    if not policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise denied(principal, action, case.id, refusal)
    not_anonymised(case)


def not_anonymised(case: Case) -> None:
    if case.anonymised_at is not None:
        raise Conflict("This case was anonymised under retention and can no longer change.")


def expected_version(if_match: str | None) -> int:
    if if_match is None or if_match.strip() == "*":
        raise PreconditionRequired("Send If-Match with the case's ETag.")
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed("The ETag does not match the case.")
    return int(value)


def current_version(case: Case, if_match: str | None) -> int:
    """The version If-Match names, refused early when it is not the case's (the write checks again)."""
    expected = expected_version(if_match)
    if expected != case.version:
        raise PreconditionFailed("The case changed since you read it; read it again.")
    return expected
