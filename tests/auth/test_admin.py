"""Administration of organizations, users and API clients: who may, who sees what, bad input, audit."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import ApiClient, Organization, User
from src.config import Settings
from tests import factories


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def _outcomes(db: AsyncSession, action: str) -> list[str]:
    rows = await db.scalars(
        select(AuditEvent.outcome).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )
    return list(rows.all())


async def test_platform_admin_creates_organization_user_and_client(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    org = await client.post(
        "/v1/organizations",
        json={"name": "Tynchtyk NGO", "kind": "partner", "country": "RU"},
        headers=admin.headers,
    )
    assert org.status_code == 201, org.text
    org_id = org.json()["id"]
    assert org.json() == {"id": org_id, "name": "Tynchtyk NGO", "kind": "partner", "country": "RU"}
    user = await client.post(
        "/v1/users",
        json={
            "username": "ngo.worker",
            "password": "a-long-pass-phrase",
            "organization_id": org_id,
            "role": "partner",
        },
        headers=admin.headers,
    )
    assert user.status_code == 201, user.text
    assert "password" not in user.json() and "password_hash" not in user.json()
    new_client = await client.post(
        "/v1/clients",
        json={"name": "case system", "organization_id": org_id, "role": "partner"},
        headers=admin.headers,
    )
    assert new_client.status_code == 201
    secret = new_client.json()["client_secret"]
    stored = await db.scalar(
        select(ApiClient).where(ApiClient.id == uuid.UUID(new_client.json()["client_id"]))
    )
    assert stored is not None and secret.encode() not in stored.secret_hash
    read_back = await client.get(f"/v1/clients/{new_client.json()['client_id']}", headers=admin.headers)
    assert "client_secret" not in read_back.json()
    for action in ("organization.create", "user.create", "api_client.create", "api_client.read"):
        assert await _outcomes(db, action) == ["success"], action
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event is not None and "password" in event.changed_fields
    assert "a-long-pass-phrase" not in str(event.detail) and "ngo.worker" not in str(event.detail)


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "officer", "partner", "auditor"])
async def test_non_admins_get_403_on_admin_endpoints(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, role: str
) -> None:
    caller = await factories.account(db, settings, client, role)
    before_users, before_orgs = await _count(db, User), await _count(db, Organization)
    own_colleague = await factories.user(db, settings, caller.organization, role)
    calls = [
        client.post(
            "/v1/organizations",
            json={"name": "X", "kind": "partner", "country": "RU"},
            headers=caller.headers,
        ),
        client.post(
            "/v1/users",
            json={
                "username": "someone.new",
                "password": "a-long-pass-phrase",
                "organization_id": str(caller.organization.id),
                "role": role,
            },
            headers=caller.headers,
        ),
        client.post(
            "/v1/clients",
            json={"name": "c", "organization_id": str(caller.organization.id), "role": "partner"},
            headers=caller.headers,
        ),
        client.get("/v1/users", headers=caller.headers),
        client.get("/v1/clients", headers=caller.headers),
        client.get(f"/v1/users/{own_colleague.id}", headers=caller.headers),
        client.post(
            "/v1/consulates",
            json={"name": "C", "country": "KG", "jurisdiction": [{"country": "RU"}]},
            headers=caller.headers,
        ),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await _count(db, User) == before_users + 1  # only the colleague made by the test
    assert await _count(db, Organization) == before_orgs
    assert (await _outcomes(db, "user.read")) == ["denied"]


async def test_another_organizations_user_and_client_are_404(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org_a = await factories.organization(db, kind="partner", country="RU")
    org_b = await factories.organization(db, kind="partner", country="RU")
    admin_a = await factories.account(db, settings, client, "admin", org=org_a)
    officer_a = await factories.account(db, settings, client, "partner", org=org_a)
    user_b = await factories.user(db, settings, org_b, "partner")
    platform = await factories.account(db, settings, client, "admin")
    client_b = (
        await client.post(
            "/v1/clients",
            json={"name": "b", "organization_id": str(org_b.id), "role": "partner"},
            headers=platform.headers,
        )
    ).json()
    for caller in (admin_a, officer_a):
        for path in (f"/v1/users/{user_b.id}", f"/v1/clients/{client_b['client_id']}"):
            response = await client.get(path, headers=caller.headers)
            assert response.status_code == 404, (caller.user.role, path, response.text)
            assert set(response.json()) <= {"type", "title", "status", "detail", "instance"}
            assert user_b.username not in response.text and str(org_b.id) not in response.text
    # An organization's own admin manages its own accounts only.
    own = await client.get(f"/v1/users/{officer_a.user.id}", headers=admin_a.headers)
    assert own.status_code == 200
    listed = await client.get("/v1/users", headers=admin_a.headers)
    assert {u["organization_id"] for u in listed.json()["items"]} == {str(org_a.id)}
    clients_listed = await client.get("/v1/clients", headers=admin_a.headers)
    assert client_b["client_id"] not in clients_listed.text
    foreign_create = await client.post(
        "/v1/users",
        json={
            "username": "intruder",
            "password": "a-long-pass-phrase",
            "organization_id": str(org_b.id),
            "role": "partner",
        },
        headers=admin_a.headers,
    )
    assert foreign_create.status_code == 404
    assert await db.scalar(select(User).where(User.username == "intruder")) is None
    # The platform admin sees every organization's accounts.
    assert (await client.get(f"/v1/users/{user_b.id}", headers=platform.headers)).status_code == 200
    assert "not_found" in await _outcomes(db, "user.read")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"username": "ok.name", "password": "short", "role": "officer"}, "password"),
        ({"username": "Bad Name!", "password": "a-long-pass-phrase", "role": "officer"}, "username"),
        ({"username": "ok.name", "password": "a-long-pass-phrase", "role": "emperor"}, "role"),
        (
            {"username": "ok.name", "password": "a-long-pass-phrase", "role": "officer", "is_admin": True},
            "is_admin",
        ),
        ({"username": "ok.name", "password": "a-long-pass-phrase", "role": "partner"}, "role"),
        ({"username": "same.as.pass", "password": "same.as.pass", "role": "officer"}, "password"),
    ],
)
async def test_invalid_user_bodies_are_422_and_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, body: dict, loc: str
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    consulate = await factories.organization(db, kind="consulate")
    before = await _count(db, User)
    response = await client.post(
        "/v1/users", json={**body, "organization_id": str(consulate.id)}, headers=admin.headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 422 and problem["type"].endswith("/validation-error")
    assert any(loc in error["loc"] for error in problem["errors"]), problem
    assert body["password"] not in response.text
    assert await _count(db, User) == before
    assert await _outcomes(db, "user.create") == []


async def test_invalid_organization_bodies_are_422(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    before = await _count(db, Organization)
    for body in (
        {"name": "X", "kind": "church", "country": "RU"},
        {"name": "X", "kind": "partner", "country": "rus"},
        {"name": "", "kind": "partner", "country": "RU"},
        {"name": "x" * 201, "kind": "partner", "country": "RU"},
        {"kind": "partner", "country": "RU"},
    ):
        response = await client.post("/v1/organizations", json=body, headers=admin.headers)
        assert response.status_code == 422, body
    malformed = await client.post(
        "/v1/organizations",
        content=b"{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    assert await _count(db, Organization) == before


async def test_duplicate_username_is_409(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    consulate = await factories.organization(db)
    body = {
        "username": "taken.name",
        "password": "a-long-pass-phrase",
        "organization_id": str(consulate.id),
        "role": "officer",
    }
    assert (await client.post("/v1/users", json=body, headers=admin.headers)).status_code == 201
    again = await client.post(
        "/v1/users", json={**body, "username": "TAKEN.name".lower()}, headers=admin.headers
    )
    assert again.status_code == 409
    assert await db.scalar(select(func.count()).select_from(User).where(User.username == "taken.name")) == 1


async def test_unknown_ids_are_404(client: httpx.AsyncClient, db: AsyncSession, settings: Settings) -> None:
    admin = await factories.account(db, settings, client, "admin")
    for path in (
        f"/v1/users/{uuid.uuid4()}",
        f"/v1/clients/{uuid.uuid4()}",
        f"/v1/organizations/{uuid.uuid4()}",
    ):
        assert (await client.get(path, headers=admin.headers)).status_code == 404
    assert (await client.get("/v1/users/not-a-uuid", headers=admin.headers)).status_code == 422


async def test_user_list_pages_with_cursor_and_link(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    for _ in range(4):
        await factories.user(db, settings, admin.organization, "officer")
    seen: list[str] = []
    url = "/v1/users?limit=2"
    while url:
        page = await client.get(url, headers=admin.headers)
        assert page.status_code == 200
        seen += [u["id"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor:
            assert 'rel="next"' in page.headers["link"]
        url = f"/v1/users?limit=2&cursor={cursor}" if cursor else ""
    assert len(seen) == len(set(seen)) == 5
    assert (await client.get("/v1/users?limit=201", headers=admin.headers)).status_code == 422
    assert (await client.get("/v1/users?cursor=%%%", headers=admin.headers)).status_code == 422


async def test_organization_directory_is_readable_by_every_signed_in_caller(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    partner = await factories.account(db, settings, client, "partner")
    consulate = await factories.organization(db, kind="consulate")
    listed = await client.get("/v1/organizations?kind=consulate", headers=partner.headers)
    assert [o["id"] for o in listed.json()["items"]] == [str(consulate.id)]
    assert (await client.get(f"/v1/organizations/{consulate.id}", headers=partner.headers)).status_code == 200
    assert (await client.get("/v1/organizations")).status_code == 401
