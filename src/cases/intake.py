"""Case intake: who owns a new case, its first rows, the trafficking case a child's case may open."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.cases import duplicates, guards, policies, repository, rows, views, workflow
from src.cases.models import Case, Consent, Person, Transition, Violation
from src.cases.read_schemas import CaseRead
from src.cases.rows import Children, ConsentRow
from src.cases.schemas import DETAILS_BY_KIND, CaseCreate
from src.consulates import repository as consulates
from src.platform import clock
from src.platform.errors import Unprocessable
from src.platform.ids import uuid7

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


# (attribute, column) of every mapped column of a case: the transient Case below is written as a plain row.
_CASE_COLUMNS = tuple((attr.key, attr.columns[0].name) for attr in sa_inspect(Case).column_attrs)


async def open_case(
    session: AsyncSession,
    principal: Principal,
    body: CaseCreate,
    owner_id: uuid.UUID,
    now: datetime,
    linked_case_id: uuid.UUID | None = None,
) -> tuple[Case, Children]:
    """Write a new case with its first rows, statement per table (no ORM unit of work); answer the case (an
    object outside the session, for the read model) and its children as written."""
    flow = workflow.WORKFLOWS[body.kind]
    status = flow.initial_state
    case = Case(
        id=uuid7(),
        kind=body.kind,
        status=status,
        intake_channel=body.intake_channel,
        occurred_country=body.occurred.country,
        occurred_region=body.occurred.region,
        occurred_city=body.occurred.city,
        owner_organization_id=owner_id,
        assignee_id=None,
        created_by=principal.id,
        status_entered_at=now,
        due_at=workflow.due_at(flow, status, {status: now}),
        linked_case_id=linked_case_id,
        legal_hold=False,
        legal_hold_reason=None,
        anonymised_at=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    case.summary = body.summary
    case.details = body.details
    values = {column: getattr(case, key) for key, column in _CASE_COLUMNS if key != "reference"}
    case.reference = await repository.insert_case(session, body.kind, now.year, values)
    people = [rows.person_row(case.id, 0, body.subject)] + [
        rows.person_row(case.id, i + 1, p) for i, p in enumerate(body.persons)
    ]
    await repository.insert_rows(session, Person, [written for written, _ in people])
    persons = [row for _, row in people]
    await repository.remember_name_tokens(session, [written["name_key"] for written, _ in people])
    violations = [
        rows.violation_row(case.id, v, persons[v.perpetrator + 1].id if v.perpetrator is not None else None)
        for v in body.violations
    ]
    await repository.insert_rows(session, Violation, [written for written, _ in violations])
    consents: list[ConsentRow] = []
    if body.consent is not None:
        consents = [
            ConsentRow(purpose, body.consent.given_by, body.consent.given_on)
            for purpose in body.consent.purposes
        ]
        await repository.insert_rows(
            session,
            Consent,
            [
                {
                    "id": uuid7(),
                    "case_id": case.id,
                    "purpose": c.purpose,
                    "given_by": c.given_by,
                    "given_on": c.given_on,
                    "recorded_by": principal.id,
                    "action": "given",
                }
                for c in consents
            ],
        )
    first = {
        "case_id": case.id,
        "from_status": None,
        "to_status": status,
        "actor_id": principal.id,
        "at": now,
    }
    await repository.insert_rows(session, Transition, [{**first, "case_kind": case.kind}])
    await audit.record(
        session,
        principal.actor,
        "case.create",
        resource_type="case",
        resource_id=case.id,
        changed_fields=body.model_fields_set,
        detail={"kind": body.kind},
    )
    return case, Children(persons, [row for _, row in violations], consents)


def _trafficking_indicated(body: CaseCreate) -> bool:
    return body.kind == "child_return" and any(
        v.type in TRAFFICKING_VIOLATIONS or v.indicators for v in body.violations
    )


async def create_case(session: AsyncSession, principal: Principal, body: CaseCreate) -> CaseRead:
    if not policies.may_open_cases(principal):
        raise guards.denied(principal, "case.create", None, "Your role may not open cases.")
    now = clock.utcnow()
    owner_id = await _owner_for(session, principal, body)
    case, children = await open_case(session, principal, body, owner_id, now)
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
        linked, _ = await open_case(session, principal, linked_body, owner_id, now, linked_case_id=case.id)
        await repository.set_linked_case(session, case.id, linked.id)
        case.linked_case_id = linked.id
    read = await views.read_model(session, case, now, children)
    read.possible_duplicates = await duplicates.candidates(session, principal, case, children.persons[0])
    if read.possible_duplicates:  # telling the caller another case exists is a read of it
        await duplicates.record_shown(session, principal, case, read.possible_duplicates)
    return read
