"""Builders for tests: organizations and accounts written directly, tokens taken from the real endpoint,
intake bodies per case kind, and cases opened through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.platform.config import Settings

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Account:
    user: User
    organization: Organization
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def organization(
    db: AsyncSession, *, kind: str = "consulate", country: str = "KG", name: str | None = None
) -> Organization:
    org = Organization(name=name or f"{kind} {uuid.uuid4().hex[:8]}", kind=kind, country=country)
    db.add(org)
    await db.commit()
    return org


async def user(
    db: AsyncSession,
    settings: Settings,
    org: Organization,
    role: str,
    *,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    account = User(
        username=username or f"{role}.{uuid.uuid4().hex[:8]}",
        password_hash=await hash_password(settings, password),
        organization_id=org.id,
        role=role,
    )
    db.add(account)
    await db.commit()
    return account


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def account(
    db: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    role: str,
    *,
    org: Organization | None = None,
    kind: str | None = None,
) -> Account:
    default_kind = {
        "admin": "ministry",
        "coordinator": "ministry",
        "partner": "partner",
        "auditor": "oversight",
    }
    org = org or await organization(db, kind=kind or default_kind.get(role, "consulate"))
    account_user = await user(db, settings, org, role)
    tokens = await login(client, account_user.username)
    return Account(account_user, org, str(tokens["access_token"]))


async def sign_in_again(client: httpx.AsyncClient, account: Account) -> None:
    """After the test clock moved past the token's lifetime."""
    account.token = str((await login(client, account.user.username))["access_token"])


@dataclass
class Consulate:
    officer: Account
    supervisor: Account


async def consulate(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Consulate:
    """A consulate with an officer and a supervisor."""
    org = await organization(db, kind="consulate", country="KG")
    return Consulate(
        await account(db, settings, client, "officer", org=org),
        await account(db, settings, client, "supervisor", org=org),
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


async def open_case(client: httpx.AsyncClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/cases", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
