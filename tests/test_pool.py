"""The API's pool hands out live connections without a round trip per request (src/platform/session.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.platform.config import Settings
from src.platform.session import create_engine


def _counting_pings(engine: AsyncEngine) -> list[int]:
    dialect = engine.sync_engine.dialect
    pings: list[int] = []
    real = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


async def _pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)


async def _driver_connection(engine: AsyncEngine) -> int:
    """Which client connection a checkout got (through a transaction pooler the backend pid says nothing of
    it: each transaction may run on another server connection)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        return id((await conn.get_raw_connection()).driver_connection)


async def test_a_connection_back_from_a_request_is_reused_without_a_ping(settings: Settings) -> None:
    assert settings.database_url
    engine = create_engine(settings.model_copy(update={"db_pool_size": 1}), settings.database_url)
    pings = _counting_pings(engine)
    try:
        first = await _driver_connection(engine)
        assert [await _driver_connection(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        await engine.dispose()


async def test_a_connection_idle_past_the_setting_is_pinged_first(settings: Settings) -> None:
    assert settings.database_url
    engine = create_engine(
        settings.model_copy(update={"db_pool_size": 1, "db_ping_after_idle_seconds": 0.0}),
        settings.database_url,
    )
    pings = _counting_pings(engine)
    try:
        first = await _driver_connection(engine)
        assert pings == []  # a new connection is not pinged
        assert await _driver_connection(engine) == first
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_on_checkout(
    settings: Settings, owner_engine: AsyncEngine
) -> None:
    assert settings.database_url
    engine = create_engine(settings.model_copy(update={"db_pool_size": 1}), settings.database_url)
    pings = _counting_pings(engine)
    try:
        first = await _pid(engine)
        async with owner_engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await conn.commit()
        await asyncio.sleep(0.2)  # between requests: the driver reads the close while the connection idles
        # The driver hears the server close the socket while the connection sits in the pool: the next
        # checkout gets a new connection, and the statement on it succeeds.
        assert await _pid(engine) != first
        assert pings == []
    finally:
        await engine.dispose()
