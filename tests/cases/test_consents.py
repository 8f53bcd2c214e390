"""Consent as a history through the HTTP API: given and withdrawn per purpose; a withdrawal of consent to
refer or share takes effect at once for new and open referrals; refusals write nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Consent
from src.platform.config import Settings
from src.webhooks.models import WebhookDelivery
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case

CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
WITHDRAWN = {
    "action": "withdrawn",
    "purposes": ["partner_data_sharing"],
    "given_by": "self",
    "on": "2026-11-20",
    "method": "oral_with_witness",
    "note": "Asked by phone that nothing more be shared.",
}


async def _consents(db: AsyncSession, case_id: str) -> int:
    return int(
        await db.scalar(select(func.count()).select_from(Consent).where(Consent.case_id == case_id)) or 0
    )


def _referral(to: factories.Account) -> dict[str, Any]:
    return {
        "to_organization_id": str(to.organization.id),
        "services": ["legal_aid"],
        "reason": "Needs a lawyer.",
        "share": ["basic", "contact"],
    }


async def test_withdrawal_shrinks_open_referrals_tells_the_recipient_and_stops_new_ones(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    ngo = await factories.account(db, settings, client, "partner")
    ngo_admin = await factories.account(db, settings, client, "admin", org=ngo.organization)
    hooked = await client.put(
        f"/v1/organizations/{ngo.organization.id}/webhook",
        json={"url": "http://127.0.0.1:9/hook", "events": ["referral.consent_withdrawn"]},
        headers=ngo_admin.headers,
    )
    assert hooked.status_code == 200, hooked.text
    case = await open_case(client, officer, abuse_body(consent=CONSENT))
    sent = await client.post(
        f"/v1/cases/{case['id']}/referrals", json=_referral(ngo), headers=officer.headers
    )
    assert sent.status_code == 201, sent.text
    before = await client.get(f"/v1/referrals/{sent.json()['id']}", headers=ngo.headers)
    assert (
        before.json()["case"]["subject"]["given_name"] == "Медетбек"
        and before.json()["consent_withdrawn"] is False
    )

    withdrawn = await client.post(f"/v1/cases/{case['id']}/consents", json=WITHDRAWN, headers=officer.headers)
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.headers["etag"] == '"2"'
    assert withdrawn.json()["in_force"]["purposes"] == ["referral"]
    entries = [(e["action"], e["purpose"]) for e in withdrawn.json()["entries"]]
    assert sorted(entries[:2]) == [("given", "partner_data_sharing"), ("given", "referral")]
    assert entries[2:] == [("withdrawn", "partner_data_sharing")]
    assert withdrawn.json()["entries"][-1]["note"] == WITHDRAWN["note"]

    after = await client.get(f"/v1/referrals/{sent.json()['id']}", headers=ngo.headers)
    assert after.status_code == 200
    assert after.json().get("case") is None and after.json()["consent_withdrawn"] is True
    assert "Медетбек" not in after.text and "+996" not in after.text
    owner_view = await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)
    assert owner_view.json()["consent"]["purposes"] == ["referral"]

    refused = await client.post(
        f"/v1/cases/{case['id']}/referrals", json=_referral(ngo), headers=officer.headers
    )
    assert refused.status_code == 409
    event = await db.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.organization_id == ngo.organization.id,
            WebhookDelivery.event_type == "referral.consent_withdrawn",
        )
    )
    assert event is not None and event.payload["data"] == {
        "referral_id": sent.json()["id"],
        "status": "pending",
    }
    actions = (
        await db.scalars(
            select(AuditEvent.action).where(AuditEvent.resource_id.in_([case["id"], sent.json()["id"]]))
        )
    ).all()
    assert "case.consent.record" in actions and "referral.consent_withdrawn" in actions
    stored = await db.scalar(
        select(Consent.note_sealed).where(Consent.case_id == case["id"], Consent.action == "withdrawn")
    )
    assert stored is not None and b"phone" not in stored  # the note is sealed

    given_again = await client.post(
        f"/v1/cases/{case['id']}/consents",
        json={**WITHDRAWN, "action": "given", "on": "2026-11-25", "method": "signed_form", "note": None},
        headers=officer.headers,
    )
    assert given_again.status_code == 201
    assert given_again.json()["in_force"]["purposes"] == ["partner_data_sharing", "referral"]
    again = await client.get(f"/v1/referrals/{sent.json()['id']}", headers=ngo.headers)
    assert again.json()["case"]["subject"]["given_name"] == "Медетбек"


async def test_bad_foreign_and_child_consents_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, abuse_body(consent=CONSENT))
    child = await open_case(client, officer, child_body())
    url = f"/v1/cases/{case['id']}/consents"
    answers = [
        (422, await client.post(url, json={**WITHDRAWN, "action": "revoked"}, headers=officer.headers)),
        (422, await client.post(url, json={**WITHDRAWN, "purposes": []}, headers=officer.headers)),
        (422, await client.post(url, json={**WITHDRAWN, "purposes": ["gossip"]}, headers=officer.headers)),
        (422, await client.post(url, json={**WITHDRAWN, "on": "2999-01-01"}, headers=officer.headers)),
        (422, await client.post(url, json={**WITHDRAWN, "method": "telepathy"}, headers=officer.headers)),
        (404, await client.post(url, json=WITHDRAWN, headers=consulate_b.officer.headers)),
        (404, await client.get(url, headers=consulate_b.officer.headers)),
        (
            422,
            await client.post(
                f"/v1/cases/{child['id']}/consents",
                json={**WITHDRAWN, "action": "given", "purposes": ["referral"]},
                headers=officer.headers,
            ),
        ),
    ]
    assert [(want, a.status_code) for want, a in answers] == [(want, want) for want, _ in answers], [
        a.text[:150] for _, a in answers
    ]
    assert all(a.headers["content-type"] == "application/problem+json" for _, a in answers)
    assert await _consents(db, case["id"]) == 2 and await _consents(db, child["id"]) == 1
    history = await client.get(url, headers=officer.headers)
    assert history.status_code == 200 and len(history.json()["entries"]) == 2
    outcomes = await db.scalars(
        select(AuditEvent.outcome).where(
            AuditEvent.action == "case.consent.list", AuditEvent.resource_id == case["id"]
        )
    )
    assert sorted(outcomes.all()) == ["not_found", "success"]  # reading the history is a read of the case
    assert history.json()["entries"][0]["method"] is None  # recorded at intake, before methods were kept
