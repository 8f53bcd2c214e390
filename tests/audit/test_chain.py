"""The audit chain: events written with the work, sequenced later into a contiguous verifying chain;
concurrent audited requests do not wait on each other; the app role cannot rewrite; tampering is found."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit import chain, sequencer
from src.audit import service as audit
from src.audit.models import AuditChain, AuditEvent
from src.audit.sequencer import Sequencer, sequence_all
from src.audit.verify import verify_chain
from src.platform.config import Settings
from tests import factories


async def _sequence(app_engine: AsyncEngine) -> int:
    async with app_engine.connect() as conn:
        return await sequence_all(conn)


async def _verify(app_engine: AsyncEngine, max_unsequenced_seconds: float = 3600) -> Any:
    async with app_engine.connect() as conn:
        return await verify_chain(conn, max_unsequenced_seconds=max_unsequenced_seconds)


async def _tamper(owner_engine: AsyncEngine, statement: str) -> None:
    """What a superuser could do: switch the append-only triggers off and rewrite."""
    async with owner_engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for part in statement.split("; "):
            await conn.execute(text(part))


async def test_fifty_concurrent_audited_writes_make_a_contiguous_verifying_chain(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, app_engine: AsyncEngine
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    responses = await asyncio.gather(
        *[
            client.post(
                "/v1/organizations",
                json={"name": f"NGO {i}", "kind": "partner", "country": "RU"},
                headers=admin.headers,
            )
            for i in range(50)
        ]
    )
    assert [r.status_code for r in responses] == [201] * 50
    await _sequence(app_engine)
    seqs = list((await db.scalars(select(AuditChain.seq).order_by(AuditChain.seq))).all())
    events = await db.scalar(select(text("count(*)")).select_from(AuditEvent))
    assert seqs == list(range(1, events + 1))
    creates = await db.scalar(
        select(text("count(*)")).select_from(AuditEvent).where(AuditEvent.action == "organization.create")
    )
    assert creates == 50
    result = await _verify(app_engine, max_unsequenced_seconds=0.001)
    assert result.ok and result.checked == events and result.first_bad_seq is None
    assert result.unsequenced_overdue == 0


async def _chained_actions(db: AsyncSession) -> set[str]:
    query = select(AuditEvent.action).join(AuditChain, AuditChain.event_id == AuditEvent.id)
    return set((await db.scalars(query)).all())


async def test_fifty_concurrent_audited_reads_do_not_wait_on_each_other(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    app_engine: AsyncEngine,
    owner_engine: AsyncEngine,
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    target = await factories.user(db, settings, admin.organization, "officer")
    # An audited transaction left open: anything that queued behind audit writers would hang on it.
    async with app_engine.connect() as held:
        await held.begin()
        await held.execute(
            text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system', 'held', 'x')")
        )
        reads = [client.get(f"/v1/users/{target.id}", headers=admin.headers) for _ in range(50)]
        responses = await asyncio.wait_for(asyncio.gather(*reads), timeout=30)
        assert [r.status_code for r in responses] == [200] * 50
        async with owner_engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database()"
                )
            )
        assert waiting == 0
        # Sequencing (not the requests) waits for the older open transaction: its event could still commit.
        await _sequence(app_engine)
        assert "user.read" not in await _chained_actions(db)
        await held.rollback()
    await _sequence(app_engine)
    chained = await _chained_actions(db)
    assert "user.read" in chained and "held" not in chained
    assert (await _verify(app_engine, max_unsequenced_seconds=0.001)).ok
    reads_logged = await db.scalar(
        select(text("count(*)")).select_from(AuditEvent).where(AuditEvent.action == "user.read")
    )
    assert reads_logged == 50


async def test_rolled_back_events_leave_no_gap(app_engine: AsyncEngine, db: AsyncSession) -> None:
    async with app_engine.connect() as conn:
        for keep in (True, False, True, False, True):
            async with conn.begin() as tx:
                await conn.execute(
                    text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system', 'x', 's')")
                )
                if not keep:
                    await tx.rollback()
    await _sequence(app_engine)
    assert list((await db.scalars(select(AuditChain.seq).order_by(AuditChain.seq))).all()) == [1, 2, 3]
    assert (await _verify(app_engine)).ok


async def test_events_of_a_late_committing_transaction_are_chained_after(
    app_engine: AsyncEngine, db: AsyncSession
) -> None:
    """An event with a smaller id that commits later is still chained, never skipped."""
    async with app_engine.connect() as early, app_engine.connect() as late:
        await early.begin()
        await early.execute(
            text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system','early','s')")
        )
        async with late.begin():
            await late.execute(
                text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system','late','s')")
            )
        assert await _sequence(app_engine) == 0  # "late" waits: an older transaction is still running
        await early.commit()
    await _sequence(app_engine)
    chained = list(
        (
            await db.scalars(
                select(AuditEvent.action)
                .join(AuditChain, AuditChain.event_id == AuditEvent.id)
                .order_by(AuditChain.seq)
            )
        ).all()
    )
    assert sorted(chained) == ["early", "late"]
    assert (await _verify(app_engine)).ok


async def test_app_role_cannot_update_or_delete_audit_rows(app_engine: AsyncEngine) -> None:
    async with app_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system','x','s')")
        )
    await _sequence(app_engine)
    for statement in (
        "UPDATE audit_event SET action = 'rewritten'",
        "DELETE FROM audit_event",
        "UPDATE audit_chain SET hash = '\\x00'",
        "DELETE FROM audit_chain",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError) as caught:
            async with app_engine.begin() as conn:
                await conn.execute(text(statement))
        assert "permission denied" in str(caught.value), statement


async def test_even_the_owner_meets_the_trigger(owner_engine: AsyncEngine, app_engine: AsyncEngine) -> None:
    async with app_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system','x','s')")
        )
    with pytest.raises(DBAPIError, match="append-only"):
        async with owner_engine.begin() as conn:
            await conn.execute(text("UPDATE audit_event SET action = 'rewritten'"))


async def _chain_of(app_engine: AsyncEngine, count: int) -> None:
    async with app_engine.begin() as conn:
        for i in range(count):
            await conn.execute(
                text(
                    "INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system', :a, 'success')"
                ),
                {"a": f"a{i}"},
            )
    await _sequence(app_engine)


@pytest.mark.parametrize(
    ("statement", "bad_seq", "reason"),
    [
        (
            "UPDATE audit_event SET outcome = 'failure' "
            "WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 4)",
            4,
            "hash mismatch",
        ),
        ("DELETE FROM audit_chain WHERE seq = 3", 3, "missing link"),
        (
            "DELETE FROM audit_event WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 5)",
            5,
            "event missing",
        ),
        # Reorder: links 2 and 6 swap places.
        (
            "UPDATE audit_chain SET seq = -seq WHERE seq IN (2, 6); "
            "UPDATE audit_chain SET seq = CASE seq WHEN -2 THEN 6 ELSE 2 END WHERE seq IN (-2, -6)",
            2,
            "hash mismatch",
        ),
    ],
)
async def test_tampering_is_found_at_the_right_seq(
    app_engine: AsyncEngine, owner_engine: AsyncEngine, statement: str, bad_seq: int, reason: str
) -> None:
    await _chain_of(app_engine, 8)
    assert (await _verify(app_engine)).ok
    if "DELETE FROM audit_event" in statement:
        await _tamper(
            owner_engine, "ALTER TABLE audit_chain DROP CONSTRAINT fk_audit_chain_event_id_audit_event"
        )
    try:
        await _tamper(owner_engine, statement)
        result = await _verify(app_engine)
        assert not result.ok
        assert (result.first_bad_seq, result.reason) == (bad_seq, reason)
        assert result.checked == bad_seq - 1
    finally:
        if "DELETE FROM audit_event" in statement:
            await _tamper(owner_engine, "TRUNCATE audit_chain, audit_event")
            await _tamper(
                owner_engine,
                "ALTER TABLE audit_chain ADD CONSTRAINT fk_audit_chain_event_id_audit_event "
                "FOREIGN KEY (event_id) REFERENCES audit_event (id)",
            )


async def test_verify_reports_events_left_unsequenced(app_engine: AsyncEngine) -> None:
    await _chain_of(app_engine, 2)
    async with app_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit_event (actor_type, action, outcome, at) "
                "VALUES ('system', 'stuck', 's', clock_timestamp() - interval '1 minute')"
            )
        )
    result = await _verify(app_engine, max_unsequenced_seconds=1)
    assert result.first_bad_seq is None and result.unsequenced_overdue == 1 and not result.ok


async def test_background_sequencer_chains_within_a_second_and_only_one_leads(
    settings: Settings, app_engine: AsyncEngine, db: AsyncSession
) -> None:
    from src.platform.observability import AUDIT_CHAINED

    chained_before = AUDIT_CHAINED._value.get()
    first = Sequencer(app_engine, interval=0.05, batch_size=100, retry_seconds=0.05)
    second = Sequencer(app_engine, interval=0.05, batch_size=100, retry_seconds=0.05)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        async with app_engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system','x','s')")
            )
        for _ in range(100):
            await asyncio.sleep(0.01)
            if await db.scalar(select(AuditChain.seq).execution_options(populate_existing=True)):
                break
        assert await db.scalar(select(AuditChain.seq)) == 1
        assert [first.is_leader, second.is_leader].count(True) == 1
        assert AUDIT_CHAINED._value.get() == chained_before + 1  # the metric /metrics exports
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(*tasks)


async def test_audit_record_keeps_field_names_not_values(app_engine: AsyncEngine, db: AsyncSession) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with async_sessionmaker(app_engine)() as session, session.begin():
        await audit.record(session, audit.SYSTEM, "user.update", changed_fields=["role", "password", "role"])
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert event is not None and event.changed_fields == ["password", "role"]


@pytest.mark.slow  # runs `ukuk audit verify` as a process
def test_cli_verify_names_the_first_broken_seq(owner_url: str, settings: Settings) -> None:
    """`ukuk audit verify` against a database with a rewritten event (run as a real process)."""

    async def arrange(engine_url: str) -> None:
        from src.platform.session import create_engine

        app_engine = create_engine(settings, engine_url)
        owner_engine = __import__(
            "sqlalchemy.ext.asyncio", fromlist=["create_async_engine"]
        ).create_async_engine(engine_url)
        try:
            await _chain_of(app_engine, 5)
            await _tamper(
                owner_engine,
                "UPDATE audit_event SET action = 'forged' "
                "WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 3)",
            )
        finally:
            await app_engine.dispose()
            await owner_engine.dispose()

    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, arrange(owner_url)).result()
    env = {**os.environ, "DATABASE_URL": owner_url, "UKUK_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "src.cli", "audit", "verify", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first_bad_seq"] == 3 and result["checked"] == 2 and result["reason"] == "hash mismatch"


async def test_events_are_chained_in_transaction_order_across_a_power_of_ten(
    owner_engine: AsyncEngine, app_engine: AsyncEngine, db: AsyncSession
) -> None:
    """Found by make bench: transaction ids 998, 999, 1000 were chained 1000, 998, 999 (sorted as text), and
    the next batch then tried to chain 1000 again and failed for good."""
    async with owner_engine.begin() as conn:
        for txid in (9, 10, 8, 100, 99):  # all older than any running transaction
            await conn.execute(
                text(
                    "INSERT INTO audit_event (actor_type, action, outcome, txid) "
                    "VALUES ('system', :action, 's', CAST(:txid AS xid8))"
                ),
                {"action": f"tx{txid}", "txid": txid},
            )
    async with app_engine.connect() as conn:
        assert await sequence_all(conn, limit=2) == 5  # batches of two cross 9 -> 10 and 99 -> 100
    chained = (
        await db.scalars(
            select(AuditEvent.action)
            .join(AuditChain, AuditChain.event_id == AuditEvent.id)
            .order_by(AuditChain.seq)
        )
    ).all()
    assert list(chained) == ["tx8", "tx9", "tx10", "tx99", "tx100"]
    async with app_engine.connect() as conn:
        assert await sequence_all(conn) == 0
    assert (await _verify(app_engine)).ok


async def test_a_batch_hashes_in_slices_and_lets_the_event_loop_run_between_them(
    owner_engine: AsyncEngine, app_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the API's process a batch of 1000 hashed in one go held every request for 45-130 ms. Each link is
    hashed seeing how often a task beside it has run: within a slice never, between two slices once."""
    async with owner_engine.begin() as conn:
        for txid in range(11, 16):
            await conn.execute(
                text(
                    "INSERT INTO audit_event (actor_type, action, outcome, txid) "
                    "VALUES ('system', :action, 's', CAST(:txid AS xid8))"
                ),
                {"action": f"slice{txid}", "txid": txid},
            )
    ticks = 0
    seen: list[int] = []
    hash_link = chain.link_hash

    def counted(prev_hash: bytes, row: Any) -> bytes:
        seen.append(ticks)
        return hash_link(prev_hash, row)

    async def beside() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    monkeypatch.setattr(sequencer, "HASH_SLICE", 2)
    monkeypatch.setattr(sequencer, "link_hash", counted)
    ticker = asyncio.create_task(beside())
    try:
        async with app_engine.connect() as conn:
            assert await sequencer.sequence_batch(conn) == 5
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    assert seen[0] == seen[1] < seen[2] == seen[3] < seen[4]
    verdict = await _verify(app_engine)
    assert verdict.ok and verdict.checked == 5


