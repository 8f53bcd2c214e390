"""The read model of a case (what `CaseRead` shows of its rows) and its ETag."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from src.cases import repository, rows
from src.cases.models import Case
from src.cases.read_schemas import CaseRead, ConsentRead, PersonRead, PlaceRead, ViolationRead


def etag_of(version: int) -> str:
    return f'"{version}"'


def etag(case: Case) -> str:
    return etag_of(case.version)


def consent_read(history: list[rows.ConsentRow]) -> ConsentRead | None:
    """The consent in force (each purpose's latest entry, where it gives consent), or None."""
    in_force = rows.consent_in_force(history)
    if not in_force:
        return None
    latest = in_force[-1]
    return ConsentRead(
        purposes=sorted({c.purpose for c in in_force}), given_by=latest.given_by, given_on=latest.given_on
    )


async def read_model(
    session: AsyncSession, case: Case, now: datetime, children: rows.Children | None = None
) -> CaseRead:
    """The case as `CaseRead`; its children are read unless given (read with the case, or just written)."""
    persons, violations, consents = children or await repository.children(session, case.id)
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
    consent = consent_read(consents)
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
