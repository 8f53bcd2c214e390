"""Input at the edge: control characters refused (422, nothing written, a refused sign-in counted toward the
throttle), every cursor refused unless this API issued it for this list, Link headers that never echo the
request's Host, and unknown hosts refused in production."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from src.auth.models import LoginFailure, Organization
from src.cases.models import Case
from src.crypto import keys
from src.main import create_app
from src.platform import pagination
from src.platform.config import Settings
from src.platform.errors import is_refused_value
from src.platform.schemas import InputModel
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

PROBLEM = "application/problem+json"


async def _count(db: AsyncSession, model: Any, *where: ColumnElement[bool]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _refused(answer: httpx.Response, loc: list[str | int] | None = None) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    if loc is not None:
        assert loc in [error["loc"] for error in answer.json()["errors"]], answer.text
    assert "\x00" not in answer.text and "\\u0000" not in answer.text  # the input is never echoed


# ---- control characters ---------------------------------------------------------------------------------


def _name_field(person: dict[str, Any]) -> str:
    return next(name for name in ("full_name", "family_name", "given_name") if name in person)


@pytest.mark.parametrize(
    "where",
    [
        ("subject", "name"),
        ("occurred", "city"),
        ("summary",),
        ("details", "employer", "name"),
    ],
)
async def test_a_nul_anywhere_in_a_case_is_422_naming_where_and_nothing_is_written(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, where: tuple[str | int, ...]
) -> None:
    body = abuse_body()
    if where == ("subject", "name"):
        where = ("subject", _name_field(body["subject"]))
    parent: Any = body
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = "Ai\x00da"
    answer = await client.post("/v1/cases", json=body, headers=consulate_a.officer.headers)
    _refused(answer, ["body", *(str(step) for step in where)])
    assert await _count(db, Case) == 0


@pytest.mark.parametrize("value", ["a\x1b[31m", "\x7f", "x\x0b", "\x1f"], ids=["esc", "del", "vt", "us"])
async def test_other_control_characters_are_422(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, value: str
) -> None:
    body = abuse_body()
    body["occurred"]["city"] = value
    _refused(
        await client.post("/v1/cases", json=body, headers=consulate_a.officer.headers),
        ["body", "occurred", "city"],
    )
    assert await _count(db, Case) == 0


class _Free(InputModel):
    name: str
    details: dict[str, Any] = {}


@pytest.mark.parametrize("value", ["\x00", "\ud800", "\x1b"], ids=["nul", "surrogate", "esc"])
def test_the_shared_input_model_refuses_them_at_any_depth_of_free_form_data(value: str) -> None:
    """`dict[str, Any]` takes any string (pydantic refuses a lone surrogate only where it expects a str)."""
    with pytest.raises(ValidationError) as refused:
        _Free.model_validate({"name": "x", "details": {"a": [{"b": f"x{value}"}], f"k{value}": 1}})
    assert [error["loc"] for error in refused.value.errors()] == [("details", "a", 0, "b"), ("details",)]
    assert {error["type"] for error in refused.value.errors()} == {"control_character"}
    assert _Free.model_validate({"name": " tab\there\r\n ", "details": {"a": "\u202e"}}).name == "tab\there"


async def test_tab_newline_and_carriage_return_are_kept(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    body = abuse_body(summary="Wages unpaid.\r\n\tPassport kept by the foreman.")
    case = await open_case(client, consulate_a.officer, body)
    note = await client.post(
        f"/v1/cases/{case['id']}/notes", json={"body": "one\ntwo\tthree"}, headers=consulate_a.officer.headers
    )
    assert note.status_code == 201, note.text


async def test_a_nul_in_a_dict_key_is_422_without_echoing_the_key(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    body = abuse_body()
    body["details"]["employer"]["sec\x00tor"] = "F"
    _refused(await client.post("/v1/cases", json=body, headers=consulate_a.officer.headers))
    assert await _count(db, Case) == 0


async def test_a_nul_in_an_organization_or_client_name_is_422(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    platform = await factories.account(db, settings, client, "admin")
    before = await _count(db, Organization)
    answer = await client.post(
        "/v1/organizations",
        json={"name": "NGO\x00", "kind": "partner", "country": "RU"},
        headers=platform.headers,
    )
    _refused(answer, ["body", "name"])
    answer = await client.post(
        "/v1/clients",
        json={"name": "system\x00", "organization_id": str(platform.organization.id), "role": "coordinator"},
        headers=platform.headers,
    )
    _refused(answer, ["body", "name"])
    assert await _count(db, Organization) == before


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/v1/cases?q=Ai%00da", ["query", "q"]),
        ("/v1/cases?status=open%00", ["query", "status"]),
        ("/v1/cases?document_number=%1B", ["query", "document_number"]),
        ("/v1/cases?x%00=1", ["query"]),
        ("/v1/taxonomies/violation%00type", ["path"]),
        ("/v1/cases/%00", ["path"]),
    ],
)
async def test_a_control_character_in_the_query_or_path_is_422(
    client: httpx.AsyncClient, consulate_a: Consulate, path: str, loc: list[str | int]
) -> None:
    _refused(await client.get(path, headers=consulate_a.supervisor.headers), loc)


async def test_a_nul_in_the_audit_action_filter_is_422(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    auditor = await factories.account(db, settings, client, "auditor")
    answer = await client.get("/v1/audit/events?action=case.read%00", headers=auditor.headers)
    _refused(answer, ["query", "action"])


async def test_a_nul_in_a_sign_in_is_422_and_counts_toward_the_throttle(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    org = await factories.organization(db)
    user = await factories.user(db, settings, org, "officer")
    for _ in range(settings.login_max_failures_per_username):
        answer = await client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": user.username + "\x00", "password": "x"},
        )
        _refused(answer, ["body", "username"])
    assert await _count(db, LoginFailure, LoginFailure.account_key == f"user:{user.username}") == (
        settings.login_max_failures_per_username
    )
    # The right password now waits: the refused attempts were counted against this account.
    answer = await client.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": user.username, "password": factories.PASSWORD},
    )
    assert answer.status_code == 429, answer.text
    assert "retry-after" in answer.headers


async def test_a_nul_in_a_client_id_is_422_and_counted(client: httpx.AsyncClient, db: AsyncSession) -> None:
    client_id = str(uuid.uuid4())
    answer = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id + "\x00", "client_secret": "s"},
    )
    _refused(answer, ["body", "client_id"])
    basic = base64.b64encode(f"{client_id}\x00:s".encode()).decode()
    answer = await client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    _refused(answer, ["body", "client_id"])
    assert await _count(db, LoginFailure, LoginFailure.account_key == f"client:{client_id}") == 2


def test_a_value_the_database_refuses_is_a_4xx_backstop() -> None:
    class Refusal(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    assert is_refused_value(DBAPIError("SELECT", {}, Refusal("22021")))  # a NUL in text
    assert is_refused_value(DBAPIError("SELECT", {}, Refusal("22003")))  # numeric out of range
    assert not is_refused_value(DBAPIError("SELECT", {}, Refusal("40001")))


# ---- cursors --------------------------------------------------------------------------------------------


def _unsigned(key: list[Any]) -> str:
    """A cursor as this API issued them before they were signed: base64url of the JSON key."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _signed_for(path: str, key: list[Any]) -> str:
    """What only a holder of the key could forge: a signed cursor with a key of the wrong type or range."""
    token = pagination.bind_list(path)
    try:
        return pagination.encode_cursor(key)
    finally:
        pagination.unbind_list(token)


