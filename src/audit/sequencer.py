"""The sequencer: one at a time (advisory lock), chains committed audit events into contiguous seq + hash.

An event is eligible once its writing transaction is older than every transaction still running
(txid < xmin of a fresh snapshot): no event can later appear below that line, so a batch never skips one
and the chain only ever appends. Requests never touch the chain, so they never queue behind each other.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src.audit.chain import GENESIS_HASH, link_hash
from src.platform.config import Settings
from src.platform.observability import AUDIT_CHAINED

log = structlog.get_logger("ukuk.audit.sequencer")

ADVISORY_LOCK_KEY = 0x554B554B_0001  # "UKUK", audit sequencer
# Events hashed between two yields to the event loop. A whole batch of 1000 was 45-130 ms of Python (45-130 µs
# an event on this noisy machine) during which, in the API's process, no request moves: after any backlog that
# is every request's p99. A slice of 100 holds the loop for about 5-13 ms. Only the hashing is sliced: the
# driver's decoding of the fetched rows and encoding of the chain's rows still run in one piece each.
HASH_SLICE = 100

_HEAD_SQL = (
    "SELECT c.seq, c.hash, e.txid::text AS txid, e.id FROM audit_chain c "
    "JOIN audit_event e ON e.id = c.event_id ORDER BY c.seq DESC LIMIT 1"
)
_HEAD = text(_HEAD_SQL)
_EVENT_COLUMNS = (
    "id, at, actor_type, actor_id, actor_organization_id, action, resource_type, resource_id, outcome, "
    "request_id, changed_fields, detail, txid::text AS txid"
)
# ORDER BY names the table's columns: a bare `txid` would mean the text output column of the same name,
# which sorts "1000" before "998" and once chained events out of order, then tried to chain one twice.
# The test for "not chained yet" keeps a chain written that way (or any chained event) from being appended
# again. It is a scalar subquery, one probe of audit_chain's event_id index per pending event, not NOT EXISTS:
# the planner turns NOT EXISTS into an anti-join and, misjudging how many events wait (the xmin test is a
# function it cannot estimate; an audit table not analyzed since it filled), chose a parallel hash anti-join
# that read both whole tables on every poll: 94 ms at 190 000 events, every 0.2 s, on both cores, so every
# request of every process on the server stalled meanwhile (GET case p90 at half load 45 ms instead of 5).
_NOT_CHAINED = "(SELECT c.event_id FROM audit_chain c WHERE c.event_id = audit_event.id) IS NULL "
_PENDING_FIRST = (
    f"SELECT {_EVENT_COLUMNS} FROM audit_event "  # noqa: S608 (constant columns)
    "WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) "
    f"AND {_NOT_CHAINED}"
    "ORDER BY audit_event.txid, audit_event.id LIMIT $1"
)
_PENDING_AFTER = (
    f"SELECT {_EVENT_COLUMNS} FROM audit_event "  # noqa: S608 (constant columns)
    "WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) "
    "AND (txid, id) > (CAST($2 AS xid8), $3) "
    f"AND {_NOT_CHAINED}"
    "ORDER BY audit_event.txid, audit_event.id LIMIT $1"
)
# What waits to be chained: the chain appends in (txid, id) order, so every event after the head's waits
# (committed ones only: running transactions' rows are invisible). Counted up to a bound, on the txid index.
_WAITING_AFTER = text(
    "SELECT count(*) AS waiting, extract(epoch FROM clock_timestamp() - min(at)) AS oldest_seconds FROM "
    "(SELECT at FROM audit_event WHERE (txid, id) > (CAST(:txid AS xid8), :id) LIMIT :bound) AS waiting"
)
_WAITING_ALL = text(
    "SELECT count(*) AS waiting, extract(epoch FROM clock_timestamp() - min(at)) AS oldest_seconds FROM "
    "(SELECT at FROM audit_event LIMIT :bound) AS waiting"
)
BACKLOG_BOUND = 100_000
_APPEND = "INSERT INTO audit_chain (seq, event_id, hash) VALUES ($1, $2, $3)"


async def sequence_batch(conn: AsyncConnection, limit: int = 1000) -> int:
    """Chain up to `limit` eligible events in one transaction; answers how many were chained.

    On the connection's driver (asyncpg), not through SQLAlchemy's execution: in the API's process the
    sequencer's CPU is charged to every audited request, and SQLAlchemy's result and parameter handling was
    about half of it per event. `conn` must not be in a transaction (the batch is one of its own)."""
    driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
    # A connection this breaks is marked closed by the driver; the pool's check on checkout replaces it.
    async with driver.transaction():
        head = await driver.fetchrow(_HEAD_SQL)
        if head is None:
            seq, prev_hash = 0, GENESIS_HASH
            rows = await driver.fetch(_PENDING_FIRST, limit)
        else:
            seq, prev_hash = head["seq"], bytes(head["hash"])
            rows = await driver.fetch(_PENDING_AFTER, limit, int(head["txid"]), head["id"])
        if not rows:
            return 0
        links: list[tuple[int, int, bytes]] = []
        for start in range(0, len(rows), HASH_SLICE):
            if start:
                await asyncio.sleep(0)  # the requests sharing this event loop run between slices
            for row in rows[start : start + HASH_SLICE]:
                seq += 1
                prev_hash = link_hash(prev_hash, row)
                links.append((seq, row["id"], prev_hash))
        await driver.executemany(_APPEND, links)
        return len(links)


async def sequence_all(conn: AsyncConnection, limit: int = 1000) -> int:
    """Chain everything eligible now (tests and the CLI)."""
    total = 0
    while (count := await sequence_batch(conn, limit)) > 0:
        total += count
    return total


async def backlog(conn: AsyncConnection) -> tuple[int, float]:
    """Events not yet chained (up to BACKLOG_BOUND) and the age in seconds of the oldest (0 when none waits):
    the sequencer's lag, read from the database so that it shows when no sequencer runs at all."""
    head = (await conn.execute(_HEAD)).mappings().first()
    if head is None:
        row = (await conn.execute(_WAITING_ALL, {"bound": BACKLOG_BOUND})).mappings().one()
    else:
        params = {"txid": int(head["txid"]), "id": head["id"], "bound": BACKLOG_BOUND}
        row = (await conn.execute(_WAITING_AFTER, params)).mappings().one()
    return int(row["waiting"]), max(float(row["oldest_seconds"] or 0), 0.0)


