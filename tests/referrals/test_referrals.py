"""Referrals through the API: consent, the consent-scoped partner view, lifecycle, updates, who sees what."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform.config import Settings
from src.referrals.models import Referral
from tests import factories
from tests.factories import Consulate, abuse_body, open_case


@pytest.fixture
async def ngo(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "partner")


@pytest.fixture
async def other_ngo(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "partner")


def referral_body(to: factories.Account, **overrides: Any) -> dict[str, Any]:
    body = {
        "to_organization_id": str(to.organization.id),
        "services": ["legal_aid", "shelter"],
        "urgency": "high",
        "reason": "Needs a lawyer for the wage claim.",
        "share": ["basic"],
    }
    body.update(overrides)
    return body


async def _refer(
    client: httpx.AsyncClient, sender: factories.Account, case_id: str, body: dict[str, Any]
) -> Any:
    response = await client.post(f"/v1/cases/{case_id}/referrals", json=body, headers=sender.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _consented_case(client: httpx.AsyncClient, officer: factories.Account) -> Any:
    """A case whose consent covers referral and partner data sharing."""
    consent = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
    return await open_case(client, officer, abuse_body(consent=consent))


async def _count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Referral)) or 0)


async def test_basic_share_discloses_only_the_basic_group(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await open_case(
        client,
        consulate_a.officer,
        abuse_body(
            consent={
                "purposes": ["case_management", "referral", "partner_data_sharing"],
                "given_by": "self",
                "given_on": "2026-11-01",
            }
        ),
    )
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    assert referral["status"] == "pending" and referral["consent_exception"] is False
    seen = await client.get(f"/v1/referrals/{referral['id']}", headers=ngo.headers)
    assert seen.status_code == 200
    raw = seen.text
    view = seen.json()["case"]
    assert view["subject"] == {
        "given_name": "Медетбек",
        "age_band": "25-34",
        "sex": "male",
        "citizenship": "KG",
        "language": "ky",
    }
    for secret in (
        "AC1234567",
        "+996",
        "1994-03-12",
        "Айдаралиев",
        "Wages unpaid",
        "passport kept",
        case["id"],
        "СтройМонтаж",
    ):
        assert secret not in raw, secret
    assert "case_id" not in seen.json()
    # The partner still cannot open the case itself.
    assert (await client.get(f"/v1/cases/{case['id']}", headers=ngo.headers)).status_code == 404
    reads = list(
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.read", AuditEvent.actor_id == ngo.user.id)
        )
    )
    assert [(e.outcome, e.detail.get("share")) for e in reads] == [
        ("success", ["basic"]),
        ("not_found", None),
    ]


async def test_wider_shares_disclose_their_groups(
    client: httpx.AsyncClient, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    body = referral_body(ngo, share=["identity", "contact", "document", "narrative", "violations"])
    referral = await _refer(client, consulate_a.officer, case["id"], body)
    view = (await client.get(f"/v1/referrals/{referral['id']}", headers=ngo.headers)).json()["case"]
    assert view["subject"]["full_name"] == "Айдаралиев Медетбек"
    assert view["subject"]["phone"] == "+996 555 123 456"
    assert view["subject"]["document"]["number"] == "AC1234567"
    assert view["summary"].startswith("Wages unpaid")
    assert [v["type"] for v in view["violations"]] == ["wage_theft", "passport_confiscation"]


async def test_referral_without_consent_is_409_unless_an_exception_is_recorded(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())  # consent: case_management, referral
    refused = await client.post(
        f"/v1/cases/{case['id']}/referrals", json=referral_body(ngo), headers=consulate_a.officer.headers
    )
    assert refused.status_code == 409 and refused.json()["missing_consent"] == ["partner_data_sharing"]
    assert await _count(db) == 0
    excepted = await _refer(
        client,
        consulate_a.officer,
        case["id"],
        referral_body(
            ngo, consent_exception={"legal_basis": "Law No. 55 art. 12: assistance to a presumed victim"}
        ),
    )
    assert excepted["consent_exception"] is True
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "referral.create"))
    assert event is not None and event.detail["consent_exception"] is True


async def test_lifecycle_and_who_may_act(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    url = f"/v1/referrals/{referral['id']}"
    duplicate = await client.post(
        f"/v1/cases/{case['id']}/referrals", json=referral_body(ngo), headers=consulate_a.officer.headers
    )
    assert duplicate.status_code == 409
    assert (
        await client.post(f"{url}/accept", json={}, headers=consulate_a.officer.headers)
    ).status_code == 403
    assert (await client.post(f"{url}/withdraw", json={}, headers=ngo.headers)).status_code == 403
    assert (
        await client.post(f"{url}/complete", json={"note": "done"}, headers=ngo.headers)
    ).status_code == 409
    accepted = await client.post(f"{url}/accept", json={}, headers=ngo.headers)
    assert accepted.json()["status"] == "accepted"
    progress = await client.post(
        f"{url}/updates", json={"body": "Claim filed with the court."}, headers=ngo.headers
    )
    assert progress.status_code == 201
    reply = await client.post(
        f"{url}/updates", json={"body": "Thank you."}, headers=consulate_a.officer.headers
    )
    assert reply.status_code == 201
    no_outcome = await client.post(f"{url}/complete", json={}, headers=ngo.headers)
    assert no_outcome.status_code == 422
    completed = await client.post(f"{url}/complete", json={"note": "Wages recovered."}, headers=ngo.headers)
    assert completed.json()["status"] == "completed" and "case" not in completed.json()
    kept = await client.get(url, headers=ngo.headers)
    assert kept.status_code == 200 and kept.json()["status"] == "completed" and "case" not in kept.json()
    updates = (await client.get(f"{url}/updates", headers=consulate_a.officer.headers)).json()["items"]
    assert [u["kind"] for u in updates] == ["created", "accepted", "progress", "progress", "completed"]
    late = await client.post(f"{url}/updates", json={"body": "one more"}, headers=ngo.headers)
    assert late.status_code == 409
    timeline = (
        await client.get(f"/v1/cases/{case['id']}/timeline", headers=consulate_a.officer.headers)
    ).json()["items"]
    assert [e["event"] for e in timeline if e["type"] == "referral"] == [
        "created",
        "accepted",
        "progress",
        "progress",
        "completed",
    ]
    actions = list(
        await db.scalars(select(AuditEvent.action).where(AuditEvent.resource_id == referral["id"]))
    )
    assert {"referral.create", "referral.accept", "referral.complete", "referral.read"} <= set(actions)


async def test_decline_needs_a_reason_and_ends_the_view(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    url = f"/v1/referrals/{referral['id']}"
    no_reason = await client.post(f"{url}/decline", json={}, headers=ngo.headers)
    assert no_reason.status_code == 422
    assert await db.scalar(select(Referral.status)) == "pending"
    declined = await client.post(
        f"{url}/decline", json={"note": "No capacity this month."}, headers=ngo.headers
    )
    assert declined.json()["status"] == "declined"
    assert "case" not in (await client.get(url, headers=ngo.headers)).json()
    sender_view = (await client.get(url, headers=consulate_a.officer.headers)).json()
    assert sender_view["status_note"] == "No capacity this month." and sender_view["case_id"] == case["id"]
    # A declined referral is closed: a new one to the same partner may be sent.
    assert (
        await client.post(
            f"/v1/cases/{case['id']}/referrals", json=referral_body(ngo), headers=consulate_a.officer.headers
        )
    ).status_code == 201


async def test_other_organizations_get_404(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    consulate_b: Consulate,
    ngo: factories.Account,
    other_ngo: factories.Account,
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    for outsider in (other_ngo, consulate_b.officer):
        url = f"/v1/referrals/{referral['id']}"
        assert (await client.get(url, headers=outsider.headers)).status_code == 404
        assert (await client.post(f"{url}/accept", json={}, headers=outsider.headers)).status_code == 404
        assert (await client.get(f"{url}/updates", headers=outsider.headers)).status_code == 404
        intrusion = await client.post(f"{url}/updates", json={"body": "hello"}, headers=outsider.headers)
        assert intrusion.status_code == 404
        for action in ("decline", "complete", "withdraw"):
            response = await client.post(f"{url}/{action}", json={"note": "x"}, headers=outsider.headers)
            assert response.status_code == 404, action
        listed = await client.get("/v1/referrals?direction=incoming", headers=outsider.headers)
        assert listed.json()["items"] == []
    not_theirs = await client.post(
        f"/v1/cases/{case['id']}/referrals", json=referral_body(ngo), headers=consulate_b.officer.headers
    )
    assert not_theirs.status_code == 404
    incoming = await client.get("/v1/referrals?direction=incoming&status=pending", headers=ngo.headers)
    assert [r["id"] for r in incoming.json()["items"]] == [referral["id"]]
    outgoing = await client.get("/v1/referrals?direction=outgoing", headers=consulate_a.officer.headers)
    assert [r["id"] for r in outgoing.json()["items"]] == [referral["id"]]


@pytest.mark.parametrize(
    "override",
    [
        {"services": ["massage"]},
        {"services": []},
        {"share": ["everything"]},
        {"urgency": "yesterday"},
        {"due_on": "2000-01-01"},
        {"reason": ""},
        {"secret_field": 1},
        {"consent_exception": {"legal_basis": "short"}},
    ],
)
async def test_invalid_referral_bodies_are_422_and_write_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    consulate_a: Consulate,
    ngo: factories.Account,
    override: dict[str, Any],
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    response = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json=referral_body(ngo, **override),
        headers=consulate_a.officer.headers,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(db) == 0


async def test_recipient_must_be_another_consulate_or_a_partner(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    oversight = await factories.organization(db, kind="oversight")
    for target in (oversight.id, consulate_a.officer.organization.id):
        response = await client.post(
            f"/v1/cases/{case['id']}/referrals",
            json={**referral_body(consulate_a.officer), "to_organization_id": str(target)},
            headers=consulate_a.officer.headers,
        )
        assert response.status_code == 422


async def test_pending_referrals_past_due_expire(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app_engine: Any,
    consulate_a: Consulate,
    ngo: factories.Account,
) -> None:
    from datetime import timedelta

    from sqlalchemy.ext.asyncio import async_sessionmaker

    from src.platform import clock
    from src.referrals.expiry import expire_overdue

    case = await _consented_case(client, consulate_a.officer)
    due = (clock.utcnow() + timedelta(days=2)).date().isoformat()
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo, due_on=due))
    sessions = async_sessionmaker(app_engine)
    async with sessions() as session, session.begin():
        assert await expire_overdue(session) == 0
    clock.advance(timedelta(days=3))
    async with sessions() as session, session.begin():
        assert await expire_overdue(session) == 1
    await factories.sign_in_again(client, ngo)
    seen = await client.get(f"/v1/referrals/{referral['id']}", headers=ngo.headers)
    assert seen.json()["status"] == "expired" and "case" not in seen.json()
    assert (
        await client.post(f"/v1/referrals/{referral['id']}/accept", json={}, headers=ngo.headers)
    ).status_code == 409
    outcome = await db.scalar(select(AuditEvent.outcome).where(AuditEvent.action == "referral.expire"))
    assert outcome == "success"


async def test_inbound_referral_opens_a_routed_case(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, ngo: factories.Account
) -> None:
    from src.cases.models import Case

    platform = await factories.account(db, settings, client, "admin")
    routed = await client.post(
        "/v1/consulates",
        json={
            "name": "CG Yekaterinburg",
            "country": "KG",
            "jurisdiction": [{"country": "RU", "region": "RU-SVE"}],
        },
        headers=platform.headers,
    )
    officer = await factories.account(
        db, settings, client, "officer", org=await db.get(type(ngo.organization), routed.json()["id"])
    )
    body = {
        k: v
        for k, v in abuse_body(occurred={"country": "RU", "region": "RU-SVE"}).items()
        if k != "intake_channel"
    }
    body.update(services=["legal_aid"], urgency="high")
    missing_key = await client.post("/v1/referrals", json=body, headers=ngo.headers)
    assert missing_key.status_code == 422 and await db.scalar(select(func.count()).select_from(Case)) == 0
    headers = {**ngo.headers, "Idempotency-Key": "ngo-intake-1"}
    sent = await client.post("/v1/referrals", json=body, headers=headers)
    assert sent.status_code == 201, sent.text
    retried = await client.post("/v1/referrals", json=body, headers=headers)
    assert retried.json() == sent.json()
    referral = sent.json()
    assert referral["to_organization_id"] == routed.json()["id"]
    assert referral["from_organization_id"] == str(ngo.organization.id)
    case = await db.scalar(select(Case).where(Case.id == referral["case_id"]))
    assert case is not None and case.owner_organization_id == officer.organization.id
    assert case.intake_channel == "partner_referral"
    assert await db.scalar(select(func.count()).select_from(Case)) == 1
    owner_sees = await client.get(f"/v1/cases/{case.id}", headers=officer.headers)
    assert owner_sees.status_code == 200
    incoming = await client.get("/v1/referrals?direction=incoming", headers=officer.headers)
    assert [r["id"] for r in incoming.json()["items"]] == [referral["id"]]
    nowhere = await client.post(
        "/v1/referrals",
        json={**body, "occurred": {"country": "KZ"}},
        headers={**ngo.headers, "Idempotency-Key": "ngo-intake-2"},
    )
    assert nowhere.status_code == 422 and await db.scalar(select(func.count()).select_from(Case)) == 1
    not_partner = await client.post(
        "/v1/referrals", json=body, headers={**officer.headers, "Idempotency-Key": "x"}
    )
    assert not_partner.status_code == 403


@pytest.mark.parametrize(
    "override",
    [
        {"services": ["massage"]},
        {"services": []},
        {"intake_channel": "hotline"},
        {"kind": "theft"},
        {"owner_organization_id": "00000000-0000-0000-0000-000000000001"},
        {"surprise": 1},
    ],
)
async def test_invalid_inbound_referrals_are_422_and_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, ngo: factories.Account, override: dict[str, Any]
) -> None:
    from src.cases.models import Case

    body = {k: v for k, v in abuse_body().items() if k != "intake_channel"}
    body.update({"services": ["legal_aid"], **override})
    response = await client.post(
        "/v1/referrals", json=body, headers={**ngo.headers, "Idempotency-Key": "bad-1"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.scalar(select(func.count()).select_from(Case)) == 0
    assert await _count(db) == 0


async def test_invalid_updates_are_422(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    from src.referrals.models import ReferralUpdate

    case = await _consented_case(client, consulate_a.officer)
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    before = await db.scalar(select(func.count()).select_from(ReferralUpdate))
    for body in ({"body": ""}, {"body": "x" * 5001}, {}, {"body": "ok", "extra": 1}):
        response = await client.post(
            f"/v1/referrals/{referral['id']}/updates", json=body, headers=ngo.headers
        )
        assert response.status_code == 422, body
    assert await db.scalar(select(func.count()).select_from(ReferralUpdate)) == before
