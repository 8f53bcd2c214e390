"""Statements run on the driver (src/platform/driver.py) share the request's transaction and fail as
statements run through the session do."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from src.platform import driver
from src.platform.config import Settings
from src.platform.errors import is_database_unavailable, is_refused_value
from src.platform.session import create_engine, create_sessionmaker

pytestmark = pytest.mark.usefixtures("settings")

Maker = Callable[[AsyncEngine], async_sessionmaker[AsyncSession]]


@pytest.fixture(params=["plain", "held"])
def maker(request: pytest.FixtureRequest) -> Maker:
    """Each test on a plain session (the CLI's, the tests') and on the API's: `create_sessionmaker`, whose
    HeldSession runs a transaction of driver statements on its own connection, with no ORM transaction."""
    if request.param == "plain":
        return lambda engine: async_sessionmaker(engine)
    return create_sessionmaker


_TABLE = "CREATE TEMP TABLE driver_probe (id int PRIMARY KEY, note text) ON COMMIT PRESERVE ROWS"


async def test_a_statement_on_the_driver_runs_in_the_session_s_transaction(
    maker: Maker, owner_engine: AsyncEngine
) -> None:
    async with maker(owner_engine)() as session:
        await driver.execute(session, _TABLE)
        await driver.execute(session, "INSERT INTO driver_probe VALUES ($1, $2)", 1, "first")
        # The session sees what the driver wrote, and the other way round: one transaction.
        assert await session.scalar(text("SELECT note FROM driver_probe WHERE id = 1")) == "first"
        await session.execute(text("INSERT INTO driver_probe VALUES (2, 'second')"))
        rows = await driver.fetch(session, "SELECT id FROM driver_probe ORDER BY id")
        assert [row["id"] for row in rows] == [1, 2]
        await session.rollback()
        # Rolled back with the session: the temporary table went with the transaction that made it.
        assert await driver.fetchrow(session, "SELECT to_regclass('pg_temp.driver_probe') AS t") == (None,)


async def test_a_driver_statement_first_opens_the_transaction(
    maker: Maker, owner_engine: AsyncEngine
) -> None:
    async with maker(owner_engine)() as session:
        first = await driver.fetchrow(session, "SELECT pg_current_xact_id()::text AS x")
        second = await driver.fetchrow(session, "SELECT pg_current_xact_id()::text AS x")
        assert first is not None and second is not None
        assert first["x"] == second["x"]  # not two autocommitted statements
        await session.rollback()


async def test_driver_errors_come_out_as_the_session_s(maker: Maker, owner_engine: AsyncEngine) -> None:
    async with maker(owner_engine)() as session:
        await driver.execute(session, _TABLE.replace("driver_probe", "driver_unique"))
        await driver.execute(session, "INSERT INTO driver_unique VALUES (1, 'a')")
        with pytest.raises(exc.IntegrityError):  # the handlers answer 409
            await driver.execute(session, "INSERT INTO driver_unique VALUES (1, 'b')")
        await session.rollback()
        with pytest.raises(exc.DBAPIError) as refused:  # out of range for int4, refused by the driver
            await driver.fetchrow(session, "SELECT $1::int AS n", 2**40)
        assert is_refused_value(refused.value) and not is_database_unavailable(refused.value)
        await session.rollback()
        with pytest.raises(exc.DBAPIError) as invalid:  # refused by the server: 22P02
            await driver.fetchrow(session, "SELECT $1::text::uuid AS u", "not-a-uuid")
        assert is_refused_value(invalid.value)
        await session.rollback()


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url
    engine = create_engine(settings.model_copy(update={"db_pool_size": 1}), settings.database_url)
    yield engine
    await engine.dispose()


async def _backend_pid(session: AsyncSession) -> int:
    row = await driver.fetchrow(session, "SELECT pg_backend_pid() AS pid")
    assert row is not None
    return int(row["pid"])


async def _terminate(owner_engine: AsyncEngine, pid: int) -> None:
    async with owner_engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()


async def _next_request_gets_another_connection(maker: Maker, engine: AsyncEngine, lost: int) -> None:
    async with maker(engine)() as session:
        assert await _backend_pid(session) != lost


async def test_a_connection_lost_mid_request_is_invalidated(
    maker: Maker, one_connection: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    async with maker(one_connection)() as session:
        pid = await _backend_pid(session)
        await _terminate(owner_engine, pid)
        await asyncio.sleep(0.2)  # the driver may have read the close before the next statement, or not
        with pytest.raises(exc.DBAPIError) as lost:
            await driver.fetchrow(session, "SELECT $1::uuid AS id", uuid.uuid4())
        assert is_database_unavailable(lost.value)  # the handlers answer 503
        await session.rollback()
    await _next_request_gets_another_connection(maker, one_connection, pid)


async def test_a_backend_terminated_mid_statement_is_invalidated(
    maker: Maker, one_connection: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    """The backend is ended during a statement: a lost connection, whichever error the driver reports."""
    async with maker(one_connection)() as session:
        pid = await _backend_pid(session)
        sleeping = asyncio.create_task(driver.fetchrow(session, "SELECT pg_sleep(10)"))
        await asyncio.sleep(0.3)
        await _terminate(owner_engine, pid)
        with pytest.raises(exc.OperationalError) as lost:
            await sleeping
        assert lost.value.connection_invalidated and is_database_unavailable(lost.value)
        await session.rollback()  # does not touch the dead connection
    await _next_request_gets_another_connection(maker, one_connection, pid)


async def test_a_connection_dead_before_a_request_s_first_statement_is_replaced_without_an_error(
    maker: Maker, one_connection: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    """No ping on checkout: the first statement of a transaction that finds its connection dead retries once
    on another (nothing ran on the dead one). Checked with the pool's own check switched off, so it is the
    driver's retry that answers."""
    async with maker(one_connection)() as session:
        pid = await _backend_pid(session)
        await session.commit()
    await _terminate(owner_engine, pid)
    await asyncio.sleep(0.2)  # the driver has read the close; the pool would replace it at checkout
    one_connection.sync_engine.pool.dispatch.checkout.clear()  # ... but not here (nor pings)
    async with maker(one_connection)() as session:
        again = await _backend_pid(session)
        assert again != pid
        await session.commit()


