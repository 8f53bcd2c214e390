"""Audit reading: auditors see every organization's events, supervisors their own organization's; the access
log of a case for its supervisors and for auditors (who still cannot read the case itself)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, cast, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.audit.checkpoints import (
    MAX_CONSISTENCY_SPAN,
    Checkpoint,
    CheckpointKey,
    consistency,
    take_checkpoint,
)
from src.audit.models import AuditChain, AuditEvent
from src.audit.schemas import AuditEventRead
from src.audit.verify import Verification, verify_chain
from src.auth.principal import Principal
from src.auth.scopes import AUDIT_READ
from src.cases import repository as cases
from src.platform import clock
from src.platform.config import Settings
from src.platform.errors import Unprocessable


def _readable(principal: Principal, action: str) -> Any:
    query = select(AuditEvent, AuditChain.seq).outerjoin(AuditChain, AuditChain.event_id == AuditEvent.id)
    if AUDIT_READ in principal.scopes and principal.role == "auditor":
        return query
    if AUDIT_READ in principal.scopes and principal.role == "supervisor":
        return query.where(AuditEvent.actor_organization_id == principal.organization_id)
    raise audit.denied(
        principal.actor, action, "audit_event", detail="Your role may not read the audit trail."
    )


async def list_events(
    session: AsyncSession, principal: Principal, *, filters: dict[str, Any], before: int | None, limit: int
) -> list[tuple[AuditEvent, int | None]]:
    query = _readable(principal, "audit.list")
    if filters.get("actor_id") is not None:
        query = query.where(AuditEvent.actor_id == filters["actor_id"])
    if filters.get("resource_id") is not None:
        query = query.where(AuditEvent.resource_id == filters["resource_id"])
    if filters.get("action") is not None:
        query = query.where(AuditEvent.action == filters["action"])
    if filters.get("from") is not None:
        query = query.where(AuditEvent.at >= filters["from"])
    if filters.get("to") is not None:
        query = query.where(AuditEvent.at < filters["to"])
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = (await session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))).all()
    await audit.record(
        session,
        principal.actor,
        "audit.list",
        resource_type="audit_event",
        detail={"count": min(len(rows), limit - 1)},
    )
    return [(row[0], row[1]) for row in rows]


async def verify(session: AsyncSession, principal: Principal, settings: Settings) -> Verification:
    if principal.role != "auditor" or AUDIT_READ not in principal.scopes:
        raise audit.denied(
            principal.actor, "audit.verify", "audit_event", detail="Oversight bodies verify the audit trail."
        )
    result = await verify_chain(
        await session.connection(), max_unsequenced_seconds=settings.audit_max_unsequenced_seconds
    )
    await audit.record(
        session,
        principal.actor,
        "audit.verify",
        resource_type="audit_event",
        detail={"ok": result.ok, "checked": result.checked},
    )
    return result


def event_read(event: AuditEvent, seq: int | None) -> AuditEventRead:
    return AuditEventRead(
        id=event.id,
        seq=seq,
        at=event.at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        actor_organization_id=event.actor_organization_id,
        action=event.action,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        outcome=event.outcome,
        request_id=event.request_id,
        changed_fields=list(event.changed_fields),
        detail=dict(event.detail),
    )


def access_log_query(case_id: uuid.UUID) -> Any:
    """Events about the case, and list pages that showed it (ix_audit_event_case_ids serves the second)."""
    case_ids = AuditEvent.detail.op("->")(literal_column("'case_ids'"))
    shown_in_list = and_(
        AuditEvent.detail.op("?")(literal_column("'case_ids'")),
        case_ids.op("@>")(cast([str(case_id)], JSONB)),
    )
    return (
        select(AuditEvent, AuditChain.seq)
        .outerjoin(AuditChain, AuditChain.event_id == AuditEvent.id)
        .where(or_(AuditEvent.resource_id == case_id, shown_in_list))
    )


async def access_log(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, before: int | None, limit: int
) -> list[tuple[AuditEvent, int | None]]:
    """Who read or changed the case: events about it, and list pages that showed it."""
    if principal.role == "supervisor" and AUDIT_READ in principal.scopes:
        case = await cases.get_readable(session, principal, case_id)
        if case is None:
            raise audit.not_found(principal.actor, "case.access_log", "case", case_id)
    elif not (principal.role == "auditor" and AUDIT_READ in principal.scopes):
        # Like every route naming a row: 404 for a case the caller cannot see, 403 for one it can.
        if await cases.get_readable(session, principal, case_id) is None:
            raise audit.not_found(principal.actor, "case.access_log", "case", case_id)
        raise audit.denied(
            principal.actor,
            "case.access_log",
            "case",
            case_id,
            detail="The case's supervisors and auditors read its access log.",
        )
    query = access_log_query(case_id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = (await session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))).all()
    await audit.record(session, principal.actor, "case.access_log", resource_type="case", resource_id=case_id)
    return [(row[0], row[1]) for row in rows]


def _auditor(principal: Principal, action: str) -> None:
    if principal.role != "auditor" or AUDIT_READ not in principal.scopes:
        raise audit.denied(
            principal.actor, action, "audit_event", detail="Oversight bodies read checkpoints."
        )


async def checkpoint(session: AsyncSession, principal: Principal, key: CheckpointKey) -> Checkpoint:
    _auditor(principal, "audit.checkpoint")
    taken = await take_checkpoint(await session.connection(), key, clock.utcnow())
    await audit.record(
        session, principal.actor, "audit.checkpoint", resource_type="audit_event", detail={"size": taken.size}
    )
    return taken


async def consistency_proof(
    session: AsyncSession, principal: Principal, from_size: int, to_size: int
) -> dict[str, Any]:
    _auditor(principal, "audit.consistency")
    size = await session.scalar(select(func.coalesce(func.max(AuditChain.seq), 0)))
    if not 0 <= from_size <= to_size <= (size or 0) or to_size - from_size > MAX_CONSISTENCY_SPAN:
        raise Unprocessable.at(
            ["query", "to_size"],
            "out of range",
            f"Need 0 <= from_size <= to_size <= {size} and a span of at most {MAX_CONSISTENCY_SPAN}.",
        )
    proof = await consistency(await session.connection(), from_size, to_size)
    await audit.record(
        session,
        principal.actor,
        "audit.consistency",
        resource_type="audit_event",
        detail={"from_size": from_size, "to_size": to_size},
    )
    return proof


async def whole_access_log(session: AsyncSession, case_id: uuid.UUID, limit: int) -> list[AuditEventRead]:
    """The case's access log, oldest first, at most `limit` events (for its export; the caller is checked
    there)."""
    rows = (await session.execute(access_log_query(case_id).order_by(AuditEvent.id).limit(limit))).all()
    return [event_read(row[0], row[1]) for row in rows]
