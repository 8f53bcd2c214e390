"""Transferring a case to another consulate of the same state: the owner's supervisor asks, the receiving
consulate's supervisor accepts or declines; a coordinator moves a case directly. On acceptance ownership
moves, the assignee is cleared, open referrals keep their recipients with the new owner as their sender (the
listeners `create_app` registers), and the old owner keeps no access. Every step audited, on the timeline,
and sent to the other side as a thin webhook."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.principal import Principal
from src.cases import changes, guards, policies
from src.cases.models import Case, Transfer
from src.cases.read_schemas import TransferRead
from src.cases.schemas import TransferDecisionIn, TransferIn
from src.platform import clock
from src.platform.errors import Conflict, Unprocessable
from src.platform.ids import uuid7
from src.platform.session import flush_or_conflict
from src.webhooks import service as webhooks

# Audit actions of a transfer, on the case: the timeline shows them.
TIMELINE_ACTIONS = ("case.transfer.request", "case.transfer.accept", "case.transfer.decline")

TransferListener = Callable[[AsyncSession, uuid.UUID, uuid.UUID, uuid.UUID], Awaitable[None]]
_listeners: list[TransferListener] = []


def on_transferred(listener: TransferListener) -> None:
    """Called with (session, case id, old owner, new owner) when a case changes owner (referrals listens)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _read(transfer: Transfer, case: Case) -> TransferRead:
    return TransferRead(
        id=transfer.id,
        case_id=case.id,
        reference=case.reference,
        kind=case.kind,
        case_status=case.status,
        from_organization_id=transfer.from_organization_id,
        to_organization_id=transfer.to_organization_id,
        reason=transfer.reason,
        status=transfer.status,
        decision_note=transfer.decision_note,
        created_at=transfer.created_at,
        decided_at=transfer.decided_at,
    )


async def _event(
    session: AsyncSession, organization_id: uuid.UUID, event: str, transfer: Transfer, case: Case
) -> None:
    """Thin: ids, reference, kind and status; nothing personal."""
    data = {
        "transfer_id": str(transfer.id),
        "case_id": str(case.id),
        "reference": case.reference,
        "kind": case.kind,
        "status": transfer.status,
    }
    await webhooks.enqueue(session, organization_id, event, str(case.id), data)


async def request(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: TransferIn
) -> TransferRead:
    action = "case.transfer.request"
    case = await guards.readable_case(session, principal, case_id, action)
    if not policies.may_transfer(principal, case.owner_organization_id):
        raise guards.denied(principal, action, case.id, "The owning consulate's supervisor transfers a case.")
    guards.not_anonymised(case)
    owner = await auth_repository.get_organization(session, case.owner_organization_id)
    target = await auth_repository.get_organization(session, body.to_organization_id)
    if (
        owner is None
        or target is None
        or target.kind != "consulate"
        or target.id == owner.id
        or target.country != owner.country
    ):
        raise Unprocessable.at(["body", "to_organization_id"], "not another consulate of the same state")
    now = clock.utcnow()
    transfer = Transfer(
        id=uuid7(),
        case_id=case.id,
        from_organization_id=owner.id,
        to_organization_id=target.id,
        status="pending",
        requested_by=principal.id,
        created_at=now,
    )
    transfer.reason = body.reason
    session.add(transfer)
    await flush_or_conflict(session, "This case is already under transfer.")
    await audit.record(
        session,
        principal.actor,
        action,
        resource_type="case",
        resource_id=case.id,
        changed_fields=body.model_fields_set,
        detail={"transfer_id": str(transfer.id), "to_organization_id": str(target.id)},
    )
    if principal.role == "coordinator":  # a coordinator moves the case directly
        await _decide(session, principal, transfer, case, accept=True, note=None)
    else:
        await _event(session, target.id, "transfer.requested", transfer, case)
    return _read(transfer, case)


async def _decide(
    session: AsyncSession,
    principal: Principal,
    transfer: Transfer,
    case: Case,
    *,
    accept: bool,
    note: str | None,
) -> None:
    transfer.status = "accepted" if accept else "declined"
    transfer.decided_by = principal.id
    transfer.decided_at = clock.utcnow()
    transfer.decision_note = note
    await session.flush()
    old_owner = case.owner_organization_id
    if accept:
        await changes.bump(
            session,
            case,
            case.version,
            {"owner_organization_id": transfer.to_organization_id, "assignee_id": None},
        )
        for listener in _listeners:
            await listener(session, case.id, old_owner, transfer.to_organization_id)
    await audit.record(
        session,
        principal.actor,
        "case.transfer.accept" if accept else "case.transfer.decline",
        resource_type="case",
        resource_id=case.id,
        detail={"transfer_id": str(transfer.id)},
    )
    if accept:
        for side in (old_owner, transfer.to_organization_id):
            await _event(session, side, "case.transferred", transfer, case)
    else:
        await _event(session, transfer.from_organization_id, "transfer.declined", transfer, case)


async def decide(
    session: AsyncSession,
    principal: Principal,
    transfer_id: uuid.UUID,
    accept: bool,
    body: TransferDecisionIn,
) -> TransferRead:
    action = "case.transfer.accept" if accept else "case.transfer.decline"
    transfer = await session.scalar(select(Transfer).where(Transfer.id == transfer_id).with_for_update())
    if transfer is None or not policies.sees_transfer(
        principal, transfer.from_organization_id, transfer.to_organization_id
    ):
        raise audit.not_found(principal.actor, action, "transfer", transfer_id)
    if not policies.may_decide_transfer(principal, transfer.to_organization_id):
        raise audit.denied(
            principal.actor, action, "transfer", transfer.id, "The receiving consulate's supervisor decides."
        )
    if transfer.status != "pending":
        raise Conflict(f"This transfer was already {transfer.status}.")
    case = await session.get(Case, transfer.case_id)
    assert case is not None
    guards.not_anonymised(case)
    await _decide(session, principal, transfer, case, accept=accept, note=body.note)
    return _read(transfer, case)


def _visible(principal: Principal) -> Any:
    query = select(Transfer, Case).join(Case, Case.id == Transfer.case_id)
    if principal.role == "coordinator":
        return query
    if principal.role not in ("officer", "supervisor"):
        return query.where(Transfer.id.is_(None))
    mine = principal.organization_id
    return query.where(or_(Transfer.from_organization_id == mine, Transfer.to_organization_id == mine))


async def list_transfers(
    session: AsyncSession,
    principal: Principal,
    *,
    direction: str | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[TransferRead]:
    query = _visible(principal)
    if direction == "incoming":
        query = query.where(Transfer.to_organization_id == principal.organization_id)
    elif direction == "outgoing":
        query = query.where(Transfer.from_organization_id == principal.organization_id)
    if status is not None:
        query = query.where(Transfer.status == status)
    if before is not None:
        query = query.where(Transfer.id < before)
    found = (await session.execute(query.order_by(Transfer.id.desc()).limit(limit))).all()
    await audit.record(
        session,
        principal.actor,
        "case.transfer.list",
        resource_type="transfer",
        detail={
            "count": min(len(found), limit - 1),
            "case_ids": [str(case.id) for _, case in found[: limit - 1]],
        },
    )
    return [_read(transfer, case) for transfer, case in found]
