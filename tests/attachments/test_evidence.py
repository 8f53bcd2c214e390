"""Evidence shared through a referral: the recipient lists and downloads exactly the attachments named, only
while the referral is open and consent holds; each read audited on the case, naming the referral."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform.config import Settings
from tests import factories
from tests.attachments.test_attachments import upload
from tests.factories import Consulate, abuse_body, open_case

CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
CONTRACT = b"%PDF-1.7\n(Contract: 60 000 RUB a month, Stroymontazh LLC)\n%%EOF\n"
DIARY = b"Diary of unpaid days, kept in secret"


async def _shared_world(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> dict[str, Any]:
    officer = consulate_a.officer
    ngo = await factories.account(db, settings, client, "partner")
    case = await open_case(client, officer, abuse_body(consent=CONSENT))
    shared = (await upload(client, officer, case["id"], CONTRACT, category="contract")).json()["id"]
    unshared = (await upload(client, officer, case["id"], DIARY, content_type="text/plain")).json()["id"]
    sent = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "reason": "Needs a lawyer for the wage claim.",
            "share": ["basic"],
            "evidence": [shared],
        },
        headers=officer.headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["evidence"] == [shared]
    return {"ngo": ngo, "case": case, "shared": shared, "unshared": unshared, "referral": sent.json()["id"]}


async def test_the_recipient_downloads_what_was_shared_while_the_referral_is_open(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    world = await _shared_world(client, db, settings, consulate_a)
    ngo, referral = world["ngo"], world["referral"]
    base = f"/v1/referrals/{referral}/attachments"
    listed = await client.get(base, headers=ngo.headers)
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [world["shared"]]
    assert "description" not in listed.json()["items"][0]
    content = await client.get(f"{base}/{world['shared']}/content", headers=ngo.headers)
    assert content.status_code == 200 and content.content == CONTRACT
    assert content.headers["content-disposition"].startswith('attachment; filename="contract-')
    unshared = await client.get(f"{base}/{world['unshared']}/content", headers=ngo.headers)
    assert unshared.status_code == 404 and DIARY.decode() not in unshared.text
    # the case's own routes stay closed to the partner
    direct = await client.get(
        f"/v1/cases/{world['case']['id']}/attachments/{world['shared']}/content", headers=ngo.headers
    )
    assert direct.status_code == 404
    # the sender reads the case's attachments directly, not through the referral
    assert (await client.get(base, headers=consulate_a.officer.headers)).status_code == 403
    read = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "case.attachment.read", AuditEvent.actor_id == ngo.user.id
        )
    )
    assert read is not None and read.detail["via_referral"] == referral
    assert str(read.resource_id) == world["case"]["id"]
    share = await db.scalar(select(AuditEvent).where(AuditEvent.action == "case.attachment.share"))
    assert share is not None and share.detail["attachment_ids"] == [world["shared"]]

    accepted = await client.post(f"/v1/referrals/{referral}/accept", json={}, headers=ngo.headers)
    assert accepted.status_code == 200
    assert (await client.get(f"{base}/{world['shared']}/content", headers=ngo.headers)).status_code == 200
    completed = await client.post(
        f"/v1/referrals/{referral}/complete", json={"note": "Claim filed."}, headers=ngo.headers
    )
    assert completed.status_code == 200, completed.text
    for path in (base, f"{base}/{world['shared']}/content"):
        closed = await client.get(path, headers=ngo.headers)
        assert closed.status_code == 404, path
        assert closed.headers["content-type"] == "application/problem+json"


async def test_a_withdrawal_of_consent_closes_the_evidence_at_once(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    world = await _shared_world(client, db, settings, consulate_a)
    withdrawn = await client.post(
        f"/v1/cases/{world['case']['id']}/consents",
        json={
            "action": "withdrawn",
            "purposes": ["partner_data_sharing"],
            "given_by": "self",
            "on": "2026-11-20",
            "method": "oral_with_witness",
        },
        headers=consulate_a.officer.headers,
    )
    assert withdrawn.status_code == 201, withdrawn.text
    base = f"/v1/referrals/{world['referral']}/attachments"
    assert (await client.get(base, headers=world["ngo"].headers)).status_code == 404
    content = await client.get(f"{base}/{world['shared']}/content", headers=world["ngo"].headers)
    assert content.status_code == 404


async def test_a_referral_shares_only_the_cases_own_attachments(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    ngo = await factories.account(db, settings, client, "partner")
    case = await open_case(client, officer, abuse_body(consent=CONSENT))
    other = await open_case(client, officer, abuse_body())
    foreign = (await upload(client, officer, other["id"], CONTRACT)).json()["id"]
    sent = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "reason": "x",
            "share": ["basic"],
            "evidence": [foreign],
        },
        headers=officer.headers,
    )
    assert sent.status_code == 422
    assert sent.json()["errors"][0]["loc"] == ["body", "evidence"]
