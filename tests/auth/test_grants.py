"""The token endpoint: each grant, refresh rotation and reuse detection, logout, throttling, audit."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import LoginFailure, Organization, TokenFamily, User
from src.platform import clock
from src.platform.config import Settings
from tests import factories

TOKEN = "/v1/auth/token"


async def _events(db: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list((await db.scalars(query.execution_options(populate_existing=True))).all())


async def _client_of(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, role: str = "partner"
) -> tuple[dict[str, Any], Organization]:
    admin = await factories.account(db, settings, client, "admin")
    partner_org = await factories.organization(
        db, kind="partner" if role == "partner" else "oversight", country="RU"
    )
    created = await client.post(
        "/v1/clients",
        json={"name": "NGO system", "organization_id": str(partner_org.id), "role": role},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    return created.json(), partner_org


async def test_password_grant_issues_tokens_and_audits(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    body = await factories.login(client, user.username.upper())  # usernames are case-insensitive
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    assert body["refresh_token"]
    assert set(str(body["scope"]).split()) == {
        "cases:read",
        "cases:write",
        "referrals:read",
        "referrals:write",
    }
    events = await _events(db, "auth.token")
    assert [(e.outcome, e.actor_id, e.resource_id) for e in events] == [("success", user.id, user.id)]
    assert "grant_type" in events[0].detail


async def test_password_grant_with_narrower_scope(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": user.username,
            "password": factories.PASSWORD,
            "scope": "cases:read",
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "cases:read"
    me = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["scopes"] == ["cases:read"]


async def test_scope_beyond_the_role_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": user.username,
            "password": factories.PASSWORD,
            "scope": "cases:read admin",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_wrong_password_is_refused_counted_and_audited(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    response = await client.post(
        TOKEN, data={"grant_type": "password", "username": user.username, "password": "wrong-password-123"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.text
    failures = await db.scalar(select(func.count()).select_from(LoginFailure))
    assert failures == 1
    events = await _events(db, "auth.token")
    assert [(e.outcome, e.resource_id, e.actor_type) for e in events] == [("failure", user.id, "anonymous")]


async def test_unknown_user_and_disabled_user_are_refused_alike(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    await db.execute(update(User).where(User.id == user.id).values(is_active=False))
    await db.commit()
    disabled = await client.post(
        TOKEN, data={"grant_type": "password", "username": user.username, "password": factories.PASSWORD}
    )
    unknown = await client.post(
        TOKEN, data={"grant_type": "password", "username": "nobody.here", "password": factories.PASSWORD}
    )
    assert disabled.status_code == unknown.status_code == 400
    assert disabled.json()["detail"] == unknown.json()["detail"]


async def test_bad_grant_requests(client: httpx.AsyncClient) -> None:
    unsupported = await client.post(TOKEN, data={"grant_type": "implicit"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    missing = await client.post(TOKEN, data={"grant_type": "password", "username": "x"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    no_grant = await client.post(TOKEN, data={})
    assert no_grant.status_code == 422
    as_json = await client.post(TOKEN, json={"grant_type": "password"})
    assert as_json.status_code == 415


async def test_client_credentials_grant_form_and_basic(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    created, partner_org = await _client_of(client, db, settings)
    form = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert form.status_code == 200, form.text
    assert form.json()["refresh_token"] is None
    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode()).decode()
    via_basic = await client.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert via_basic.status_code == 200
    me = await client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {via_basic.json()['access_token']}"}
    )
    assert me.json()["organization_id"] == str(partner_org.id)
    assert me.json()["role"] == "partner"
    assert me.json()["username"] is None
    wrong = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": "wrong",
        },
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    first = await factories.login(client, user.username)
    second = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    new_access = second.json()["access_token"]
    assert (
        await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {new_access}"})
    ).status_code == 200

    replay = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The whole sign-in is gone: the newest refresh token and every access token from it.
    after = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"]}
    )
    assert after.status_code == 400
    for token in (first["access_token"], new_access):
        assert (
            await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401
    family = await db.scalar(
        select(TokenFamily).where(TokenFamily.user_id == user.id).execution_options(populate_existing=True)
    )
    assert family is not None and family.revoked_reason == "refresh_reuse"
    assert [e.outcome for e in await _events(db, "auth.refresh")] == ["success", "reuse_detected"]


async def test_concurrent_refresh_with_one_token_lets_one_win(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    first = await factories.login(client, user.username)
    answers = await asyncio.gather(
        *[
            client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
            for _ in range(5)
        ]
    )
    assert sorted(a.status_code for a in answers).count(200) <= 1
    assert all(a.status_code in (200, 400) for a in answers)


async def test_unknown_refresh_token(client: httpx.AsyncClient) -> None:
    response = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_logout_revokes_access_and_refresh(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    tokens = await factories.login(client, user.username)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/v1/auth/me", headers=headers)).status_code == 401
    refresh = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400
    assert len(await _events(db, "auth.logout")) == 1


async def test_role_change_takes_effect_at_once(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    account = await factories.account(db, settings, client, "officer")
    await db.execute(update(User).where(User.id == account.user.id).values(is_active=False))
    await db.commit()
    assert (await client.get("/v1/auth/me", headers=account.headers)).status_code == 401


async def test_throttling_per_username_with_retry_after(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    wrong = {"grant_type": "password", "username": user.username, "password": "wrong-password-123"}
    for _ in range(settings.login_max_failures_per_username):
        assert (await client.post(TOKEN, data=wrong)).status_code == 400
    blocked = await client.post(TOKEN, data={**wrong, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= settings.login_failure_window_seconds
    assert [e.outcome for e in await _events(db, "auth.token")][-1] == "throttled"
    # Time moves past the window (injected, not slept): the right password works again.
    clock.advance(timedelta(seconds=retry_after + 1))
    assert (await client.post(TOKEN, data={**wrong, "password": factories.PASSWORD})).status_code == 200


async def test_throttling_per_ip_across_usernames(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    limit = settings.login_max_failures_per_ip
    for i in range(limit):
        response = await client.post(
            TOKEN, data={"grant_type": "password", "username": f"guess{i}", "password": "wrong-password-123"}
        )
        assert response.status_code == 400
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    blocked = await client.post(
        TOKEN, data={"grant_type": "password", "username": user.username, "password": factories.PASSWORD}
    )
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers
    other_ip = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client._transport.app, client=("198.51.100.9", 1)),  # type: ignore[attr-defined]
        base_url="http://testserver",
    )
    async with other_ip:
        assert (await factories.login(other_ip, user.username))["access_token"]
