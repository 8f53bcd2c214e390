"""Query parameters a route does not take are refused (422), never ignored, on every route; filter values
that name nothing are refused too."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from tests.factories import Consulate, abuse_body, open_case
from tests.test_route_matrix import app_routes

PROBLEM = "application/problem+json"


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app with its path parameters filled in (route_matrix.app_routes)."""
    return [
        (method, re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path))
        for method, path in sorted(app_routes(app))
    ]


async def test_every_route_refuses_a_query_parameter_it_does_not_take(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    routes = _routes(app)
    assert len(routes) > 50
    events_before = await db.scalar(select(func.count()).select_from(AuditEvent))
    for method, path in routes:
        answer = await client.request(
            method, path, params={"unexpected": "1"}, headers=consulate_a.supervisor.headers
        )
        assert answer.status_code == 422, (method, path, answer.status_code, answer.text[:200])
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["errors"] == [{"loc": ["query", "unexpected"], "msg": "unknown query parameter"}]
    assert await db.scalar(select(func.count()).select_from(AuditEvent)) == events_before  # nothing written


async def test_a_misspelt_filter_is_refused_not_ignored(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    await open_case(client, consulate_a.officer, abuse_body())
    headers = consulate_a.officer.headers
    misspelt = await client.get("/v1/cases", params={"stauts": "intake"}, headers=headers)
    assert misspelt.status_code == 422
    assert misspelt.json()["errors"] == [{"loc": ["query", "stauts"], "msg": "unknown query parameter"}]
    assert "status" in misspelt.json()["detail"]  # the detail names what the route takes
    right = await client.get("/v1/cases", params={"status": "intake"}, headers=headers)
    assert right.status_code == 200 and right.json()["items"]


@pytest.mark.parametrize("value", ["intak", "INTAKE", "closed "])
async def test_a_status_no_workflow_has_is_refused(
    client: httpx.AsyncClient, consulate_a: Consulate, value: str
) -> None:
    answer = await client.get("/v1/cases", params={"status": value}, headers=consulate_a.officer.headers)
    assert answer.status_code == 422, answer.text
    assert ["query", "status"] in [error["loc"] for error in answer.json()["errors"]]
