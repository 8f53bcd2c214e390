"""What was learned after intake: a case's persons and violations added, corrected and removed, each under the
case's ETag (the version moves), audited with the names of the fields changed, shown on the timeline."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases import changes, duplicates, guards, intake, repository, rows, views
from src.cases.models import Case, Person, Violation
from src.cases.read_schemas import CaseRead
from src.cases.rows import Children, PersonRow, ViolationRow
from src.cases.schemas import CaseCreate, PersonIn, PersonPatch, ViolationChange, ViolationPatch
from src.platform import clock
from src.platform.errors import Conflict, Unprocessable

# The audit actions of amendments: the timeline shows them (`cases.service.timeline`).
AMENDMENTS = tuple(
    f"case.{what}.{how}" for what in ("person", "violation") for how in ("add", "update", "delete")
)
MAX_PERSONS = 51  # the subject and the fifty others intake takes
MAX_VIOLATIONS = 100
_NAME_PARTS = frozenset({"family_name", "given_name", "patronymic", "organization_name"})
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", PersonRow, ViolationRow)


def _valid(model: type[M], body: dict[str, Any]) -> M:
    """The body as corrected, checked as a whole: 422 naming the first rule it breaks."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ["body", *(str(part) for part in first["loc"])]
        raise Unprocessable.at(loc, str(first["msg"])) from exc


def _corrected(model: type[M], stored: dict[str, Any], patch: BaseModel) -> M:
    """The stored row's body with the fields the patch sets (null removes), checked as a whole."""
    if not patch.model_fields_set:
        raise Unprocessable.at(["body"], "nothing to change")
    return _valid(model, {**stored, **patch.model_dump(mode="json", include=patch.model_fields_set)})


async def _writable(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str, if_match: str | None
) -> tuple[Case, int, Children]:
    case, children = await guards.writable_whole(session, principal, case_id, action)
    return case, guards.current_version(case, if_match), children


async def _done(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    expected: int,
    action: str,
    changed: set[str],
    detail: dict[str, Any],
    person: PersonRow | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[CaseRead, str]:
    """Move the version (412 if another writer was first), audit, answer the case; a person added or changed
    is searched for in other cases, as at intake."""
    await changes.bump(session, case, expected, values or {})
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=case.id,
        changed_fields=changed,
        detail=detail,
    )
    read = await views.read_model(session, case, clock.utcnow())
    if person is not None:
        read.possible_duplicates = await duplicates.candidates(session, principal, case, person)
        if read.possible_duplicates:
            await duplicates.record_shown(session, principal, case, read.possible_duplicates)
    return read, views.etag(case)


def _subject_rules(case: Case, person: PersonIn) -> None:
    if person.is_organization:
        raise Unprocessable.at(
            ["body", "organization_name"], "the subject is a natural person, with name parts"
        )
    if case.kind == "child_return" and person.role != "child":
        raise Unprocessable.at(["body", "role"], "a child_return case's subject has the role 'child'")


def _one(found: list[R], row_id: uuid.UUID) -> R | None:
    return next((row for row in found if row.id == row_id), None)


def _existing(principal: Principal, action: str, found: list[R], row_id: uuid.UUID) -> R:
    """The case's person or violation with this id, or a 404 audited under the action."""
    row = _one(found, row_id)
    if row is None:
        what = "person" if action.startswith("case.person") else "violation"
        raise audit.not_found(principal.actor, action, what, row_id, f"No such {what} in this case.")
    return row


async def add_person(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: PersonIn
) -> tuple[CaseRead, str]:
    case, expected, children = await _writable(session, principal, case_id, "case.person.add", if_match)
    if len(children.persons) >= MAX_PERSONS:
        raise Unprocessable.at(["body"], f"a case holds at most {MAX_PERSONS} persons")
    position = max(p.position for p in children.persons) + 1
    written, row = rows.person_row(case.id, position, body)
    await repository.insert_rows(session, Person, [written])
    await repository.remember_name_tokens(session, [row.name_key])
    detail = {"person_id": str(row.id)}
    return await _done(
        session, principal, case, expected, "case.person.add", body.model_fields_set, detail, row
    )


async def update_person(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    if_match: str | None,
    patch: PersonPatch,
) -> tuple[CaseRead, str]:
    action = "case.person.update"
    case, expected, children = await _writable(session, principal, case_id, action, if_match)
    current = _existing(principal, action, children.persons, person_id)
    changed = patch.model_fields_set
    person = _corrected(PersonIn, rows.person_body(current), patch)
    if current.position == 0:
        _subject_rules(case, person)
    inferred = current.name_parts_inferred and not (changed & _NAME_PARTS)
    written, row = rows.person_row(
        case.id, current.position, person, person_id=current.id, name_parts_inferred=inferred
    )
    await repository.update_child(session, Person, case.id, current.id, written)
    if row.name_key != current.name_key:
        await repository.remember_name_tokens(session, [row.name_key])
    detail = {"person_id": str(current.id)}
    return await _done(session, principal, case, expected, action, changed, detail, row)


