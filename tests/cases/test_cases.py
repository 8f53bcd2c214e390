"""Cases through the HTTP API: intake per kind, validation, who sees what, workflows, optimistic locking,
notes and timeline, listing, idempotency, audit."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.models import AuditEvent
from src.auth.principal import Principal
from src.auth.scopes import ROLE_SCOPES
from src.cases import repository
from src.cases.models import Case, Person, Violation
from src.platform import clock
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case, trafficking_body


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def _actions(db: AsyncSession, case_id: str) -> list[tuple[str, str]]:
    rows = await db.execute(
        select(AuditEvent.action, AuditEvent.outcome)
        .where(AuditEvent.resource_id == case_id)
        .order_by(AuditEvent.id)
    )
    return [(a, o) for a, o in rows.all()]


def _with_etag(account: factories.Account, etag: str) -> dict[str, str]:
    return {**account.headers, "If-Match": etag}


# ---- intake --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [abuse_body, child_body, trafficking_body])
async def test_the_intake_answer_is_what_a_read_of_the_case_answers(
    client: httpx.AsyncClient, consulate_a: Consulate, body: Any
) -> None:
    """Intake builds its answer from what it wrote (no read back): it must be the read model exactly."""
    payload = body()
    payload["persons"] = [*payload.get("persons", []), _second_person()]
    created = await open_case(client, consulate_a.officer, payload)
    read = await client.get(f"/v1/cases/{created['id']}", headers=consulate_a.officer.headers)
    assert read.status_code == 200
    created.pop("possible_duplicates")
    stored = read.json()
    stored.pop("possible_duplicates")
    assert created == stored


def _second_person() -> dict[str, Any]:
    return {
        "role": "witness",
        "family_name": "Temirov",
        "given_name": "Bolot",
        "birth_date": "1991-02-03",
        "citizenship": "KG",
        "phone": "+996555123456",
        "document": {"type": "passport", "number": "AN7654321"},
    }


async def test_references_count_in_six_digits_and_go_on_past_a_million(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    await db.execute(text("SELECT setval('case_reference_tip', 999998)"))
    await db.commit()
    year = clock.utcnow().year
    references = [
        (await open_case(client, consulate_a.officer, trafficking_body()))["reference"] for _ in range(2)
    ]
    assert references == [f"TIP-{year}-999999", f"TIP-{year}-1000000"]


async def test_each_kind_is_opened_with_its_details(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    abuse = await open_case(client, consulate_a.officer, abuse_body())
    assert abuse["reference"].startswith(f"ABU-{clock.utcnow().year}-")
    assert abuse["status"] == "intake" and abuse["owner_organization_id"] == str(
        consulate_a.officer.organization.id
    )
    assert abuse["details"]["wages_owed"] == {"amount": "180000.00", "currency": "RUB"}
    assert abuse["subject"]["document"] == {"type": "passport", "number": "AC1234567"}
    assert abuse["violations"][0]["perpetrator_id"] == abuse["persons"][0]["id"]
    assert abuse["consent"]["purposes"] == ["case_management", "referral"]
    assert abuse["possible_duplicates"] == [] and abuse["overdue"] is False and abuse["due_at"]
    child = await open_case(client, consulate_a.officer, child_body())
    assert child["reference"].startswith("CHR-") and child["status"] == "detected"
    assert child["details"]["current_placement"]["type"] == "shelter"
    trafficking = await open_case(client, consulate_a.officer, trafficking_body())
    assert trafficking["reference"].startswith("TIP-") and trafficking["status"] == "intake"
    assert trafficking["details"]["means_of_control"] == ["withholds_documents", "false_promises"]
    assert len({abuse["reference"], child["reference"], trafficking["reference"]}) == 3
    assert await _actions(db, abuse["id"]) == [("case.create", "success")]


async def test_trafficking_indicator_on_a_child_case_opens_a_linked_case(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    body = child_body(violations=[{"type": "forced_begging", "indicators": ["abuse_of_vulnerability"]}])
    child = await open_case(client, consulate_a.officer, body)
    assert child["linked_case_id"]
    linked = await client.get(f"/v1/cases/{child['linked_case_id']}", headers=consulate_a.officer.headers)
    assert linked.json()["kind"] == "trafficking" and linked.json()["linked_case_id"] == child["id"]
    assert child["reference"] in linked.json()["summary"]
    plain = await open_case(client, consulate_a.officer, child_body())
    assert plain["linked_case_id"] is None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (abuse_body(kind="theft"), "kind"),
        (abuse_body(intake_channel="pigeon"), "intake_channel"),
        (abuse_body(violations=[{"type": "bad_luck"}]), "type"),
        (abuse_body(violations=[{"type": "wage_theft", "indicators": ["vibes"]}]), "indicators"),
        (abuse_body(details={"wages_owed": {"amount": "10", "currency": "XYZ"}}), "body"),
        (abuse_body(details={"wages_owed": {"amount": "10", "currency": "rub"}}), "body"),
        (abuse_body(details={"wages_owed": {"amount": "-1", "currency": "RUB"}}), "body"),
        (
            abuse_body(
                subject={"role": "victim", "family_name": "X", "given_name": "Y", "birth_date": "2999-01-01"}
            ),
            "birth_date",
        ),
        (
            child_body(
                consent={"purposes": ["case_management"], "given_by": "self", "given_on": "2026-11-01"}
            ),
            "body",
        ),
        (
            abuse_body(
                subject={
                    "role": "victim",
                    "family_name": "C",
                    "given_name": "Child",
                    "birth_date": "2015-01-01",
                },
                consent={"purposes": ["referral"], "given_by": "self", "given_on": "2026-11-01"},
            ),
            "body",
        ),
        (child_body(subject={"role": "victim", "family_name": "X", "given_name": "Y"}), "body"),
        (abuse_body(favourite_colour="blue"), "favourite_colour"),
        (abuse_body(details={"employer": {"name": "X"}, "salary": 5}), "body"),
        (abuse_body(occurred={"country": "RU", "region": "KZ-ALA"}), "occurred"),
        (
            abuse_body(
                violations=[{"type": "wage_theft", "started_on": "2026-05-02", "ended_on": "2026-05-01"}]
            ),
            "violations",
        ),
        (abuse_body(violations=[{"type": "wage_theft", "perpetrator": 5}]), "body"),
        (abuse_body(summary="x" * 10_001), "summary"),
    ],
)
async def test_invalid_intake_is_422_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, body: dict[str, Any], loc: str
) -> None:
    response = await client.post("/v1/cases", json=body, headers=consulate_a.officer.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(loc in [str(part) for part in error["loc"]] for error in response.json()["errors"]), (
        response.json()
    )
    assert "Айдаралиев" not in response.text and "AC1234567" not in response.text
    assert (await _count(db, Case), await _count(db, Person), await _count(db, Violation)) == (0, 0, 0)


@pytest.mark.parametrize("role", ["partner", "auditor", "admin"])
async def test_roles_without_cases_may_not_open_them(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, role: str
) -> None:
    account = await factories.account(db, settings, client, role)
    response = await client.post("/v1/cases", json=abuse_body(), headers=account.headers)
    assert response.status_code == 403
    assert await _count(db, Case) == 0


# ---- who sees what -------------------------------------------------------------------------------------


async def test_other_organizations_and_roles_get_404(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    outsiders = [
        consulate_b.officer,
        consulate_b.supervisor,
        await factories.account(db, settings, client, "partner"),
        await factories.account(db, settings, client, "auditor"),
    ]
    for outsider in outsiders:
        for path in ("", "/timeline", "/notes"):
            response = await client.get(f"/v1/cases/{case['id']}{path}", headers=outsider.headers)
            assert response.status_code == 404, (outsider.user.role, path)
            assert "Айдаралиев" not in response.text
        writes = [
            client.patch(
                f"/v1/cases/{case['id']}", json={"summary": "hijacked"}, headers=_with_etag(outsider, '"1"')
            ),
            client.post(
                f"/v1/cases/{case['id']}/transitions",
                json={"to": "triage"},
                headers=_with_etag(outsider, '"1"'),
            ),
            client.post(
                f"/v1/cases/{case['id']}/assign",
                json={"assignee_id": str(outsider.user.id)},
                headers=_with_etag(outsider, '"1"'),
            ),
            client.post(
                f"/v1/cases/{case['id']}/notes", json={"body": "intrusion"}, headers=outsider.headers
            ),
        ]
        for write in writes:
            response = await write
            assert response.status_code == 404, (outsider.user.role, response.text)
        listed = await client.get("/v1/cases", headers=outsider.headers)
        assert case["id"] not in listed.text
    unchanged = await db.scalar(
        select(Case).where(Case.id == case["id"]).execution_options(populate_existing=True)
    )
    assert unchanged is not None and unchanged.version == 1 and unchanged.assignee_id is None
    assert unchanged.summary == abuse_body()["summary"]
    coordinator = await factories.account(db, settings, client, "coordinator")
    assert (await client.get(f"/v1/cases/{case['id']}", headers=coordinator.headers)).status_code == 200
    assert ("case.read", "not_found") in await _actions(db, case["id"])


async def test_officers_write_only_unassigned_or_their_own_cases(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    colleague = await factories.account(db, settings, client, "officer", org=consulate_a.officer.organization)
    assigned = await client.post(
        f"/v1/cases/{case['id']}/assign",
        json={"assignee_id": str(colleague.user.id)},
        headers=_with_etag(consulate_a.supervisor, '"1"'),
    )
    assert assigned.status_code == 200 and assigned.headers["etag"] == '"2"'
    denied = await client.patch(
        f"/v1/cases/{case['id']}", json={"summary": "changed"}, headers=_with_etag(consulate_a.officer, '"2"')
    )
    assert denied.status_code == 403
    allowed = await client.patch(
        f"/v1/cases/{case['id']}", json={"summary": "changed"}, headers=_with_etag(colleague, '"2"')
    )
    assert allowed.status_code == 200
    officer_assigns = await client.post(
        f"/v1/cases/{case['id']}/assign", json={"assignee_id": None}, headers=_with_etag(colleague, '"3"')
    )
    assert officer_assigns.status_code == 403


# ---- workflow ------------------------------------------------------------------------------------------


async def test_transitions_roles_and_illegal_moves(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/transitions"
    illegal = await client.post(url, json={"to": "redress"}, headers=_with_etag(consulate_a.officer, '"1"'))
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["triage"]  # what this officer may do now: closing is a supervisor's
    close = await client.post(
        url, json={"to": "closed", "reason": "duplicate"}, headers=_with_etag(consulate_a.officer, '"1"')
    )
    assert close.status_code == 403
    moved = await client.post(
        url, json={"to": "triage", "reason": "called back"}, headers=_with_etag(consulate_a.officer, '"1"')
    )
    assert moved.status_code == 200 and moved.json()["status"] == "triage"
    no_reason = await client.post(
        url, json={"to": "closed"}, headers=_with_etag(consulate_a.supervisor, '"2"')
    )
    assert no_reason.status_code == 422
    closed = await client.post(
        url, json={"to": "closed", "reason": "resolved"}, headers=_with_etag(consulate_a.supervisor, '"2"')
    )
    assert closed.json()["status"] == "closed" and closed.json()["due_at"] is None
    reopened = await client.post(
        url, json={"to": "reopened", "reason": "new facts"}, headers=_with_etag(consulate_a.supervisor, '"3"')
    )
    assert reopened.json()["status"] == "assistance"
    timeline = (
        await client.get(f"/v1/cases/{case['id']}/timeline", headers=consulate_a.officer.headers)
    ).json()["items"]
    assert [(e["from_status"], e["to_status"]) for e in timeline if e["type"] == "transition"] == [
        (None, "intake"),
        ("intake", "triage"),
        ("triage", "closed"),
        ("closed", "assistance"),
    ]
    assert timeline[1]["reason"] == "called back" and timeline[1]["actor_id"] == str(
        consulate_a.officer.user.id
    )
    outcomes = [o for a, o in await _actions(db, case["id"]) if a == "case.transition"]
    assert outcomes == ["denied", "success", "success", "success"]


async def test_reflection_period_minimum_is_enforced(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, trafficking_body())
    url = f"/v1/cases/{case['id']}/transitions"
    version = 1
    for target in ("screening", "presumed_victim", "reflection_period"):
        response = await client.post(
            url, json={"to": target}, headers=_with_etag(consulate_a.officer, f'"{version}"')
        )
        assert response.status_code == 200, response.text
        version += 1
    early = await client.post(
        url, json={"to": "identified"}, headers=_with_etag(consulate_a.officer, f'"{version}"')
    )
    assert early.status_code == 409 and "30 days" in early.json()["detail"]
    # `allowed` holds only the moves possible now (an officer cannot close; identified waits), and the
    # refusal says from when the move is possible.
    assert early.json()["allowed"] == []
    entered = datetime.fromisoformat(early.json()["not_before"]) - timedelta(days=30)
    assert abs((entered - clock.utcnow()).total_seconds()) < 60
    clock.advance(timedelta(days=30, minutes=1))
    await factories.sign_in_again(client, consulate_a.officer)
    later = await client.post(
        url, json={"to": "identified"}, headers=_with_etag(consulate_a.officer, f'"{version}"')
    )
    assert later.status_code == 200


async def test_overdue_follows_the_deadline_table(client: httpx.AsyncClient, consulate_a: Consulate) -> None:
    late = await open_case(client, consulate_a.officer, abuse_body())
    clock.advance(timedelta(days=2))
    await factories.sign_in_again(client, consulate_a.officer)
    fresh = await open_case(client, consulate_a.officer, abuse_body())
    clock.advance(timedelta(days=1, hours=1))  # late is 3 days and 1 hour old: past triage's deadline
    await factories.sign_in_again(client, consulate_a.officer)
    overdue = await client.get("/v1/cases?overdue=true", headers=consulate_a.officer.headers)
    assert [c["id"] for c in overdue.json()["items"]] == [late["id"]]
    assert overdue.json()["items"][0]["overdue"] is True
    on_time = await client.get("/v1/cases?overdue=false", headers=consulate_a.officer.headers)
    assert [c["id"] for c in on_time.json()["items"]] == [fresh["id"]]
    read = await client.get(f"/v1/cases/{late['id']}", headers=consulate_a.officer.headers)
    assert read.json()["overdue"] is True


# ---- optimistic locking --------------------------------------------------------------------------------


async def test_patch_needs_if_match_and_concurrent_patches_one_wins(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}"
    read = await client.get(url, headers=consulate_a.officer.headers)
    etag = read.headers["etag"]
    assert etag == '"1"'
    missing = await client.patch(url, json={"summary": "new"}, headers=consulate_a.officer.headers)
    assert missing.status_code == 428
    answers = await asyncio.gather(
        *[
            client.patch(url, json={"summary": f"version {i}"}, headers=_with_etag(consulate_a.officer, etag))
            for i in range(2)
        ]
    )
    assert sorted(a.status_code for a in answers) == [200, 412]
    winner = next(a for a in answers if a.status_code == 200)
    assert winner.headers["etag"] == '"2"' and winner.json()["version"] == 2
    stale = await client.patch(url, json={"summary": "stale"}, headers=_with_etag(consulate_a.officer, etag))
    assert stale.status_code == 412
    stored = await db.scalar(select(Case).where(Case.id == case["id"]))
    assert stored is not None and stored.summary == winner.json()["summary"]
    updates = [e for e in await db.scalars(select(AuditEvent).where(AuditEvent.action == "case.update"))]
    assert len(updates) == 1 and updates[0].changed_fields == ["summary"]


async def test_patch_validates_details_per_kind(client: httpx.AsyncClient, consulate_a: Consulate) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}"
    bad = await client.patch(
        url,
        json={"details": {"wages_owed": {"amount": "1", "currency": "ZZZ"}}},
        headers=_with_etag(consulate_a.officer, '"1"'),
    )
    assert bad.status_code == 422
    empty = await client.patch(url, json={}, headers=_with_etag(consulate_a.officer, '"1"'))
    assert empty.status_code == 422
    good = await client.patch(
        url, json={"details": {"documents_withheld": False}}, headers=_with_etag(consulate_a.officer, '"1"')
    )
    assert good.status_code == 200 and good.json()["details"]["documents_withheld"] is False


# ---- notes, listing, idempotency -----------------------------------------------------------------------


async def test_notes_and_their_audit(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    added = await client.post(
        f"/v1/cases/{case['id']}/notes",
        json={"body": "Called the employer."},
        headers=consulate_a.officer.headers,
    )
    assert added.status_code == 201
    notes = await client.get(f"/v1/cases/{case['id']}/notes", headers=consulate_a.supervisor.headers)
    assert [n["body"] for n in notes.json()["items"]] == ["Called the employer."]
    assert (
        await client.post(
            f"/v1/cases/{case['id']}/notes", json={"body": ""}, headers=consulate_a.officer.headers
        )
    ).status_code == 422
    events = await db.scalars(select(AuditEvent).where(AuditEvent.action == "case.note.create"))
    assert all("Called" not in str(e.detail) for e in events)


async def test_listing_filters_and_stable_keyset_pages(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    created = [await open_case(client, consulate_a.officer, abuse_body()) for _ in range(5)]
    created.append(await open_case(client, consulate_a.officer, trafficking_body()))
    first = await client.get("/v1/cases?limit=3", headers=consulate_a.officer.headers)
    assert first.status_code == 200 and len(first.json()["items"]) == 3
    # New cases arrive between pages: the next page neither repeats nor skips the older ones.
    await asyncio.gather(*[open_case(client, consulate_a.officer, abuse_body()) for _ in range(3)])
    rest = await client.get(
        f"/v1/cases?limit=10&cursor={first.json()['next_cursor']}", headers=consulate_a.officer.headers
    )
    seen = [c["id"] for c in first.json()["items"] + rest.json()["items"]]
    assert seen == [c["id"] for c in reversed(created)]
    assert rest.json()["next_cursor"] is None
    kinds = await client.get("/v1/cases?kind=trafficking", headers=consulate_a.officer.headers)
    assert [c["id"] for c in kinds.json()["items"]] == [created[-1]["id"]]
    by_name = await client.get("/v1/cases?q=садыкова", headers=consulate_a.officer.headers)
    assert [c["id"] for c in by_name.json()["items"]] == [created[-1]["id"]]
    by_reference = await client.get(
        f"/v1/cases?q={created[0]['reference']}", headers=consulate_a.officer.headers
    )
    assert [c["id"] for c in by_reference.json()["items"]] == [created[0]["id"]]
    wildcard = await client.get("/v1/cases?q=%25%25", headers=consulate_a.officer.headers)
    assert wildcard.json()["items"] == []
    assert (await client.get("/v1/cases?limit=500", headers=consulate_a.officer.headers)).status_code == 422
    assert (await client.get("/v1/cases?kind=nope", headers=consulate_a.officer.headers)).status_code == 422
    lists = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "case.list")))
    assert lists and all("case_ids" in e.detail for e in lists)


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    headers = {**consulate_a.officer.headers, "Idempotency-Key": "intake-7f3a"}
    first = await client.post("/v1/cases", json=abuse_body(), headers=headers)
    again = await client.post("/v1/cases", json=abuse_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/v1/cases", json=abuse_body(summary="A different story entirely."), headers=headers
    )
    assert other.status_code == 422
    assert await _count(db, Case) == 1
    other_caller = await client.post(
        "/v1/cases",
        json=abuse_body(),
        headers={**consulate_a.supervisor.headers, "Idempotency-Key": "intake-7f3a"},
    )
    assert other_caller.status_code == 201 and other_caller.json()["id"] != first.json()["id"]


async def test_concurrent_duplicates_with_one_key_create_one_case(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    headers = {**consulate_a.officer.headers, "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *[client.post("/v1/cases", json=abuse_body(), headers=headers) for _ in range(3)]
    )
    assert all(a.status_code in (201, 409) for a in answers)
    assert await _count(db, Case) == 1


async def test_ministry_intake_is_routed_to_the_covering_consulate(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    platform = await factories.account(db, settings, client, "admin")
    yekaterinburg = await client.post(
        "/v1/consulates",
        json={
            "name": "CG Yekaterinburg",
            "country": "KG",
            "jurisdiction": [{"country": "RU", "region": "RU-SVE"}],
        },
        headers=platform.headers,
    )
    coordinator = await factories.account(db, settings, client, "coordinator", org=platform.organization)
    routed = await open_case(client, coordinator, child_body())
    assert routed["owner_organization_id"] == yekaterinburg.json()["id"]
    unrouted = await open_case(client, coordinator, abuse_body())  # Moscow: no consulate in this world
    assert unrouted["owner_organization_id"] == str(platform.organization.id)
    named = await open_case(client, coordinator, abuse_body(owner_organization_id=yekaterinburg.json()["id"]))
    assert named["owner_organization_id"] == yekaterinburg.json()["id"]
    partner_org = await factories.organization(db, kind="partner", country="RU")
    wrong = await client.post(
        "/v1/cases", json=abuse_body(owner_organization_id=str(partner_org.id)), headers=coordinator.headers
    )
    assert wrong.status_code == 422
    officer = await factories.account(db, settings, client, "officer")
    not_theirs = await client.post(
        "/v1/cases",
        json=abuse_body(owner_organization_id=yekaterinburg.json()["id"]),
        headers=officer.headers,
    )
    assert not_theirs.status_code == 422


async def test_every_creating_post_honours_idempotency_keys(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    from src.auth.models import Organization, User
    from src.cases.models import Note

    admin = await factories.account(db, settings, client, "admin")
    calls = [
        (admin, "/v1/organizations", {"name": "Idem NGO", "kind": "partner", "country": "RU"}, Organization),
        (
            admin,
            "/v1/users",
            {
                "username": "idem.user",
                "password": "a-long-pass-phrase",
                "organization_id": str(consulate_a.officer.organization.id),
                "role": "officer",
            },
            User,
        ),
        (
            admin,
            "/v1/consulates",
            {"name": "Idem CG", "country": "KG", "jurisdiction": [{"country": "RU", "region": "RU-TYU"}]},
            Organization,
        ),
    ]
    case = await open_case(client, consulate_a.officer, abuse_body())
    other_case = await open_case(client, consulate_a.officer, abuse_body())
    calls.append((consulate_a.officer, f"/v1/cases/{case['id']}/notes", {"body": "Same words."}, Note))
    for account, path, body, model in calls:
        headers = {**account.headers, "Idempotency-Key": f"k-{path}"}
        before = await _count(db, model)
        first = await client.post(path, json=body, headers=headers)
        again = await client.post(path, json=body, headers=headers)
        assert first.status_code == again.status_code == 201, (path, first.text)
        assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
        assert await _count(db, model) == before + 1, path
    # The same key and body on another case is another request, not a replay of the first note.
    note_key = {**consulate_a.officer.headers, "Idempotency-Key": f"k-/v1/cases/{case['id']}/notes"}
    elsewhere = await client.post(
        f"/v1/cases/{other_case['id']}/notes", json={"body": "Same words."}, headers=note_key
    )
    assert elsewhere.status_code == 422


async def test_assign_needs_a_case_worker_of_the_owner(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/assign"
    foreign = await client.post(
        url,
        json={"assignee_id": str(consulate_b.officer.user.id)},
        headers=_with_etag(consulate_a.supervisor, '"1"'),
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["loc"] == ["body", "assignee_id"]
    missing = await client.post(
        url, json={"assignee_id": str(consulate_a.officer.user.id)}, headers=consulate_a.supervisor.headers
    )
    assert missing.status_code == 428
    stale = await client.post(
        url,
        json={"assignee_id": str(consulate_a.officer.user.id)},
        headers=_with_etag(consulate_a.supervisor, '"7"'),
    )
    assert stale.status_code == 412
    stored = await db.scalar(select(Case.assignee_id).where(Case.id == case["id"]))
    assert stored is None
    done = await client.post(
        url,
        json={"assignee_id": str(consulate_a.officer.user.id)},
        headers=_with_etag(consulate_a.supervisor, '"1"'),
    )
    assert done.status_code == 200 and done.json()["assignee_id"] == str(consulate_a.officer.user.id)
    timeline = await client.get(f"/v1/cases/{case['id']}/timeline", headers=consulate_a.officer.headers)
    assert [e["assignee_id"] for e in timeline.json()["items"] if e["type"] == "assignment"] == [
        str(consulate_a.officer.user.id)
    ]


async def test_name_and_document_searches_have_a_budget_per_caller(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    consulate_b: Consulate,
    db: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Searching names is how one would enumerate who is in the system: at most N a minute per caller (in
    PostgreSQL, so shared by every API process), 429 + Retry-After beyond, audited; plain listing is free."""
    from src.audit.models import AuditEvent
    from src.platform import clock

    monkeypatch.setattr(settings, "search_max_per_minute", 3)
    case = await open_case(client, consulate_a.officer, abuse_body())
    officer = consulate_a.officer.headers
    searches = [
        "/v1/cases?q=Айдаралиев",
        "/v1/cases?document_number=AC1234567",
        f"/v1/cases/{case['id']}/duplicates",
    ]
    for url in searches:
        assert (await client.get(url, headers=officer)).status_code == 200
    refused = await client.get("/v1/cases?q=Медетбек", headers=officer)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await client.get(f"/v1/cases/{case['id']}/duplicates", headers=officer)).status_code == 429
    throttled = await db.scalar(
        select(func.count()).where(AuditEvent.action == "case.search", AuditEvent.outcome == "throttled")
    )
    assert throttled == 2
    # Listing without a search term, and another caller's searches, are not held back.
    assert (await client.get("/v1/cases", headers=officer)).status_code == 200
    other = await client.get("/v1/cases?q=Айдаралиев", headers=consulate_b.officer.headers)
    assert other.status_code == 200 and other.json()["items"] == []
    # A refused or invalid search spends nothing; the next minute has a new budget.
    assert (await client.get("/v1/cases?q=x", headers=consulate_b.officer.headers)).status_code == 422
    clock.advance(timedelta(seconds=61))
    try:
        again = await client.get("/v1/cases?q=Айдаралиев", headers=officer)
        assert again.status_code == 200 and [c["id"] for c in again.json()["items"]] == [case["id"]]
    finally:
        clock.reset()


