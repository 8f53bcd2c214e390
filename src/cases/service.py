"""Case use cases: intake, reading, updates under optimistic locking, transitions, assignment, notes.

Services take (session, principal, ...) and never commit. Every read and write of a case is audited with
field names only.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.models import Organization, User
from src.auth.principal import Principal
from src.cases import duplicates, names, policies, repository, workflow
from src.cases.models import Assignment, Case, Consent, Note, Person, Transition, Violation
from src.cases.schemas import (
    DETAILS_BY_KIND,
    AssignIn,
    CaseCreate,
    CasePatch,
    CaseRead,
    ConsentRead,
    LegalHoldIn,
    NoteIn,
    NoteRead,
    PersonIn,
    PersonRead,
    PlaceRead,
    TimelineEntry,
    TransitionIn,
    ViolationRead,
)
from src.consulates import repository as consulates
from src.crypto import fields
from src.platform import clock
from src.platform.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)

# Violation types and any ILO indicator that, on a child_return case, open a linked trafficking case.
TRAFFICKING_VIOLATIONS = frozenset(
    {
        "forced_labour",
        "debt_bondage",
        "sexual_exploitation",
        "forced_begging",
        "forced_marriage",
        "organ_removal",
    }
)


# Later domains (referrals) add their entries to a case's timeline without cases importing them.
TimelineSource = Callable[[AsyncSession, uuid.UUID], Awaitable[list[TimelineEntry]]]
timeline_sources: list[TimelineSource] = []


def etag_of(version: int) -> str:
    return f'"{version}"'


def etag(case: Case) -> str:
    return etag_of(case.version)


def _denied(principal: Principal, action: str, case_id: uuid.UUID | None, detail: str) -> Forbidden:
    return audit.denied(principal.actor, action, "case", case_id, detail)


def _not_found(principal: Principal, action: str, case_id: uuid.UUID) -> NotFound:
    return audit.not_found(principal.actor, action, "case", case_id)


def _invalid(loc: list[str], msg: str) -> Unprocessable:
    return Unprocessable.at(loc, msg)


# ---- intake --------------------------------------------------------------------------------------------


async def _owner_for(session: AsyncSession, principal: Principal, body: CaseCreate) -> uuid.UUID:
    if principal.organization_kind != "ministry":
        if body.owner_organization_id not in (None, principal.organization_id):
            raise _invalid(["body", "owner_organization_id"], "only ministry callers may name the owner")
        return principal.organization_id
    ministry = await session.get(Organization, principal.organization_id)
    assert ministry is not None
    if body.owner_organization_id is not None:
        named = await session.get(Organization, body.owner_organization_id)
        if named is None or named.kind != "consulate" or named.country != ministry.country:
            raise _invalid(["body", "owner_organization_id"], "not a consulate of the ministry's state")
        return named.id
    routed = await consulates.route(
        session, sending_country=ministry.country, country=body.occurred.country, region=body.occurred.region
    )
    return routed.id if routed is not None else ministry.id


def _person(case_id: uuid.UUID, position: int, person: PersonIn) -> Person:
    full_name = names.display_name(
        person.family_name,
        person.given_name,
        person.patronymic,
        person.organization_name,
        person.citizenship,
    )
    return Person(
        case_id=case_id,
        position=position,
        role=person.role,
        family_name=person.family_name,
        given_name=person.given_name,
        patronymic=person.patronymic,
        organization_name=person.organization_name,
        full_name=full_name,
        name_key=names.skeleton(full_name),
        birth_date=person.birth_date,
        sex=person.sex,
        citizenship=person.citizenship,
        document_type=person.document.type if person.document else None,
        document_number=person.document.number if person.document else None,
        document_number_index=fields.blind_index(person.document.number) if person.document else None,
        phone=person.phone,
        language=person.language,
    )


async def open_case(
    session: AsyncSession,
    principal: Principal,
    body: CaseCreate,
    owner_id: uuid.UUID,
    now: datetime,
    linked_case_id: uuid.UUID | None = None,
) -> Case:
    flow = workflow.WORKFLOWS[body.kind]
    status = flow.initial_state
    case = Case(
        reference=await repository.next_reference(session, body.kind, now.year),
        kind=body.kind,
        status=status,
        summary=body.summary,
        intake_channel=body.intake_channel,
        occurred_country=body.occurred.country,
        occurred_region=body.occurred.region,
        occurred_city=body.occurred.city,
        owner_organization_id=owner_id,
        created_by=principal.id,
        details=body.details,
        status_entered_at=now,
        due_at=workflow.due_at(flow, status, {status: now}),
        linked_case_id=linked_case_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    persons = [_person(case.id, 0, body.subject)] + [
        _person(case.id, i + 1, p) for i, p in enumerate(body.persons)
    ]
    session.add_all(persons)
    await session.flush()
    await repository.remember_name_tokens(session, [p.name_key for p in persons])
    session.add_all(
        Violation(
            case_id=case.id,
            type=v.type,
            indicators=v.indicators,
            started_on=v.started_on,
            ended_on=v.ended_on,
            location=v.location,
            description=v.description,
            status=v.status,
            perpetrator_id=persons[v.perpetrator + 1].id if v.perpetrator is not None else None,
        )
        for v in body.violations
    )
    if body.consent is not None:
        session.add_all(
            Consent(
                case_id=case.id,
                purpose=purpose,
                given_by=body.consent.given_by,
                given_on=body.consent.given_on,
                recorded_by=principal.id,
            )
            for purpose in body.consent.purposes
        )
    session.add(
        Transition(case_id=case.id, from_status=None, to_status=status, actor_id=principal.id, at=now)
    )
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "case.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=body.model_fields_set,
        detail={"kind": body.kind},
    )
    return case


def _trafficking_indicated(body: CaseCreate) -> bool:
    return body.kind == "child_return" and any(
        v.type in TRAFFICKING_VIOLATIONS or v.indicators for v in body.violations
    )


async def create_case(session: AsyncSession, principal: Principal, body: CaseCreate) -> CaseRead:
    if not policies.may_open_cases(principal):
        raise _denied(principal, "case.create", None, "Your role may not open cases.")
    now = clock.utcnow()
    owner_id = await _owner_for(session, principal, body)
    case = await open_case(session, principal, body, owner_id, now)
    if _trafficking_indicated(body):
        linked_body = body.model_copy(
            update={
                "kind": "trafficking",
                "summary": f"Opened from {case.reference}: trafficking indicators on a child's case.",
                "details": DETAILS_BY_KIND["trafficking"]().model_dump(mode="json"),
                "violations": [
                    v for v in body.violations if v.type in TRAFFICKING_VIOLATIONS or v.indicators
                ],
            }
        )
        linked = await open_case(session, principal, linked_body, owner_id, now, linked_case_id=case.id)
        case.linked_case_id = linked.id
        await session.flush()
    read = await _read_model(session, case, now)
    read.possible_duplicates = await duplicates.candidates(session, principal, case)
    if read.possible_duplicates:  # telling the caller another case exists is a read of it
        await duplicates.record_shown(session, principal, case, read.possible_duplicates)
    return read


# ---- reading -------------------------------------------------------------------------------------------


async def _read_model(session: AsyncSession, case: Case, now: datetime) -> CaseRead:
    persons, violations, consents = await repository.children(session, case.id)
    person_reads = [
        PersonRead(
            id=p.id,
            role=p.role,
            full_name=p.full_name,
            family_name=p.family_name,
            given_name=p.given_name,
            patronymic=p.patronymic,
            organization_name=p.organization_name,
            name_parts_inferred=p.name_parts_inferred,
            birth_date=p.birth_date,
            sex=p.sex,
            citizenship=p.citizenship,
            phone=p.phone,
            language=p.language,
            document={"type": p.document_type, "number": p.document_number}
            if p.document_type and p.document_number
            else None,
        )
        for p in persons
    ]
    consent = None
    if consents:
        consent = ConsentRead(
            purposes=sorted({c.purpose for c in consents}),
            given_by=consents[0].given_by,
            given_on=consents[0].given_on,
        )
    return CaseRead(
        id=case.id,
        reference=case.reference,
        kind=case.kind,
        status=case.status,
        summary=case.summary,
        intake_channel=case.intake_channel,
        occurred=PlaceRead(
            country=case.occurred_country, region=case.occurred_region, city=case.occurred_city
        ),
        owner_organization_id=case.owner_organization_id,
        assignee_id=case.assignee_id,
        linked_case_id=case.linked_case_id,
        subject=person_reads[0],
        persons=person_reads[1:],
        violations=[ViolationRead.model_validate(v) for v in violations],
        consent=consent,
        details=case.details,
        version=case.version,
        overdue=case.due_at is not None and case.due_at < now,
        due_at=case.due_at,
        created_at=case.created_at,
        updated_at=case.updated_at,
        legal_hold=case.legal_hold,
        anonymised_at=case.anonymised_at,
    )


async def get_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> tuple[CaseRead, str]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.read", case_id)
    await audit.record(session, principal.actor, "case.read", resource_type="case", resource_id=case.id)
    return await _read_model(session, case, clock.utcnow()), etag(case)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    filters: dict[str, Any],
    before: uuid.UUID | None,
    limit: int,
) -> list[Case]:
    now = clock.utcnow()
    cases = await repository.list_cases(
        session, principal, filters=filters, now=now, before=before, limit=limit
    )
    shown = cases[: limit - 1] if len(cases) == limit else cases
    await audit.record(
        session,
        principal.actor,
        "case.list",
        resource_type="case",
        detail={
            "count": len(shown),
            "case_ids": [str(c.id) for c in shown],
            "filters": sorted(k for k, v in filters.items() if v is not None),
        },
    )
    return cases


# ---- writing -------------------------------------------------------------------------------------------


def expected_version(if_match: str | None) -> int:
    if if_match is None or if_match.strip() == "*":
        raise PreconditionRequired("Send If-Match with the case's ETag.")
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed("The ETag does not match the case.")
    return int(value)


async def _writable(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, action: str, if_match: str | None
) -> tuple[Case, int]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, action, case_id)
    if not policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise _denied(principal, action, case.id, "You may not change this case.")
    _not_anonymised(case)
    expected = expected_version(if_match)
    if expected != case.version:
        raise PreconditionFailed("The case changed since you read it; read it again.")
    return case, expected


def _not_anonymised(case: Case) -> None:
    if case.anonymised_at is not None:
        raise Conflict("This case was anonymised under retention and can no longer change.")


async def set_legal_hold(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: LegalHoldIn
) -> tuple[CaseRead, str]:
    """A supervisor or coordinator of the owning organization stops (or allows again) retention."""
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.legal_hold", case_id)
    if not policies.may_assign(principal, case.owner_organization_id):
        raise _denied(
            principal, "case.legal_hold", case.id, "Only a supervisor places or lifts a legal hold."
        )
    _not_anonymised(case)
    expected = expected_version(if_match)
    await _bump(session, case, expected, {"legal_hold": body.hold, "legal_hold_reason": body.reason})
    await audit.record(
        session,
        principal.actor,
        "case.legal_hold",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("legal_hold", "legal_hold_reason"),
        detail={"hold": body.hold},
    )
    return await _read_model(session, case, clock.utcnow()), etag(case)


async def _bump(session: AsyncSession, case: Case, expected: int, values: dict[str, Any]) -> None:
    """Write under optimistic locking: of two writers holding one ETag, exactly one succeeds."""
    now = clock.utcnow()
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == expected)
        .values(**values, version=Case.version + 1, updated_at=now)
        .returning(Case.version)
    )
    if result.first() is None:
        raise PreconditionFailed("The case changed since you read it; read it again.")
    await session.refresh(case)


async def update_case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, patch: CasePatch
) -> tuple[CaseRead, str]:
    case, expected = await _writable(session, principal, case_id, "case.update", if_match)
    changed = patch.model_fields_set
    values: dict[str, Any] = {}
    if "summary" in changed and patch.summary is not None:
        values["summary_sealed"] = fields.seal_value("case_file", "summary", case.id, patch.summary)
    if "intake_channel" in changed and patch.intake_channel is not None:
        values["intake_channel"] = patch.intake_channel
    if "occurred" in changed and patch.occurred is not None:
        values.update(
            occurred_country=patch.occurred.country,
            occurred_region=patch.occurred.region,
            occurred_city=patch.occurred.city,
        )
    if "details" in changed and patch.details is not None:
        try:
            details = DETAILS_BY_KIND[case.kind].model_validate(patch.details).model_dump(mode="json")
        except ValueError as exc:
            raise _invalid(["body", "details"], "details do not fit the case kind") from exc
        values["details_sealed"] = fields.seal_value("case_file", "details", case.id, details, codec="json")
    if not values:
        raise _invalid(["body"], "nothing to change")
    await _bump(session, case, expected, values)
    await audit.record(
        session,
        principal.actor,
        "case.update",
        resource_type="case",
        resource_id=case.id,
        changed_fields=changed,
    )
    return await _read_model(session, case, clock.utcnow()), etag(case)


async def transition(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: TransitionIn
) -> tuple[CaseRead, str]:
    case, expected = await _writable(session, principal, case_id, "case.transition", if_match)
    flow = workflow.WORKFLOWS[case.kind]
    previous = case.status
    now = clock.utcnow()
    try:
        target = workflow.check_transition(
            flow, case.status, body.to, principal.role, case.status_entered_at, now
        )
    except workflow.TransitionRefused as refused:
        allowed = sorted(refused.allowed)
        if refused.reason == "role":
            raise _denied(
                principal, "case.transition", case.id, f"Your role may not move a case to '{body.to}'."
            ) from refused
        if refused.reason == "too_early":
            minimum = (flow.minimum_days or {}).get(case.status)
            raise Conflict(
                f"The case must stay in '{case.status}' at least {minimum} days.", extra={"allowed": allowed}
            ) from refused
        raise Conflict(
            f"A case in '{case.status}' cannot move to '{body.to}'.", extra={"allowed": allowed}
        ) from refused
    if target == workflow.CLOSED and not body.reason:
        raise _invalid(["body", "reason"], "closing a case needs a reason")
    session.add(
        Transition(
            **({"id": await repository.next_transition_id(session)} if body.reason else {}),
            case_id=case.id,
            from_status=case.status,
            to_status=target,
            reason=body.reason,
            actor_id=principal.id,
            at=now,
            from_entered_at=case.status_entered_at,
        )
    )
    await session.flush()
    entered = await repository.entered_states(session, case.id)
    await _bump(
        session,
        case,
        expected,
        {
            "status": target,
            "status_entered_at": now,
            "due_at": workflow.due_at(flow, target, entered),
        },
    )
    await audit.record(
        session,
        principal.actor,
        "case.transition",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("status",),
        detail={"from": previous, "to": target},
    )
    return await _read_model(session, case, now), etag(case)


async def assign(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, if_match: str | None, body: AssignIn
) -> tuple[CaseRead, str]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.assign", case_id)
    if not policies.may_assign(principal, case.owner_organization_id):
        raise _denied(principal, "case.assign", case.id, "Only a supervisor assigns cases.")
    expected = expected_version(if_match)
    if body.assignee_id is not None:
        assignee = await session.scalar(
            select(User).where(
                User.id == body.assignee_id,
                User.organization_id == case.owner_organization_id,
                User.is_active,
                User.role.in_(("officer", "supervisor", "coordinator")),
            )
        )
        if assignee is None:
            raise _invalid(["body", "assignee_id"], "not an active case worker of the owning organization")
    now = clock.utcnow()
    session.add(Assignment(case_id=case.id, assignee_id=body.assignee_id, assigned_by=principal.id, at=now))
    await _bump(session, case, expected, {"assignee_id": body.assignee_id})
    await audit.record(
        session,
        principal.actor,
        "case.assign",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("assignee_id",),
    )
    return await _read_model(session, case, now), etag(case)


async def add_note(session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: NoteIn) -> NoteRead:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.note.create", case_id)
    if not policies.may_write(principal, case.owner_organization_id, case.assignee_id):
        raise _denied(principal, "case.note.create", case.id, "You may not add notes to this case.")
    _not_anonymised(case)
    note = Note(case_id=case.id, author_id=principal.id, body=body.body, created_at=clock.utcnow())
    session.add(note)
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "case.note.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=("body",),
        detail={"note_id": str(note.id)},
    )
    return NoteRead.model_validate(note)


async def list_notes(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[NoteRead]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.note.list", case_id)
    notes = (await session.scalars(select(Note).where(Note.case_id == case.id).order_by(Note.id))).all()
    await audit.record(session, principal.actor, "case.note.list", resource_type="case", resource_id=case.id)
    return [NoteRead.model_validate(n) for n in notes]


async def timeline(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> list[TimelineEntry]:
    case = await repository.get_readable(session, principal, case_id)
    if case is None:
        raise _not_found(principal, "case.timeline", case_id)
    transitions, notes, assignments = await repository.timeline_rows(session, case.id)
    entries = (
        [
            TimelineEntry(
                at=t.at,
                type="transition",
                actor_id=t.actor_id,
                from_status=t.from_status,
                to_status=t.to_status,
                reason=t.reason,
            )
            for t in transitions
        ]
        + [
            TimelineEntry(at=n.created_at, type="note", actor_id=n.author_id, note_id=n.id, body=n.body)
            for n in notes
        ]
        + [
            TimelineEntry(at=a.at, type="assignment", actor_id=a.assigned_by, assignee_id=a.assignee_id)
            for a in assignments
        ]
    )
    for source in timeline_sources:
        entries += await source(session, case.id)
    await audit.record(session, principal.actor, "case.timeline", resource_type="case", resource_id=case.id)
    return sorted(entries, key=lambda e: e.at)
