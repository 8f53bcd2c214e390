"""Work assignment officers can use: their own and unassigned cases listed, an unassigned case taken."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case


def _etag(account: factories.Account, etag: str) -> dict[str, str]:
    return {**account.headers, "If-Match": etag}


async def _ids(client: httpx.AsyncClient, account: factories.Account, **params: str) -> set[str]:
    answer = await client.get("/v1/cases", params={"limit": "200", **params}, headers=account.headers)
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_an_officer_takes_an_unassigned_case_and_finds_it_under_me(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    colleague = await factories.account(db, settings, client, "officer", org=officer.organization)
    free = await open_case(client, officer, abuse_body())
    other = await open_case(client, officer, abuse_body())
    assert {free["id"], other["id"]} <= await _ids(client, officer, unassigned="true")
    assert free["id"] not in await _ids(client, officer, assignee_id="me")

    taken = await client.post(
        f"/v1/cases/{free['id']}/assign",
        json={"assignee_id": str(officer.user.id)},
        headers=_etag(officer, '"1"'),
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee_id"] == str(officer.user.id) and taken.headers["etag"] == '"2"'
    assert free["id"] in await _ids(client, officer, assignee_id="me")
    assert free["id"] in await _ids(client, officer, unassigned="false")
    assert free["id"] not in await _ids(client, officer, unassigned="true")
    assert free["id"] not in await _ids(client, colleague, assignee_id="me")
    assert free["id"] in await _ids(client, colleague, assignee_id=str(officer.user.id))
    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.assign", AuditEvent.resource_id == free["id"])
    )
    assert event is not None and event.outcome == "success" and event.changed_fields == ["assignee_id"]


async def test_an_officer_may_not_take_a_taken_case_nor_give_one_away(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    colleague = await factories.account(db, settings, client, "officer", org=officer.organization)
    case = await open_case(client, officer, abuse_body())
    to_colleague = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(colleague.user.id)},
        headers=_etag(officer, '"1"'),
    )
    assert to_colleague.status_code == 403
    taken = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(colleague.user.id)},
        headers=_etag(colleague, '"1"'),
    )
    assert taken.status_code == 200
    snatched = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(officer.user.id)},
        headers=_etag(officer, '"2"'),
    )
    assert snatched.status_code == 403
    stored = await db.scalar(
        select(Case).where(Case.id == case["id"]).execution_options(populate_existing=True)
    )
    assert stored is not None and stored.assignee_id == colleague.user.id and stored.version == 2
    outcomes = (
        await db.scalars(
            select(AuditEvent.outcome)
            .where(AuditEvent.action == "case.assign", AuditEvent.resource_id == case["id"])
            .order_by(AuditEvent.id)
        )
    ).all()
    assert list(outcomes) == ["denied", "success", "denied"]


async def test_another_consulates_officer_cannot_take_a_case(
    client: httpx.AsyncClient, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    outsider = consulate_b.officer
    answer = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(outsider.user.id)},
        headers=_etag(outsider, '"1"'),
    )
    assert answer.status_code == 404


async def test_assignee_filters_refuse_what_means_nothing(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    headers = consulate_a.officer.headers
    for params in (
        {"assignee_id": "you"},
        {"assignee_id": "me", "unassigned": "true"},
        {"unassigned": "maybe"},
        {"kind": "abuse", "status": "detected"},  # a state of the child_return workflow only
    ):
        answer = await client.get("/v1/cases", params=params, headers=headers)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
