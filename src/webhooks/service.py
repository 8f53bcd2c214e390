"""Webhook use cases: configure an endpoint, write events to the outbox, list and retry deliveries.

The secret is shown once and a rotation keeps the old one 24 h; events are written in the caller's
transaction. Never commits."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.platform import clock
from src.platform.config import Settings
from src.platform.errors import Unprocessable
from src.webhooks import policies, repository, signing
from src.webhooks.models import WebhookDelivery, WebhookEndpoint
from src.webhooks.schemas import WebhookConfig
from src.webhooks.urls import UrlRefused, check_url

if TYPE_CHECKING:
    from src.auth.models import Organization

ROTATION_GRACE = timedelta(hours=24)


def webhook_id(delivery_id: uuid.UUID) -> str:
    return f"msg_{delivery_id.hex}"


async def _own_organization(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID, action: str
) -> Organization:
    organization = await auth_repository.get_organization(session, organization_id)
    if organization is None or not policies.sees_organization(principal, organization.id):
        raise audit.not_found(principal.actor, action, "organization", organization_id)
    if not policies.may_manage_webhook(principal, organization.id):
        raise audit.denied(
            principal.actor,
            action,
            "organization",
            organization.id,
            "Only the organization's admin configures its webhook.",
        )
    return organization


async def configure(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    organization_id: uuid.UUID,
    body: WebhookConfig,
) -> tuple[WebhookEndpoint, str]:
    organization = await _own_organization(session, principal, organization_id, "webhook.configure")
    try:
        await check_url(body.url, allow_private=settings.webhook_allow_private)
    except UrlRefused as exc:
        raise Unprocessable.at(["body", "url"], str(exc)) from exc
    now = clock.utcnow()
    secret = signing.new_secret()
    endpoint = await repository.lock_endpoint(session, organization.id)
    if endpoint is None:
        endpoint = WebhookEndpoint(
            organization_id=organization.id,
            url=body.url,
            events=body.events,
            secret=secret,
            updated_at=now,
            created_at=now,
        )
        session.add(endpoint)
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + ROTATION_GRACE
        endpoint.url, endpoint.events, endpoint.secret = body.url, body.events, secret
        endpoint.is_active, endpoint.disabled_reason, endpoint.updated_at = True, None, now
    await session.flush()
    await audit.record(
        session,
        principal.actor,
        "webhook.configure",
        resource_type="organization",
        resource_id=organization.id,
        changed_fields=("url", "events", "secret"),
    )
    return endpoint, secret


async def read(session: AsyncSession, principal: Principal, organization_id: uuid.UUID) -> WebhookEndpoint:
    organization = await _own_organization(session, principal, organization_id, "webhook.read")
    endpoint = await repository.get_endpoint(session, organization.id)
    if endpoint is None:
        raise audit.not_found(
            principal.actor, "webhook.read", "organization", organization.id, "No webhook is configured."
        )
    await audit.record(
        session, principal.actor, "webhook.read", resource_type="organization", resource_id=organization.id
    )
    return endpoint


async def enqueue(
    session: AsyncSession,
    organization_id: uuid.UUID,
    event_type: str,
    ordering_key: str,
    data: dict[str, Any],
) -> None:
    """Write an event for the organization's endpoint, if it wants it, in the caller's transaction: a rolled
    back change leaves no event, a committed one always has its event."""
    endpoint = await repository.get_endpoint(session, organization_id)
    if endpoint is None or not endpoint.is_active or event_type not in endpoint.events:
        return
    now = clock.utcnow()
    session.add(
        WebhookDelivery(
            organization_id=organization_id,
            event_type=event_type,
            ordering_key=ordering_key,
            payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
            next_attempt_at=now,
            created_at=now,
        )
    )


async def list_deliveries(
    session: AsyncSession, principal: Principal, *, before: uuid.UUID | None, limit: int
) -> list[WebhookDelivery]:
    rows = await repository.list_deliveries(session, principal, before=before, limit=limit)
    await audit.record(
        session,
        principal.actor,
        "webhook_delivery.list",
        resource_type="organization",
        resource_id=principal.organization_id,
        detail={"count": min(len(rows), limit - 1)},
    )
    return rows


async def retry(session: AsyncSession, principal: Principal, delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = await repository.get_readable_delivery(session, principal, delivery_id)
    if delivery is None:
        raise audit.not_found(principal.actor, "webhook_delivery.retry", "webhook_delivery", delivery_id)
    if not policies.may_retry_deliveries(principal):
        raise audit.denied(
            principal.actor,
            "webhook_delivery.retry",
            "webhook_delivery",
            delivery.id,
            "Only the organization's admin retries deliveries.",
        )
    await repository.reset_delivery(session, delivery, clock.utcnow())
    await audit.record(
        session,
        principal.actor,
        "webhook_delivery.retry",
        resource_type="webhook_delivery",
        resource_id=delivery.id,
        changed_fields=("status",),
    )
    return delivery
