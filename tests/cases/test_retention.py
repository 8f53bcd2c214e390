"""Retention: closed cases past their period anonymised with a tombstone in the audit chain; legal hold and
children under 18 keep a case; counts for reports survive; the legal-hold endpoint."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src import retention
from src.audit.models import AuditEvent
from src.cases import repository as cases_repository
from src.cases.models import Case, Note, Person, Transition, Violation
from src.platform import clock
from src.platform.config import Settings
from src.platform.idempotency import IdempotencyRecord
from src.platform.session import create_sessionmaker
from tests.factories import Consulate, abuse_body, child_body, open_case


async def _close_long_ago(db: AsyncSession, case_id: str, years: int = 11) -> None:
    await db.execute(
        update(Case)
        .where(Case.id == case_id)
        .values(status="closed", status_entered_at=clock.utcnow() - timedelta(days=365 * years))
    )
    await db.commit()


async def _run(app_engine: AsyncEngine, settings: Settings, **options: Any) -> retention.RetentionRun:
    return await retention.run(create_sessionmaker(app_engine), settings, clock.utcnow(), **options)


async def _hold(
    client: httpx.AsyncClient, account: Any, case: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    current = await client.get(f"/v1/cases/{case['id']}", headers=account.headers)
    return await client.put(
        f"/v1/cases/{case['id']}/legal-hold",
        json=body,
        headers={**account.headers, "If-Match": current.headers.get("etag", '"0"')},
    )


async def test_a_closed_case_past_its_period_is_anonymised_and_leaves_a_tombstone(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app_engine: AsyncEngine,
    settings: Settings,
    consulate_a: Consulate,
) -> None:
    due = await open_case(client, consulate_a.officer, abuse_body())
    await client.post(
        f"/v1/cases/{due['id']}/notes",
        json={"body": "Lives with cousins"},
        headers=consulate_a.officer.headers,
    )
    recent = await open_case(client, consulate_a.officer, abuse_body())
    await _close_long_ago(db, due["id"])
    await _close_long_ago(db, recent["id"], years=1)
    violations_before = await db.scalar(select(func.count()).select_from(Violation))

    dry = await _run(app_engine, settings, dry_run=True)
    assert [str(i) for i in dry.anonymised] == [due["id"]]
    assert (await db.scalar(select(Case.anonymised_at).where(Case.id == due["id"]))) is None

    done = await _run(app_engine, settings, batch_size=1)
    assert [str(i) for i in done.anonymised] == [due["id"]]
    read = (await client.get(f"/v1/cases/{due['id']}", headers=consulate_a.officer.headers)).json()
    assert read["anonymised_at"] and read["summary"] == retention.REMOVED and read["details"] == {}
    subject = read["subject"]
    assert (
        subject["full_name"] == retention.REMOVED and subject["document"] is None and subject["phone"] is None
    )
    assert subject["birth_date"] is None and subject["citizenship"] == "KG"  # counts by citizenship stay
    assert [v["type"] for v in read["violations"]] == ["wage_theft", "passport_confiscation"]
    assert all(v["description"] is None and v["location"] is None for v in read["violations"])
    assert await db.scalar(select(func.count()).select_from(Note).where(Note.case_id == due["id"])) == 0
    assert await db.scalar(select(func.count()).select_from(Violation)) == violations_before
    assert await db.scalar(select(func.count()).select_from(Case)) == 2
    assert (await db.scalar(select(Person.name_key).where(Person.id == subject["id"]))) == ""
    assert done.name_tokens_removed == 0  # "recent" still carries every word of the name
    tombstone = await db.scalar(select(AuditEvent).where(AuditEvent.action == "case.anonymise"))
    assert tombstone is not None and str(tombstone.resource_id) == due["id"]
    assert tombstone.actor_type == "system" and tombstone.detail["reason"] == "retention"
    # nothing left to find it by, and it no longer changes
    by_name = await client.get("/v1/cases", params={"q": "Айдаралиев"}, headers=consulate_a.officer.headers)
    assert [c["id"] for c in by_name.json()["items"]] == [recent["id"]]
    note = await client.post(
        f"/v1/cases/{due['id']}/notes", json={"body": "x"}, headers=consulate_a.officer.headers
    )
    assert note.status_code == 409
    again = await _run(app_engine, settings)
    assert again.anonymised == []


async def test_legal_hold_and_children_under_18_keep_a_case(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app_engine: AsyncEngine,
    settings: Settings,
    consulate_a: Consulate,
) -> None:
    held = await open_case(client, consulate_a.officer, abuse_body())
    placed = await _hold(
        client, consulate_a.supervisor, held, {"hold": True, "reason": "Civil claim pending"}
    )
    assert placed.status_code == 200 and placed.json()["legal_hold"] is True
    child = await open_case(client, consulate_a.officer, child_body())  # born 2013
    unknown_age = await open_case(
        client, consulate_a.officer, child_body(subject={**child_body()["subject"], "birth_date": None})
    )
    grown = await open_case(
        client,
        consulate_a.officer,
        child_body(subject={**child_body()["subject"], "birth_date": "2004-02-29"}, consent=None),
    )
    for case in (held, child, unknown_age, grown):
        await _close_long_ago(db, case["id"])
    done = await _run(app_engine, settings)
    assert [str(i) for i in done.anonymised] == [grown["id"]]
    assert done.held == {"legal_hold": 1, "child_under_18": 1, "child_age_unknown": 1}
    for kept in (held, child, unknown_age):
        assert (await db.scalar(select(Case.anonymised_at).where(Case.id == kept["id"]))) is None
    assert (
        retention._eighteenth_birthday(clock.utcnow().date().replace(year=2004, month=2, day=29)).month == 3
    )
    lifted = await _hold(client, consulate_a.supervisor, held, {"hold": False})
    assert lifted.status_code == 200
    assert [str(i) for i in (await _run(app_engine, settings)).anonymised] == [held["id"]]


async def test_legal_hold_is_for_the_owners_supervisors_with_a_reason(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    foreign = await _hold(client, consulate_b.supervisor, case, {"hold": True, "reason": "x"})
    assert foreign.status_code == 404
    officer = await _hold(client, consulate_a.officer, case, {"hold": True, "reason": "x"})
    assert officer.status_code == 403
    for bad in (
        {"hold": True},
        {"hold": True, "reason": ""},
        {"hold": "maybe"},
        {"hold": True, "reason": "r" * 501},
    ):
        answer = await _hold(client, consulate_a.supervisor, case, bad)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    no_etag = await client.put(
        f"/v1/cases/{case['id']}/legal-hold",
        json={"hold": True, "reason": "x"},
        headers=consulate_a.supervisor.headers,
    )
    assert no_etag.status_code == 428
    assert (await db.scalar(select(Case.legal_hold).where(Case.id == case["id"]))) is False
    placed = await _hold(
        client, consulate_a.supervisor, case, {"hold": True, "reason": "Court order 12/2026"}
    )
    assert placed.status_code == 200 and placed.headers["etag"] == '"2"'
    events = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.legal_hold").order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.outcome, e.detail.get("hold")) for e in events] == [
        ("not_found", None),
        ("denied", None),
        ("success", True),
    ]


async def test_retention_removes_replay_records_past_their_window(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app_engine: AsyncEngine,
    settings: Settings,
    consulate_a: Consulate,
) -> None:
    for key in ("old", "new"):
        answer = await client.post(
            "/v1/cases", json=abuse_body(), headers={**consulate_a.officer.headers, "Idempotency-Key": key}
        )
        assert answer.status_code == 201
    await db.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.key == "old")
        .values(created_at=clock.utcnow() - timedelta(hours=settings.idempotency_keep_hours + 1))
    )
    await db.commit()
    done = await _run(app_engine, settings)
    assert done.idempotency_records_removed == 1
    assert (await db.scalars(select(IdempotencyRecord.key))).all() == ["new"]
    assert await db.scalar(select(func.count()).select_from(Transition)) == 2


async def test_pruning_words_waits_for_an_intake_that_found_them_known(
    client: httpx.AsyncClient, app_engine: AsyncEngine, settings: Settings, consulate_a: Consulate
) -> None:
    """An intake that found a word already in the dictionary does not add it; pruning it before the intake's
    person is committed would leave that person's word out of the dictionary."""
    case = await open_case(client, consulate_a.officer, abuse_body())
    sessionmaker = create_sessionmaker(app_engine)
    async with sessionmaker() as setup, setup.begin():
        await setup.execute(
            text("INSERT INTO name_token (token) VALUES ('zhyldyzbekov') ON CONFLICT DO NOTHING")
        )
    async with sessionmaker() as intake:
        async with intake.begin():
            await cases_repository.remember_name_tokens(intake, ["zhyldyzbekov"])  # known: nothing added
            prune = asyncio.create_task(retention.run(sessionmaker, settings, clock.utcnow()))
            await asyncio.sleep(0.5)
            assert not prune.done()  # waiting for the intake's transaction
            await intake.execute(
                text(
                    "INSERT INTO case_person (id, case_id, position, role, full_name, name_key) "
                    "VALUES (gen_random_uuid(), :case_id, 99, 'witness', 'Zhyldyzbekov', 'zhyldyzbekov')"
                ),
                {"case_id": case["id"]},
            )
        await asyncio.wait_for(prune, 30)
        kept = await intake.scalar(text("SELECT count(*) FROM name_token WHERE token = 'zhyldyzbekov'"))
    assert kept == 1
