"""One transaction per request (`platform/session.py::UnitOfWork`): every route that asks for the session is
one that commits it, the commit comes before the response (a commit that fails is never answered 200), an
error rolls back, and a session asked for where nothing would commit it is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.auth.dependencies import signed_in
from src.platform import driver
from src.platform.errors import install_error_handlers
from src.platform.session import DbSession, UnitOfWork, create_sessionmaker, request_session


def _asks_for_a_session(dependant: Dependant) -> bool:
    # The principal's dependency reads the sign-in on the request's session without asking FastAPI for it.
    asks = dependant.call is request_session or dependant.call is signed_in
    return asks or any(_asks_for_a_session(d) for d in dependant.dependencies)


def test_every_route_that_asks_for_the_session_commits_it(app: Any) -> None:
    # The app's routes as FastAPI serves them (included routers' routes among them).
    contexts = list(iter_route_contexts(app.routes))
    routes = [c.original_route for c in contexts if isinstance(c.original_route, APIRoute)]
    with_session = [r for r in routes if _asks_for_a_session(r.dependant)]
    assert len(with_session) > 80  # the API's routes, found through their dependencies
    assert [r.path for r in with_session if not isinstance(r, UnitOfWork)] == []
    # Those without one (probes, the metrics) need no transaction.
    assert {r.path for r in routes if r not in with_session} >= {"/healthz", "/readyz"}


def _app(app_engine: AsyncEngine, router: APIRouter) -> FastAPI:
    application = FastAPI()
    application.state.sessionmaker = create_sessionmaker(app_engine)
    install_error_handlers(application)
    application.include_router(router)
    return application


async def _get(application: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get(path)


@pytest.mark.parametrize("through", ["orm", "driver"])
async def test_a_commit_that_fails_is_answered_as_an_error_not_200(
    app_engine: AsyncEngine, through: str
) -> None:
    """Through the ORM, or on the driver alone (the transaction is then the held connection's own, ended
    by HeldSession): the same 409."""
    router = APIRouter(route_class=UnitOfWork)
    statements = [
        # A deferred unique constraint is checked only by the commit.
        "CREATE TEMP TABLE twice (x int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP",
        "INSERT INTO twice VALUES (1), (1)",
    ]

    @router.get("/deferred")
    async def deferred(session: DbSession) -> dict[str, str]:
        for statement in statements:
            if through == "orm":
                await session.execute(text(statement))
            else:
                await driver.execute(session, statement)
        assert (session.sync_session.get_transaction() is None) is (through == "driver")
        return {"status": "written"}

    response = await _get(_app(app_engine, router), "/deferred")
    assert response.status_code == 409, response.text  # IntegrityError, answered by the error handlers
    assert "written" not in response.text


async def test_an_error_rolls_the_request_back(app_engine: AsyncEngine, owner_engine: AsyncEngine) -> None:
    router = APIRouter(route_class=UnitOfWork)

    @router.get("/fails")
    async def fails(session: DbSession) -> None:
        await session.execute(
            text(
                "INSERT INTO organization (id, name, kind, country) "
                "VALUES (gen_random_uuid(), 'Rolled', 'partner', 'KG')"
            )
        )
        raise ValueError("after the write")

    response = await _get(_app(app_engine, router), "/fails")
    assert response.status_code == 500
    async with owner_engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM organization WHERE name = 'Rolled'")) == 0


async def test_a_session_where_nothing_would_commit_it_is_refused(app_engine: AsyncEngine) -> None:
    router = APIRouter()  # a plain route class

    @router.get("/plain")
    async def plain(session: DbSession) -> None:
        pytest.fail("the endpoint ran without a unit of work")

    application = _app(app_engine, router)
    transport = httpx.ASGITransport(app=application)  # the app's exception, raised here
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with pytest.raises(RuntimeError, match="needs a route of class UnitOfWork"):
            await http.get("/plain")
