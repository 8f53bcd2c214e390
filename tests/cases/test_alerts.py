"""Alerts that reach the officer: consulates' webhooks for deadlines (once per case, status and deadline,
across a worker restart, with an injected clock), assignments and partners' new cases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.cases.alerts import DeadlineAlerter
from src.platform import clock
from src.platform.config import Settings
from src.webhooks.models import WebhookDelivery
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

EVENTS = ["case.deadline_approaching", "case.overdue", "case.assigned", "referral.received"]


async def _subscribe(client: httpx.AsyncClient, db: AsyncSession, settings: Settings, org: object) -> None:
    admin = await factories.account(db, settings, client, "admin", org=org)  # type: ignore[arg-type]
    answer = await client.put(
        f"/v1/organizations/{admin.organization.id}/webhook",
        json={"url": "http://127.0.0.1:9/hook", "events": EVENTS},
        headers=admin.headers,
    )
    assert answer.status_code == 200, answer.text


async def _sent(db: AsyncSession, org_id: object, case_id: str) -> list[tuple[str, dict[str, object]]]:
    rows = await db.execute(
        select(WebhookDelivery.event_type, WebhookDelivery.payload)
        .where(WebhookDelivery.organization_id == org_id, WebhookDelivery.ordering_key == case_id)
        .order_by(WebhookDelivery.created_at)
        .execution_options(populate_existing=True)
    )
    return [(event, payload["data"]) for event, payload in rows.all()]


async def _one_round(app_engine: AsyncEngine, settings: Settings) -> None:
    """A worker that starts, does its first round and stops (a restart between rounds)."""
    job = DeadlineAlerter(app_engine, settings.model_copy(update={"alert_interval_seconds": 3600}))
    task = asyncio.create_task(job.run())
    await asyncio.sleep(0.3)
    job.stop()
    await asyncio.wait_for(task, 10)


async def test_deadline_alerts_are_sent_once_across_worker_restarts(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    app_engine: AsyncEngine,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    org = consulate_a.officer.organization
    await _subscribe(client, db, settings, org)
    case = await open_case(client, consulate_a.officer, abuse_body())
    other = await open_case(client, consulate_b.officer, abuse_body())
    due_at = datetime.fromisoformat(case["due_at"])
    lead = timedelta(hours=settings.alert_deadline_lead_hours)

    clock.advance(due_at - clock.utcnow() - lead - timedelta(hours=1))  # not yet within the lead time
    await _one_round(app_engine, settings)
    assert await _sent(db, org.id, case["id"]) == []

    clock.advance(timedelta(hours=2))  # within it
    await _one_round(app_engine, settings)
    await _one_round(app_engine, settings)  # restarted: nothing twice
    expected = {
        "case_id": case["id"],
        "reference": case["reference"],
        "kind": "abuse",
        "status": "intake",
        "due_at": due_at.isoformat(),
    }
    assert await _sent(db, org.id, case["id"]) == [("case.deadline_approaching", expected)]

    clock.advance(lead)  # past the deadline
    await _one_round(app_engine, settings)
    await _one_round(app_engine, settings)
    assert await _sent(db, org.id, case["id"]) == [
        ("case.deadline_approaching", expected),
        ("case.overdue", expected),
    ]
    # another consulate's case: never to this one
    assert await _sent(db, org.id, other["id"]) == []
    assert "Айдаралиев" not in str(await _sent(db, org.id, case["id"]))


async def test_an_assignment_and_a_partners_new_case_reach_the_consulate(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    org = consulate_a.officer.organization
    await _subscribe(client, db, settings, org)
    case = await open_case(client, consulate_a.officer, abuse_body())
    assigned = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(consulate_a.officer.user.id)},
        headers={**consulate_a.supervisor.headers, "If-Match": '"1"'},
    )
    assert assigned.status_code == 200
    [(event, data)] = await _sent(db, org.id, case["id"])
    assert event == "case.assigned" and data["assignee_id"] == str(consulate_a.officer.user.id)

    platform = await factories.account(db, settings, client, "admin")
    routed = await client.post(
        "/v1/consulates",
        json={"name": "CG Kazan", "country": "KG", "jurisdiction": [{"country": "RU", "region": "RU-TA"}]},
        headers=platform.headers,
    )
    assert routed.status_code == 201, routed.text
    consulate = await db.get(type(org), routed.json()["id"])
    await _subscribe(client, db, settings, consulate)
    ngo = await factories.account(db, settings, client, "partner")
    body = {
        k: v
        for k, v in abuse_body(occurred={"country": "RU", "region": "RU-TA"}).items()
        if k != "intake_channel"
    }
    sent = await client.post(
        "/v1/referrals",
        json={**body, "services": ["legal_aid"], "urgency": "high"},
        headers={**ngo.headers, "Idempotency-Key": "alerts-inbound-1"},
    )
    assert sent.status_code == 201, sent.text
    received = await db.scalar(
        select(WebhookDelivery.event_type).where(
            WebhookDelivery.organization_id == routed.json()["id"],
            WebhookDelivery.event_type == "referral.received",
        )
    )
    assert received == "referral.received"
