"""Builders for tests: organizations and accounts written directly, tokens taken from the real endpoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    response = await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
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
