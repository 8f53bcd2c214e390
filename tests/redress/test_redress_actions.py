"""Redress actions on a case: exact amounts, the status lifecycle, optimistic locking, scoping, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform.config import Settings
from src.redress.models import LegalInstrument, RedressAction
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case


async def _instrument(db: AsyncSession, code: str) -> str:
    return str(await db.scalar(select(LegalInstrument.id).where(LegalInstrument.code == code)))


async def test_claims_round_trip_exactly_and_move_through_their_lifecycle(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/redress"
    body = {
        "instrument_id": await _instrument(db, "KG-RU-LABOUR-1996"),
        "article": "Art. 7",
        "forum": "court",
        "claim": {"amount": "180000.07", "currency": "RUB"},
        "status": "filed",
        "filed_on": "2026-10-01",
    }
    created = await client.post(url, json=body, headers=consulate_a.officer.headers)
    assert created.status_code == 201, created.text
    assert created.json()["claim"] == {"amount": "180000.07", "currency": "RUB"}
    assert created.headers["etag"] == '"1"'
    stored = await db.scalar(select(RedressAction.claim_amount))
    assert str(stored) == "180000.07"
    rid = created.json()["id"]
    granted = await client.patch(
        f"{url}/{rid}",
        json={
            "status": "partially_granted",
            "recovered": {"amount": "120000.10", "currency": "RUB"},
            "decided_on": "2026-11-15",
        },
        headers={**consulate_a.officer.headers, "If-Match": '"1"'},
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["recovered"] == {"amount": "120000.10", "currency": "RUB"}
    stale = await client.patch(
        f"{url}/{rid}", json={"article": "Art. 8"}, headers={**consulate_a.officer.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    missing = await client.patch(
        f"{url}/{rid}", json={"article": "Art. 8"}, headers=consulate_a.officer.headers
    )
    assert missing.status_code == 428
    final = await client.patch(
        f"{url}/{rid}", json={"status": "filed"}, headers={**consulate_a.officer.headers, "If-Match": '"2"'}
    )
    assert final.status_code == 409 and final.json()["allowed"] == []
    listed = await client.get(url, headers=consulate_a.supervisor.headers)
    assert [r["status"] for r in listed.json()] == ["partially_granted"]
    timeline = (
        await client.get(f"/v1/cases/{case['id']}/timeline", headers=consulate_a.officer.headers)
    ).json()["items"]
    assert [e["type"] for e in timeline].count("redress") == 1
    actions = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.resource_id == case["id"])))
    assert {"redress.create", "redress.update", "redress.list"} <= set(actions)


async def test_child_return_costs_under_the_cis_minors_agreement(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, child_body())
    created = await client.post(
        f"/v1/cases/{case['id']}/redress",
        headers=consulate_a.officer.headers,
        json={
            "instrument_id": await _instrument(db, "CIS-MINORS-2002"),
            "forum": "joint_commission",
            "claim": {"amount": "420.00", "currency": "USD"},
        },
    )
    assert created.status_code == 201 and created.json()["status"] == "planned"


@pytest.mark.parametrize(
    "override",
    [
        {"forum": "tribunal_of_heaven"},
        {"status": "won"},
        {"claim": {"amount": "1.999", "currency": "RUB"}},
        {"claim": {"amount": "10", "currency": "RUR"}},
        {"claim": {"amount": 10.5, "currency": "RUB"}, "x": 1},
        {"filed_on": "2026-11-02", "decided_on": "2026-11-01"},
        {"instrument_id": "00000000-0000-0000-0000-000000000001"},
    ],
)
async def test_invalid_redress_is_422_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, override: dict[str, Any]
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    response = await client.post(
        f"/v1/cases/{case['id']}/redress",
        headers=consulate_a.officer.headers,
        json={"forum": "court", **override},
    )
    assert response.status_code == 422, response.text
    assert await db.scalar(select(func.count()).select_from(RedressAction)) == 0


async def test_other_organizations_and_roles_get_404(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    created = await client.post(
        f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=consulate_a.officer.headers
    )
    rid = created.json()["id"]
    outsiders = [
        consulate_b.officer,
        await factories.account(db, settings, client, "auditor"),
        await factories.account(db, settings, client, "partner"),
    ]
    for outsider in outsiders:
        assert (
            await client.get(f"/v1/cases/{case['id']}/redress", headers=outsider.headers)
        ).status_code == 404
        assert (
            await client.post(
                f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=outsider.headers
            )
        ).status_code == 404
        assert (
            await client.patch(
                f"/v1/cases/{case['id']}/redress/{rid}",
                json={"article": "x"},
                headers={**outsider.headers, "If-Match": '"1"'},
            )
        ).status_code == 404
    assert await db.scalar(select(func.count()).select_from(RedressAction)) == 1


async def test_invalid_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    created = await client.post(
        f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=consulate_a.officer.headers
    )
    url = f"/v1/cases/{case['id']}/redress/{created.json()['id']}"
    headers = {**consulate_a.officer.headers, "If-Match": '"1"'}
    for body in (
        {"forum": "moon"},
        {"status": "won"},
        {"claim": {"amount": "1", "currency": "XXX1"}},
        {"surprise": True},
        {},
    ):
        response = await client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    stored = await db.scalar(select(RedressAction).execution_options(populate_existing=True))
    assert stored is not None and (stored.version, stored.forum, stored.status) == (1, "court", "planned")
