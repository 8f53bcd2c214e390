"""Administration of organizations, users and API clients: who may, who sees what, bad input, audit."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import ApiClient, Organization, User
from src.platform.config import Settings
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
        *([] if role == "supervisor" else [client.get("/v1/users", headers=caller.headers)]),  # see below
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
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, body: dict[str, Any], loc: str
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


async def _refusals(db: AsyncSession, response: httpx.Response) -> list[tuple[str, str]]:
    """The (action, outcome) of the audit events written for this response's request id."""
    rows = await db.execute(
        select(AuditEvent.action, AuditEvent.outcome).where(
            AuditEvent.request_id == response.headers["x-request-id"]
        )
    )
    return [(action, outcome) for action, outcome in rows.all()]


async def test_accounts_for_another_or_no_organization_are_404_and_audited(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    """`POST /v1/users` and `/v1/clients` naming an organization the caller may not see answered 404 without
    an audit event; every other refusal had one."""
    org_a = await factories.organization(db, kind="partner", country="RU")
    org_b = await factories.organization(db, kind="partner", country="RU")
    admin_a = await factories.account(db, settings, client, "admin", org=org_a)
    platform = await factories.account(db, settings, client, "admin")
    users_before, clients_before = await _count(db, User), await _count(db, ApiClient)
    calls = [
        (admin_a, org_b.id, "user.create"),
        (admin_a, uuid.uuid4(), "user.create"),
        (platform, uuid.uuid4(), "user.create"),
        (admin_a, org_b.id, "api_client.create"),
        (admin_a, uuid.uuid4(), "api_client.create"),
        (platform, uuid.uuid4(), "api_client.create"),
    ]
    for caller, organization_id, action in calls:
        if action == "user.create":
            body: dict[str, str] = {
                "username": f"intruder.{uuid.uuid4().hex[:6]}",
                "password": "a-long-pass-phrase",
                "organization_id": str(organization_id),
                "role": "partner",
            }
            response = await client.post("/v1/users", json=body, headers=caller.headers)
        else:
            body = {"name": "intruder", "organization_id": str(organization_id), "role": "partner"}
            response = await client.post("/v1/clients", json=body, headers=caller.headers)
        assert response.status_code == 404, (action, organization_id, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert str(organization_id) not in response.text
        assert await _refusals(db, response) == [(action, "not_found")], (action, organization_id)
    event = await db.scalar(
        select(AuditEvent).where(AuditEvent.outcome == "not_found", AuditEvent.resource_id == org_b.id)
    )
    assert event is not None and event.resource_type == "organization"
    assert event.actor_id == admin_a.user.id
    assert (await _count(db, User), await _count(db, ApiClient)) == (users_before, clients_before)
    unknown = await client.get(f"/v1/organizations/{uuid.uuid4()}", headers=admin_a.headers)
    assert unknown.status_code == 404
    assert await _refusals(db, unknown) == [("organization.read", "not_found")]


# Cyrillic letters are written as escapes: in this file they would look exactly like the Latin ones.
LOOK_ALIKES = [
    pytest.param("Caritas Moscow", "\u0421aritas Moscow", id="latin-then-cyrillic-es"),
    pytest.param(
        "Caritas Moscow", "C\u0430rit\u0430s M\u043esc\u043ew", id="latin-then-cyrillic-small-letters"
    ),
    pytest.param(
        "\u041c\u0438\u0433\u0440\u0430\u043d\u0442 \u041f\u043e\u043c\u043e\u0449\u044c",  # Мигрант Помощь
        "M\u0438\u0433pa\u043d\u0442 \u041fo\u043c\u043e\u0449\u044c",  # with Latin M, p, a, o
        id="cyrillic-then-latin",
    ),
    pytest.param("Caritas Moscow", "C\u0410RITAS MOSCOW", id="upper-case-with-cyrillic-a"),
    pytest.param("caritas moscow", "\u0421aritas Moscow", id="title-case-with-cyrillic-es"),
    pytest.param("UNHCR Office", "UN\u041dCR office", id="cyrillic-capital-en-for-h"),
    pytest.param("\u041d\u0410\u0422\u041e", "hato", id="cyrillic-capitals-then-latin-lower-case"),
    pytest.param("Help Centre", "\u04bbelp Centre", id="cyrillic-shha-for-h"),
    pytest.param("Caritas Moscow", "Cari\u200btas\u00a0Moscow", id="zero-width-and-no-break-spaces"),
    pytest.param("Modern Aid", "rnodern aid", id="rn-for-m"),
]


@pytest.mark.parametrize(("existing", "look_alike"), LOOK_ALIKES)
async def test_an_organization_name_that_looks_like_an_existing_one_is_409(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, existing: str, look_alike: str
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    first = await client.post(
        "/v1/organizations",
        json={"name": existing, "kind": "partner", "country": "RU"},
        headers=admin.headers,
    )
    assert first.status_code == 201, first.text
    before = await _count(db, Organization)
    again = await client.post(
        "/v1/organizations",
        json={"name": look_alike, "kind": "partner", "country": "KZ"},
        headers=admin.headers,
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["type"].endswith("/conflict") and "looks like" in again.json()["detail"]
    # A consulate is an organization too, created by its own route.
    consulate = await client.post(
        "/v1/consulates",
        json={"name": look_alike, "country": "KG", "jurisdiction": [{"country": "RU", "region": "RU-SVE"}]},
        headers=admin.headers,
    )
    assert consulate.status_code == 409, consulate.text
    assert await _count(db, Organization) == before
    assert await _outcomes(db, "organization.create") == ["success"]


async def test_names_that_only_resemble_each_other_are_accepted(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    for name in (
        "Caritas Moscow",
        "Caritas Almaty",
        "\u041a\u0430\u0440\u0438\u0442\u0430\u0441 \u041c\u043e\u0441\u043a\u0432\u0430",  # Каритас Москва
        "Carltas Moscow",  # "I" looks like "l", but "i" does not
        "Caritas Moscow 2",
        "Caritas-Moscow",
    ):
        response = await client.post(
            "/v1/organizations",
            json={"name": name, "kind": "partner", "country": "RU"},
            headers=admin.headers,
        )
        assert response.status_code == 201, (name, response.text)
        assert response.json()["name"] == name
        stored = await db.get(Organization, uuid.UUID(response.json()["id"]))
        assert stored is not None and stored.name_skeleton_upper and stored.name_skeleton_lower


async def test_two_look_alikes_created_at_once_one_wins(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    import asyncio

    admin = await factories.account(db, settings, client, "admin")
    answers = await asyncio.gather(
        *(
            client.post(
                "/v1/organizations",
                json={"name": name, "kind": "partner", "country": "RU"},
                headers=admin.headers,
            )
            for name in ("Sunrise Aid", "Sunr\u0456se A\u0456d", "SUNR\u0406SE AID")  # Ukrainian і, І
        )
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409]
    assert await _count(db, Organization) == 2  # the admin's own ministry and the winner


async def test_a_renamed_organization_gets_new_look_alike_keys(db: AsyncSession) -> None:
    """No route renames organizations; the keys follow the name wherever it is set."""
    from sqlalchemy.exc import IntegrityError

    from src.auth.confusables import name_keys

    first = await factories.organization(db, kind="partner", name="Open Door")
    second = await factories.organization(db, kind="partner", name="Closed Door")
    assert (second.name_skeleton_upper, second.name_skeleton_lower) == name_keys("Closed Door")
    second.name = "\u041epen Door"  # Cyrillic О
    assert second.name_skeleton_lower == first.name_skeleton_lower
    with pytest.raises(IntegrityError):
        await db.commit()
    await db.rollback()


async def test_0015_gives_existing_organizations_keys_and_leaves_a_later_look_alike_without(
    owner_url: str,
) -> None:
    """Existing rows get their keys, oldest first; a row that looks like an older one keeps NULL keys rather
    than failing the migration. The migration's frozen copy of the key function agrees with the app's."""
    import asyncio
    import importlib.util
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from src.auth import confusables
    from src.platform.postgres import run_migrations

    path = Path(__file__).parents[2] / "migrations/versions/0015_organization_name_skeleton.py"
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._PROTOTYPES == confusables._PROTOTYPES
    assert migration._DEFAULT_IGNORABLE == confusables._DEFAULT_IGNORABLE
    samples = ["Caritas", "\u0421aritas", "UN\u041dCR", "Cari\u200btas  x", "\u1100\u1161\u11a8" * 30]
    assert [migration._name_keys(s) for s in samples] == [confusables.name_keys(s) for s in samples]

    server = create_async_engine(owner_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"{make_url(owner_url).database}_m15"
    url = make_url(owner_url).set(database=name).render_as_string(hide_password=False)
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        await asyncio.to_thread(run_migrations, url, "ukuk_app", migration.down_revision)
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        older, later, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country, created_at) VALUES "
                    "(:later, :later_name, 'partner', 'RU', :t1), (:older, 'Caritas', 'partner', 'RU', :t0), "
                    "(:other, 'Other', 'partner', 'RU', :t0)"
                ),
                {"older": older, "later": later, "other": other, "later_name": "\u0421aritas", "t0": t0}
                | {"t1": t0 + timedelta(days=1)},
            )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            keys = {
                row[0]: (row[1], row[2])
                for row in await conn.execute(
                    text("SELECT id, name_skeleton_upper, name_skeleton_lower FROM organization")
                )
            }
        assert keys == {
            older: confusables.name_keys("Caritas"),
            later: (None, None),
            other: confusables.name_keys("Other"),
        }
        async with engine.connect() as conn:
            with pytest.raises(Exception, match="uq_organization_name_skeleton"):
                await conn.execute(
                    text(
                        "INSERT INTO organization (id, name, kind, country, name_skeleton_upper, "
                        "name_skeleton_lower) VALUES (:id, 'C a r i t a s', 'partner', 'RU', :upper, :lower)"
                    ),
                    {"id": uuid.uuid4(), "upper": "CARlTAS", "lower": "x"},
                )
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def test_a_supervisor_lists_its_own_organizations_active_officers(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    supervisor = await factories.account(db, settings, client, "supervisor", kind="consulate")
    officer = await factories.user(db, settings, supervisor.organization, "officer")
    gone = await factories.user(db, settings, supervisor.organization, "officer")
    gone.is_active = False
    db.add(gone)
    await db.commit()
    elsewhere = await factories.account(db, settings, client, "officer", kind="consulate")
    listed = await client.get("/v1/users", params={"role": "officer"}, headers=supervisor.headers)
    assert listed.status_code == 200, listed.text
    assert [u["id"] for u in listed.json()["items"]] == [str(officer.id)]
    assert str(elsewhere.user.id) not in listed.text and str(gone.id) not in listed.text
    everyone = await client.get("/v1/users", headers=supervisor.headers)
    assert {u["role"] for u in everyone.json()["items"]} == {"supervisor", "officer"}
    assert (await _outcomes(db, "user.list"))[-2:] == ["success", "success"]
    # an officer may not list; an unknown role is 422
    refused = await client.get("/v1/users", params={"role": "officer"}, headers=elsewhere.headers)
    assert refused.status_code == 403
    bad = await client.get("/v1/users", params={"role": "captain"}, headers=supervisor.headers)
    assert bad.status_code == 422