@pytest.fixture
async def access_logged(client: httpx.AsyncClient, consulate_a: Consulate) -> tuple[str, str]:
    """Two cases of consulate A, each read a few times (access-log entries)."""
    ids = []
    for _ in range(2):
        case = await open_case(client, consulate_a.officer, abuse_body())
        for _ in range(3):
            await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
        ids.append(case["id"])
    return ids[0], ids[1]


FORGED = [[2**70], [-(2**70)], [True], [-1]]


@pytest.mark.parametrize("key", FORGED, ids=[json.dumps(k) for k in FORGED])
async def test_forged_cursors_are_422_on_the_audit_lists(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    access_logged: tuple[str, str],
    key: list[Any],
) -> None:
    supervisor = consulate_a.supervisor
    case_id = access_logged[0]
    for path in ("/v1/audit/events", f"/v1/cases/{case_id}/access-log"):
        for cursor in (_unsigned(key), _signed_for(path, key)):
            answer = await client.get(path, params={"cursor": cursor}, headers=supervisor.headers)
            assert answer.status_code == 422, (path, key, answer.text)
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["detail"] == "The cursor is not valid."


async def test_a_cursor_is_only_good_for_the_list_that_issued_it(
    client: httpx.AsyncClient, consulate_a: Consulate, access_logged: tuple[str, str]
) -> None:
    supervisor = consulate_a.supervisor
    first, second = access_logged
    log = await client.get(f"/v1/cases/{first}/access-log?limit=1", headers=supervisor.headers)
    cursor = log.json()["next_cursor"]
    assert cursor
    more = await client.get(
        f"/v1/cases/{first}/access-log", params={"limit": 1, "cursor": cursor}, headers=supervisor.headers
    )
    assert more.status_code == 200 and more.json()["items"][0]["id"] < log.json()["items"][0]["id"]
    for other in (f"/v1/cases/{second}/access-log", "/v1/audit/events"):
        answer = await client.get(other, params={"cursor": cursor}, headers=supervisor.headers)
        assert answer.status_code == 422, (other, answer.text)
    cases = await client.get("/v1/cases?limit=1", headers=supervisor.headers)
    case_cursor = cases.json()["next_cursor"]
    assert case_cursor
    again = await client.get("/v1/cases", params={"cursor": case_cursor}, headers=supervisor.headers)
    assert again.status_code == 200, again.text
    for other in ("/v1/referrals", "/v1/organizations", "/v1/webhook-deliveries"):
        answer = await client.get(other, params={"cursor": case_cursor}, headers=supervisor.headers)
        assert answer.status_code == 422, (other, answer.text)


