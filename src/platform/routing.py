"""The API's routers: each request one transaction (`UnitOfWork`), and passed over at the cost of one string
comparison by every router none of whose paths it can be.

FastAPI (0.165) matches a request against an app's included routers one after another, and each router
against every one of its routes: a regular expression plus FastAPI's own bookkeeping per route, the routers
before the right one all tried in full and the right one twice. In process that was 19 µs for GET
/v1/cases/{id} (its router is first), 36 µs for the referral inbox (second), 140 µs for /healthz and
/readyz (after all of them) and 218 µs for GET /v1/audit/events (twelfth). Under wrk an audit read refused
for want of a token cost 0.50 ms of the server's CPU before this and 0.32 ms after; /healthz 0.40 and 0.22.

A route's path can only match a request path that starts with the route's text before its first
parameter: `/v1/cases/{case_id}/notes` needs `/v1/cases/`. A router keeps those texts and answers "no match"
at once for a path that starts with none of them, which is what trying every route would have answered.
Everything else (the match itself, 405 for another method, redirect of a trailing slash) is FastAPI's.
`tests/test_routing.py` holds the two equal for every route of the app and for paths made to be near them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path  # the path Starlette's routes match on (root_path off)
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from src.platform.session import UnitOfWork


def path_literals(routes: list[BaseRoute]) -> tuple[str, ...] | None:
    """The text before the first parameter of each route's path; None when a route is of a kind whose
    paths are not known here (a mount, a nested router, a websocket route): such a router is always tried."""
    literals: set[str] = set()
    for route in routes:
        if not isinstance(route, Route):  # an APIRoute is one; a Mount, a WebSocketRoute are not
            return None
        literals.add(route.path.split("{", 1)[0])
    return tuple(sorted(literals))


class Router(APIRouter):
    """An APIRouter whose routes are `UnitOfWork`s and whose included paths are its routes' own paths: it
    must be included without a prefix (`app.include_router(router)`), or the texts it compares would not be
    the paths requests are matched on; `tests/test_routing.py` checks the app's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", UnitOfWork)
        super().__init__(**kwargs)
        self._literals: tuple[str, ...] | None = None
        self._literals_of = -1  # how many routes the texts were taken from (routes are only ever added)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if len(self.routes) != self._literals_of:
            self._literals, self._literals_of = path_literals(self.routes), len(self.routes)
        if self._literals is not None and not get_route_path(scope).startswith(self._literals):
            return Match.NONE, {}
        return super().matches(scope)
