"""Operations endpoints and the cross-cutting HTTP behaviour (request id, headers, body cap, media type)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization
from src.platform.config import Settings
from tests import factories


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'ukuk_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    await client.get("/v1/auth/me")
    metrics = await client.get("/metrics")
    assert 'ukuk_http_requests_total{method="GET",route="/v1/auth/me",status="401"}' in metrics.text
    # Routes outside the API's routers are named by their template too (they were all "unmatched").
    for path in ("/docs", "/docs/assets/swagger-ui.css", "/"):
        assert (await client.get(path)).status_code == 200
    metrics = await client.get("/metrics")
    for template in ("/docs", "/docs/assets/{path}", "/"):
        assert f'ukuk_http_requests_total{{method="GET",route="{template}",status="200"}}' in metrics.text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "not valid!"})
    assert made.headers["x-request-id"] != "not valid!"
    assert len(made.headers["x-request-id"]) == 32


async def test_api_answers_are_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/auth/me")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_unknown_path_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_oversized_body_is_413_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")
    before = await db.scalar(select(func.count()).select_from(Organization))
    huge = {"name": "x" * (settings.max_body_bytes + 10), "kind": "partner", "country": "RU"}
    response = await client.post("/v1/organizations", json=huge, headers=admin.headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.scalar(select(func.count()).select_from(Organization)) == before


async def test_chunked_oversized_body_is_413(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    admin = await factories.account(db, settings, client, "admin")

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(
        "/v1/organizations", content=stream(), headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_non_json_body_is_415(client: httpx.AsyncClient, db: AsyncSession, settings: Settings) -> None:
    admin = await factories.account(db, settings, client, "admin")
    response = await client.post(
        "/v1/organizations", content=b"name=x", headers={**admin.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["type"].endswith("/unsupported-media-type")


async def test_internal_errors_do_not_leak(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/v1/_test_boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/v1/_test_boom")
    finally:
        app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/v1/_test_boom"]
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


async def test_problem_titles_follow_accept_language(client: httpx.AsyncClient) -> None:
    english = await client.get("/v1/auth/me")
    russian = await client.get("/v1/auth/me", headers={"Accept-Language": "ru"})
    kyrgyz = await client.get("/v1/auth/me", headers={"Accept-Language": "ky"})
    assert english.json()["title"] == "Authentication required"
    assert russian.json()["title"] == "Требуется аутентификация"
    assert kyrgyz.json()["title"] == "Аутентификациядан өтүү талап кылынат"
    assert russian.json()["type"] == english.json()["type"]  # the type URI is the stable identifier
    assert russian.headers["content-language"] == "ru"