async def test_an_unsigned_or_tampered_cursor_is_422_on_the_case_list(
    client: httpx.AsyncClient, consulate_a: Consulate, access_logged: tuple[str, str]
) -> None:
    officer = consulate_a.officer
    page = await client.get("/v1/cases?limit=1", headers=officer.headers)
    issued = page.json()["next_cursor"]
    payload, _, mac = issued.partition(".")
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered_key = base64.urlsafe_b64encode(json.dumps([str(uuid.uuid4())]).encode()).decode().rstrip("=")
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    low_bits = mac[:-1] + chr(ord(mac[-1]) ^ 1)  # mostly the same bytes (unused bits), not as issued
    cursors = (_unsigned(key), f"{tampered_key}.{mac}", f"{payload}.{flipped}", f"{payload}.{low_bits}")
    for cursor in (*cursors, f"{payload}.", payload, f"{issued}.x"):
        answer = await client.get("/v1/cases", params={"cursor": cursor}, headers=officer.headers)
        assert answer.status_code == 422, (cursor, answer.text)
        assert answer.json()["detail"] == "The cursor is not valid."


# ---- Link, public URL, trusted hosts --------------------------------------------------------------------


async def test_link_is_built_from_the_bound_address_not_the_host_header(
    client: httpx.AsyncClient, consulate_a: Consulate, access_logged: tuple[str, str]
) -> None:
    headers = {**consulate_a.officer.headers, "Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = await client.get("/v1/cases?limit=1&kind=abuse", headers=headers)
    assert page.status_code == 200, page.text
    link = page.headers["link"]
    assert "evil.example" not in link
    cursor = page.json()["next_cursor"]
    # httpx's ASGI transport binds the app to the client's base URL, http://testserver.
    assert link == f'<http://testserver/v1/cases?limit=1&kind=abuse&cursor={cursor}>; rel="next"'


@pytest.fixture
async def public_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update={"public_url": "https://ukuk.example.org/api"}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_link_is_built_from_the_public_url(
    public_app: httpx.AsyncClient, consulate_a: Consulate, access_logged: tuple[str, str]
) -> None:
    headers = {**consulate_a.officer.headers, "Host": "evil.example"}
    page = await public_app.get("/v1/cases?limit=1", headers=headers)
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    expected = f"https://ukuk.example.org/api/v1/cases?limit=1&cursor={cursor}"
    assert page.headers["link"] == f'<{expected}>; rel="next"'


def test_the_public_url_setting_is_checked() -> None:
    assert Settings(public_url="HTTPS://Ukuk.Example.org:8443/api/").public_url == (
        "https://ukuk.example.org:8443/api"
    )
    assert Settings(allowed_hosts="a.example, *.b.example").allowed_hosts == ["a.example", "*.b.example"]
    for wrong in ("ftp://ukuk.example.org", "https://u:p@ukuk.example.org", "https://x.org/?a=1", "ukuk"):
        with pytest.raises(ValueError, match="UKUK_PUBLIC_URL"):
            Settings(public_url=wrong)


@pytest.fixture
def restore_keyring() -> Iterator[keys.Keyring]:
    """create_app installs its keyring for the process: put the suite's back afterwards."""
    installed = keys.current()
    yield installed
    keys.install(installed)


def _production(settings: Settings, keyring: keys.Keyring, **overrides: Any) -> Settings:
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    encoded = {key_id: base64.b64encode(raw).decode() for key_id, raw in keyring.keys.items()}
    return Settings(
        env="production",
        database_url=settings.database_url,
        jwt_private_key=settings.jwt_private_key,
        audit_signing_key=signing.decode(),
        field_keys=json.dumps(encoded),
        field_key_active=keyring.active,
        blind_index_key=base64.b64encode(keyring.blind_index_key).decode(),
        log_level="WARNING",
        **overrides,
    )


async def test_production_refuses_a_host_it_does_not_serve(
    settings: Settings, restore_keyring: keys.Keyring
) -> None:
    with pytest.raises(RuntimeError, match="UKUK_PUBLIC_URL"):
        create_app(_production(settings, restore_keyring))
    production = _production(
        settings,
        restore_keyring,
        public_url="https://ukuk.example.org",
        allowed_hosts="ukuk.internal, *.ukuk.example.net",
    )
    application = create_app(production)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="https://ukuk.example.org") as http:
        for host in ("evil.example", "ukuk.example.org.evil.example", "example.net", ""):
            answer = await http.get("/openapi.json", headers={"Host": host})
            assert answer.status_code == 400, (host, answer.text)
            assert answer.headers["content-type"] == PROBLEM
            assert "evil" not in answer.text
        for host in ("ukuk.example.org", "UKUK.example.org:443", "ukuk.internal:8000", "eu.ukuk.example.net"):
            answer = await http.get("/openapi.json", headers={"Host": host})
            assert answer.status_code == 200, (host, answer.text)
        # Probes come with whatever Host the orchestrator uses.
        assert (await http.get("/healthz", headers={"Host": "10.0.0.7:8000"})).status_code == 200


async def test_development_serves_any_host(client: httpx.AsyncClient) -> None:
    answer = await client.get("/openapi.json", headers={"Host": "evil.example"})
    assert answer.status_code == 200
