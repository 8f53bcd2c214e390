"""The timeliness report reads stays stored on the transitions (migration 0016), one per case and state;
the case report refuses a grouping the planner expects to be far too fine without grouping every case."""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Transition
from src.platform import clock
from src.platform.config import Settings
from src.reports import privacy, repository
from src.seed import bench_data
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case

# Every ended stay, the case joined for its kind and the stay computed from the timestamps (before 0016).
COMPUTED_AT_READ_TIME = """
    SELECT t.case_id, t.at, c.kind, t.from_status AS state,
           EXTRACT(epoch FROM t.at - t.from_entered_at)::float8 / 86400 AS days
    FROM case_transition t JOIN case_file c ON c.id = t.case_id WHERE t.from_entered_at IS NOT NULL
"""


async def test_transitions_record_the_case_kind_and_the_length_of_the_stay_they_end(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    clock.advance(timedelta(days=1, hours=6))
    await factories.sign_in_again(client, consulate_a.officer)
    response = await client.post(
        f"/v1/cases/{case['id']}/transitions",
        json={"to": "triage"},
        headers={**consulate_a.officer.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    rows = (
        await db.execute(
            select(Transition.from_status, Transition.case_kind, Transition.stay_days)
            .where(Transition.case_id == case["id"])
            .order_by(Transition.at)
        )
    ).all()
    assert [(row.from_status, row.case_kind) for row in rows] == [(None, "abuse"), ("intake", "abuse")]
    assert rows[0].stay_days is None and rows[1].stay_days == pytest.approx(1.25, abs=0.01)


async def test_stored_stays_are_binned_one_per_case_and_state_as_computed_at_read_time(
    db: AsyncSession, owner_engine: AsyncEngine
) -> None:
    """The first stay of each case in each state, counted in the bins of privacy.GRID, with and without a
    period: the same as from the timestamps."""
    async with owner_engine.begin() as conn:
        await bench_data.seed(conn, 400, persons_per_case=1)
        # Second stays in the same states, later: only the first of each case and state counts.
        await conn.execute(
            text(
                "INSERT INTO case_transition (case_id, from_status, to_status, actor_id, at, "
                "from_entered_at, case_kind) "
                "SELECT t.case_id, t.from_status, 'closed', t.actor_id, "
                "t.at + (t.id % 97) * interval '7 hours', t.at, t.case_kind FROM case_transition t "
                "WHERE t.from_status IS NOT NULL AND t.id % 3 = 0"
            )
        )
    first: dict[Any, Any] = {}
    for row in sorted((await db.execute(text(COMPUTED_AT_READ_TIME))).all(), key=lambda r: r.at):
        first.setdefault((row.case_id, row.state), row)
    expected = Counter(
        (row.kind, row.state, bisect.bisect_right(privacy.GRID, row.days)) for row in first.values()
    )
    assert sum(expected.values()) < len((await db.execute(text(COMPUTED_AT_READ_TIME))).all())

    def found(rows: list[Any]) -> dict[Any, int]:
        return {(row.kind, row.state, row.bin): row.n for row in rows}

    assert found(await repository.stay_bins(db, None, None)) == expected
    assert found(await repository.stay_bins(db, date(2000, 1, 1), date(2100, 1, 1))) == expected


async def test_a_grouping_estimated_too_fine_is_refused_by_a_sample_as_before_and_spends_the_read(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An estimate above the limit only leads to counting the groups of a sample of cases: the report is
    refused when the sample alone has too many, else counted in full; an estimate never refuses a report
    that fits."""
    for _ in range(2):
        await open_case(client, consulate_a.officer, abuse_body())
        await open_case(client, consulate_a.officer, child_body())
    monkeypatch.setattr(settings, "report_min_cell", 2)  # two of each kind: both groups shown
    auditor = await factories.account(db, settings, client, "auditor")
    sampled = []

    async def estimated(*_: Any) -> float | None:
        return 1000.0

    real = repository.more_groups_than

    async def more_groups_than(*args: Any) -> bool:
        sampled.append(args[-1])
        return await real(*args)

    monkeypatch.setattr(repository, "estimated_groups", estimated)
    monkeypatch.setattr(repository, "more_groups_than", more_groups_than)
    monkeypatch.setattr(settings, "report_max_groups", 1)
    before = await db.scalar(select(func.max(AuditEvent.id)))
    refused = await client.get("/v1/reports/cases?group_by=kind", headers=auditor.headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "group_by"]
    # The refusal is an answer: it spends the read's epsilon, and the trail says so.
    (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.id > before))).all()
    assert (event.action, event.outcome, event.detail["refused"]) == (
        "report.cases",
        "failure",
        "too many groups",
    )
    assert len(sampled) == 1 and sampled[0] >= 1  # the limit, and a margin for the refusal's noise
    monkeypatch.setattr(settings, "report_max_groups", 2)  # as many groups as allowed: answered
    exact = await client.get("/v1/reports/cases?group_by=kind", headers=auditor.headers)
    assert exact.status_code == 200 and len(exact.json()["rows"]) == 2
    assert len(sampled) == 2 and sampled[1] == sampled[0] + 1  # each time the limit and the same margin


async def test_the_estimate_comes_from_the_planner_only_over_a_large_analyzed_table(
    db: AsyncSession, owner_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with owner_engine.begin() as conn:
        await bench_data.seed(conn, 300, persons_per_case=1)
        await conn.execute(text("ANALYZE case_file"))
    six = ["kind", "status", "occurred_country", "owner_organization", "intake_channel", "quarter"]
    assert await repository.estimated_groups(db, six, None, None) is None  # 300 cases: counted, not guessed
    monkeypatch.setattr(repository, "ESTIMATE_FROM_ROWS", 100)
    by_kind = await repository.estimated_groups(db, ["kind"], None, None)
    assert by_kind is not None and 1 <= by_kind <= 3
    bounded = await repository.estimated_groups(db, six, date(2026, 7, 1), date(2026, 9, 30))
    assert bounded is not None and bounded >= 1


@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")
async def test_first_stays_are_marked_by_0025_and_then_by_the_trigger_whatever_a_writer_sends(
    owner_url: str,
) -> None:
    """Migration 0025 marks the earliest stay of each case in each state (by time, whatever the ids); after
    it, the trigger marks each new transition, overriding what the INSERT says (planned per row: 0026)."""
    import asyncio
    from datetime import UTC, datetime

    from src.platform.postgres import run_migrations
    from tests.test_migrations import _a_case, _scratch_database

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    columns = "id, case_id, from_status, to_status, actor_id, at, from_entered_at"

    async def write(conn: Any, sql: str, case: Any, actor: Any, rows: list[tuple[Any, ...]]) -> None:
        """Transitions (id, from, to, day, day the state was entered) of `case`, by `sql`."""
        for number, source, target, day, entered in rows:
            entered_at = None if entered is None else t0 + timedelta(days=entered)
            await conn.execute(
                text(sql),
                {
                    "id": number,
                    "case": case,
                    "source": source,
                    "target": target,
                    "actor": actor,
                    "at": t0 + timedelta(days=day),
                    "entered": entered_at,
                },
            )

    values = ":id, :case, :source, :target, :actor, :at, :entered"
    async with _scratch_database(owner_url, "m25") as (url, engine):
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0024")
        async with engine.begin() as conn:
            consulate, case = await _a_case(conn, t0)
            # Ids out of time order; intake is left twice.
            rows = [
                (1, None, "intake", 0, None),
                (4, "intake", "assessment", 2, 0),
                (2, "assessment", "intake", 5, 2),
                (3, "intake", "assessment", 8, 5),
            ]
            await write(
                conn, f"INSERT INTO case_transition ({columns}) VALUES ({values})", case, consulate, rows
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.begin() as conn:
            # Both sent as first stays: assessment is left again (not first), referred for the first time.
            sent_first = f"INSERT INTO case_transition ({columns}, first_stay) VALUES ({values}, true)"
            # And a transition that ends no stay (no state left), sent as first too: never first (0026's IF).
            rows = [
                (5, "assessment", "referred", 9, 8),
                (6, "referred", "closed", 12, 9),
                (7, None, "intake", 13, None),
            ]
            await write(conn, sent_first, case, consulate, rows)
            query = text("SELECT id, first_stay FROM case_transition WHERE case_id = :c")
            marked: dict[int, bool] = dict((await conn.execute(query, {"c": case})).all())
            # 0026: the lookup is planned for each row, not a generic plan kept from when the table was small.
            config = await conn.scalar(
                text("SELECT proconfig FROM pg_proc WHERE proname = 'case_transition_first_stay'")
            )
        assert marked == {1: False, 4: True, 2: True, 3: False, 5: False, 6: True, 7: False}
        assert config == ["plan_cache_mode=force_custom_plan"]
