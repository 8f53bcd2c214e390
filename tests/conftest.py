"""Test harness: a real PostgreSQL built by the migrations (embedded by default, TEST_DATABASE_URL when set),
the app with its lifespan, and a clean database for every test.

Tests commit for real (concurrency and the audit sequencer need committed rows), so isolation is by truncation
after each test, done as the owner with triggers off: the application role itself can never do that.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from src.auth.tokens import generate_private_pem
from src.main import create_app
from src.models import Base
from src.platform import clock
from src.platform.config import Settings, to_async_url
from src.platform.postgres import run_migrations, start_embedded
from src.platform.session import create_owner_engine
from tests import factories
from tests.serving import QUIET_BUDGET, QUIET_EPSILON

# Kept across tests: the migration's reference data (tests' own rows are deleted instead).
KEEP_TABLES = {"alembic_version", "legal_instrument"}

# UKUK_DB_TRANSACTION_POOLER=true: TEST_DATABASE_URL leads to PgBouncer in transaction mode (.ci/run), and
# every engine of the suite connects as a pooler needs (src.platform.session.pooler_connect_args).
TRANSACTION_POOLER = Settings().db_transaction_pooler
POOLER_ROLE_SETTINGS = (
    "statement_timeout = '15s'",
    "idle_in_transaction_session_timeout = '30s'",
    "jit = off",
)
# Tests that cannot run through a transaction pooler by their nature, with why; they run in the direct runs.
NOT_THROUGH_A_POOLER = {
    "tests/test_faults.py": "an embedded PostgreSQL and `ukuk serve` of its own, never through the pooler",
    "tests/audit/test_chain.py::test_background_sequencer_chains_within_a_second_and_only_one_leads": (
        "its advisory-lock election needs sessions of its own; the sequencer refuses a pooler (test_pooler)"
    ),
    "tests/reports/test_replica.py::test_replica_": (
        "a primary and a streaming replica of its own (pg_basebackup), never through the pooler"
    ),
    "tests/test_driver.py::test_the_retry_of_a_lost_connection_does_not_leave_a_begin_block": (
        "a backend ended between transactions leaves the client's connection to the pooler alive: "
        "no statement finds a dead connection, so there is no retry to test"
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not TRANSACTION_POOLER:
        return
    for item in items:
        for prefix, reason in NOT_THROUGH_A_POOLER.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"through a transaction pooler: {reason}"))


def _in_thread(coro: Coroutine[Any, Any, Any]) -> Any:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _exec_autocommit(url: str, *statements: str) -> None:
    """Each statement alone, outside a transaction (CREATE and DROP DATABASE). Through asyncpg's simple query
    protocol: a statement prepared outside a transaction may run on another server connection than it was
    prepared on when a transaction pooler is in between."""
    conn = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """URL of a freshly migrated database, connecting as its owner (a superuser here)."""
    external = os.environ.get("TEST_DATABASE_URL")
    name = f"ukuk_test_{secrets.token_hex(4)}"
    tmp: str | None = None
    if external:
        server_url = make_url(to_async_url(external))
        _in_thread(
            _exec_autocommit(server_url.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"')
        )
        url = server_url.set(database=name).render_as_string(hide_password=False)
    else:
        tmp = tempfile.mkdtemp(prefix="ukuk-pg-")
        url = start_embedded(Path(tmp) / "pg", name, cleanup="delete")
    run_migrations(url, "ukuk_app")
    if TRANSACTION_POOLER:
        # Through the pooler the API logs in as the application role itself and sends no timeouts: they go
        # on the role, in this database only (docs/scaling.md).
        _in_thread(
            _exec_autocommit(
                url,
                *(
                    f'ALTER ROLE ukuk_app IN DATABASE "{name}" SET {setting}'
                    for setting in POOLER_ROLE_SETTINGS
                ),
            )
        )
    yield url
    if external:
        server = make_url(to_async_url(external)).render_as_string(hide_password=False)
        _in_thread(_exec_autocommit(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    elif tmp:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(owner_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env="test",
        # Through a transaction pooler: log in as the application role (it may not be sent as `role`).
        database_url=make_url(owner_url).set(username="ukuk_app").render_as_string(hide_password=False)
        if TRANSACTION_POOLER
        else owner_url,
        data_dir=tmp_path_factory.mktemp("data"),
        jwt_private_key=generate_private_pem().decode(),
        audit_sequencer_enabled=False,
        webhook_worker_enabled=False,
        webhook_allow_private=True,  # the tests' receivers listen on 127.0.0.1
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        log_level="WARNING",
        db_pool_size=20,
        db_max_overflow=40,
        # Reports' noise too small to move a count, so that tests can check what is published exactly;
        # tests/reports/test_privacy.py reads reports at the production epsilon and attacks them.
        report_epsilon=QUIET_EPSILON,
        report_epsilon_per_year=QUIET_BUDGET,
    )


@pytest.fixture(scope="session")
async def owner_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_owner_engine(owner_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Connections as the application role, like the API's own."""
    from src.platform.session import create_engine

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def db(owner_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and inspecting rows directly (as the owner); commit what the API must see."""
    async with async_sessionmaker(owner_engine, expire_on_commit=False)() as session:
        yield session


@pytest.fixture
async def consulate_a(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Consulate:
    """A consulate with an officer and a supervisor."""
    return await factories.consulate(db, settings, client)


@pytest.fixture
async def consulate_b(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Consulate:
    """Another consulate, to check that one cannot see the other's cases."""
    return await factories.consulate(db, settings, client)


@pytest.fixture(autouse=True)
async def _clean_database(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    clock.reset()
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP_TABLES)
    async with owner_engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(text("DELETE FROM legal_instrument WHERE source <> 'seed'"))
