"""Case intake: who owns a new case, its first rows, the trafficking case a child's case may open."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.cases import duplicates, guards, names, policies, repository, views, workflow
from src.cases.models import Case, Consent, Person, Transition, Violation
from src.cases.read_schemas import CaseRead
from src.cases.schemas import DETAILS_BY_KIND, CaseCreate, PersonIn
from src.consulates import repository as consulates
from src.crypto import fields
from src.platform import clock
from src.platform.errors import Unprocessable

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


async def _owner_for(session: AsyncSession, principal: Principal, body: CaseCreate) -> uuid.UUID:
    if not policies.may_name_owner(principal):
        if body.owner_organization_id not in (None, principal.organization_id):
            raise Unprocessable.at(
                ["body", "owner_organization_id"], "only ministry callers may name the owner"
            )
        return principal.organization_id
    ministry = await auth_repository.get_organization(session, principal.organization_id)
    assert ministry is not None
    if body.owner_organization_id is not None:
        named = await auth_repository.get_organization(session, body.owner_organization_id)
        if named is None or named.kind != "consulate" or named.country != ministry.country:
            raise Unprocessable.at(
                ["body", "owner_organization_id"], "not a consulate of the ministry's state"
            )
        return named.id
    routed = await consulates.covering_consulate_id(
        session, sending_country=ministry.country, country=body.occurred.country, region=body.occurred.region
    )
    return routed if routed is not None else ministry.id


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
        Transition(
            case_id=case.id,
            from_status=None,
            to_status=status,
            actor_id=principal.id,
            at=now,
            case_kind=case.kind,
        )
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
        raise guards.denied(principal, "case.create", None, "Your role may not open cases.")
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
    read = await views.read_model(session, case, now)
    read.possible_duplicates = await duplicates.candidates(session, principal, case)
    if read.possible_duplicates:  # telling the caller another case exists is a read of it
        await duplicates.record_shown(session, principal, case, read.possible_duplicates)
    return read
