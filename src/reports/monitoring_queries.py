"""The monitoring report's own counts, where no other report counts them: cases opened by kind per month,
cases by violation type and host region, and cases by intake channel and the subject's sex. True counts only:
src/reports/monitoring.py releases them with noise as the other reports (src/reports/release.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from src.cases.models import Case, Person, Violation
from src.reports import release
from src.reports.repository import _bounds


async def cases_by_period_month(
    session: AsyncSession, periods: list[tuple[date, date]]
) -> list[tuple[int, str, str, int]]:
    """(period index, month `YYYY-MM`, kind, cases opened) for each of `periods` (whole UTC days, one after
    another). One scan of them all, counted per UTC day and kind, then summed into periods and months here:
    a month's text formatted for every case, a query a period, took three times as long at 1M cases."""
    day = cast(func.timezone("UTC", Case.created_at), Date)
    rows = await session.execute(
        select(day, Case.kind, func.count())
        .where(*_bounds(Case.created_at, periods[0][0], periods[-1][1]))
        .group_by(day, Case.kind)
    )
    counted: Counter[tuple[int, str, str]] = Counter()
    for opened, kind, n in rows.all():
        index = next(i for i, (start, end) in enumerate(periods) if start <= opened <= end)
        counted[(index, opened.strftime("%Y-%m"), str(kind))] += int(n)
    return [(index, month, kind, n) for (index, month, kind), n in sorted(counted.items())]


def _host_region() -> Any:
    return func.coalesce(Case.occurred_region, Case.occurred_country)


async def violations_by_region(session: AsyncSession, start: date, end: date) -> list[tuple[str, str, int]]:
    """(violation type, host region or country, cases with that violation there), counting at most
    `release.BOUND` violation types of each case (the first by code): one case moves the table by at most
    that much."""
    region = _host_region()
    types = (
        select(Violation.case_id, Violation.type)
        .join(Case, Case.id == Violation.case_id)
        .where(*_bounds(Case.created_at, start, end))
        .distinct()
        .subquery("types")
    )
    nth = func.row_number().over(partition_by=types.c.case_id, order_by=types.c.type)
    bounded = select(types.c.case_id, types.c.type, nth.label("nth")).subquery("bounded")
    rows = await session.execute(
        select(bounded.c.type, region, func.count())
        .join(Case, Case.id == bounded.c.case_id)
        .where(bounded.c.nth <= release.BOUND)
        .group_by(bounded.c.type, region)
        .order_by(bounded.c.type, region)
    )
    return [(str(t), str(r), int(n)) for t, r, n in rows.all()]


async def channels_by_sex(session: AsyncSession, start: date, end: date) -> list[tuple[str, str, int]]:
    """(intake channel, the case subject's sex or `unknown`, cases opened)."""
    sex = func.coalesce(Person.sex, "unknown")
    rows = await session.execute(
        select(Case.intake_channel, sex, func.count())
        .select_from(Case)
        .outerjoin(Person, (Person.case_id == Case.id) & (Person.position == 0))
        .where(*_bounds(Case.created_at, start, end))
        .group_by(Case.intake_channel, sex)
        .order_by(Case.intake_channel, sex)
    )
    return [(str(c), str(s), int(n)) for c, s, n in rows.all()]


@dataclass(frozen=True)
class AuditHead:
    """The audit chain's newest sequenced event when the report was read: checkpoint size, head hash."""

    sequence: int
    head_hash: str | None


async def audit_head(session: AsyncSession) -> AuditHead:
    head = (
        await session.execute(
            text("SELECT seq, encode(hash, 'hex') FROM audit_chain ORDER BY seq DESC LIMIT 1")
        )
    ).first()
    return AuditHead(int(head[0]), str(head[1])) if head else AuditHead(0, None)


def previous_periods(start: date, end: date, count: int) -> list[tuple[date, date]]:
    """The `count` periods of the same length just before [start, end], oldest first, then [start, end]."""
    length = (end - start).days + 1
    periods = [
        (start - timedelta(days=length * i), end - timedelta(days=length * i)) for i in range(count, 0, -1)
    ]
    return [*periods, (start, end)]
