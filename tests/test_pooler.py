"""UKUK_DB_TRANSACTION_POOLER: what every engine sends through a transaction pooler, the audit sequencer's
refusal to run through one, and its standby taking over within a second (.ci/run runs the whole suite through
PgBouncer in transaction mode with the setting on)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.audit.sequencer import ADVISORY_LOCK_KEY, Sequencer, SequencerRefused, create_sequencer
from src.main import create_app
from src.platform.config import Settings
from src.platform.session import connect_args, create_engine, pooler_connect_args


def test_without_the_setting_nothing_changes() -> None:
    settings = Settings(env="test", db_transaction_pooler=False, db_app_role="ukuk_app")
    assert pooler_connect_args(False) == {}
    args = connect_args(settings, "postgresql+asyncpg://ukuk_app@db/ukuk")
    assert set(args) == {"server_settings", "timeout", "command_timeout"}
    assert args["server_settings"] == {
        "application_name": "ukuk",
        "statement_timeout": "15000",
        "idle_in_transaction_session_timeout": "30000",
        "jit": "off",
        "TimeZone": "UTC",
        "role": "ukuk_app",
    }


def test_through_a_pooler_no_statement_is_cached_and_names_are_unique() -> None:
    args = pooler_connect_args(True)
    assert args["prepared_statement_cache_size"] == 0 and args["statement_cache_size"] == 0
    names = {args["prepared_statement_name_func"]() for _ in range(1000)}
    assert len(names) == 1000 and all(name.startswith("__ukuk_") for name in names)


def test_through_a_pooler_only_startup_parameters_a_pooler_passes_on_are_sent() -> None:
    settings = Settings(env="test", db_transaction_pooler=True, db_app_role="ukuk_app")
    as_app = connect_args(settings, "postgresql+asyncpg://ukuk_app@pgbouncer:6432/ukuk")
    assert as_app["server_settings"] == {"application_name": "ukuk", "TimeZone": "UTC"}
    assert as_app["statement_cache_size"] == 0
    # Logging in as another role, `role` is still sent: a pooler refuses it rather than silently not acting
    # as the restricted role.
    as_owner = connect_args(settings, "postgresql+asyncpg://owner@pgbouncer:6432/ukuk")
    assert as_owner["server_settings"]["role"] == "ukuk_app"


async def test_the_sequencer_refuses_a_transaction_pooler_unless_given_a_direct_url(
    settings: Settings, app_engine: AsyncEngine
) -> None:
    pooled = settings.model_copy(update={"db_transaction_pooler": True})
    with pytest.raises(SequencerRefused, match="UKUK_SEQUENCER_DATABASE_URL"):
        create_sequencer(pooled, app_engine)

    assert settings.database_url
    direct = pooled.model_copy(update={"audit_sequencer_database_url": settings.database_url})
    sequencer = create_sequencer(direct, app_engine)
    try:
        assert sequencer.engine is not app_engine and sequencer.owns_engine
        assert sequencer.retry_seconds == 0.5
    finally:
        await sequencer.engine.dispose()

    direct_only = {"db_transaction_pooler": False, "audit_sequencer_retry_seconds": 0.25}
    plain = create_sequencer(settings.model_copy(update=direct_only), app_engine)
    assert plain.engine is app_engine and not plain.owns_engine and plain.retry_seconds == 0.25


def test_the_setting_and_the_direct_url_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UKUK_DB_TRANSACTION_POOLER", "true")
    monkeypatch.setenv("UKUK_SEQUENCER_DATABASE_URL", "postgresql://ukuk_app@db:5432/ukuk")
    monkeypatch.setenv("UKUK_AUDIT_SEQUENCER_RETRY_SECONDS", "0.3")
    settings = Settings(env="test")
    assert settings.db_transaction_pooler
    assert settings.audit_sequencer_database_url == "postgresql+asyncpg://ukuk_app@db:5432/ukuk"
    assert settings.audit_sequencer_retry_seconds == 0.3


async def test_the_api_serves_but_does_not_run_the_sequencer_through_a_pooler(settings: Settings) -> None:
    pooled = settings.model_copy(update={"db_transaction_pooler": True, "audit_sequencer_enabled": True})
    application = create_app(pooled)
    async with application.router.lifespan_context(application):
        assert application.state.sequencer is None


@pytest.mark.slow  # runs `ukuk worker` as a process
def test_the_worker_exits_non_zero_through_a_pooler_without_a_direct_url(settings: Settings) -> None:
    assert settings.database_url
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "UKUK_ENV": "test",
        "UKUK_DB_TRANSACTION_POOLER": "true",
        "UKUK_LOG_LEVEL": "WARNING",
    }
    env.pop("UKUK_SEQUENCER_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "src.cli", "worker"], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    assert b"UKUK_SEQUENCER_DATABASE_URL" in done.stderr


async def _lock_holder(engine: AsyncEngine) -> int | None:
    async with engine.connect() as conn:
        pid = await conn.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :low AND classid = :high"
            ),
            {"low": ADVISORY_LOCK_KEY & 0xFFFFFFFF, "high": ADVISORY_LOCK_KEY >> 32},
        )
    return None if pid is None else int(pid)


async def test_a_standby_takes_over_within_a_second_of_the_leaders_end(
    settings: Settings, owner_engine: AsyncEngine
) -> None:
    if settings.db_transaction_pooler:
        pytest.skip("through a transaction pooler: the election needs sessions of its own (refused there)")
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    sequencers = [Sequencer.from_settings(settings, engine) for _ in range(2)]
    tasks = [asyncio.create_task(s.run()) for s in sequencers]
    try:
        for _ in range(100):
            if any(s.is_leader for s in sequencers):
                break
            await asyncio.sleep(0.02)
        leader_pid = await _lock_holder(owner_engine)
        assert leader_pid is not None and sum(s.is_leader for s in sequencers) == 1
        async with owner_engine.connect() as conn:  # the leader's session ends, as when its process dies
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leader_pid})
            await conn.commit()
        ended = time.monotonic()
        while True:
            holder = await _lock_holder(owner_engine)
            if holder is not None and holder != leader_pid:
                break
            assert time.monotonic() - ended < 1.0, "no sequencer took the lead within a second"
            await asyncio.sleep(0.02)
    finally:
        for s in sequencers:
            s.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await engine.dispose()
