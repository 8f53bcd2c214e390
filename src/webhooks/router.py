"""HTTP for webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Request, Response

from src.auth.dependencies import CurrentPrincipal
from src.platform.dependencies import AppSettings
from src.platform.errors import problem_responses
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page
from src.platform.session import DbSession
from src.webhooks import service
from src.webhooks.models import WebhookDelivery
from src.webhooks.schemas import DeliveryRead, WebhookConfig, WebhookCreated, WebhookRead

router = Router(prefix="/v1", tags=["webhooks"], responses=problem_responses(401, 422))


def _delivery(row: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        webhook_id=service.webhook_id(row.id),
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


@router.put(
    "/organizations/{organization_id}/webhook",
    response_model=WebhookCreated,
    responses=problem_responses(403, 404),
    summary="Configure an organization's webhook",
)
async def configure_webhook(
    response: Response,
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    organization_id: Annotated[uuid.UUID, Path()],
    body: WebhookConfig,
) -> WebhookCreated:
    """Set the organization's endpoint URL and the events it receives. A new signing secret is returned once
    (`Cache-Control: no-store`); the previous one stays valid for 24 hours so receivers can rotate. URLs
    that resolve to loopback, link-local or private addresses are refused (422). The organization's
    administrator (403 otherwise; 404 for another organization)."""
    endpoint, secret = await service.configure(session, principal, settings, organization_id, body)
    response.headers["Cache-Control"] = "no-store"
    return WebhookCreated(**WebhookRead.model_validate(endpoint).model_dump(), secret=secret)


@router.get(
    "/organizations/{organization_id}/webhook",
    response_model=WebhookRead,
    responses=problem_responses(403, 404),
    summary="Read an organization's webhook",
)
async def read_webhook(
    session: DbSession, principal: CurrentPrincipal, organization_id: Annotated[uuid.UUID, Path()]
) -> WebhookRead:
    """The organization's endpoint and events, never its secret. The organization's administrator (403
    otherwise; 404 for another organization or when none is configured)."""
    return WebhookRead.model_validate(await service.read(session, principal, organization_id))


@router.get("/webhook-deliveries", response_model=Page[DeliveryRead], summary="List webhook deliveries")
async def list_webhook_deliveries(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryRead]:
    """The caller's organization's deliveries, newest first, keyset-paged: event type, status, attempts, the
    next attempt and the last answer's status or error."""
    rows = await service.list_deliveries(
        session, principal, before=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1
    )
    return build_page(request, response, [_delivery(r) for r in rows], limit)


@router.post(
    "/webhook-deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    responses=problem_responses(403, 404),
    summary="Retry a webhook delivery",
)
async def retry_webhook_delivery(
    session: DbSession, principal: CurrentPrincipal, delivery_id: Annotated[uuid.UUID, Path()]
) -> DeliveryRead:
    """Schedule a delivery of the caller's organization again, at once. The organization's administrator (403
    otherwise; 404 for another organization's delivery)."""
    return _delivery(await service.retry(session, principal, delivery_id))
