"""Referral queries; the only place referral rows are scoped to the caller (`readable`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from src.auth.principal import Principal
from src.auth.scopes import REFERRALS_READ
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


async def list_referrals(
    session: AsyncSession,
    principal: Principal,
    *,
    direction: str | None,
    status: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> list[Referral]:
    query: Any = readable(principal)
    if direction == "incoming":
        query = query.where(Referral.to_organization_id == principal.organization_id)
    elif direction == "outgoing":
        query = query.where(Referral.from_organization_id == principal.organization_id)
    if status is not None:
        query = query.where(Referral.status == status)
    if before is not None:
        query = query.where(Referral.id < before)
    # A page shows no snapshot: the partner's sealed copy of its submission (kilobytes a row) stays unread.
    query = query.options(defer(Referral.submitted_view_sealed, raiseload=True))
    return list((await session.scalars(query.order_by(Referral.id.desc()).limit(limit))).all())


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
