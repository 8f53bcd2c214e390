"""The committed contract matches the app; operation ids are stable and unique; DESIGN.md paths exist."""

from __future__ import annotations

import json
import re
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


def test_errors_are_declared_as_problem_json_with_their_schema(app: Any) -> None:
    schema = app.openapi()
    declared = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                content = response.get("content", {})
                assert "application/json" not in content, f"{method} {path} {status}"
                if "application/problem+json" in content:
                    ref = content["application/problem+json"]["schema"]["$ref"]
                    assert ref.endswith("/Problem"), f"{method} {path} {status}"
                    declared += 1
    assert declared > 100


_UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[*+]|\{\d+,\}")
_FIXED_FORMATS = {"uuid", "date", "date-time"}


def _bounded_string(schema: dict[str, Any]) -> bool:
    if any(key in schema for key in ("maxLength", "enum", "const")) or schema.get("format") in _FIXED_FORMATS:
        return True
    pattern = schema.get("pattern", "")
    return pattern.startswith("^") and pattern.endswith("$") and not _UNBOUNDED_QUANTIFIER.search(pattern)


def test_every_string_list_and_map_a_caller_sends_is_bounded(app: Any) -> None:
    """Bodies are capped at 1 MiB, but every input string also has a maxLength (or an anchored pattern of
    bounded length, an enum, a fixed format), every list a maxItems and every map a maxProperties; every
    paged list takes at most 200 a page."""
    spec = app.openapi()
    components = spec["components"]["schemas"]
    unbounded: list[str] = []
    seen: set[str] = set()
    pages: list[float] = []

    def walk(schema: dict[str, Any], where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen.add(name)
            schema, where = components[name], name
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key, []):
                walk(branch, where)
        kind = schema.get("type")
        if kind == "string" and not _bounded_string(schema):
            unbounded.append(f"{where}: string")
        if kind == "array":
            if "maxItems" not in schema:
                unbounded.append(f"{where}: array")
            walk(schema.get("items", {}), f"{where}[]")
        for name, field in schema.get("properties", {}).items():
            walk(field, f"{where}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                unbounded.append(f"{where}: map")
            walk(extra, f"{where}{{*}}")

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], f"{method} {path} ?{parameter['name']}")
                if parameter["name"] == "limit":
                    pages.append(parameter["schema"].get("maximum", float("inf")))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path} body")
    assert len(seen) > 20, "the walk reached the input models"
    assert unbounded == []
    assert len(pages) >= 8 and max(pages) <= 200, "every page is capped at 200"
