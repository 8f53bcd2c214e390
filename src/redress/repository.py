"""Legal instrument and redress action queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.redress.models import LegalInstrument, RedressAction


async def list_instruments(
    session: AsyncSession, *, kind: str | None, party: str | None, after: str | None, limit: int
) -> list[LegalInstrument]:
    query = select(LegalInstrument).order_by(LegalInstrument.code).limit(limit)
    if kind is not None:
        query = query.where(LegalInstrument.kind == kind)
    if party is not None:
        query = query.where(LegalInstrument.parties.contains([party]))
    if after is not None:
        query = query.where(LegalInstrument.code > after)
    return list((await session.scalars(query)).all())


async def get_instrument(session: AsyncSession, instrument_id: uuid.UUID) -> LegalInstrument | None:
    return await session.get(LegalInstrument, instrument_id)


async def list_actions(session: AsyncSession, case_id: uuid.UUID) -> list[RedressAction]:
    rows = await session.scalars(
        select(RedressAction).where(RedressAction.case_id == case_id).order_by(RedressAction.id)
    )
    return list(rows.all())


async def get_action(
    session: AsyncSession, case_id: uuid.UUID, redress_id: uuid.UUID
) -> RedressAction | None:
    """The case's action, read afresh (its version is compared next)."""
    return await session.scalar(
        select(RedressAction)
        .where(RedressAction.id == redress_id, RedressAction.case_id == case_id)
        .execution_options(populate_existing=True)
    )


async def update_action(
    session: AsyncSession,
    action: RedressAction,
    *,
    expected_version: int,
    values: dict[str, Any],
    now: datetime,
) -> bool:
    """Change the action if it is still at `expected_version`, and reload it; false if it moved on."""
    result = await session.execute(
        update(RedressAction)
        .where(RedressAction.id == action.id, RedressAction.version == expected_version)
        .values(**values, version=RedressAction.version + 1, updated_at=now)
        .returning(RedressAction.id)
    )
    if result.first() is None:
        return False
    await session.refresh(action)
    return True


async def timeline_rows(session: AsyncSession, case_id: uuid.UUID) -> list[RedressAction]:
    query = select(RedressAction).where(RedressAction.case_id == case_id).order_by(RedressAction.id)
    return list((await session.scalars(query)).all())
