"""Webhook endpoint and delivery queries, the delivery worker's included; deliveries are scoped to the
caller's organization here only (`readable`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Select, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from src.auth.principal import Principal
from src.webhooks.models import WebhookDelivery, WebhookEndpoint


def readable(principal: Principal) -> Select[WebhookDelivery]:
    return select(WebhookDelivery).where(WebhookDelivery.organization_id == principal.organization_id)


async def get_endpoint(session: AsyncSession, organization_id: uuid.UUID) -> WebhookEndpoint | None:
    return await session.get(WebhookEndpoint, organization_id)


async def lock_endpoint(session: AsyncSession, organization_id: uuid.UUID) -> WebhookEndpoint | None:
    """The endpoint, locked until the transaction ends: two configurations do not interleave."""
    return await session.get(WebhookEndpoint, organization_id, with_for_update=True)


async def list_deliveries(
    session: AsyncSession, principal: Principal, *, before: uuid.UUID | None, limit: int
) -> list[WebhookDelivery]:
    query = readable(principal).order_by(WebhookDelivery.id.desc()).limit(limit)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list((await session.scalars(query)).all())


async def get_readable_delivery(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await session.scalar(readable(principal).where(WebhookDelivery.id == delivery_id))


async def reset_delivery(session: AsyncSession, delivery: WebhookDelivery, now: datetime) -> None:
    """Make the delivery due again at `now`, and reload it."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(status="pending", next_attempt_at=now, lease_until=None, last_error=None)
    )
    await session.refresh(delivery)


# ---- the delivery worker: its own short transactions on a connection, no session ----------------------

_CLAIM = text("""
WITH heads AS MATERIALIZED (
    SELECT DISTINCT ON (organization_id, ordering_key) id, next_attempt_at, lease_until
    FROM webhook_delivery WHERE status = 'pending'
    ORDER BY organization_id, ordering_key, id
)
UPDATE webhook_delivery d SET lease_until = :lease_until, attempts = d.attempts + 1
WHERE d.id IN (
    SELECT c.id FROM webhook_delivery c
    WHERE c.id IN (SELECT h.id FROM heads h
                   WHERE h.next_attempt_at <= :now AND (h.lease_until IS NULL OR h.lease_until < :now))
      AND c.status = 'pending' AND c.next_attempt_at <= :now
      AND (c.lease_until IS NULL OR c.lease_until < :now)
    ORDER BY c.id LIMIT :limit FOR UPDATE OF c SKIP LOCKED)
RETURNING d.id, d.organization_id, d.payload, d.attempts, d.created_at
""")
# The worker's own bookkeeping may skip waiting for the WAL flush: a lease or a "delivered" mark lost in a
# crash only means the event is sent again with the same webhook-id, which delivery already allows.
_NO_FSYNC_WAIT = text("SET LOCAL synchronous_commit = off")
_ENDPOINT = text(
    "SELECT url, secret, previous_secret, previous_secret_expires_at, is_active FROM webhook_endpoint "
    "WHERE organization_id = :organization_id"
)


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[RowMapping]:
    """Lease up to `limit` due heads of their ordering keys (SKIP LOCKED: workers share the work)."""
    await conn.execute(_NO_FSYNC_WAIT)
    result = await conn.execute(_CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
    return result.mappings().all()


async def endpoint_for_delivery(conn: AsyncConnection, organization_id: uuid.UUID) -> RowMapping | None:
    """Where and with which (sealed) secrets to send: read fresh for every delivery."""
    result = await conn.execute(_ENDPOINT, {"organization_id": organization_id})
    return result.mappings().first()


async def record_outcome(conn: AsyncConnection, delivery_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(_NO_FSYNC_WAIT)
    await conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


async def disable_endpoint(
    conn: AsyncConnection, organization_id: uuid.UUID, *, status_code: int, now: datetime
) -> None:
    """Stop sending to the organization's endpoint and cancel what is still pending for it."""
    await conn.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == organization_id)
        .values(is_active=False, disabled_reason="410 Gone", updated_at=now)
    )
    await conn.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.organization_id == organization_id, WebhookDelivery.status == "pending")
        .values(status="cancelled", lease_until=None, last_status_code=status_code, last_error="410 Gone")
    )
