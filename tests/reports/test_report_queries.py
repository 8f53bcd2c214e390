"""The case and referral reports' queries (reshaped for 1M cases, migration 0018) count what a straightforward
query over the same rows counts, and read their indexes instead of their tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.reports import repository
from src.reports.schemas import REDRESS_OUTCOMES
from src.seed import bench_data

# The referrals report before migration 0018: every referral joined to its recipient, grouped with it.
REFERRALS_JOINED = """
    SELECT r.to_organization_id, o.name, o.kind,
           count(*) FILTER (WHERE r.status = 'pending') AS pending,
           count(*) FILTER (WHERE r.status = 'accepted') AS accepted,
           count(*) FILTER (WHERE r.status = 'completed') AS completed,
           count(*) FILTER (WHERE r.status = 'declined') AS declined,
           count(*) FILTER (WHERE r.status = 'withdrawn') AS withdrawn,
           count(*) FILTER (WHERE r.status = 'expired') AS expired,
           count(r.accepted_at) AS accepted_n,
           percentile_cont(0.5) WITHIN GROUP (
             ORDER BY EXTRACT(epoch FROM r.accepted_at - r.created_at) / 3600
           ) AS median_hours,
           grouping(r.to_organization_id, o.name, o.kind) > 0 AS overall
    FROM referral r JOIN organization o ON o.id = r.to_organization_id
    WHERE r.created_at >= :start AND r.created_at < :end
    GROUP BY GROUPING SETS ((r.to_organization_id, o.name, o.kind), ())
    ORDER BY o.name, r.to_organization_id
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
# The redress report before: an outcome filter per action, and one scan per kind of amount.
REDRESS_FILTERED = f"""
    SELECT r.instrument_id, l.code, r.forum, {
    ", ".join(
        f"count(*) FILTER (WHERE r.status IN ({', '.join(repr(s) for s in statuses)})) AS {outcome}"
        for outcome, statuses in REDRESS_OUTCOMES.items()
    )
}
    FROM redress_action r LEFT JOIN legal_instrument l ON l.id = r.instrument_id
    WHERE r.created_at >= :start AND r.created_at < :end
    GROUP BY r.instrument_id, l.code, r.forum ORDER BY l.code, r.forum
"""
MONEY = """
    SELECT instrument_id, forum, {field}_currency,
           sum({field}_amount), count({field}_amount), max({field}_amount)
    FROM redress_action
    WHERE {field}_amount IS NOT NULL AND {field}_currency IS NOT NULL
      AND created_at >= :start AND created_at < :end
    GROUP BY instrument_id, forum, {field}_currency
"""


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


async def test_referral_counts_are_those_of_the_referrals_joined_to_their_recipients(
    seeded: None, db: AsyncSession
) -> None:
    """Same rows in the same order, same counts, and the medians of float8 hours equal to those of the
    numeric hours up to the last bit (the report publishes two decimals)."""
    for start, end in (EVER, (date(2025, 1, 1), date(2025, 6, 30))):
        expected = (
            await db.execute(
                text(REFERRALS_JOINED),
                {"start": _midnight(start), "end": _midnight(date(end.year, end.month + 1, 1))},
            )
        ).all()
        for found in (
            await repository.referral_counts(db, start, end),
            *([await repository.referral_counts(db, None, None)] if (start, end) == EVER else []),
        ):
            assert len(found) == len(expected) > 2
            for got, want in zip(found, expected, strict=True):
                assert got._mapping.keys() == want._mapping.keys()
                assert {k: v for k, v in got._mapping.items() if k != "median_hours"} == {
                    k: v for k, v in want._mapping.items() if k != "median_hours"
                }
                if want.median_hours is None:
                    assert got.median_hours is None
                else:
                    assert got.median_hours == pytest.approx(want.median_hours, rel=1e-12)


async def test_case_and_referral_reports_can_be_read_from_their_indexes_alone(
    seeded: None, db: AsyncSession
) -> None:
    """What makes them fast at 1M cases: the case report by its column dimensions and the referrals report
    read index entries alone, already in group order (here the planner is told to avoid the tables, which
    it does by itself on large ones)."""
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    await db.execute(text("SET LOCAL enable_bitmapscan = off"))
    four = repository._grouped(["kind", "status", "occurred_country", "owner_organization"], None, None)
    plan = await _plan(db, four)
    assert "Index Only Scan using ix_case_file_report_dimensions" in plan, plan
    assert "Sort" not in plan and "HashAggregate" not in plan, plan
    plan = await _plan(db, repository._referrals(None, None))
    assert "Index Only Scan using ix_referral_report" in plan, plan
    # Grouped in index order: no sort feeds the aggregate. The grouped rows may be sorted after it, to be
    # joined to their organizations' names or ordered by them, as the planner likes: a few dozen rows.
    assert "Sort" not in plan[plan.index("GroupAggregate") :], plan


async def test_redress_counts_and_sums_are_those_counted_per_action(seeded: None, db: AsyncSession) -> None:
    for start, end in (EVER, (date(2025, 1, 1), date(2025, 6, 30))):
        bounds = {"start": _midnight(start), "end": _midnight(date(end.year, end.month + 1, 1))}
        expected = [tuple(row) for row in await db.execute(text(REDRESS_FILTERED), bounds)]
        found = [tuple(row) for row in await repository.redress_counts(db, start, end)]
        assert found == expected and len(found) > 5
        assert all(type(count) is int for row in found for count in row[3:])
        money = []
        for field in ("claim", "recovered"):
            money += [(field, *row) for row in await db.execute(text(MONEY.format(field=field)), bounds)]
        money.sort()
        summed = sorted(
            (field, row.instrument_id, row.forum, row.currency, row.total, row.n, row.largest)
            for field, row in await repository.redress_money(db, start, end)
        )
        assert summed == money and {row[0] for row in money} == {"claim", "recovered"}
