"""Webhooks against a real local receiver: signatures, retries, exactly-once per webhook-id, crash between
send and record, transactional outbox, 410, ordering of 1,000 events of one referral, and the endpoints."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from src.audit.models import AuditEvent
from src.auth.principal import Principal
from src.auth.scopes import ROLE_SCOPES
from src.platform import clock
from src.platform.config import Settings
from src.referrals import service as referrals
from src.referrals.schemas import ReferralCreate, ReferralUpdateIn
from src.webhooks.delivery import DeliveryWorker, http_client
from src.webhooks.models import WebhookDelivery, WebhookEndpoint
from src.webhooks.urls import UrlRefused, check_url
from tests import factories
from tests.factories import Consulate, abuse_body, open_case
from tests.webhooks.conftest import Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


def _verify_from_docs() -> Any:
    """The verification snippet exactly as docs/webhooks.md shows it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(DOCS), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_webhook"]


@pytest.fixture
async def partner(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    org = await factories.organization(db, kind="partner", country="RU")
    return {
        "admin": await factories.account(db, settings, client, "admin", org=org),
        "worker": await factories.account(db, settings, client, "partner", org=org),
    }


async def _subscribe(
    client: httpx.AsyncClient, partner: dict[str, Any], url: str, events: list[str] | None = None
) -> str:
    admin = partner["admin"]
    response = await client.put(
        f"/v1/organizations/{admin.organization.id}/webhook",
        headers=admin.headers,
        json={"url": url, "events": events or ["referral.created", "referral.updated", "referral.withdrawn"]},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["secret"])


async def _refer(
    client: httpx.AsyncClient, sender: factories.Account, partner: dict[str, Any]
) -> dict[str, Any]:
    case = await open_case(client, sender, abuse_body(consent=CONSENT))
    response = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        headers=sender.headers,
        json={
            "to_organization_id": str(partner["worker"].organization.id),
            "services": ["legal_aid"],
            "reason": "Wage claim.",
            "share": ["basic"],
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def worker(app_engine: AsyncEngine, settings: Settings) -> Any:
    http = http_client(settings)
    yield DeliveryWorker(app_engine, settings, http)
    await http.aclose()


async def _drain(worker: DeliveryWorker, rounds: int = 5000) -> None:
    for _ in range(rounds):
        if await worker.run_once() == 0:
            return
    raise AssertionError("deliveries did not drain")


async def test_delivery_is_signed_and_verifies_with_the_documented_code(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    secret = await _subscribe(client, partner, receiver.url)
    referral = await _refer(client, consulate_a.officer, partner)
    await _drain(worker)
    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    assert delivery.payload == {
        "type": "referral.created",
        "timestamp": delivery.payload["timestamp"],
        "data": {"referral_id": referral["id"], "status": "pending"},
    }
    assert "Айдаралиев" not in delivery.body.decode()  # thin events: no personal data travels
    verify = _verify_from_docs()
    assert verify(secret, delivery.headers, delivery.body)
    assert not verify(secret, delivery.headers, delivery.body + b" ")
    assert not verify("whsec_" + "A" * 44, delivery.headers, delivery.body)
    listed = await client.get("/v1/webhook-deliveries", headers=partner["worker"].headers)
    assert [d["webhook_id"] for d in listed.json()["items"]] == [delivery.headers["webhook-id"]]
    assert listed.json()["items"][0]["status"] == "delivered"


async def test_receiver_down_then_up_gets_each_event_once(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
    db: AsyncSession,
) -> None:
    await _subscribe(client, partner, receiver.url)
    receiver.answers = [503, 503, 500]
    for _ in range(3):
        await _refer(client, consulate_a.officer, partner)
    for _ in range(4):
        await worker.run_once()
        clock.advance(timedelta(minutes=5))  # past any backoff so far
    await _drain(worker)
    accepted = receiver.accepted_ids()
    assert len(accepted) == len(set(accepted)) == 3
    statuses = list(
        await db.scalars(select(WebhookDelivery.status).execution_options(populate_existing=True))
    )
    assert statuses == ["delivered"] * 3
    assert sum(1 for d in receiver.deliveries if d.status >= 500) == 3


async def test_a_crash_between_send_and_record_resends_the_same_webhook_id(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
    settings: Settings,
) -> None:
    await _subscribe(client, partner, receiver.url)
    await _refer(client, consulate_a.officer, partner)

    async def crash(_: str) -> None:
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        await worker.run_once(after_send=crash)
    assert await worker.run_once() == 0  # still leased: nobody sends it meanwhile
    clock.advance(timedelta(seconds=settings.webhook_lease_seconds + 1))
    await _drain(worker)
    ids = [d.headers["webhook-id"] for d in receiver.deliveries]
    assert len(ids) == 2 and ids[0] == ids[1]


async def test_a_rolled_back_referral_leaves_no_event(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    app_engine: AsyncEngine,
    db: AsyncSession,
) -> None:
    await _subscribe(client, partner, receiver.url)
    case = await open_case(client, consulate_a.officer, abuse_body(consent=CONSENT))
    officer = consulate_a.officer
    principal = Principal(
        officer.user.id,
        "user",
        officer.organization.id,
        "consulate",
        "officer",
        ROLE_SCOPES["officer"],
        uuid.uuid4(),
    )
    body = ReferralCreate(
        to_organization_id=partner["worker"].organization.id,
        services=["shelter"],
        reason="x",
        share=["basic"],
    )
    async with async_sessionmaker(app_engine)() as session:
        await referrals.create_referral(session, principal, uuid.UUID(case["id"]), body)
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        await session.rollback()
    assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_410_switches_the_endpoint_off(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
    db: AsyncSession,
    settings: Settings,
) -> None:
    await _subscribe(client, partner, receiver.url)
    receiver.answers = [410]
    await _refer(client, consulate_a.officer, partner)
    await _drain(worker)
    endpoint = await db.scalar(select(WebhookEndpoint).execution_options(populate_existing=True))
    assert endpoint is not None and endpoint.is_active is False and endpoint.disabled_reason == "410 Gone"
    await _refer(client, consulate_a.officer, partner)
    assert await db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1  # nothing new queued
    retried = await client.post(
        f"/v1/webhook-deliveries/{(await db.scalar(select(WebhookDelivery.id)))}/retry",
        headers=partner["admin"].headers,
    )
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    delivery_id = await db.scalar(select(WebhookDelivery.id))
    outsider = await factories.account(db, settings, client, "admin", kind="partner")
    foreign = await client.post(f"/v1/webhook-deliveries/{delivery_id}/retry", headers=outsider.headers)
    assert foreign.status_code == 404
    assert (await client.get("/v1/webhook-deliveries", headers=outsider.headers)).json()["items"] == []


@pytest.mark.slow
async def test_a_thousand_events_of_one_referral_arrive_in_order(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
    app_engine: AsyncEngine,
    db: AsyncSession,
) -> None:
    await _subscribe(client, partner, receiver.url, ["referral.created", "referral.updated"])
    referral = await _refer(client, consulate_a.officer, partner)
    officer = consulate_a.officer
    principal = Principal(
        officer.user.id,
        "user",
        officer.organization.id,
        "consulate",
        "officer",
        ROLE_SCOPES["officer"],
        uuid.uuid4(),
    )
    async with async_sessionmaker(app_engine, expire_on_commit=False)() as session, session.begin():
        for number in range(999):
            await referrals.add_update(
                session, principal, uuid.UUID(referral["id"]), ReferralUpdateIn(body=f"update {number}")
            )
    await _drain(worker)
    expected = [
        f"msg_{i.hex}" for i in (await db.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
    ]
    assert len(expected) == 1000
    assert receiver.accepted_ids() == expected


async def test_endpoint_setup_rules(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    partner: dict[str, Any],
    receiver: Receiver,
) -> None:
    admin = partner["admin"]
    url = f"/v1/organizations/{admin.organization.id}/webhook"
    first = await client.put(
        url, headers=admin.headers, json={"url": receiver.url, "events": ["referral.created"]}
    )
    second = await client.put(
        url, headers=admin.headers, json={"url": receiver.url, "events": ["referral.created"]}
    )
    assert first.json()["secret"] != second.json()["secret"]
    assert second.json()["previous_secret_expires_at"]
    shown = await client.get(url, headers=admin.headers)
    assert shown.status_code == 200 and "secret" not in shown.json()
    from src.audit.models import AuditEvent

    audited = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("webhook.%"))))
    assert audited == ["webhook.configure", "webhook.configure", "webhook.read"]
    for bad in (
        {"url": "ftp://example.org/x", "events": ["referral.created"]},
        {"url": "https://user:pw@example.org/x", "events": ["referral.created"]},
        {"url": receiver.url, "events": ["case.deleted"]},
        {"url": receiver.url, "events": []},
    ):
        assert (await client.put(url, headers=admin.headers, json=bad)).status_code == 422, bad
    outsider = await factories.account(db, settings, client, "admin", kind="partner")
    assert (
        await client.put(
            url, headers=outsider.headers, json={"url": receiver.url, "events": ["referral.created"]}
        )
    ).status_code == 404
    assert (await client.get(url, headers=outsider.headers)).status_code == 404
    assert (
        await client.put(
            url, headers=partner["worker"].headers, json={"url": receiver.url, "events": ["referral.created"]}
        )
    ).status_code == 403
    endpoint = await db.scalar(select(WebhookEndpoint).execution_options(populate_existing=True))
    assert endpoint is not None and endpoint.secret == second.json()["secret"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
        "https://localhost/x",
        "https://192.168.0.10/x",
    ],
)
async def test_private_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(UrlRefused):
        await check_url(url, allow_private=False)


async def test_a_tampered_signing_secret_signs_nothing_and_is_audited(
    client: httpx.AsyncClient,
    db: AsyncSession,
    consulate_a: Consulate,
    partner: dict[str, Any],
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    secret = await _subscribe(client, partner, receiver.url)
    organization_id = partner["admin"].organization.id
    stored = await db.scalar(
        select(WebhookEndpoint.secret_sealed).where(WebhookEndpoint.organization_id == organization_id)
    )
    assert stored is not None and secret.encode() not in stored  # sealed at rest
    await db.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == organization_id)
        .values(secret_sealed=stored[:-1] + bytes([stored[-1] ^ 1]))
    )
    await db.commit()
    await _refer(client, consulate_a.officer, partner)
    await _drain(worker)
    assert receiver.deliveries == []
    delivery = await db.scalar(select(WebhookDelivery))
    assert delivery is not None and delivery.status == "failed" and "integrity" in (delivery.last_error or "")
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "integrity.failure"))
    assert event is not None and event.resource_type == "webhook_endpoint"
    assert event.resource_id == organization_id and event.actor_type == "system"
