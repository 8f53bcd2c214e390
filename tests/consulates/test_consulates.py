"""Consulates, jurisdictions without overlap, and routing a place (region before country)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization
from src.consulates.models import ConsulateJurisdiction
from src.platform.config import Settings
from tests import factories


async def _consulate(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    country: str,
    places: Sequence[tuple[str, str | None]],
) -> httpx.Response:
    body = {
        "name": name,
        "country": country,
        "jurisdiction": [{"country": c, "region": r} for c, r in places],
    }
    return await client.post("/v1/consulates", json=body, headers=headers)


@pytest.fixture
async def admin(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "admin")


async def test_create_read_and_list(client: httpx.AsyncClient, admin: factories.Account) -> None:
    created = await _consulate(
        client, admin.headers, "CG Yekaterinburg", "KG", [("RU", "RU-SVE"), ("RU", "RU-CHE")]
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "consulate" and body["country"] == "KG"
    assert body["jurisdiction"] == [
        {"country": "RU", "region": "RU-CHE"},
        {"country": "RU", "region": "RU-SVE"},
    ]
    read = await client.get(f"/v1/consulates/{body['id']}", headers=admin.headers)
    assert read.json() == body
    listed = await client.get("/v1/consulates", headers=admin.headers)
    assert [c["id"] for c in listed.json()["items"]] == [body["id"]]


async def test_routing_prefers_region_then_country(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, admin: factories.Account
) -> None:
    embassy = (
        await _consulate(client, admin.headers, "Embassy Moscow", "KG", [("RU", None), ("RU", "RU-MOW")])
    ).json()
    yekat = (await _consulate(client, admin.headers, "CG Yekaterinburg", "KG", [("RU", "RU-SVE")])).json()
    tajik = (await _consulate(client, admin.headers, "TJ CG Yekaterinburg", "TJ", [("RU", "RU-SVE")])).json()
    officer = await factories.account(db, settings, client, "officer")  # a KG consulate's officer

    async def route(query: str) -> httpx.Response:
        return await client.get(f"/v1/consulates/route?{query}", headers=officer.headers)

    assert (await route("country=RU&region=RU-SVE")).json()["id"] == yekat["id"]
    assert (await route("country=RU&region=RU-NVS")).json()["id"] == embassy["id"]
    assert (await route("country=RU")).json()["id"] == embassy["id"]
    assert (await route("country=RU&region=RU-SVE&sending_country=TJ")).json()["id"] == tajik["id"]
    nowhere = await route("country=KZ")
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"
    assert (await route("country=RU&region=KZ-ALA")).status_code == 422
    assert (await route("country=Russia")).status_code == 422


async def test_overlapping_jurisdiction_is_409_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, admin: factories.Account
) -> None:
    assert (
        await _consulate(client, admin.headers, "A", "KG", [("RU", None), ("RU", "RU-SVE")])
    ).status_code == 201
    before = (
        await db.scalar(select(func.count()).select_from(Organization)),
        await db.scalar(select(func.count()).select_from(ConsulateJurisdiction)),
    )
    for places in ([("RU", "RU-SVE")], [("RU", None)], [("RU", "RU-TYU"), ("RU", "RU-SVE")]):
        response = await _consulate(client, admin.headers, "B", "KG", places)
        assert response.status_code == 409, places
    after = (
        await db.scalar(select(func.count()).select_from(Organization)),
        await db.scalar(select(func.count()).select_from(ConsulateJurisdiction)),
    )
    assert after == before
    # Another state's consulate may cover the same place.
    assert (await _consulate(client, admin.headers, "UZ", "UZ", [("RU", "RU-SVE")])).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "country": "KG", "jurisdiction": []},
        {"name": "X", "country": "KG", "jurisdiction": [{"country": "RU", "region": "KZ-ALA"}]},
        {"name": "X", "country": "KG", "jurisdiction": [{"country": "RU", "region": "Moscow"}]},
        {"name": "X", "country": "KG", "jurisdiction": [{"country": "RU"}, {"country": "RU"}]},
        {"name": "X", "country": "KG", "jurisdiction": [{"country": "RU"}], "kind": "partner"},
        {"name": "X", "country": "Kyrgyzstan", "jurisdiction": [{"country": "RU"}]},
    ],
)
async def test_invalid_consulate_bodies_are_422(
    client: httpx.AsyncClient, db: AsyncSession, admin: factories.Account, body: dict[str, Any]
) -> None:
    before = await db.scalar(select(func.count()).select_from(Organization))
    response = await client.post("/v1/consulates", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert await db.scalar(select(func.count()).select_from(Organization)) == before


async def test_consulate_endpoints_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/consulates")).status_code == 401
    assert (await client.get("/v1/consulates/route?country=RU")).status_code == 401
