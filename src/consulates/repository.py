"""Consulate queries."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization
from src.consulates.models import ConsulateJurisdiction


async def jurisdictions_of(
    session: AsyncSession, consulate_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ConsulateJurisdiction]]:
    rows = await session.scalars(
        select(ConsulateJurisdiction)
        .where(ConsulateJurisdiction.consulate_id.in_(consulate_ids))
        .order_by(ConsulateJurisdiction.country, ConsulateJurisdiction.region.nulls_first())
    )
    by_consulate: dict[uuid.UUID, list[ConsulateJurisdiction]] = defaultdict(list)
    for row in rows:
        by_consulate[row.consulate_id].append(row)
    return by_consulate


async def list_consulates(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[Organization]:
    query = (
        select(Organization).where(Organization.kind == "consulate").order_by(Organization.id).limit(limit)
    )
    if after is not None:
        query = query.where(Organization.id > after)
    return list((await session.scalars(query)).all())


async def get_consulate(session: AsyncSession, consulate_id: uuid.UUID) -> Organization | None:
    return await session.scalar(
        select(Organization).where(Organization.id == consulate_id, Organization.kind == "consulate")
    )


async def route(
    session: AsyncSession, *, sending_country: str, country: str, region: str | None
) -> Organization | None:
    """The consulate naming the region, else the one covering the whole country."""
    matches: ColumnElement[bool] = ConsulateJurisdiction.region.is_(None)
    if region is not None:
        matches = matches | (ConsulateJurisdiction.region == region)
    return await session.scalar(
        select(Organization)
        .join(ConsulateJurisdiction, ConsulateJurisdiction.consulate_id == Organization.id)
        .where(
            ConsulateJurisdiction.sending_country == sending_country,
            ConsulateJurisdiction.country == country,
            matches,
        )
        .order_by(case((ConsulateJurisdiction.region.is_(None), 1), else_=0))
        .limit(1)
    )