def _plans_reading(plan: dict[str, Any], relation: str, parent: str | None = None) -> list[str | None]:
    """How each node of an EXPLAIN (FORMAT JSON) plan that reads `relation` hangs from its parent: "SubPlan"
    for a probe made once per outer row, "Inner"/"Outer" for a side of a join."""
    found = [parent] if plan.get("Relation Name") == relation else []
    for child in plan.get("Plans", []):
        found += _plans_reading(child, relation, child.get("Parent Relationship"))
    return found


async def test_the_sequencers_poll_probes_the_chain_per_waiting_event_never_joins_all_of_it(
    app_engine: AsyncEngine,
) -> None:
    """Found under load: with NOT EXISTS the planner made the poll an anti-join and, on an audit table not
    analyzed since it filled, hashed the whole chain against the whole event table every 0.2 s (94 ms at
    190 000 events, on both cores, so every request on the server stalled). Written as a per-event probe it
    cannot be planned that way, whatever the statistics say."""
    async with app_engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        for statement, args in ((sequencer._PENDING_FIRST, [1000]), (sequencer._PENDING_AFTER, [1000, 1, 1])):
            plan = await driver.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *args)
            top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
            assert _plans_reading(top, "audit_chain") == ["SubPlan"], statement
            assert "audit_event" in json.dumps(top)
