"""Possible duplicates across scripts, on intake and on demand, scoped to the caller; and links."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases import names
from src.cases.models import CaseLink
from tests.factories import Consulate, abuse_body, child_body, open_case
from tests.unit.test_names import labelled_pairs


def _subject(
    family: str | None, given: str, patronymic: str | None = None, **overrides: Any
) -> dict[str, Any]:
    subject = dict(abuse_body()["subject"], family_name=family, given_name=given, patronymic=patronymic)
    subject.pop("document")
    subject.update(overrides)
    return subject


async def test_intake_finds_the_same_person_written_in_another_script(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, abuse_body())
    brother = await open_case(
        client,
        consulate_a.officer,
        abuse_body(subject=_subject("Айдаралиев", "Нурбек", birth_date="1996-01-05")),
    )
    elsewhere = await open_case(client, consulate_b.officer, abuse_body())
    assert [d["case_id"] for d in elsewhere["possible_duplicates"]] == []  # consulate A's cases are not B's

    again = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject("Aydaraliyev", "Medetbek", language="ru"))
    )
    found = again["possible_duplicates"]
    assert [d["case_id"] for d in found] == [first["id"]]
    assert found[0]["reference"] == first["reference"] and found[0]["score"] >= 0.95
    assert found[0]["reasons"][:3] == ["given_name 1.00", "family_name 1.00", "birth_date exact"]
    assert found[0]["band"] == "likely"
    assert brother["id"] not in {d["case_id"] for d in found}
    shown = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "case.duplicates", AuditEvent.resource_id == again["id"]
        )
    )
    assert shown is not None and shown.detail["case_ids"] == [first["id"]]


async def test_duplicates_weigh_birth_date_and_sex_and_find_people_in_other_roles(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    child = await open_case(client, consulate_a.officer, child_body())  # subject "Бакыт уулу Азамат", 2013
    older = await open_case(
        client,
        consulate_a.officer,
        abuse_body(subject=_subject(None, "Azamat", "Bakytuulu", birth_date="2012-11-30"), consent=None),
    )
    sister = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject(None, "Азамат", "Бакыт уулу", sex="female"))
    )
    mentioned = await open_case(
        client,
        consulate_a.officer,
        abuse_body(
            subject=_subject("Жумабеков", "Эрмек"),
            persons=[
                {
                    "role": "witness",
                    "given_name": "Azamat",
                    "patronymic": "Bakyt uulu",
                    "birth_date": "2013-06-02",
                }
            ],
        ),
    )
    answer = await client.get(f"/v1/cases/{child['id']}/duplicates", headers=consulate_a.officer.headers)
    assert answer.status_code == 200
    items = {d["case_id"]: d for d in answer.json()["items"]}
    assert sister["id"] not in items  # recorded sex differs: someone else
    assert "birth_year within 1" in items[older["id"]]["reasons"]
    assert items[mentioned["id"]]["reasons"][-1] == "as witness"
    assert items[mentioned["id"]]["score"] > items[older["id"]]["score"]


async def test_duplicates_of_a_case_in_another_organization_are_404_and_audited(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    for path in ("duplicates", "links"):
        answer = await client.get(f"/v1/cases/{case['id']}/{path}", headers=consulate_b.officer.headers)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    refused = await client.post(
        f"/v1/cases/{case['id']}/links",
        json={"case_id": case["id"], "type": "duplicate"},
        headers=consulate_b.officer.headers,
    )
    assert refused.status_code == 404
    outcomes = (
        await db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_id == case["id"], AuditEvent.outcome == "not_found"
            )
        )
    ).all()
    assert sorted(outcomes) == ["case.duplicates", "case.link.create", "case.link.list"]


async def test_linking_confirms_a_duplicate_and_it_stops_being_suggested(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, abuse_body())
    second = await open_case(
        client, consulate_a.officer, abuse_body(subject=_subject("Aidaraliev", "Medetbek"))
    )
    foreign = await open_case(client, consulate_b.officer, abuse_body())
    assert [d["case_id"] for d in second["possible_duplicates"]] == [first["id"]]
    url = f"/v1/cases/{second['id']}/links"
    headers = consulate_a.officer.headers

    for bad in (
        {"case_id": second["id"], "type": "duplicate"},  # itself
        {"case_id": foreign["id"], "type": "duplicate"},  # a case the caller may not see
        {"case_id": first["id"], "type": "cousin"},
        {"case_id": first["id"], "type": "duplicate", "note": "extra"},
        {"case_id": "not-a-uuid", "type": "duplicate"},
    ):
        answer = await client.post(url, json=bad, headers=headers)
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"] == "application/problem+json"
    assert await db.scalar(select(func.count()).select_from(CaseLink)) == 0

    created = await client.post(url, json={"case_id": first["id"], "type": "duplicate"}, headers=headers)
    assert created.status_code == 201
    assert created.json()["case_id"] == first["id"] and created.json()["reference"] == first["reference"]
    again = await client.post(url, json={"case_id": first["id"], "type": "duplicate"}, headers=headers)
    assert again.status_code == 409
    sibling = await client.post(url, json={"case_id": first["id"], "type": "sibling"}, headers=headers)
    assert sibling.status_code == 201

    from_first = await client.get(f"/v1/cases/{first['id']}/links", headers=headers)
    assert {(link["case_id"], link["type"]) for link in from_first.json()["items"]} == {
        (second["id"], "duplicate"),
        (second["id"], "sibling"),
    }
    suggested = await client.get(f"/v1/cases/{second['id']}/duplicates", headers=headers)
    assert suggested.json()["items"] == []
    written = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.link.create").order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.outcome, e.detail.get("type")) for e in written] == [
        ("success", "duplicate"),
        ("success", "sibling"),
    ]


async def test_python_similarity_is_the_databases(db: AsyncSession) -> None:
    """The labelled pairs and thresholds are judged in Python; the index works in PostgreSQL: same numbers."""
    pairs = labelled_pairs()
    left = [names.skeleton(a) for _, a, _ in pairs]
    right = [names.skeleton(b) for _, _, b in pairs]
    found = (
        await db.execute(
            text("SELECT similarity(a, b) FROM unnest(CAST(:a AS text[]), CAST(:b AS text[])) AS t(a, b)"),
            {"a": left, "b": right},
        )
    ).scalars()
    for (_, a, b), database in zip(pairs, found, strict=True):
        assert abs(names.similarity(a, b) - database) < 1e-6, (a, b)


async def test_search_by_name_finds_every_script_and_spelling(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())  # Айдаралиев Медетбек
    other = await open_case(client, consulate_a.officer, abuse_body(subject=_subject("Жумабеков", "Эрмек")))
    for q in ("Айдаралиев", "Aydaraliyev", "medetbek aidaraliev", "Айдар"):
        found = await client.get("/v1/cases", params={"q": q}, headers=consulate_a.officer.headers)
        assert [c["id"] for c in found.json()["items"]] == [case["id"]], q
    found = await client.get("/v1/cases", params={"q": "Zhumabekov"}, headers=consulate_a.officer.headers)
    assert [c["id"] for c in found.json()["items"]] == [other["id"]]
