"""Appending audit events in the caller's transaction: a plain INSERT, no shared lock, no round trip back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform import driver
from src.platform.context import request_id_var
from src.platform.errors import AfterRollback, Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class Actor:
    type: str  # user | client | system | anonymous
    id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None


# The nil UUID stands for the system where a row needs an author id (an expiry, a migration).
SYSTEM_ID = uuid.UUID(int=0)
SYSTEM = Actor("system")
ANONYMOUS = Actor("anonymous")


# Every request writes one, on the driver (src/platform/driver.py): through SQLAlchemy the INSERT's
# compiling, execution context and result cost more than the INSERT itself (profiles of the case list and
# GET case).
_INSERT = """
INSERT INTO audit_event (actor_type, actor_id, actor_organization_id, action, resource_type, resource_id,
                         outcome, request_id, changed_fields, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    outcome: str = "success",
    changed_fields: Iterable[str] = (),
    detail: dict[str, Any] | None = None,
) -> None:
    await driver.execute(
        session,
        _INSERT,
        actor.type,
        actor.id,
        actor.organization_id,
        action,
        resource_type,
        resource_id,
        outcome,
        request_id_var.get(),
        sorted(set(changed_fields)),
        json.dumps(detail or {}),
    )


def record_after_rollback(
    actor: Actor,
    action: str,
    *,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    outcome: str,
    detail: dict[str, Any] | None = None,
) -> AfterRollback:
    """An audit event that survives the failure of the request it describes (a denial, a failed login)."""

    async def _record(session: AsyncSession) -> None:
        await record(
            session,
            actor,
            action,
            resource_type=resource_type,
            resource_id=resource_id,
            outcome=outcome,
            detail=detail,
        )

    return _record


def denied(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | None = None,
    detail: str = "Your role may not do this.",
) -> Forbidden:
    """A 403 whose audit event (outcome `denied`) is written even though the request rolls back."""
    return Forbidden(
        detail,
        after_rollback=[
            record_after_rollback(
                actor, action, resource_type=resource_type, resource_id=resource_id, outcome="denied"
            )
        ],
    )


def not_found(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | None,
    detail: str | None = None,
) -> NotFound:
    """A 404 for a row the caller may not see (or that does not exist), audited as `not_found`."""
    return NotFound(
        detail or f"No such {resource_type.replace('_', ' ')}.",
        after_rollback=[
            record_after_rollback(
                actor, action, resource_type=resource_type, resource_id=resource_id, outcome="not_found"
            )
        ],
    )


async def events_on(session: AsyncSession, resource_id: uuid.UUID, actions: Iterable[str]) -> list[Any]:
    """(at, actor_id, action, changed_fields) of one resource's successful events of these actions, oldest
    first: a timeline shows changes the audit trail is already the record of."""
    query = (
        select(AuditEvent.at, AuditEvent.actor_id, AuditEvent.action, AuditEvent.changed_fields)
        .where(
            AuditEvent.resource_id == resource_id,
            AuditEvent.action.in_(list(actions)),
            AuditEvent.outcome == "success",
            AuditEvent.actor_id.is_not(None),
        )
        .order_by(AuditEvent.id)
    )
    return list((await session.execute(query)).all())
