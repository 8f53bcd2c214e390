"""Consulate use cases."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth import repository as auth_repository
from src.auth.accounts import ORGANIZATION_NAME_TAKEN
from src.auth.principal import Principal
from src.consulates import policies, repository
from src.consulates.models import ConsulateJurisdiction
from src.consulates.schemas import ConsulateCreate, ConsulateRead, JurisdictionRead
from src.platform.errors import Unprocessable
from src.platform.session import flush_or_conflict

if TYPE_CHECKING:
    from src.auth.models import Organization


def _read(organization: Organization, places: list[ConsulateJurisdiction]) -> ConsulateRead:
    return ConsulateRead(
        id=organization.id,
        name=organization.name,
        country=organization.country,
        jurisdiction=[
            JurisdictionRead(country=p.country, region=p.region)
            for p in sorted(places, key=lambda p: (p.country, p.region or ""))
        ],
    )


async def create_consulate(
    session: AsyncSession, principal: Principal, body: ConsulateCreate
) -> ConsulateRead:
    if not policies.may_create_consulates(principal):
        raise audit.denied(
            principal.actor,
            "consulate.create",
            "organization",
            detail="Only a platform administrator creates consulates.",
        )
    organization = auth_repository.add_organization(
        session, name=body.name, kind=repository.CONSULATE, country=body.country
    )
    await flush_or_conflict(session, ORGANIZATION_NAME_TAKEN)
    places = [
        ConsulateJurisdiction(
            consulate_id=organization.id, sending_country=body.country, country=j.country, region=j.region
        )
        for j in body.jurisdiction
    ]
    session.add_all(places)
    await flush_or_conflict(session, "The jurisdiction overlaps another consulate of the same state.")
    await audit.record(
        session,
        principal.actor,
        "consulate.create",
        resource_type="organization",
        resource_id=organization.id,
        changed_fields=body.model_fields_set,
    )
    return _read(organization, places)


async def list_consulates(
    session: AsyncSession, principal: Principal, *, after: uuid.UUID | None, limit: int
) -> list[ConsulateRead]:
    consulates = await repository.list_consulates(session, after=after, limit=limit)
    places = await repository.jurisdictions_of(session, [c.id for c in consulates])
    return [_read(c, places.get(c.id, [])) for c in consulates]


async def get_consulate(
    session: AsyncSession, principal: Principal, consulate_id: uuid.UUID
) -> ConsulateRead:
    consulate = await repository.get_consulate(session, consulate_id)
    if consulate is None:
        raise audit.not_found(
            principal.actor, "consulate.read", "organization", consulate_id, "No such consulate."
        )
    places = await repository.jurisdictions_of(session, [consulate.id])
    return _read(consulate, places.get(consulate.id, []))


async def route(
    session: AsyncSession,
    principal: Principal,
    *,
    country: str,
    region: str | None,
    sending_country: str | None,
) -> ConsulateRead:
    if region is not None and not region.startswith(country + "-"):
        raise Unprocessable.at(
            ["query", "region"], "region not in country", "region must be an ISO 3166-2 code of the country."
        )
    if sending_country is None:
        caller = await auth_repository.get_organization(session, principal.organization_id)
        assert caller is not None
        sending_country = caller.country
    consulate = await repository.route(
        session, sending_country=sending_country, country=country, region=region
    )
    if consulate is None:
        raise audit.not_found(
            principal.actor, "consulate.route", "organization", None, "No consulate covers this place."
        )
    places = await repository.jurisdictions_of(session, [consulate.id])
    return _read(consulate, places.get(consulate.id, []))
