"""Transfers between consulates through the HTTP API: asked, accepted (ownership moves, the old owner loses
access) or declined (nothing changes); only the receiving supervisor decides; refusals write nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case, Transfer
from src.platform.config import Settings
from src.referrals.models import Referral
from src.webhooks.models import WebhookDelivery
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


async def _events(db: AsyncSession, organization_id: object, event: str) -> int:
    query = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.organization_id == organization_id, WebhookDelivery.event_type == event)
    )
    return int(await db.scalar(query) or 0)


async def test_an_accepted_transfer_moves_the_case_and_its_referrals_to_the_new_owner(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    a, b = consulate_a, consulate_b
    b_admin = await factories.account(db, settings, client, "admin", org=b.officer.organization)
    hooked = await client.put(
        f"/v1/organizations/{b.officer.organization.id}/webhook",
        json={"url": "http://127.0.0.1:9/hook", "events": ["transfer.requested", "case.transferred"]},
        headers=b_admin.headers,
    )
    assert hooked.status_code == 200, hooked.text
    ngo = await factories.account(db, settings, client, "partner")
    case = await open_case(client, a.officer, abuse_body(consent=CONSENT))
    referral = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "reason": "x",
            "share": ["basic"],
        },
        headers=a.officer.headers,
    )
    assert referral.status_code == 201
    assigned = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(a.officer.user.id)},
        headers={**a.supervisor.headers, "If-Match": '"1"'},
    )
    assert assigned.status_code == 200

    asked = await client.post(
        f"/v1/cases/{case['id']}/transfers",
        json={
            "to_organization_id": str(b.officer.organization.id),
            "reason": "The family moved to Novosibirsk.",
        },
        headers=a.supervisor.headers,
    )
    assert asked.status_code == 201, asked.text
    transfer = asked.json()
    assert transfer["status"] == "pending" and transfer["reference"] == case["reference"]
    assert await _events(db, b.officer.organization.id, "transfer.requested") == 1
    again = await client.post(
        f"/v1/cases/{case['id']}/transfers",
        json={"to_organization_id": str(b.officer.organization.id), "reason": "again"},
        headers=a.supervisor.headers,
    )
    assert again.status_code == 409
    # the receiving side sees what it needs to decide, no personal data
    incoming = await client.get(
        "/v1/transfers", params={"direction": "incoming"}, headers=b.supervisor.headers
    )
    assert [t["id"] for t in incoming.json()["items"]] == [transfer["id"]]
    assert "Айдаралиев" not in incoming.text
    listed = await db.scalar(
        select(AuditEvent.detail).where(
            AuditEvent.action == "case.transfer.list", AuditEvent.actor_id == b.supervisor.user.id
        )
    )
    assert listed is not None and listed["case_ids"] == [case["id"]]
    assert (await client.get(f"/v1/cases/{case['id']}", headers=b.supervisor.headers)).status_code == 404
    officer_tries = await client.post(
        f"/v1/transfers/{transfer['id']}/accept", json={}, headers=b.officer.headers
    )
    assert officer_tries.status_code == 403
    sender_tries = await client.post(
        f"/v1/transfers/{transfer['id']}/accept", json={}, headers=a.supervisor.headers
    )
    assert sender_tries.status_code == 403

    accepted = await client.post(
        f"/v1/transfers/{transfer['id']}/accept", json={"note": "Taken."}, headers=b.supervisor.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["decision_note"] == "Taken."
    now_b = await client.get(f"/v1/cases/{case['id']}", headers=b.supervisor.headers)
    assert now_b.status_code == 200
    assert now_b.json()["owner_organization_id"] == str(b.officer.organization.id)
    assert now_b.json()["assignee_id"] is None
    assert (await client.get(f"/v1/cases/{case['id']}", headers=a.officer.headers)).status_code == 404
    sender = await db.scalar(
        select(Referral.from_organization_id)
        .where(Referral.id == referral.json()["id"])
        .execution_options(populate_existing=True)
    )
    assert sender == b.officer.organization.id
    ngo_view = await client.get(f"/v1/referrals/{referral.json()['id']}", headers=ngo.headers)
    assert ngo_view.status_code == 200 and ngo_view.json()["case"]["subject"]["given_name"] == "Медетбек"
    timeline = await client.get(f"/v1/cases/{case['id']}/timeline", headers=b.supervisor.headers)
    assert [e["event"] for e in timeline.json()["items"] if e["type"] == "transfer"] == ["request", "accept"]
    assert await _events(db, b.officer.organization.id, "case.transferred") == 1
    decided_again = await client.post(
        f"/v1/transfers/{transfer['id']}/decline", json={}, headers=b.supervisor.headers
    )
    assert decided_again.status_code == 409


async def test_a_declined_transfer_changes_nothing_and_bad_targets_are_refused(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    a, b = consulate_a, consulate_b
    case = await open_case(client, a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/transfers"
    partner = await factories.organization(db, kind="partner", country="KG")
    foreign = await factories.organization(db, kind="consulate", country="TJ")
    refused = [
        await client.post(
            url, json={"to_organization_id": str(partner.id), "reason": "x"}, headers=a.supervisor.headers
        ),
        await client.post(
            url, json={"to_organization_id": str(foreign.id), "reason": "x"}, headers=a.supervisor.headers
        ),
        await client.post(
            url,
            json={"to_organization_id": str(a.officer.organization.id), "reason": "x"},
            headers=a.supervisor.headers,
        ),
        await client.post(
            url, json={"to_organization_id": str(b.officer.organization.id)}, headers=a.supervisor.headers
        ),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 422]
    assert (
        await client.post(
            url,
            json={"to_organization_id": str(b.officer.organization.id), "reason": "x"},
            headers=a.officer.headers,
        )
    ).status_code == 403
    assert (
        await client.post(
            url,
            json={"to_organization_id": str(b.officer.organization.id), "reason": "x"},
            headers=b.supervisor.headers,
        )
    ).status_code == 404
    assert (
        await db.scalar(select(func.count()).select_from(Transfer).where(Transfer.case_id == case["id"])) == 0
    )

    asked = await client.post(
        url,
        json={"to_organization_id": str(b.officer.organization.id), "reason": "x"},
        headers=a.supervisor.headers,
    )
    declined = await client.post(
        f"/v1/transfers/{asked.json()['id']}/decline",
        json={"note": "Not ours."},
        headers=b.supervisor.headers,
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    stored = await db.scalar(
        select(Case).where(Case.id == case["id"]).execution_options(populate_existing=True)
    )
    assert (
        stored is not None
        and stored.owner_organization_id == a.officer.organization.id
        and stored.version == 1
    )
    assert (await client.get(f"/v1/cases/{case['id']}", headers=b.supervisor.headers)).status_code == 404
    stranger = await factories.consulate(db, settings, client)
    unknown = await client.post(
        f"/v1/transfers/{asked.json()['id']}/accept", json={}, headers=stranger.supervisor.headers
    )
    assert unknown.status_code == 404


async def test_a_coordinator_moves_a_case_directly(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    coordinator = await factories.account(db, settings, client, "coordinator", kind="ministry")
    case = await open_case(client, consulate_a.officer, abuse_body())
    moved = await client.post(
        f"/v1/cases/{case['id']}/transfers",
        json={"to_organization_id": str(consulate_b.officer.organization.id), "reason": "Jurisdiction."},
        headers=coordinator.headers,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["status"] == "accepted"
    assert (
        await client.get(f"/v1/cases/{case['id']}", headers=consulate_b.officer.headers)
    ).status_code == 200
