"""The API's routers pass over a path none of their routes can be with one comparison
(`platform/routing.py`): what the app matches must be exactly what FastAPI alone would match, for every
route of the app, for paths near them, and for any path."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import APIRouter, WebSocket
from fastapi.routing import iter_route_contexts
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Match

from src.platform.routing import Router, path_literals

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
SAMPLE_ID = str(uuid.UUID(int=1))


def _answers(app: Any, path: str, method: str, root_path: str = "") -> list[tuple[int, Match]]:
    """What each of the app's top-level routes answers for the request, as the app's router asks them."""
    scope = {"type": "http", "path": root_path + path, "root_path": root_path, "method": method, "app": app}
    return [(i, route.matches(dict(scope))[0]) for i, route in enumerate(app.router.routes)]


def _fastapi_alone(app: Any, path: str, method: str, root_path: str = "") -> list[tuple[int, Match]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Router, "matches", APIRouter.matches)
        return _answers(app, path, method, root_path)


def _served_paths(app: Any) -> list[str]:
    """Every path the app serves, as requests are matched on (the included prefix, if any, in it), with a
    value in place of each parameter."""
    paths = []
    for context in iter_route_contexts(app.routes):
        path = getattr(context, "path_format", None) or getattr(context.original_route, "path", None)
        if path:
            paths.append("/".join(SAMPLE_ID if p.startswith("{") else p for p in path.split("/")))
    return paths


def _near(path: str) -> list[str]:
    """The path and paths that differ from it where a router's texts end: a trailing slash more or less, the
    last character or segment cut, a segment more, the case of a letter changed."""
    cut = path.rsplit("/", 1)[0]
    near = [path, path + "/", path.rstrip("/"), path[:-1], cut, cut + "/", path + "/x", path + "x"]
    return [*near, path.upper()]


def test_the_api_routers_are_routers_that_pass_over_paths_they_cannot_be(app: Any) -> None:
    included = [r for r in app.router.routes if hasattr(r, "original_router")]
    assert len(included) >= 15
    assert all(isinstance(r.original_router, Router) for r in included)
    # ... and each knows its paths' texts, so the comparison is made (a router of unknown routes is not
    # passed over at all: correct, but slow again).
    assert all(path_literals(r.original_router.routes) for r in included)


def test_every_path_the_app_serves_matches_as_fastapi_alone_matches_it(app: Any) -> None:
    paths = _served_paths(app)
    assert len(paths) > 90  # 92 on 2026-12-04
    for path in {near for p in paths for near in _near(p)}:
        for method in METHODS:
            assert _answers(app, path, method) == _fastapi_alone(app, path, method), (method, path)
        # behind a proxy that serves the API under a prefix (root_path), matched on the path without it
        assert _answers(app, path, "GET", "/ukuk") == _fastapi_alone(app, path, "GET", "/ukuk"), path


def test_a_served_path_is_matched_fully_by_its_router(app: Any) -> None:
    """Not vacuous: the served paths do match (a router that passed over everything would agree with
    FastAPI only on paths nothing serves)."""
    for path in _served_paths(app):
        assert any(m is not Match.NONE for _, m in _answers(app, path, "GET")), path


SEGMENTS = ["v1", "cases", "referrals", "audit", "events", "reports", "auth", "token", "healthz", "readyz"]
SEGMENTS += ["docs", "assets", "consulates", "exports", "webhooks", "", "x", "V1", SAMPLE_ID, "%2F", ".."]


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(st.sampled_from(SEGMENTS) | st.text(max_size=6), max_size=6),
    trailing=st.booleans(),
    method=st.sampled_from(METHODS),
)
def test_any_path_matches_as_fastapi_alone_matches_it(
    app: Any, segments: list[str], trailing: bool, method: str
) -> None:
    path = "/" + "/".join(segments) + ("/" if trailing else "")
    assert _answers(app, path, method) == _fastapi_alone(app, path, method)


def test_a_router_of_routes_it_cannot_read_is_always_tried() -> None:
    router = Router()

    @router.get("/v1/things/{thing}")
    async def thing() -> None: ...

    assert path_literals(router.routes) == ("/v1/things/",)

    async def stream(websocket: WebSocket) -> None: ...

    router.add_websocket_route("/v1/stream", stream)
    assert path_literals(router.routes) is None
