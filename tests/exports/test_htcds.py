"""The HTCDS export over the API: k-anonymity checked on the exported file itself (CSV and JSON), nothing
personal in its bytes, the stated counts, who may export, bad input, and the audit of every export."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case
from src.exports.deidentify import QUASI_IDENTIFIERS
from src.exports.htcds import COLUMNS
from src.platform import clock
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case, trafficking_body

PATH = "/v1/exports/htcds"
NAMES = ("Садыкова", "Айгерим", "Айдаралиев", "Медетбек", "Токтогулова")
DOCUMENTS = ("AC1234567", "AN7654321", "+996", "555 123", "Алматы", "KG-O", "RU-MOW")
DATE = re.compile(rb"\d{4}-\d{2}-\d{2}|\d{2}\.\d{2}\.\d{4}")


def _victim(birth_date: str, sex: str = "female", **details: Any) -> dict[str, Any]:
    """A trafficking case whose subject carries a name, a document and a phone, none of which may leave."""
    body = trafficking_body()
    body["subject"] = {
        **body["subject"],
        "birth_date": birth_date,
        "sex": sex,
        "document": {"type": "passport", "number": "AN7654321"},
        "phone": "+996 555 123 456",
    }
    body["details"] = {**body["details"], **details}
    return body


async def _open(client: httpx.AsyncClient, consulate: Consulate, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        await open_case(client, consulate.officer, body)


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def _classes(rows: list[dict[str, Any]]) -> Counter[tuple[str, ...]]:
    def text(value: Any) -> str:
        return ";".join(value) if isinstance(value, list) else str(value)

    return Counter(tuple(text(row[name]) for name in QUASI_IDENTIFIERS) for row in rows)


def _nothing_personal(content: bytes) -> None:
    for value in (*NAMES, *DOCUMENTS):
        assert value.encode() not in content, value
    assert DATE.search(content) is None, DATE.search(content)


async def _events(db: AsyncSession, outcome: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "export.htcds").order_by(AuditEvent.id)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    return list((await db.scalars(query)).all())


async def test_the_exported_files_are_k_anonymous_and_say_what_was_withheld(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    """Six women alike and two men alike: at k = 5 the two men stay in a class too small whatever the
    ladder does (sex is never generalized), so no step is worth taking and the two are withheld."""
    await _open(client, consulate_a, [_victim("2001-09-15") for _ in range(6)])
    await _open(
        client,
        consulate_a,
        [_victim("1980-02-02", "male", exploitation=["sexual_exploitation"]) for _ in range(2)],
    )
    await open_case(client, consulate_a.officer, abuse_body())  # not trafficking: never exported
    coordinator = await factories.account(db, settings, client, "coordinator")

    answer = await client.get(PATH, params={"format": "csv"}, headers=coordinator.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _csv_rows(answer.content)
    _nothing_personal(answer.content)
    k = settings.htcds_k
    assert rows and all(size >= k for size in _classes(rows).values())
    assert int(answer.headers["Ukuk-Htcds-Records"]) == len(rows) == 6
    assert int(answer.headers["Ukuk-Htcds-Withheld"]) == 2
    assert int(answer.headers["Ukuk-Htcds-K"]) == k

    as_json = await client.get(PATH, headers=coordinator.headers)
    assert as_json.status_code == 200, as_json.text
    document = json.loads(as_json.content)
    meta = document["metadata"]
    generated = meta["generated_at"].encode()
    _nothing_personal(as_json.content.replace(generated, b""))
    records = document["records"]
    assert all(size >= k for size in _classes(records).values())
    assert meta["records"] == len(records) == 6 and meta["withheld"] == 2 and meta["cases"] == 8
    assert meta["k"] == k and meta["quasi_identifiers"] == list(QUASI_IDENTIFIERS)
    # No step of the ladder withholds fewer than two, so none was taken.
    assert meta["generalized"] == 0 and meta["generalization_steps"] == []
    assert {entry["name"] for entry in document["dictionary"]} == set(COLUMNS)
    assert records[0]["prs_Gender"] == "Female"
    assert records[0]["prs_Nationality"] == "KG" and records[0]["ukuk_AgeBand"] == "25-34"
    assert records[0]["vic_MethodsOfControl"] == ["FalsePromises", "WithholdsDocuments"]
    # CSV and JSON release the same records.
    assert _classes(rows) == _classes(records)


async def test_generalization_comes_before_suppression(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    """Four aged 25-34 and three aged 18-24, alike otherwise: no class reaches 5, but one wider age band
    holds all seven, so nothing is withheld and only the age band is recoded."""
    await _open(client, consulate_a, [_victim("2001-09-15") for _ in range(4)])
    await _open(client, consulate_a, [_victim("2006-01-10") for _ in range(3)])
    coordinator = await factories.account(db, settings, client, "coordinator")

    answer = await client.get(PATH, params={"format": "csv"}, headers=coordinator.headers)
    rows = _csv_rows(answer.content)
    assert len(rows) == 7 and {row["ukuk_AgeBand"] for row in rows} == {"18-34"}
    assert {row["ukuk_RegistrationYear"] for row in rows} == {str(clock.utcnow().year)}
    assert {row["hte_CountryOfExploitation"] for row in rows} == {"KZ"}
    assert answer.headers["Ukuk-Htcds-Generalized"] == "7" and answer.headers["Ukuk-Htcds-Withheld"] == "0"
    assert all(size >= settings.htcds_k for size in _classes(rows).values())


async def test_every_export_is_audited_with_its_parameters(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _open(client, consulate_a, [_victim("2001-09-15") for _ in range(5)])
    coordinator = await factories.account(db, settings, client, "coordinator")
    today = clock.utcnow().date().isoformat()
    answer = await client.get(
        PATH, params={"from": "2020-01-01", "to": today, "format": "csv"}, headers=coordinator.headers
    )
    assert answer.status_code == 200, answer.text
    (event,) = await _events(db)
    assert event.outcome == "success" and event.actor_id == coordinator.user.id
    assert event.resource_type == "export"
    assert event.detail == {
        "from": "2020-01-01",
        "to": today,
        "format": "csv",
        "k": settings.htcds_k,
        "records": 5,
        "generalized": 0,
        "withheld": 0,
    }
    nothing = await client.get(PATH, params={"to": "2020-01-01"}, headers=coordinator.headers)
    assert nothing.json()["records"] == [] and nothing.json()["metadata"]["withheld"] == 0


async def test_only_coordinators_export_and_refusals_are_audited(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    assert (await client.get(PATH)).status_code == 401
    for role in ("auditor", "supervisor", "admin"):
        account = await factories.account(db, settings, client, role)
        refused = await client.get(PATH, headers=account.headers)
        assert refused.status_code == 403, (role, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    refused = await client.get(PATH, headers={**consulate_a.officer.headers, "Accept-Language": "ru"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Записи HTCDS выгружают только координаторы министерства."
    assert len(await _events(db, "denied")) == 4
    assert await _events(db, "success") == []


async def test_bad_input_is_refused_and_nothing_is_exported(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _open(client, consulate_a, [_victim("2001-09-15") for _ in range(5)])
    coordinator = await factories.account(db, settings, client, "coordinator")
    for params in (
        {"from": "2026-05-02", "to": "2026-05-01"},
        {"from": "2026-13-01"},
        {"to": "yesterday"},
        {"format": "xlsx"},
        {"k": "1"},
    ):
        refused = await client.get(PATH, params=params, headers=coordinator.headers)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert await _events(db, "success") == []


async def test_not_a_victim_and_anonymised_cases_are_not_exported(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _open(client, consulate_a, [_victim("2001-09-15") for _ in range(5)])
    await _open(client, consulate_a, [_victim("2001-09-15", trafficking_status="not_a_victim")])
    gone = await open_case(client, consulate_a.officer, _victim("2001-09-15"))
    await db.execute(update(Case).where(Case.id == gone["id"]).values(anonymised_at=clock.utcnow()))
    await db.commit()
    coordinator = await factories.account(db, settings, client, "coordinator")
    meta = (await client.get(PATH, headers=coordinator.headers)).json()["metadata"]
    assert meta["cases"] == 5 and meta["records"] == 5 and meta["withheld"] == 0
