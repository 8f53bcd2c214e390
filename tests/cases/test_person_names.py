"""Names in parts: intake takes family_name, given_name and patronymic (organization_name for a legal person),
refuses a whole name, and derives full_name in the order the person's country writes it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.cases import names
from src.cases.models import Case
from tests.factories import Consulate, abuse_body, child_body, open_case


def _subject(**parts: Any) -> dict[str, Any]:
    subject = {k: v for k, v in abuse_body()["subject"].items() if k not in ("family_name", "given_name")}
    return {**subject, **parts}


@pytest.mark.parametrize(
    ("person", "message"),
    [
        ({"full_name": "Айдаралиев Медетбек"}, "family_name and given_name"),
        ({"family_name": "Айдаралиев"}, "family_name and given_name"),
        ({"given_name": "Медетбек"}, "family_name"),
        ({"organization_name": "ООО СтройМонтаж"}, "only an"),
        ({"role": "employer", "organization_name": "ООО СтройМонтаж"}, "natural person"),
        ({"given_name": "A", "family_name": "B", "organization_name": "C"}, "only an"),
    ],
)
async def test_a_subject_without_name_parts_is_422_with_a_clear_message_and_nothing_written(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, person: dict[str, Any], message: str
) -> None:
    answer = await client.post(
        "/v1/cases", json=abuse_body(subject=_subject(**person)), headers=consulate_a.officer.headers
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert any(message in e["msg"] for e in answer.json()["errors"]), answer.json()
    assert await db.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize(
    "person",
    [
        {"role": "victim", "organization_name": "ООО СтройМонтаж"},
        {"role": "witness", "organization_name": "Bakyt Trade LLC"},
        {"role": "employer", "organization_name": "ООО", "given_name": "Бакыт"},
        {"role": "witness", "full_name": "Бакыт Асанов"},
    ],
)
async def test_only_an_employer_recruiter_or_perpetrator_may_be_an_organization(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, person: dict[str, Any]
) -> None:
    answer = await client.post(
        "/v1/cases", json=abuse_body(persons=[person], violations=[]), headers=consulate_a.officer.headers
    )
    assert answer.status_code == 422, answer.text
    assert await db.scalar(select(func.count()).select_from(Case)) == 0


async def test_full_name_is_derived_in_the_persons_countrys_order(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    case = await open_case(
        client,
        consulate_a.officer,
        abuse_body(
            subject=_subject(family_name="Асанов", given_name="Бакыт", patronymic="Жумабекович"),
            persons=[
                {"role": "employer", "organization_name": "ООО СтройМонтаж"},
                {"role": "witness", "family_name": "Temirov", "given_name": "Bolot", "citizenship": "US"},
                {"role": "witness", "given_name": "Азамат", "patronymic": "Бакыт уулу", "citizenship": "KG"},
            ],
        ),
    )
    subject = case["subject"]
    assert subject["full_name"] == "Асанов Бакыт Жумабекович"
    assert (subject["family_name"], subject["given_name"], subject["patronymic"]) == (
        "Асанов",
        "Бакыт",
        "Жумабекович",
    )
    assert subject["name_parts_inferred"] is False and subject["organization_name"] is None
    employer, latin, kyrgyz = case["persons"]
    assert employer["full_name"] == "ООО СтройМонтаж" and employer["given_name"] is None
    assert latin["full_name"] == "Bolot Temirov"
    assert kyrgyz["full_name"] == "Азамат Бакыт уулу"
    read = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
    assert read.json()["subject"] == subject


def test_display_order_and_the_patronymic_standing_for_a_surname() -> None:
    assert names.display_name("Temirov", "Bolot", None, None, "DE") == "Bolot Temirov"
    assert names.display_name("Temirov", "Bolot", None, None, None) == "Temirov Bolot"
    assert names.display_name(None, "Азамат", "Бакыт уулу", None, "KG") == "Азамат Бакыт уулу"


async def test_a_child_found_alone_may_have_no_known_surname(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    body = child_body()
    body["subject"] = {**body["subject"], "patronymic": None, "given_name": "Айгерим", "sex": "female"}
    case = await open_case(client, consulate_a.officer, body)
    assert case["subject"]["full_name"] == "Айгерим" and case["subject"]["family_name"] is None
