"""Amending a case after intake through the HTTP API: persons and violations added, corrected and removed
under the case's ETag, audited by field name, on the timeline; refusals write nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case, Person, Violation
from tests.factories import Consulate, abuse_body, child_body, open_case

WITNESS = {"role": "witness", "family_name": "Temirov", "given_name": "Bolot", "phone": "+996555000111"}


def _etag(account: Any, etag: str) -> dict[str, str]:
    return {**account.headers, "If-Match": etag}


async def _count(db: AsyncSession, model: Any, case_id: str) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(model.case_id == case_id)) or 0)


async def _events(db: AsyncSession, case_id: str) -> list[tuple[str, str, list[str]]]:
    rows = await db.execute(
        select(AuditEvent.action, AuditEvent.outcome, AuditEvent.changed_fields)
        .where(AuditEvent.resource_id == case_id, AuditEvent.action.like("case.%.%"))
        .order_by(AuditEvent.id)
    )
    return [(a, o, list(f)) for a, o, f in rows.all()]


async def test_a_person_added_corrected_and_removed_moves_the_version_and_shows_on_the_timeline(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, abuse_body())
    url = f"/v1/cases/{case['id']}/persons"
    added = await client.post(url, json=WITNESS, headers=_etag(officer, '"1"'))
    assert added.status_code == 201, added.text
    assert added.headers["etag"] == '"2"' and added.json()["version"] == 2
    witness = next(p for p in added.json()["persons"] if p["role"] == "witness")
    assert witness["full_name"] == "Temirov Bolot" and witness["phone"] == "+996555000111"
    assert added.json()["possible_duplicates"] == []
    stored = await db.scalar(select(Person.phone_sealed).where(Person.id == witness["id"]))
    assert stored is not None and b"996555000111" not in stored  # sealed at rest

    corrected = await client.patch(
        f"{url}/{witness['id']}",
        json={"given_name": "Bolotbek", "phone": None},
        headers=_etag(officer, '"2"'),
    )
    assert corrected.status_code == 200, corrected.text
    witness = next(p for p in corrected.json()["persons"] if p["id"] == witness["id"])
    assert (
        witness["given_name"] == "Bolotbek"
        and witness["phone"] is None
        and corrected.headers["etag"] == '"3"'
    )

    removed = await client.delete(f"{url}/{witness['id']}", headers=_etag(officer, '"3"'))
    assert removed.status_code == 200 and removed.headers["etag"] == '"4"'
    assert [p["role"] for p in removed.json()["persons"]] == ["employer"]

    events = await _events(db, case["id"])
    assert events == [
        ("case.person.add", "success", ["family_name", "given_name", "phone", "role"]),
        ("case.person.update", "success", ["given_name", "phone"]),
        ("case.person.delete", "success", []),
    ]
    assert "Bolot" not in str(
        await db.scalars(select(AuditEvent.detail).where(AuditEvent.resource_id == case["id"]))
    )
    timeline = await client.get(f"/v1/cases/{case['id']}/timeline", headers=officer.headers)
    amendments = [(e["event"], e["fields"]) for e in timeline.json()["items"] if e["type"] == "amendment"]
    assert amendments == [
        ("person.add", ["family_name", "given_name", "phone", "role"]),
        ("person.update", ["given_name", "phone"]),
        ("person.delete", []),
    ]


async def test_stale_missing_foreign_and_bad_requests_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, abuse_body())
    url = f"/v1/cases/{case['id']}/persons"
    subject = case["subject"]["id"]
    answers = {
        "stale": await client.post(url, json=WITNESS, headers=_etag(officer, '"7"')),
        "missing": await client.post(url, json=WITNESS, headers=officer.headers),
        "foreign": await client.post(url, json=WITNESS, headers=_etag(consulate_b.supervisor, '"1"')),
        "no given name": await client.post(url, json={"role": "witness"}, headers=_etag(officer, '"1"')),
        "whole name": await client.post(
            url, json={**WITNESS, "full_name": "Bolot Temirov"}, headers=_etag(officer, '"1"')
        ),
        "subject as a company": await client.patch(
            f"{url}/{subject}",
            json={
                "family_name": None,
                "given_name": None,
                "organization_name": "ОсОО Ак-Жол",
                "role": "employer",
            },
            headers=_etag(officer, '"1"'),
        ),
        "nothing": await client.patch(f"{url}/{subject}", json={}, headers=_etag(officer, '"1"')),
        "subject deleted": await client.delete(f"{url}/{subject}", headers=_etag(officer, '"1"')),
        "unknown person": await client.patch(
            f"{url}/{case['id']}", json={"given_name": "X"}, headers=_etag(officer, '"1"')
        ),
        "foreign violation": await client.post(
            f"/v1/cases/{case['id']}/violations",
            json={"type": "wage_theft", "perpetrator_id": subject.replace(subject[-4:], "0000")},
            headers=_etag(officer, '"1"'),
        ),
    }
    expected = {
        "stale": 412,
        "missing": 428,
        "foreign": 404,
        "no given name": 422,
        "whole name": 422,
        "subject as a company": 422,
        "nothing": 422,
        "subject deleted": 422,
        "unknown person": 404,
        "foreign violation": 422,
    }
    assert {name: a.status_code for name, a in answers.items()} == expected, {
        n: a.text[:200] for n, a in answers.items()
    }
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers.values())
    assert await _count(db, Person, case["id"]) == 2 and await _count(db, Violation, case["id"]) == 2
    version = await db.scalar(
        select(Case.version).where(Case.id == case["id"]).execution_options(populate_existing=True)
    )
    assert version == 1
    outcomes = [(a, o) for a, o, _ in await _events(db, case["id"])]
    assert ("case.person.add", "not_found") in outcomes and ("case.person.update", "not_found") in outcomes


async def test_a_perpetrator_named_by_a_violation_is_kept_until_the_violation_changes(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    supervisor = consulate_a.supervisor
    case = await open_case(client, consulate_a.officer, abuse_body())
    employer = case["persons"][0]["id"]
    violation = case["violations"][0]
    refused = await client.delete(
        f"/v1/cases/{case['id']}/persons/{employer}", headers=_etag(supervisor, '"1"')
    )
    assert refused.status_code == 409
    changed = await client.patch(
        f"/v1/cases/{case['id']}/violations/{violation['id']}",
        json={
            "perpetrator_id": None,
            "status": "substantiated",
            "description": "Wages withheld for 5 months",
        },
        headers=_etag(supervisor, '"1"'),
    )
    assert changed.status_code == 200, changed.text
    after = next(v for v in changed.json()["violations"] if v["id"] == violation["id"])
    assert after["perpetrator_id"] is None and after["status"] == "substantiated"
    assert after["type"] == violation["type"] and after["description"] == "Wages withheld for 5 months"
    removed = await client.delete(
        f"/v1/cases/{case['id']}/persons/{employer}", headers=_etag(supervisor, '"2"')
    )
    assert removed.status_code == 200 and removed.json()["persons"] == []
    gone = await client.delete(
        f"/v1/cases/{case['id']}/violations/{violation['id']}", headers=_etag(supervisor, '"3"')
    )
    assert gone.status_code == 200 and violation["id"] not in gone.text


async def test_a_trafficking_indicator_learned_later_opens_the_linked_case_once(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, child_body())
    assert case["linked_case_id"] is None
    url = f"/v1/cases/{case['id']}/violations"
    added = await client.post(
        url, json={"type": "forced_begging", "indicators": ["deception"]}, headers=_etag(officer, '"1"')
    )
    assert added.status_code == 201, added.text
    linked_id = added.json()["linked_case_id"]
    assert linked_id
    linked = await client.get(f"/v1/cases/{linked_id}", headers=officer.headers)
    assert linked.status_code == 200
    assert linked.json()["kind"] == "trafficking" and linked.json()["linked_case_id"] == case["id"]
    assert [v["type"] for v in linked.json()["violations"]] == ["forced_begging"]
    again = await client.post(url, json={"type": "forced_labour"}, headers=_etag(officer, '"2"'))
    assert again.status_code == 201 and again.json()["linked_case_id"] == linked_id


async def test_a_person_added_later_is_searched_for_in_other_cases(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    first = await open_case(client, officer, abuse_body())
    other = await open_case(
        client,
        officer,
        abuse_body(subject={**WITNESS, "role": "victim", "birth_date": "1990-01-01", "citizenship": "KG"}),
    )
    added = await client.post(
        f"/v1/cases/{first['id']}/persons",
        json={**WITNESS, "role": "victim", "birth_date": "1990-01-01", "citizenship": "KG"},
        headers=_etag(officer, '"1"'),
    )
    assert added.status_code == 201
    assert [c["case_id"] for c in added.json()["possible_duplicates"]] == [other["id"]]
