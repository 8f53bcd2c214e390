"""Consulate jurisdiction queries; a consulate itself is an organization, read through auth.repository."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth import repository as auth_repository
from src.consulates.models import ConsulateJurisdiction

if TYPE_CHECKING:
    from src.auth.models import Organization

CONSULATE = "consulate"  # the organization kind


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
    return await auth_repository.list_organizations(session, after=after, limit=limit, kind=CONSULATE)


async def get_consulate(session: AsyncSession, consulate_id: uuid.UUID) -> Organization | None:
    organization = await auth_repository.get_organization(session, consulate_id)
    return organization if organization is not None and organization.kind == CONSULATE else None


async def covering_consulate_id(
    session: AsyncSession, *, sending_country: str, country: str, region: str | None
) -> uuid.UUID | None:
    """The consulate naming the region, else the one covering the whole country."""
    matches: ColumnElement[bool] = ConsulateJurisdiction.region.is_(None)
    if region is not None:
        matches = matches | (ConsulateJurisdiction.region == region)
    return await session.scalar(
        select(ConsulateJurisdiction.consulate_id)
        .where(
            ConsulateJurisdiction.sending_country == sending_country,
            ConsulateJurisdiction.country == country,
            matches,
        )
        .order_by(case((ConsulateJurisdiction.region.is_(None), 1), else_=0))
        .limit(1)
    )


async def route(
    session: AsyncSession, *, sending_country: str, country: str, region: str | None
) -> Organization | None:
    """The covering consulate's organization (see `covering_consulate_id`)."""
    consulate_id = await covering_consulate_id(
        session, sending_country=sending_country, country=country, region=region
    )
    return None if consulate_id is None else await auth_repository.get_organization(session, consulate_id)
