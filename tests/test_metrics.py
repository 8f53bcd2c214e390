"""/metrics beyond request counts: webhook deliveries by outcome, the database pools, the audit sequencer's
lag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.audit.models import AuditEvent
from src.audit.sequencer import sequence_all
from src.platform import clock
from src.platform.config import Settings
from src.webhooks.delivery import DeliveryWorker
from tests.factories import Consulate
from tests.webhooks.conftest import Receiver, receiver  # noqa: F401 (the fixture, shared with tests/webhooks)
from tests.webhooks.test_webhooks import _refer, _subscribe, partner, worker  # noqa: F401 (fixtures)


async def _sample(client: httpx.AsyncClient, name: str, default: float | None = None, **labels: str) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    if default is not None:
        return default
    raise AssertionError(f"{name}{labels} is not in /metrics")


async def _deliveries(client: httpx.AsyncClient, outcome: str) -> float:
    return await _sample(client, "ukuk_webhook_deliveries_total", default=0.0, outcome=outcome)


async def test_webhook_deliveries_are_counted_by_outcome(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],  # noqa: F811
    receiver: Receiver,  # noqa: F811
    worker: DeliveryWorker,  # noqa: F811
) -> None:
    before = {outcome: await _deliveries(client, outcome) for outcome in ("delivered", "retrying", "gone")}
    await _subscribe(client, partner, receiver.url)
    receiver.answers = [503]
    await _refer(client, consulate_a.officer, partner)
    assert await worker.run_once() == 1
    assert await _deliveries(client, "retrying") == before["retrying"] + 1
    assert await _deliveries(client, "delivered") == before["delivered"]
    clock.advance(timedelta(minutes=5))  # past the backoff
    assert await worker.run_once() == 1
    assert await _deliveries(client, "delivered") == before["delivered"] + 1
    receiver.answers = [410]
    await _refer(client, consulate_a.officer, partner)
    assert await worker.run_once() == 1
    assert await _deliveries(client, "gone") == before["gone"] + 1
    assert await _deliveries(client, "retrying") == before["retrying"] + 1


async def test_database_pool_use_is_read_at_scrape_time(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    assert await _sample(client, "ukuk_db_pool_size", pool="primary") == settings.db_pool_size
    idle = await _sample(client, "ukuk_db_pool_checked_out", pool="primary")
    async with app.state.engine.connect() as held:
        await held.execute(text("SELECT 1"))
        assert await _sample(client, "ukuk_db_pool_checked_out", pool="primary") == idle + 1
        overflow = await _sample(client, "ukuk_db_pool_overflow", pool="primary")
        assert -settings.db_pool_size <= overflow <= settings.db_max_overflow
    assert await _sample(client, "ukuk_db_pool_checked_out", pool="primary") == idle


async def _audit_event(owner_engine: AsyncEngine, age_seconds: int) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(AuditEvent).values(
                at=text(f"clock_timestamp() - interval '{age_seconds} seconds'"),
                actor_type="system",
                action="test.metrics",
                outcome="success",
            )
        )


async def test_the_audit_sequencers_lag_shows_what_waits_to_be_chained(
    client: httpx.AsyncClient, owner_engine: AsyncEngine
) -> None:
    """The API's sequencer is off in the suite: events wait until the test chains them."""
    async with owner_engine.connect() as conn:
        await sequence_all(conn)
    assert await _sample(client, "ukuk_audit_unsequenced_events") == 0
    assert await _sample(client, "ukuk_audit_sequencer_lag_seconds") == 0
    await _audit_event(owner_engine, age_seconds=30)
    await _audit_event(owner_engine, age_seconds=5)
    assert await _sample(client, "ukuk_audit_unsequenced_events") == 2
    assert 30 <= await _sample(client, "ukuk_audit_sequencer_lag_seconds") < 60
    async with owner_engine.connect() as conn:
        assert await sequence_all(conn) == 2
    assert await _sample(client, "ukuk_audit_unsequenced_events") == 0
    assert await _sample(client, "ukuk_audit_sequencer_lag_seconds") == 0
