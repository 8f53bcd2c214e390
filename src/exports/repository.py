"""The rows an export reads: trafficking cases and their subject, one statement, sealed details opened here.

Like `reports/repository.py`, a read side over another domain's tables (tests/test_architecture.py names
both): it reads every organization's trafficking cases, which the ministry's coordinators oversee. It selects
only the columns the export maps (docs/htcds.md): no name, document, phone or summary is read at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.cases.models import Case, Person
from src.crypto.fields import open_value
from src.exports.htcds import CaseFacts

# A case decided not to be trafficking is not a trafficking record.
NOT_A_VICTIM = "not_a_victim"


async def trafficking_cases(session: AsyncSession, start: date | None, end: date | None) -> list[CaseFacts]:
    """Trafficking cases created from `start` to `end` (UTC days, both included), not anonymised, with their
    subject (position 0); in no particular order (the export sorts what it releases by value)."""
    bounds = []
    if start is not None:
        bounds.append(Case.created_at >= datetime.combine(start, time.min, UTC))
    if end is not None:
        bounds.append(Case.created_at < datetime.combine(end + timedelta(days=1), time.min, UTC))
    statement = (
        select(
            Case.id,
            func.timezone("UTC", Case.created_at).label("created"),
            Case.details_sealed,
            Person.sex,
            Person.birth_date,
            Person.citizenship,
        )
        .outerjoin(Person, and_(Person.case_id == Case.id, Person.position == 0))
        .where(Case.kind == "trafficking", Case.anonymised_at.is_(None), *bounds)
    )
    found = []
    for row in await session.execute(statement):
        details = open_value("case_file", "details", row.id, row.details_sealed, codec="json") or {}
        if details.get("trafficking_status") == NOT_A_VICTIM:
            continue
        found.append(
            CaseFacts(
                registered_on=row.created.date(),
                sex=row.sex,
                birth_date=row.birth_date,
                citizenship=row.citizenship,
                details=details,
            )
        )
    return found