async def test_a_cleanup_run_to_completion_finishes_when_its_caller_is_cancelled() -> None:
    """The request session's rollback and close run to the end even if the request is cancelled meanwhile
    (an abandoned close would leave its connection checked out); the cancellation is raised afterwards."""
    from src.platform.session import to_completion

    steps: list[str] = []
    started = asyncio.Event()

    async def cleanup() -> None:
        started.set()
        await asyncio.sleep(0.05)
        steps.append("closed")

    caller = asyncio.ensure_future(to_completion(cleanup()))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert steps == ["closed"]


def _checked_out(engine: AsyncEngine) -> int:
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


async def _probe_rows(owner_engine: AsyncEngine, table: str) -> list[int]:
    async with owner_engine.connect() as conn:
        return list((await conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))).scalars())


@pytest.fixture
async def probe_table(owner_engine: AsyncEngine) -> AsyncIterator[str]:
    """A real table (a temporary one would be the connection's own) the tests' sessions write to."""
    name = f"held_probe_{uuid.uuid4().hex[:8]}"
    async with owner_engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {name} (id int PRIMARY KEY)"))
        await conn.execute(text(f"GRANT SELECT, INSERT ON {name} TO ukuk_app"))  # the API's engines' role
    yield name
    async with owner_engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {name}"))


async def test_a_held_session_commits_driver_statements_without_an_orm_transaction(
    owner_engine: AsyncEngine, probe_table: str
) -> None:
    async with create_sessionmaker(owner_engine)() as session:
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (1)")
        assert session.sync_session.get_transaction() is None  # the driver's transaction, not the ORM's
        assert await _probe_rows(owner_engine, probe_table) == []  # not autocommitted
        await session.commit()
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (2)")
        await session.rollback()
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (3)")
        # closed without a commit: rolled back on the way back to the pool
    assert await _probe_rows(owner_engine, probe_table) == [1]
    assert _checked_out(owner_engine) == 0  # the held connection went back to the pool


