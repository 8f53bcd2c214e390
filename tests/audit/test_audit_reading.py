"""Reading the audit trail: who may, what they see (no personal data), verification, the access log."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from src.audit.models import AuditEvent
from src.audit.reading import access_log_query
from src.audit.sequencer import sequence_all
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

PERSONAL = ("Айдаралиев", "Медетбек", "AC1234567", "+996", "1994-03-12", "Wages unpaid", "СтройМонтаж")


async def _all_events(client: httpx.AsyncClient, account: factories.Account) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    url = "/v1/audit/events?limit=200"
    while url:
        page = await client.get(url, headers=account.headers)
        assert page.status_code == 200, page.text
        assert not any(value in page.text for value in PERSONAL)
        events += page.json()["items"]
        cursor = page.json()["next_cursor"]
        url = f"/v1/audit/events?limit=200&cursor={cursor}" if cursor else ""
    return events


async def test_auditors_see_all_supervisors_their_own_and_nobody_sees_personal_data(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    case_a = await open_case(client, consulate_a.officer, abuse_body())
    await client.get(f"/v1/cases/{case_a['id']}", headers=consulate_a.officer.headers)
    await open_case(client, consulate_b.officer, abuse_body())
    auditor = await factories.account(db, settings, client, "auditor")
    everything = await _all_events(client, auditor)
    organizations = {e["actor_organization_id"] for e in everything}
    assert {
        str(consulate_a.officer.organization.id),
        str(consulate_b.officer.organization.id),
    } <= organizations
    own = await _all_events(client, consulate_a.supervisor)
    assert {e["actor_organization_id"] for e in own} == {str(consulate_a.officer.organization.id)}
    reads = await client.get(
        f"/v1/audit/events?action=case.read&resource_id={case_a['id']}", headers=auditor.headers
    )
    assert [e["actor_id"] for e in reads.json()["items"]] == [str(consulate_a.officer.user.id)]
    for role in ("officer", "partner", "admin", "coordinator"):
        account = await factories.account(db, settings, client, role)
        assert (await client.get("/v1/audit/events", headers=account.headers)).status_code == 403
    assert (await client.get(f"/v1/cases/{case_a['id']}", headers=auditor.headers)).status_code == 404


async def test_verify_over_the_api(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    app_engine: AsyncEngine,
    owner_engine: AsyncEngine,
    consulate_a: Consulate,
) -> None:
    await open_case(client, consulate_a.officer, abuse_body())
    auditor = await factories.account(db, settings, client, "auditor")
    async with app_engine.connect() as conn:
        await sequence_all(conn)
    result = await client.get("/v1/audit/verify", headers=auditor.headers)
    assert result.status_code == 200
    body = result.json()
    assert body["first_bad_seq"] is None and body["checked"] > 0 and len(body["head_hash"]) == 64
    async with owner_engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "UPDATE audit_event SET outcome = 'failure' "
                "WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 2)"
            )
        )
    broken = await client.get("/v1/audit/verify", headers=auditor.headers)
    assert broken.json()["ok"] is False and broken.json()["first_bad_seq"] == 2
    assert (await client.get("/v1/audit/verify", headers=consulate_a.supervisor.headers)).status_code == 403


async def test_case_access_log(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
    await client.get("/v1/cases", headers=consulate_a.officer.headers)
    log = await client.get(f"/v1/cases/{case['id']}/access-log", headers=consulate_a.supervisor.headers)
    assert log.status_code == 200
    actions = [e["action"] for e in log.json()["items"]]
    assert {"case.create", "case.read", "case.list"} <= set(actions)
    assert not any(value in log.text for value in PERSONAL)
    auditor = await factories.account(db, settings, client, "auditor")
    assert (
        await client.get(f"/v1/cases/{case['id']}/access-log", headers=auditor.headers)
    ).status_code == 200
    other = await client.get(f"/v1/cases/{case['id']}/access-log", headers=consulate_b.supervisor.headers)
    assert other.status_code == 404
    officer = await client.get(f"/v1/cases/{case['id']}/access-log", headers=consulate_a.officer.headers)
    assert officer.status_code == 403
    denied = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.access_log", AuditEvent.outcome == "denied")
    )
    assert denied is not None and denied.actor_id == consulate_a.officer.user.id


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    inner: str = compiler.process(element.statement, **kw)
    return "EXPLAIN " + inner


async def test_the_access_log_query_can_use_its_index(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    await client.get("/v1/cases", headers=consulate_a.officer.headers)
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in await db.execute(Explain(access_log_query(uuid.UUID(case["id"])))))
    await db.rollback()
    assert "ix_audit_event_case_ids" in plan and "ix_audit_event_resource_id_at" in plan, plan


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "from=yesterday", "actor_id=nope", "cursor=abc"])
async def test_bad_queries_are_422(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, query: str
) -> None:
    auditor = await factories.account(db, settings, client, "auditor")
    response = await client.get(f"/v1/audit/events?{query}", headers=auditor.headers)
    assert response.status_code == 422


async def test_auditors_read_no_case_referral_or_person(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    consent = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
    case = await open_case(client, consulate_a.officer, abuse_body(consent=consent))
    ngo = await factories.account(db, settings, client, "partner")
    referral = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "urgency": "high",
            "reason": "Needs a lawyer.",
            "share": ["basic", "identity"],
        },
        headers=consulate_a.officer.headers,
    )
    assert referral.status_code == 201, referral.text
    auditor = await factories.account(db, settings, client, "auditor")
    rid = referral.json()["id"]
    for path in (
        f"/v1/cases/{case['id']}",
        f"/v1/cases/{case['id']}/redress",
        f"/v1/cases/{case['id']}/timeline",
        f"/v1/referrals/{rid}",
        f"/v1/referrals/{rid}/updates",
    ):
        response = await client.get(path, headers=auditor.headers)
        assert response.status_code == 404, (path, response.text)
        assert not any(value in response.text for value in PERSONAL)
    listed = await client.get("/v1/referrals?direction=incoming", headers=auditor.headers)
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert not any(value in listed.text for value in PERSONAL)