async def delete_person(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    if_match: str | None,
) -> tuple[CaseRead, str]:
    action = "case.person.delete"
    case, expected, children = await _writable(session, principal, case_id, action, if_match)
    current = _existing(principal, action, children.persons, person_id)
    if current.position == 0:
        raise Unprocessable.at(["path", "person_id"], "the subject cannot be deleted, only corrected")
    if any(v.perpetrator_id == current.id for v in children.violations):
        raise Conflict("A violation names this person as its perpetrator: change the violation first.")
    await repository.delete_child(session, Person, case.id, current.id)
    return await _done(session, principal, case, expected, action, set(), {"person_id": str(current.id)})


def _perpetrator(children: Children, perpetrator_id: uuid.UUID | None) -> uuid.UUID | None:
    if perpetrator_id is not None and _one(children.persons, perpetrator_id) is None:
        raise Unprocessable.at(["body", "perpetrator_id"], "not a person of this case")
    return perpetrator_id


async def _linked_if_indicated(
    session: AsyncSession, principal: Principal, case: Case, children: Children, violation: ViolationChange
) -> dict[str, Any]:
    """A trafficking indicator learned later on a child's case opens the linked trafficking case, as at
    intake (once): the values the case's own write then takes."""
    indicated = violation.type in intake.TRAFFICKING_VIOLATIONS or violation.indicators
    if case.kind != "child_return" or case.linked_case_id is not None or not indicated:
        return {}
    others = children.persons[1:]
    perpetrator = next((i for i, p in enumerate(others) if p.id == violation.perpetrator_id), None)
    first = {**violation.model_dump(mode="json", exclude={"perpetrator_id"}), "perpetrator": perpetrator}
    consent = children.consents
    body = _valid(
        CaseCreate,
        {
            "kind": "trafficking",
            "summary": f"Opened from {case.reference}: trafficking indicators on a child's case.",
            "intake_channel": case.intake_channel,
            "occurred": {
                "country": case.occurred_country,
                "region": case.occurred_region,
                "city": case.occurred_city,
            },
            "subject": rows.person_body(children.persons[0]),
            "persons": [rows.person_body(p) for p in others],
            "violations": [first],
            "consent": {
                "purposes": sorted({c.purpose for c in consent}),
                "given_by": consent[0].given_by,
                "given_on": consent[0].given_on.isoformat(),
            }
            if consent
            else None,
        },
    )
    linked, _ = await intake.open_case(
        session, principal, body, case.owner_organization_id, clock.utcnow(), linked_case_id=case.id
    )
    return {"linked_case_id": linked.id}


async def add_violation(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    if_match: str | None,
    body: ViolationChange,
) -> tuple[CaseRead, str]:
    action = "case.violation.add"
    case, expected, children = await _writable(session, principal, case_id, action, if_match)
    if len(children.violations) >= MAX_VIOLATIONS:
        raise Unprocessable.at(["body"], f"a case holds at most {MAX_VIOLATIONS} violations")
    written, row = rows.violation_row(case.id, body, _perpetrator(children, body.perpetrator_id))
    await repository.insert_rows(session, Violation, [written])
    linked = await _linked_if_indicated(session, principal, case, children, body)
    detail = {"violation_id": str(row.id)}
    return await _done(
        session, principal, case, expected, action, body.model_fields_set, detail, values=linked
    )


async def update_violation(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    violation_id: uuid.UUID,
    if_match: str | None,
    patch: ViolationPatch,
) -> tuple[CaseRead, str]:
    action = "case.violation.update"
    case, expected, children = await _writable(session, principal, case_id, action, if_match)
    current = _existing(principal, action, children.violations, violation_id)
    changed = patch.model_fields_set
    violation = _corrected(ViolationChange, rows.violation_body(current), patch)
    perpetrator = _perpetrator(children, violation.perpetrator_id)
    written, _ = rows.violation_row(case.id, violation, perpetrator, violation_id=current.id)
    await repository.update_child(session, Violation, case.id, current.id, written)
    linked = await _linked_if_indicated(session, principal, case, children, violation)
    detail = {"violation_id": str(current.id)}
    return await _done(session, principal, case, expected, action, changed, detail, values=linked)


async def delete_violation(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    violation_id: uuid.UUID,
    if_match: str | None,
) -> tuple[CaseRead, str]:
    action = "case.violation.delete"
    case, expected, children = await _writable(session, principal, case_id, action, if_match)
    current = _existing(principal, action, children.violations, violation_id)
    await repository.delete_child(session, Violation, case.id, current.id)
    detail = {"violation_id": str(current.id)}
    return await _done(session, principal, case, expected, action, set(), detail)