async def test_a_case_read_on_the_driver_is_the_case_the_orm_loads(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, owner_engine: AsyncEngine
) -> None:
    """`repository._persistent_case` builds the Case from the driver's row without the ORM's loader: its
    values, its clean state, and a change written through the session must be what a load would give."""
    opened = await open_case(client, consulate_a.officer, abuse_body())
    user = consulate_a.officer.user
    reader = Principal(
        user.id, "user", user.organization_id, "consulate", "officer", ROLE_SCOPES["officer"], uuid.uuid4()
    )
    case_id = uuid.UUID(opened["id"])
    loaded = await db.get(Case, case_id)
    assert loaded is not None
    expected = {attribute.key: getattr(loaded, attribute.key) for attribute in inspect(Case).column_attrs}
    db.expunge_all()

    apart = await repository.get_readable(db, reader, case_id, in_session=False)
    assert apart is not None and inspect(apart).transient and apart not in db
    case = await repository.get_readable(db, reader, case_id)
    assert case is not None and case is not apart and inspect(case).persistent
    assert {key: getattr(case, key) for key in expected} == expected
    assert not db.dirty and not inspect(case).modified

    case.occurred_city = "Екатеринбург"
    assert inspect(case).attrs.occurred_city.history.deleted == [expected["occurred_city"]]
    await db.commit()
    stored = await db.scalar(
        select(Case.occurred_city).where(Case.id == case_id).execution_options(populate_existing=True)
    )
    assert stored == "Екатеринбург"
    # A case the session holds is the one read again, overwritten with the row, as a load would.
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE case_file SET occurred_city = 'Омск' WHERE id = :id"), {"id": case_id}
        )
    again = await repository.get_readable(db, reader, case_id)
    assert again is case and case.occurred_city == "Омск" and not inspect(case).modified
