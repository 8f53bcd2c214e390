"""Referral queries; the only place referral rows are scoped to the caller (`readable`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.principal import Principal
from src.auth.scopes import REFERRALS_READ
from src.crypto import fields
from src.platform import driver
from src.referrals.models import Referral, ReferralUpdate


def readable(principal: Principal) -> Select[Referral]:
    """Referrals sent by or to the caller's organization."""
    if REFERRALS_READ not in principal.scopes:
        return select(Referral).where(false())
    mine = principal.organization_id
    return select(Referral).where(
        or_(Referral.from_organization_id == mine, Referral.to_organization_id == mine)
    )


async def get_readable(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> Referral | None:
    query = readable(principal).where(Referral.id == referral_id).execution_options(populate_existing=True)
    return await session.scalar(query)


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referral as a list shows it, read on the driver: the attribute names are the model's, so
    `service.referral_read` takes either."""

    id: uuid.UUID
    case_id: uuid.UUID
    from_organization_id: uuid.UUID
    to_organization_id: uuid.UUID
    services: list[str]
    urgency: str
    reason: str
    share: list[str]
    evidence: list[uuid.UUID]
    due_on: date | None
    status: str
    status_note: str | None
    consent_exception: object | None  # as the driver reads jsonb: a list shows only whether there is one
    created_at: datetime
    updated_at: datetime


_LIST_COLUMNS = (
    "id, case_id, from_organization_id, to_organization_id, services, urgency, reason, share, evidence, "
    "due_on, status, status_note, consent_exception, created_at, updated_at"
)


def _opened(record: Any) -> ReferralRow:
    note = record["status_note"]
    return ReferralRow(
        **{
            **dict(record.items()),
            "reason": fields.unseal("referral", "reason", record["id"], record["reason"]).decode(),
            "status_note": None
            if note is None
            else fields.unseal("referral", "status_note", record["id"], note).decode(),
        }
    )


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    *,
    direction: str | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[ReferralRow]:
    """A page of the caller's referrals, newest first, as one statement on the driver (the partner inbox is
    read on every poll: the ORM's identity map and unit of work gave nothing here). No snapshot is read: the
    partner's sealed copy of its submission (kilobytes a row) stays unread."""
    if REFERRALS_READ not in principal.scopes:
        return []
    arg = driver.Arguments()
    mine = arg(principal.organization_id)
    if direction == "incoming":
        where = [f"to_organization_id = {mine}"]
    elif direction == "outgoing":
        where = [f"from_organization_id = {mine}"]
    else:
        where = [f"(from_organization_id = {mine} OR to_organization_id = {mine})"]
    if status is not None:
        where.append(f"status = {arg(status)}")
    if before is not None:
        where.append(f"id < {arg(before)}")
    sql = (
        f"SELECT {_LIST_COLUMNS} FROM referral WHERE {' AND '.join(where)} "  # noqa: S608 (only $n placeholders)
        f"ORDER BY id DESC LIMIT {arg(limit)}"
    )
    return [_opened(record) for record in await driver.fetch(session, sql, *arg)]


async def updates_of(
    session: AsyncSession, referral_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int | None = None
) -> list[ReferralUpdate]:
    """The referral's updates, oldest first; a page of them after the update `after` when a limit is given."""
    query = select(ReferralUpdate).where(ReferralUpdate.referral_id == referral_id)
    if after is not None:
        query = query.where(ReferralUpdate.id > after)
    return list((await session.scalars(query.order_by(ReferralUpdate.id).limit(limit))).all())


async def updates_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[ReferralUpdate]:
    query = (
        select(ReferralUpdate)
        .join(Referral, Referral.id == ReferralUpdate.referral_id)
        .where(Referral.case_id == case_id)
        .order_by(ReferralUpdate.id)
    )
    return list((await session.scalars(query)).all())


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Referral]:
    """Every referral of the case, both ways, oldest first (for the case's own export: no scoping here)."""
    query = select(Referral).where(Referral.case_id == case_id).order_by(Referral.id)
    return list((await session.scalars(query)).all())
