"""GET /v1/cases/{id}/export: everything held about a case's persons, for a supervisor of the owning
consulate, audited as an export; others refused (403 audited, or 404 across organizations)."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


async def test_the_export_holds_every_section_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    officer, supervisor = consulate_a.officer, consulate_a.supervisor
    ngo = await factories.account(db, settings, client, "partner")
    case = await open_case(client, officer, abuse_body(consent=CONSENT))
    read = await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)
    assert read.status_code == 200
    referral = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "reason": "Needs a lawyer.",
            "share": ["basic"],
        },
        headers=officer.headers,
    )
    assert referral.status_code == 201, referral.text
    note = await client.post(
        f"/v1/cases/{case['id']}/notes", json={"body": "Called the employer."}, headers=officer.headers
    )
    assert note.status_code == 201
    redress = await client.post(
        f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=officer.headers
    )
    assert redress.status_code == 201

    answer = await client.get(f"/v1/cases/{case['id']}/export", headers=supervisor.headers)
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["case"]["subject"]["family_name"] == "Айдаралиев"
    assert export["case"]["subject"]["document"]["number"] == "AC1234567"  # sealed fields opened
    assert {c["purpose"] for c in export["consents"]} == {"referral", "partner_data_sharing"}
    [sent] = export["referrals"]
    assert sent["id"] == referral.json()["id"] and sent["inbound"] is False
    assert sent["case"]["subject"].get("family_name") is None  # the basic share showed no family name
    assert sent["updates"][0]["kind"] == "created"
    assert [r["id"] for r in export["redress"]] == [redress.json()["id"]]
    assert [n["body"] for n in export["notes"]] == ["Called the employer."]
    actions = [e["action"] for e in export["access_log"]]
    assert actions[0] == "case.create" and "case.read" in actions and "referral.create" not in actions[:1]
    assert export["access_log_complete"] is True and export["exported_by"] == str(supervisor.user.id)
    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.export", AuditEvent.resource_id == case["id"])
    )
    assert event is not None and event.outcome == "success" and event.actor_id == supervisor.user.id
    assert "Айдаралиев" not in str(event.detail)


async def test_only_the_owning_consulates_supervisor_exports(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    officer = await client.get(f"/v1/cases/{case['id']}/export", headers=consulate_a.officer.headers)
    assert officer.status_code == 403 and officer.headers["content-type"] == "application/problem+json"
    stranger = await client.get(f"/v1/cases/{case['id']}/export", headers=consulate_b.supervisor.headers)
    assert stranger.status_code == 404 and "Айдаралиев" not in stranger.text
    outcomes = (
        await db.scalars(
            select(AuditEvent.outcome)
            .where(AuditEvent.action == "case.export", AuditEvent.resource_id == case["id"])
            .order_by(AuditEvent.id)
        )
    ).all()
    assert list(outcomes) == ["denied", "not_found"]