async def test_the_orm_joins_the_held_connection_s_transaction_whichever_came_first(
    owner_engine: AsyncEngine, probe_table: str
) -> None:
    maker = create_sessionmaker(owner_engine)
    async with maker() as session:  # the driver first, then the ORM: one transaction, one connection
        pid = await _backend_pid(session)
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (1)")
        assert await session.scalar(text("SELECT pg_backend_pid()")) == pid
        await session.execute(text(f"INSERT INTO {probe_table} VALUES (2)"))
        await session.rollback()  # the ORM's rollback takes the driver's row with it
    async with maker() as session:  # the ORM first, then the driver
        await session.execute(text(f"INSERT INTO {probe_table} VALUES (3)"))
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (4)")
        await session.commit()
    async with maker() as session, session.begin():  # a block that commits on exit
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (5)")
    async with maker() as session:  # the driver first, then such a block: it owns the transaction
        await driver.execute(session, f"INSERT INTO {probe_table} VALUES (6)")
        async with session.begin():
            await session.execute(text(f"INSERT INTO {probe_table} VALUES (7)"))
    assert await _probe_rows(owner_engine, probe_table) == [3, 4, 5, 6, 7]
    assert _checked_out(owner_engine) == 0  # the held connection went back to the pool


async def test_a_failed_commit_rolled_back_leaves_the_session_usable(
    maker: Maker, owner_engine: AsyncEngine
) -> None:
    """A COMMIT that fails (a deferred constraint) leaves its transaction inactive; the rollback clears it
    and the session runs statements again, on the driver and through the ORM."""
    async with maker(owner_engine)() as session:
        await driver.execute(session, "CREATE TEMP TABLE twice (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        await driver.execute(session, "INSERT INTO twice VALUES (1), (1)")
        with pytest.raises(exc.IntegrityError):
            await session.commit()
        await session.rollback()
        assert await driver.fetchrow(session, "SELECT 1 AS one") == (1,)
        assert await session.scalar(text("SELECT 2")) == 2
        await session.commit()
    assert _checked_out(owner_engine) == 0


@pytest.mark.parametrize("then", ["driver", "orm"])
async def test_no_statement_runs_on_a_new_connection_after_one_lost_until_the_session_rolls_back(
    maker: Maker, then: str, settings: Settings, owner_engine: AsyncEngine, probe_table: str
) -> None:
    """Work done before a connection was lost is gone: carrying on, on another connection, would commit the
    rest without it. Refused until the session is rolled back, as a plain session refuses to reconnect."""
    assert settings.database_url
    engine = create_engine(settings.model_copy(update={"db_pool_size": 2}), settings.database_url)
    try:
        async with maker(engine)() as session:
            pid = await _backend_pid(session)
            await driver.execute(session, f"INSERT INTO {probe_table} VALUES (1)")
            await _terminate(owner_engine, pid)
            await asyncio.sleep(0.2)
            with pytest.raises(exc.DBAPIError):
                await driver.execute(session, f"INSERT INTO {probe_table} VALUES (2)")
            with pytest.raises(exc.InvalidRequestError):  # PendingRollbackError is one
                if then == "driver":
                    await driver.execute(session, f"INSERT INTO {probe_table} VALUES (3)")
                else:
                    await session.execute(text(f"INSERT INTO {probe_table} VALUES (3)"))
            await session.rollback()
            await driver.execute(session, f"INSERT INTO {probe_table} VALUES (4)")
            await session.commit()
        assert await _probe_rows(owner_engine, probe_table) == [4]
    finally:
        await engine.dispose()


async def test_the_retry_of_a_lost_connection_does_not_leave_a_begin_block(
    maker: Maker, settings: Settings, owner_engine: AsyncEngine, probe_table: str
) -> None:
    """The driver's retry of a connection found dead by the first statement rolls the session back; inside
    `async with session.begin()` that ends the block's transaction, and the block must fail rather than
    run its statement in another transaction that its exit would not commit."""
    assert settings.database_url
    engine = create_engine(settings.model_copy(update={"db_pool_size": 1}), settings.database_url)
    try:
        async with maker(engine)() as session:
            pid = await _backend_pid(session)
            await session.commit()
        await _terminate(owner_engine, pid)
        await asyncio.sleep(0.2)
        engine.sync_engine.pool.dispatch.checkout.clear()  # the driver's retry answers, not the pool's check
        with pytest.raises(exc.InvalidRequestError):
            async with maker(engine)() as session, session.begin():
                await driver.execute(session, f"INSERT INTO {probe_table} VALUES (1)")
        assert await _probe_rows(owner_engine, probe_table) == []
    finally:
        await engine.dispose()
