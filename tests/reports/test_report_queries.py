"""The reports' queries count what a straightforward count over the same rows gives: the case report's
(reshaped for 1M cases, migration 0018, read from its index alone), and the referral and redress reports',
which count at most release.BOUND rows of each case (the noise is scaled to that)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.reports import monitoring_queries, privacy, repository
from src.reports.release import BOUND, MONEY_CAPS
from src.seed import bench_data

# Every referral and redress action of the period, to bound and count in Python: what the report's queries
# must count (release.BOUND of each case, the first by creation; amounts capped per currency).
REFERRALS = """
    SELECT case_id, created_at, id, to_organization_id, status,
           date_part('epoch', accepted_at - created_at) / 3600.0 AS hours
    FROM referral WHERE created_at >= :start AND created_at < :end
"""
ACTIONS = """
    SELECT case_id, created_at, id, instrument_id, forum, status,
           claim_currency, claim_amount, recovered_currency, recovered_amount
    FROM redress_action WHERE created_at >= :start AND created_at < :end
"""
COLUMNS = {
    "kind": "kind",
    "status": "status",
    "occurred_country": "occurred_country",
    "owner_organization": "owner_organization_id::text",
    "intake_channel": "intake_channel",
    "quarter": "to_char(date_trunc('quarter', timezone('UTC', created_at)), 'YYYY-\"Q\"Q')",
}
EVER = (date(2000, 1, 1), date(2100, 1, 1))


async def _more_of_some_cases(owner_engine: AsyncEngine, table: str, which: str = "true") -> None:
    """Three more copies, each an hour later, of about every fifth row of `table` (that is `which`): cases
    with more rows than are counted."""
    async with owner_engine.begin() as conn:
        await conn.execute(text(f"CREATE TEMP TABLE copied ON COMMIT DROP AS SELECT * FROM {table} LIMIT 0"))
        for hours in (1, 2, 3):
            for statement in (
                f"INSERT INTO copied SELECT * FROM {table} WHERE {which} AND get_byte(uuid_send(id), 9) < 50",
                "UPDATE copied SET id = gen_random_uuid(), created_at = created_at + :h * interval '1 hour'",
                f"INSERT INTO {table} SELECT * FROM copied",
                "TRUNCATE copied",
            ):
                await conn.execute(text(statement), {"h": hours} if ":h" in statement else {})


def _first_of_each_case(rows: Sequence[Any]) -> list[Any]:
    """The first release.BOUND rows of each case, by (created_at, id)."""
    by_case: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        by_case[row.case_id].append(row)
    return [
        row for found in by_case.values() for row in sorted(found, key=lambda r: (r.created_at, r.id))[:BOUND]
    ]


def _bin(value: float | None) -> int | None:
    """PostgreSQL's width_bucket(value, GRID): how many of the grid's edges are at or below the value."""
    return None if value is None else bisect.bisect_right(privacy.GRID, max(value, 0.0))


@pytest.fixture
async def seeded(owner_engine: AsyncEngine) -> None:
    async with owner_engine.begin() as conn:
        await bench_data.seed(conn, 600, persons_per_case=1)
    async with owner_engine.connect() as conn:
        # As autovacuum leaves a table that is mostly read: its pages all visible, so indexes alone answer.
        # Outside a transaction and as one simple query (no prepared statement), so that it also runs through
        # a transaction pooler, where a statement prepared outside a transaction may be gone when it runs.
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute("VACUUM ANALYZE case_file, referral")  # type: ignore[union-attr]


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, UTC)


async def _plan(db: AsyncSession, query: Any) -> str:
    statement = query.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True})
    return "\n".join(row[0] for row in await db.execute(text(f"EXPLAIN {statement}")))


@pytest.mark.parametrize(
    "group_by",
    [
        ["kind"],
        ["kind", "status", "occurred_country", "owner_organization"],
        ["owner_organization", "status"],  # not the index's order
        ["intake_channel", "kind", "quarter", "occurred_country"],
    ],
)
async def test_case_counts_are_the_straightforward_counts_in_any_order_of_dimensions(
    seeded: None, db: AsyncSession, group_by: list[str]
) -> None:
    selected = ", ".join(COLUMNS[name] for name in group_by)
    for start, end in ((None, None), (date(2025, 1, 1), date(2025, 12, 31))):
        where = "" if start is None else "WHERE created_at >= :start AND created_at < :end"
        expected = {
            tuple(row[:-1]): row[-1]
            for row in await db.execute(
                text(f"SELECT {selected}, count(*) FROM case_file {where} GROUP BY {selected}"),
                {"start": _midnight(start), "end": _midnight(end and date(end.year + 1, 1, 1))},
            )
        }
        found = await repository.case_counts(db, group_by, start, end, 10_000)
        assert {tuple(group[name] for name in group_by): n for group, n in found} == expected
        assert sum(expected.values()) > 0
        assert [tuple(group.values()) for group, _ in found] == sorted(
            tuple(group.values()) for group, _ in found
        )


async def test_referral_cells_count_the_first_referrals_of_each_case_by_status_and_hours(
    seeded: None, db: AsyncSession, owner_engine: AsyncEngine
) -> None:
    """At most release.BOUND referrals of a case are counted, the first ones; hours to acceptance are counted
    in the bins of privacy.GRID."""
    await _more_of_some_cases(owner_engine, "referral", "status IN ('declined', 'completed', 'expired')")
    for start, end in (EVER, (date(2025, 1, 1), date(2025, 6, 30))):
        bounds = {"start": _midnight(start), "end": _midnight(date(end.year, end.month + 1, 1))}
        every = (await db.execute(text(REFERRALS), bounds)).all()
        counted = _first_of_each_case(every)
        assert len(every) > len(counted) > 20
        expected = Counter((r.to_organization_id, r.status, _bin(r.hours)) for r in counted)
        for found in (
            await repository.referral_cells(db, start, end),
            *([await repository.referral_cells(db, None, None)] if (start, end) == EVER else []),
        ):
            assert {(r.to_organization_id, r.status, r.bin): r.n for r in found} == expected
        assert any(bin_ is not None for _, _, bin_ in expected)


async def test_the_case_report_can_be_read_from_its_index_alone(seeded: None, db: AsyncSession) -> None:
    """What makes it fast at 1M cases: the case report by its column dimensions reads index entries alone,
    already in group order (here the planner is told to avoid the table, which it does by itself on large
    ones)."""
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    await db.execute(text("SET LOCAL enable_bitmapscan = off"))
    four = repository._grouped(["kind", "status", "occurred_country", "owner_organization"], None, None)
    plan = await _plan(db, four)
    assert "Index Only Scan using ix_case_file_report_dimensions" in plan, plan
    assert "Sort" not in plan and "HashAggregate" not in plan, plan


async def test_redress_cells_count_the_first_actions_of_each_case_with_capped_amounts(
    seeded: None, db: AsyncSession, owner_engine: AsyncEngine
) -> None:
    await _more_of_some_cases(owner_engine, "redress_action")
    for start, end in (EVER, (date(2025, 1, 1), date(2025, 6, 30))):
        bounds = {"start": _midnight(start), "end": _midnight(date(end.year, end.month + 1, 1))}
        every = (await db.execute(text(ACTIONS), bounds)).all()
        counted = _first_of_each_case(every)
        assert len(every) > len(counted)
        expected: dict[Any, list[Any]] = {}
        for a in counted:
            key = (a.instrument_id, a.forum, a.status, a.claim_currency, a.recovered_currency)
            sums = expected.setdefault(key, [None, None, 0])
            for i, (currency, amount) in enumerate(
                ((a.claim_currency, a.claim_amount), (a.recovered_currency, a.recovered_amount))
            ):
                if amount is not None:
                    sums[i] = (sums[i] or 0) + min(amount, MONEY_CAPS.get(currency, 0))
            sums[2] += 1
        found = {
            (r.instrument_id, r.forum, r.status, r.claim_currency, r.recovered_currency): [
                r.claimed,
                r.recovered,
                r.actions,
            ]
            for r in await repository.redress_cells(db, start, end)
        }
        assert found == expected and len(found) > 5
        assert any(sums[0] for sums in found.values())


async def test_cases_by_period_and_month_are_those_counted_a_period_at_a_time(
    seeded: None, db: AsyncSession
) -> None:
    """The monitoring report's first section, counted in one scan of all three periods by UTC day, gives what
    a query a period by formatted month gives."""
    periods = monitoring_queries.previous_periods(date(2025, 3, 1), date(2025, 8, 31), 2)
    expected = []
    for index, (start, end) in enumerate(periods):
        rows = await db.execute(
            text(
                "SELECT to_char(timezone('UTC', created_at), 'YYYY-MM') AS month, kind, count(*) "
                "FROM case_file WHERE created_at >= :start AND created_at < :end GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            {"start": _midnight(start), "end": _midnight(end + timedelta(days=1))},
        )
        expected += [(index, month, kind, n) for month, kind, n in rows]
    found = await monitoring_queries.cases_by_period_month(db, periods)
    assert found == sorted(expected) and len({index for index, *_ in found}) == 3
