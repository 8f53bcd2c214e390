"""Case fixtures: two consulates with an officer and a supervisor each, and intake bodies per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories


@dataclass
class Consulate:
    officer: factories.Account
    supervisor: factories.Account


@pytest.fixture
async def consulate_a(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Consulate:
    org = await factories.organization(db, kind="consulate", country="KG")
    return Consulate(
        await factories.account(db, settings, client, "officer", org=org),
        await factories.account(db, settings, client, "supervisor", org=org),
    )


@pytest.fixture
async def consulate_b(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Consulate:
    org = await factories.organization(db, kind="consulate", country="KG")
    return Consulate(
        await factories.account(db, settings, client, "officer", org=org),
        await factories.account(db, settings, client, "supervisor", org=org),
    )


def abuse_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "abuse",
        "summary": "Wages unpaid for four months on a construction site; passport kept by the foreman.",
        "intake_channel": "hotline",
        "occurred": {"country": "RU", "region": "RU-MOW", "city": "Москва"},
        "subject": {
            "role": "victim",
            "family_name": "Айдаралиев",
            "given_name": "Медетбек",
            "birth_date": "1994-03-12",
            "sex": "male",
            "citizenship": "KG",
            "document": {"type": "passport", "number": "AC1234567"},
            "phone": "+996 555 123 456",
            "language": "ky",
        },
        "persons": [{"role": "employer", "organization_name": "ООО СтройМонтаж"}],
        "violations": [
            {
                "type": "wage_theft",
                "indicators": ["withholding_wages"],
                "started_on": "2026-05-01",
                "status": "reported",
                "perpetrator": 0,
            },
            {"type": "passport_confiscation", "indicators": ["retention_of_documents"]},
        ],
        "consent": {
            "purposes": ["case_management", "referral"],
            "given_by": "self",
            "given_on": "2026-11-01",
        },
        "details": {
            "employer": {"name": "ООО СтройМонтаж", "sector": "F"},
            "wages_owed": {"amount": "180000.00", "currency": "RUB"},
            "documents_withheld": True,
        },
    }
    body.update(overrides)
    return body


def child_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "child_return",
        "summary": "A 13-year-old found alone at a railway station; parents work in another region.",
        "intake_channel": "consular_outreach",
        "occurred": {"country": "RU", "region": "RU-SVE", "city": "Екатеринбург"},
        "subject": {
            "role": "child",
            "given_name": "Азамат",
            "patronymic": "Бакыт уулу",
            "birth_date": "2013-06-02",
            "sex": "male",
            "citizenship": "KG",
        },
        "consent": {
            "purposes": ["case_management"],
            "given_by": "best_interests_authority",
            "given_on": "2026-11-02",
        },
        "details": {
            "current_placement": {"type": "shelter", "name": "Социальный приют №3"},
            "guardian_in_origin": {"full_name": "Бакыт Асанов", "relation": "parent"},
            "costs": {"amount": "420.00", "currency": "USD"},
        },
    }
    body.update(overrides)
    return body


def trafficking_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "trafficking",
        "summary": "Recruited for café work in Almaty, documents taken, forced to work without pay.",
        "intake_channel": "partner_referral",
        "occurred": {"country": "KZ", "city": "Алматы"},
        "subject": {
            "role": "victim",
            "family_name": "Садыкова",
            "given_name": "Айгерим",
            "birth_date": "2001-09-15",
            "sex": "female",
            "citizenship": "KG",
        },
        "violations": [{"type": "forced_labour", "indicators": ["deception", "retention_of_documents"]}],
        "details": {
            "trafficking_status": "possible",
            "decided_by": "ngo",
            "exploitation": ["forced_labour"],
            "means_of_control": ["withholds_documents", "false_promises"],
            "recruiter_relation": "acquaintance",
            "recruitment_place": {"country": "KG", "region": "KG-O"},
            "exploitation_place": {"country": "KZ"},
        },
    }
    body.update(overrides)
    return body


async def open_case(
    client: httpx.AsyncClient, account: factories.Account, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/cases", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