class SequencerRefused(RuntimeError):
    """The sequencer would run through a transaction pooler, where its advisory lock means nothing."""


def create_sequencer(settings: Settings, engine: AsyncEngine) -> Sequencer:
    """The sequencer on `engine`, or on an engine of its own to UKUK_SEQUENCER_DATABASE_URL when that is set.

    Through a transaction pooler the session-level advisory lock is taken on whichever server connection
    the transaction ran on: two sequencers both lead, and a lock outlives its sequencer on an idle server
    connection. So with UKUK_DB_TRANSACTION_POOLER on it refuses to run unless given a direct URL.
    """
    if settings.audit_sequencer_database_url:
        from src.platform.session import create_engine

        direct = settings.model_copy(
            update={"db_transaction_pooler": False, "db_pool_size": 1, "db_max_overflow": 1}
        )
        own = create_engine(direct, settings.audit_sequencer_database_url)
        return Sequencer.from_settings(settings, own, owns_engine=True)
    if settings.db_transaction_pooler:
        raise SequencerRefused(
            "the audit sequencer cannot run through a transaction pooler (UKUK_DB_TRANSACTION_POOLER=true): "
            "its advisory lock needs a session of its own; set UKUK_SEQUENCER_DATABASE_URL to reach "
            "PostgreSQL directly"
        )
    return Sequencer.from_settings(settings, engine)


class Sequencer:
    """Background task: waits for the advisory lock, then chains events every `interval` seconds; a standby
    tries for the lock every `retry_seconds`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float,
        batch_size: int,
        retry_seconds: float = 0.5,
        owns_engine: bool = False,
    ):
        self.engine = engine
        self.interval = interval
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.owns_engine = owns_engine  # an engine of its own (a direct URL): disposed when run() ends
        self._stop = asyncio.Event()
        self.is_leader = False

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: AsyncEngine, *, owns_engine: bool = False
    ) -> Sequencer:
        return cls(
            engine,
            interval=settings.audit_sequencer_interval_seconds,
            batch_size=settings.audit_sequencer_batch_size,
            retry_seconds=settings.audit_sequencer_retry_seconds,
            owns_engine=owns_engine,
        )

    def stop(self) -> None:
        self._stop.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    await self._lead_while_possible()
                except Exception as exc:  # the database went away: retry, never crash the server
                    log.warning("sequencer_error", error_class=type(exc).__name__)
                self.is_leader = False
                await self._sleep(self.retry_seconds)
        finally:
            if self.owns_engine:
                await self.engine.dispose()

    async def _lead_while_possible(self) -> None:
        async with self.engine.connect() as conn:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            ).scalar()
            await conn.commit()
            if not got:
                return
            self.is_leader = True
            log.info("sequencer_leading")
            try:
                while not self._stop.is_set():
                    chained = await sequence_batch(conn, self.batch_size)
                    AUDIT_CHAINED.inc(chained)
                    if chained < self.batch_size:
                        await self._sleep(self.interval)
            finally:
                # The pooled connection outlives this task: give the session-level lock back.
                with contextlib.suppress(Exception):
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    await conn.commit()
