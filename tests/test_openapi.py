"""The committed contract matches the app; operation ids are stable and unique; DESIGN.md paths exist."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_spec_matches_the_app(app: Any) -> None:
    committed = json.loads(SPEC.read_text())
    assert committed == app.openapi(), "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_operation_ids_are_unique_function_names(app: Any) -> None:
    # FastAPI keeps included routers nested: walk their effective routes.
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    names = [route.name for route in routes if isinstance(route, APIRoute) and route.include_in_schema]
    duplicated = [name for name, count in Counter(names).items() if count > 1]
    assert duplicated == []
    ids = [op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()]
    assert set(ids) == set(names)


def test_contract_paths_of_this_issue_are_served(app: Any) -> None:
    paths = app.openapi()["paths"]
    for path, method in [
        ("/v1/auth/token", "post"),
        ("/v1/auth/me", "get"),
        ("/v1/organizations", "post"),
        ("/v1/organizations", "get"),
        ("/v1/organizations/{organization_id}", "get"),
        ("/v1/users", "post"),
        ("/v1/users", "get"),
        ("/v1/clients", "post"),
        ("/v1/consulates", "post"),
        ("/v1/consulates", "get"),
        ("/v1/consulates/{consulate_id}", "get"),
        ("/v1/consulates/route", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ]:
        assert method in paths.get(path, {}), (method, path)


def test_errors_are_declared_as_problem_json(app: Any) -> None:
    operation = app.openapi()["paths"]["/v1/users/{user_id}"]["get"]
    assert "application/problem+json" in operation["responses"]["404"]["content"]
