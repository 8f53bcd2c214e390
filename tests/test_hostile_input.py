"""Hostile input on every route, as an authorized caller: never a 5xx.

Walks the app's own OpenAPI document: every path, query, header and body parameter of every operation (each
leaf of a valid body, each property its schema declares, a key added to each object) gets a hostile value
while the rest of the request stays valid, sent by a caller the route lets through (tests/test_route_matrix
MATRIX) with a real token. Hostile: C0 control characters, DEL, lone surrogates, 10k-character strings,
bidirectional overrides, numbers beyond int64, NaN, date-times beyond year 9999 in UTC. A control character
that reaches the API answers 422.

`UKUK_HOSTILE_EXAMPLES` sets the rounds (each round sends one request per parameter of every route, about
300); the default keeps the test under half a minute. `UKUK_HOSTILE_SEED=random`: new values every run.
"""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories
from tests.test_route_matrix import (
    CALLERS,
    MATRIX,
    QUERIES,
    _body,
    _creating_bodies,
    _fill,
    world,
)

__all__ = ["world"]  # the fixture, for pytest: organization A's rows and the ids naming them

EXAMPLES = int(os.environ.get("UKUK_HOSTILE_EXAMPLES", "8"))
RANDOM = os.environ.get("UKUK_HOSTILE_SEED") == "random"  # else the same rounds every run
INT64 = 2**63
# Delivered as such in a URL or a form (a surrogate is not: percent-encoded, it decodes to U+FFFD).
C0_OR_DEL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
C0_AND_DEL = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]
BIDI = ["\u202e", "\u202d", "\u202a", "\u202b", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]
SKIPPED = {("POST", "/v1/auth/logout")}  # signs the caller out: every later request would be 401

_around = st.text(max_size=4)
control_text = st.builds(lambda a, c, b: a + c + b, _around, st.sampled_from(C0_AND_DEL), _around)
lone_surrogate = st.builds(lambda a, c: a + c, _around, st.characters(categories=["Cs"]))
long_text = st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.sampled_from([10_000, 10_001]))
# In a URL: percent-encoded, 10k characters of up to two UTF-8 bytes stay under clients' 64 KiB URL limit.
long_url_text = st.builds(lambda c, n: c * n, st.characters(max_codepoint=0x7FF), st.just(10_000))
bidi_text = st.builds(lambda a, c, b: a + c + b, _around, st.sampled_from(BIDI), _around)
huge_integer = st.one_of(st.integers(min_value=INT64), st.integers(max_value=-INT64 - 1))
# Values at the edges of what a type parses: instants past year 9999 (or before 1) once in UTC, and such.
edge_text = st.sampled_from(
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01",
        "9999-12-31",
        "-0",
        "1e400",
        "NaN",
        "-Infinity",
        "00000000-0000-0000-0000-000000000000",
    ]
)
HOSTILE_TEXT = st.one_of(control_text, lone_surrogate, long_text, bidi_text, huge_integer.map(str), edge_text)
HOSTILE_URL_TEXT = st.one_of(
    control_text, lone_surrogate, long_url_text, bidi_text, huge_integer.map(str), edge_text
)
# JSON numbers too: beyond int64, and the NaN and Infinity Python's JSON reader accepts.
HOSTILE_JSON = st.one_of(HOSTILE_TEXT, huge_integer, st.sampled_from([float("nan"), float("inf"), 1e308]))
# Header values: what an HTTP server lets through (visible ASCII), long or numeric.
HOSTILE_HEADER = st.one_of(
    huge_integer.map(str),
    huge_integer.map(lambda n: f'"{n}"'),
    st.builds(lambda c, n: c * n, st.characters(min_codepoint=0x21, max_codepoint=0x7E), st.just(10_000)),
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    body_type: str | None  # "json", "form" or None
    body_properties: tuple[str, ...]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = _resolve(spec, schema)
    names = set(schema.get("properties", {}))
    for member in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        names |= _properties(spec, member)
    return names


def operations(app: Any) -> list[Operation]:
    spec = app.openapi()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            params = operation.get("parameters", [])
            content = operation.get("requestBody", {}).get("content", {})
            body_type, properties = None, set()
            if "application/json" in content:
                body_type, properties = "json", _properties(spec, content["application/json"]["schema"])
            elif "application/x-www-form-urlencoded" in content:
                schema = content["application/x-www-form-urlencoded"]["schema"]
                body_type, properties = "form", _properties(spec, schema)
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(p["name"] for p in params if p["in"] == "path"),
                    tuple(p["name"] for p in params if p["in"] == "query"),
                    tuple(p["name"] for p in params if p["in"] == "header"),
                    body_type,
                    tuple(sorted(properties)),
                )
            )
    return found


def _leaves(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*at, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*at, index))
    else:
        yield at


def _objects(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        yield at
        for key, item in value.items():
            yield from _objects(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, (*at, index))


def _set(document: Any, at: tuple[str | int, ...], value: Any) -> Any:
    if not at:
        return value
    document = copy.deepcopy(document)
    parent = document
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = value
    return document


def _add_key(document: Any, at: tuple[str | int, ...], key: str) -> Any:
    document = copy.deepcopy(document)
    target = document
    for step in at:
        target = target[step]
    target[key] = "x"
    return document


def _url_part(value: Any) -> str:
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


@dataclass
class Target:
    where: str  # path, query, header, body, body-key, form
    name: str
    at: tuple[str | int, ...] = ()


def targets(operation: Operation, baseline: Any) -> list[Target]:
    found = [Target("path", name) for name in operation.path_params]
    found += [Target("query", name) for name in operation.query_params]
    found += [Target("header", name) for name in operation.header_params]
    if operation.body_type == "form":
        found += [Target("form", name) for name in operation.body_properties]
    elif operation.body_type == "json":
        leaves = {at for at in _leaves(baseline) if at}
        leaves |= {(name,) for name in operation.body_properties}
        found += [Target("body", ".".join(map(str, at)), at) for at in sorted(leaves, key=str)]
        found += [Target("body-key", ".".join(map(str, at)), at) for at in _objects(baseline)]
    return found


@pytest.fixture
async def callers(
    db: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    world: dict[str, Any],
) -> dict[str, factories.Account]:
    """A caller per column of the route matrix, from the organizations that own the world's rows."""
    consulate_a = world["owner"].organization
    partner_p = await db.get(type(consulate_a), uuid.UUID(world["ids"]["partner_organization_id"]))
    return {
        "officer": await factories.account(db, settings, client, "officer", org=consulate_a),
        "supervisor": world["owner"],
        "c-admin": await factories.account(db, settings, client, "admin", org=consulate_a),
        "coordinator": world["coordinator"],
        "partner": await factories.account(db, settings, client, "partner", org=partner_p),
        "p-admin": await factories.account(db, settings, client, "admin", org=partner_p),
        "auditor": await factories.account(db, settings, client, "auditor"),
        "o-admin": await factories.account(db, settings, client, "admin", kind="oversight"),
        "platform": await factories.account(db, settings, client, "admin"),
    }


@pytest.fixture
async def ids(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    callers: dict[str, factories.Account],
) -> dict[str, str]:
    routed = await client.post(
        "/v1/consulates",
        json={"name": "CG Moscow", "country": "KG", "jurisdiction": [{"country": "RU", "region": "RU-MOW"}]},
        headers=callers["platform"].headers,
    )
    assert routed.status_code == 201, routed.text
    instruments = await client.get("/v1/legal-instruments", headers=callers["officer"].headers)
    ids: dict[str, str] = world["ids"] | {
        "name": "violation_type",
        "consulate_id": routed.json()["id"],
        "instrument_id": instruments.json()["items"][0]["id"],
    }
    return ids


def _caller(operation: Operation, callers: dict[str, factories.Account]) -> factories.Account | None:
    row = MATRIX.get((operation.method, operation.path))
    if row is None:
        return None  # public: no token needed
    # A caller the guard lets through; where none of the matrix's is (a transfer's decision belongs to the
    # receiving consulate's supervisor), one the guard refuses after the input has been parsed.
    return callers[CALLERS[row.index("y") if "y" in row else row.index("F")]]


def _baseline(operation: Operation, ids: dict[str, str], callers: dict[str, factories.Account]) -> Any:
    route = (operation.method, operation.path)
    if operation.body_type == "form":
        return {
            "grant_type": "password",
            "username": callers["officer"].user.username,
            "password": factories.PASSWORD,
        }
    if operation.body_type == "json":
        body = _creating_bodies(ids).get(route) or _body(operation.method, operation.path, ids)
        return body if body is not None else {}
    return None


async def _send(
    client: httpx.AsyncClient,
    operation: Operation,
    ids: dict[str, str],
    caller: factories.Account | None,
    baseline: Any,
    target: Target,
    value: Any,
) -> httpx.Response:
    path_values = {name: ids[name] for name in operation.path_params}
    query = dict(QUERIES.get((operation.method, operation.path), {}))
    headers = {"If-Match": '"1"', "Idempotency-Key": uuid.uuid4().hex}
    headers |= caller.headers if caller else {}
    body = baseline
    if target.where == "path":
        path_values[target.name] = value
    elif target.where == "query":
        query[target.name] = value
    elif target.where == "header":
        headers[target.name] = value
    elif target.where == "form":
        body = {**baseline, target.name: value}
    elif target.where == "body":
        body = _set(baseline, target.at, value)
    elif target.where == "body-key":
        body = _add_key(baseline, target.at, value)
    url = _fill(operation.path, {name: _url_part(v) for name, v in path_values.items()})
    if query:
        url += "?" + "&".join(f"{_url_part(k)}={_url_part(v)}" for k, v in query.items())
    content: bytes | None = None
    if operation.body_type == "form":
        content = urlencode(body, errors="surrogatepass").encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif operation.body_type == "json":
        content = json.dumps(body).encode()  # ASCII: a lone surrogate travels as its \\u escape
        headers["Content-Type"] = "application/json"
    return await client.request(operation.method, url, content=content, headers=headers)


def _delivered_control(target: Target, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if target.where in ("body", "body-key"):
        return C0_OR_DEL.search(value) is not None or re.search("[\ud800-\udfff]", value) is not None
    return target.where != "header" and C0_OR_DEL.search(value) is not None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a round is one request per parameter: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.slow
async def test_hostile_input_never_answers_5xx(
    app: Any,
    client: httpx.AsyncClient,
    callers: dict[str, factories.Account],
    ids: dict[str, str],
    data: st.DataObject,
) -> None:
    wrong: list[str] = []
    sent = 0
    for operation in operations(app):
        if (operation.method, operation.path) in SKIPPED:
            continue
        caller = _caller(operation, callers)
        for target in targets(operation, _baseline(operation, ids, callers)):
            strategy = {
                "path": HOSTILE_URL_TEXT,
                "query": HOSTILE_URL_TEXT,
                "header": HOSTILE_HEADER,
                "body": HOSTILE_JSON,
            }.get(target.where, HOSTILE_TEXT)
            value = data.draw(strategy, label=f"{operation.method} {operation.path} {target}")
            baseline = _baseline(operation, ids, callers)
            answer = await _send(client, operation, ids, caller, baseline, target, value)
            sent += 1
            where = f"{operation.method} {operation.path} {target.where} {target.name} = {value!r:.60}"
            status = answer.status_code
            if status >= 500:
                wrong.append(f"{where}: {status} {answer.text[:200]}")
            elif _delivered_control(target, value):
                allowed = {422, 429} if operation.path == "/v1/auth/token" else {422}
                if status not in allowed:
                    wrong.append(f"{where}: a control character answered {status}, not 422")
                elif answer.headers["content-type"] != "application/problem+json":
                    wrong.append(f"{where}: {status} is not problem+json")
    assert sent > 300
    assert not wrong, "\n".join(wrong)
