"""The baselines of the load half of `make bench`: a bare Starlette + asyncpg app running the API's own SQL.

Every statement below is copied from PostgreSQL's log of one API request (`log_statement = all` on the
bench database; last 2026-12-01 03:24, with the code of that moment): the same text, parameters and order,
in one transaction per request. What is left out is everything that is not SQL: JWT verification, the ORM, the
encryption of sealed fields (random bytes of the same size instead), pydantic validation, FastAPI's
dependencies, and SQLAlchemy's pool pre-ping (`BEGIN; ROLLBACK` on checkout, pool machinery, not the
request's SQL). The API's statements change when its code does: `python -m bench.load --check-sql` (run
first by every `bench.load`) compares the two logs and prints the difference to copy here.

- `GET /cases/{id}`: as `GET /v1/cases/{id}`.
- `GET /cases?before=<id>`: as `GET /v1/cases?limit=50` (page 1 without `before`, a deep page with it).
- `POST /cases`: as `POST /v1/cases` (intake): the body is one the load generator prepared with the values the
  API would derive (name keys, known spellings: `bench.load._bare_intake_body`), so no application code runs
  here; the duplicate search's candidate statements run as the API runs them.

The reader and writer being signed in are given by the load generator (`BARE_READER`, `BARE_WRITER`: session
id, subject and organization, comma-separated): the sign-in lookup runs for every request, as in the API.
Served by uvicorn with the options of `ukuk serve` (uvloop, httptools, no access log, one worker).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# src/auth (the signed-in session, every request; `principal` dependency).
SESSION = """SELECT token_family.revoked_at, token_family.expires_at, coalesce(user_account.is_active, api_client.is_active) AS is_active, coalesce(user_account.role, api_client.role) AS role, organization.id AS organization_id, organization.kind AS organization_kind, user_account.username 
FROM token_family LEFT OUTER JOIN user_account ON user_account.id = token_family.user_id LEFT OUTER JOIN api_client ON api_client.id = token_family.client_id JOIN organization ON organization.id = coalesce(user_account.organization_id, api_client.organization_id) 
WHERE token_family.id = $1::UUID AND coalesce(token_family.user_id, token_family.client_id) = $2::UUID"""  # noqa: E501, W291

# src/audit/service.py (`record`, the prebuilt insert).
AUDIT = "INSERT INTO audit_event (actor_type, actor_id, actor_organization_id, action, resource_type, resource_id, outcome, request_id, changed_fields, detail) VALUES ($1::VARCHAR, $2::UUID, $3::UUID, $4::VARCHAR, $5::VARCHAR, $6::UUID, $7::VARCHAR, $8::VARCHAR, $9::TEXT[], $10::JSONB) RETURNING audit_event.id"  # noqa: E501

# src/cases (GET /v1/cases/{id}): the case with its persons, violations and consents as arrays of rows.
CASE = """SELECT case_file.id, case_file.reference, case_file.kind, case_file.status, case_file.summary, case_file.intake_channel, case_file.occurred_country, case_file.occurred_region, case_file.occurred_city, case_file.owner_organization_id, case_file.assignee_id, case_file.created_by, case_file.linked_case_id, case_file.details, case_file.legal_hold, case_file.legal_hold_reason, case_file.anonymised_at, case_file.version, case_file.status_entered_at, case_file.due_at, case_file.updated_at, case_file.created_at, ARRAY(SELECT ROW(x.id, x.position, x.role, x.family_name, x.given_name, x.patronymic, x.organization_name, x.name_parts_inferred, x.full_name, x.name_key, x.birth_date, x.sex, x.citizenship, x.document_type, x.document_number, x.phone, x.language) FROM case_person x WHERE x.case_id = case_file.id ORDER BY x.position), ARRAY(SELECT ROW(x.id, x.type, x.indicators, x.started_on, x.ended_on, x.location, x.description, x.status, x.perpetrator_id) FROM case_violation x WHERE x.case_id = case_file.id ORDER BY x.id), ARRAY(SELECT ROW(x.purpose, x.given_by, x.given_on, x.action) FROM case_consent x WHERE x.case_id = case_file.id ORDER BY x.id) 
FROM case_file 
WHERE case_file.id = $1::UUID"""  # noqa: E501, W291

# src/cases/repository.py `list_cases` (GET /v1/cases?limit=50; a coordinator: no scope condition).
LIST_FIRST = """SELECT case_file.id, case_file.reference, case_file.kind, case_file.status, case_file.owner_organization_id, case_file.assignee_id, case_file.occurred_country, case_file.due_at, case_file.created_at 
FROM case_file 
WHERE true ORDER BY case_file.id DESC 
 LIMIT $1::INTEGER"""  # noqa: E501, W291
LIST_BEFORE = """SELECT case_file.id, case_file.reference, case_file.kind, case_file.status, case_file.owner_organization_id, case_file.assignee_id, case_file.occurred_country, case_file.due_at, case_file.created_at 
FROM case_file 
WHERE case_file.id < $1::UUID ORDER BY case_file.id DESC 
 LIMIT $2::INTEGER"""  # noqa: E501, W291

# src/cases/intake.py `open_case` (POST /v1/cases), in the API's order: the case (its reference numbered in
# the statement), each person, the name words, each violation, the first transition, the audit event.
INSERT_CASE = "INSERT INTO case_file (id, reference, kind, status, summary, intake_channel, occurred_country, occurred_region, occurred_city, owner_organization_id, assignee_id, created_by, linked_case_id, details, legal_hold, legal_hold_reason, anonymised_at, version, status_entered_at, due_at, updated_at, created_at) VALUES ($1::UUID, ($2::VARCHAR || (SELECT CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END FROM nextval('case_reference_abu') n)), $3::VARCHAR, $4::VARCHAR, $5::BYTEA, $6::VARCHAR, $7::VARCHAR, $8::VARCHAR, $9::VARCHAR, $10::UUID, $11::UUID, $12::UUID, $13::UUID, $14::BYTEA, $15::BOOLEAN, $16::VARCHAR, $17::TIMESTAMP WITH TIME ZONE, $18::INTEGER, $19::TIMESTAMP WITH TIME ZONE, $20::TIMESTAMP WITH TIME ZONE, $21::TIMESTAMP WITH TIME ZONE, $22::TIMESTAMP WITH TIME ZONE) RETURNING case_file.reference"  # noqa: E501
INSERT_PERSON = "INSERT INTO case_person (id, case_id, position, role, family_name, given_name, patronymic, organization_name, name_parts_inferred, full_name, name_key, birth_date, sex, citizenship, document_type, document_number, document_number_index, phone, language) VALUES ($1::UUID, $2::UUID, $3::SMALLINT, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR, $7::VARCHAR, $8::VARCHAR, $9::BOOLEAN, $10::VARCHAR, $11::VARCHAR, $12::DATE, $13::VARCHAR, $14::VARCHAR, $15::VARCHAR, $16::BYTEA, $17::BYTEA, $18::BYTEA, $19::VARCHAR)"  # noqa: E501
# src/cases/repository.py `remember_name_tokens`: every word of the bench names is already known, so the API
# stops after this look-up (new words would take the dictionary lock and add spellings). It holds the
# pruning lock shared (NAME_PRUNE_LOCK) to the commit.
KNOWN_WORDS = (
    "SELECT t.token FROM pg_advisory_xact_lock_shared($1) AS held, name_token t "
    "WHERE t.token = ANY(CAST($2 AS text[]))"
)
NAME_PRUNE_LOCK = 0x756B756B_7072756E  # src/cases/repository.py
INSERT_VIOLATION = "INSERT INTO case_violation (id, case_id, type, indicators, started_on, ended_on, location, description, status, perpetrator_id) VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::TEXT[], $5::DATE, $6::DATE, $7::BYTEA, $8::BYTEA, $9::VARCHAR, $10::UUID)"  # noqa: E501
INSERT_TRANSITION = "INSERT INTO case_transition (case_id, from_status, to_status, actor_id, at, case_kind) VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4::UUID, $5::TIMESTAMP WITH TIME ZONE, $6::VARCHAR) RETURNING case_transition.id"  # noqa: E501
# src/cases/duplicates.py `candidates`: the spellings of the subject's words, the candidate persons.
SPELLINGS = "SELECT token, spelling FROM name_spelling WHERE token = ANY(CAST($1 AS text[])) ORDER BY 1, 2"
_CANDIDATES_HEAD = """SELECT case_person.case_id, case_file.reference, case_person.role, case_person.position, case_person.name_key, case_person.family_name, case_person.given_name, case_person.patronymic, case_person.birth_date, case_person.citizenship, case_person.sex 
FROM case_person JOIN case_file ON case_file.id = case_person.case_id 
WHERE """  # noqa: E501, W291
_CANDIDATES_TAIL = """ AND (case_person.role NOT IN (${r1}::VARCHAR, ${r2}::VARCHAR, ${r3}::VARCHAR, ${r4}::VARCHAR)) AND (case_person.case_id NOT IN (${ex}::UUID)) AND (case_person.case_id NOT IN (SELECT case_link.other_case_id 
FROM case_link 
WHERE case_link.case_id = ${l1}::UUID UNION SELECT case_link.case_id 
FROM case_link 
WHERE case_link.other_case_id = ${l2}::UUID)) AND case_file.linked_case_id IS DISTINCT FROM ${l3}::UUID AND case_file.anonymised_at IS NULL AND case_file.owner_organization_id = ${owner}::UUID 
 LIMIT ${limit}::INTEGER"""  # noqa: E501, W291
NOT_A_MIGRANT = ["perpetrator", "employer", "recruiter", "escort"]  # src/cases/duplicates.py _NOT_A_MIGRANT
CANDIDATES_LIMIT = 2000  # src/cases/duplicates.py CANDIDATES


@functools.cache
def candidates(words: int) -> str:
    """The candidate statement for a subject of `words` words, numbered as SQLAlchemy numbers it: one
    overlap per word for two words or fewer, otherwise any two of the first five."""
    n = itertools.count(1)

    def overlap() -> str:
        return f"(string_to_array(case_person.name_key, ' ') && CAST(${next(n)}::TEXT[] AS TEXT[]))"

    if words <= 2:
        names = " AND ".join(overlap() for _ in range(words))
    else:
        pairs = list(itertools.combinations(range(min(words, 5)), 2))
        names = "(" + " OR ".join(f"{overlap()} AND {overlap()}" for _ in pairs) + ")"
    numbers = {k: next(n) for k in ("l1", "l2", "l3", "owner", "limit", "r1", "r2", "r3", "r4", "ex")}
    tail = _CANDIDATES_TAIL
    for key, number in numbers.items():
        tail = tail.replace("${" + key + "}", f"${number}")
    return _CANDIDATES_HEAD + names + tail


def candidate_arguments(words: list[str], spelled: dict[str, list[str]]) -> list[list[str]]:
    """The arrays bound to the overlaps of `candidates(len(words))`, in order."""
    if len(words) <= 2:
        return [spelled[w] for w in words]
    return [spelled[w] for pair in itertools.combinations(words[:5], 2) for w in pair]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value)


def _rows(records: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in records]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _driver_args() -> dict[str, Any]:
    """asyncpg's arguments under UKUK_DB_TRANSACTION_POOLER: no statement cache (it then prepares unnamed)."""
    from src.platform.config import get_settings
    from src.platform.session import pooler_connect_args

    args = pooler_connect_args(get_settings().db_transaction_pooler)
    return {"statement_cache_size": args["statement_cache_size"]} if args else {}


def _signed_in(variable: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    session_id, subject, organization = os.environ[variable].split(",")
    return uuid.UUID(session_id), uuid.UUID(subject), uuid.UUID(organization)


async def _no_reset(conn: asyncpg.Connection) -> None:
    """asyncpg's pool would send `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip the API (SQLAlchemy's pool over asyncpg) does not make."""


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    # The API's pool: UKUK_DB_POOL_SIZE 10 (+10 overflow, unused at 16 connections with one worker).
    app.state.pool = await asyncpg.create_pool(
        _dsn(os.environ["DATABASE_URL"]), min_size=10, max_size=20, reset=_no_reset, **_driver_args()
    )
    app.state.reader = _signed_in("BARE_READER")
    app.state.writer = _signed_in("BARE_WRITER")
    yield
    await app.state.pool.close()


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status_code, media_type="application/json")


async def read_case(request: Request) -> Response:
    case_id = uuid.UUID(request.path_params["case_id"])
    session_id, subject, _ = request.app.state.reader
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        signed_in = await conn.fetchrow(SESSION, session_id, subject)
        case = await conn.fetchrow(CASE, case_id)
        if signed_in is None or case is None:
            return Response(status_code=404)
        await conn.fetchval(
            AUDIT, "user", subject, signed_in[4], "case.read", "case", case_id, "success",
            secrets.token_hex(16), [], "{}",
        )  # fmt: skip
    return _json(_rows([case])[0])


async def list_cases(request: Request) -> Response:
    before = request.query_params.get("before")
    session_id, subject, _ = request.app.state.reader
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        signed_in = await conn.fetchrow(SESSION, session_id, subject)
        if signed_in is None:
            return Response(status_code=401)
        if before is None:
            rows = await conn.fetch(LIST_FIRST, 51)
        else:
            rows = await conn.fetch(LIST_BEFORE, uuid.UUID(before), 51)
        page = rows[:50]
        detail = {"count": len(page), "filters": [], "case_ids": [str(r["id"]) for r in page]}
        await conn.fetchval(
            AUDIT, "user", subject, signed_in[4], "case.list", "case", None, "success",
            secrets.token_hex(16), [], json.dumps(detail),
        )  # fmt: skip
    return _json({"items": _rows(page), "next": str(page[-1]["id"]) if len(rows) > 50 else None})


def _person_values(case_id: uuid.UUID, position: int, person: dict[str, Any]) -> list[Any]:
    sealed = secrets.token_bytes  # the API's ciphertexts: about 40 bytes more than the value
    document = person.get("document_number")
    return [
        uuid.uuid4(), case_id, position, person["role"], person.get("family_name"), person.get("given_name"),
        person.get("patronymic"), None, False, person["full_name"], person["name_key"],
        date.fromisoformat(person["birth_date"]) if person.get("birth_date") else None, person.get("sex"),
        person.get("citizenship"), person.get("document_type"),
        sealed(len(document) + 40) if document else None, sealed(32) if document else None,
        sealed(len(person["phone"]) + 40) if person.get("phone") else None, None,
    ]  # fmt: skip


async def create_case(request: Request) -> Response:
    """POST /v1/cases's statements for a body `bench.load` prepared: {persons, violations, words, spelled,
    changed_fields, summary_bytes, details_bytes}."""
    body = json.loads(await request.body())
    session_id, subject, organization = request.app.state.writer
    sealed = secrets.token_bytes
    now = datetime.now(UTC)
    case_id = uuid.uuid4()
    persons = body["persons"]
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        signed_in = await conn.fetchrow(SESSION, session_id, subject)
        if signed_in is None:
            return Response(status_code=401)
        reference = await conn.fetchval(
            INSERT_CASE, case_id, f"ABU-{now.year}-", "abuse", "intake", sealed(body["summary_bytes"]),
            "hotline", "RU", "RU-MOW", "Москва", organization, None, subject, None,
            sealed(body["details_bytes"]), False, None, None, 1, now, now + timedelta(days=3), now, now,
        )  # fmt: skip
        await conn.executemany(INSERT_PERSON, [_person_values(case_id, i, p) for i, p in enumerate(persons)])
        words_known = sorted({w for p in persons for w in p["name_key"].split()})
        await conn.fetch(KNOWN_WORDS, NAME_PRUNE_LOCK, words_known)
        await conn.executemany(
            INSERT_VIOLATION,
            [
                (uuid.uuid4(), case_id, v["type"], v["indicators"], None, None, None,
                 sealed(len(v["description"]) + 40), "reported", None)
                for v in body["violations"]
            ],
        )  # fmt: skip
        await conn.fetchval(INSERT_TRANSITION, case_id, None, "intake", subject, now, "abuse")
        await conn.fetchval(
            AUDIT, "user", subject, organization, "case.create", "case", case_id, "success",
            secrets.token_hex(16), body["changed_fields"], json.dumps({"kind": "abuse"}),
        )  # fmt: skip
        # The duplicate search (src/cases/duplicates.py `candidates`).
        words: list[str] = body["words"]
        spelled: dict[str, list[str]] = {w: list(s) for w, s in body["spelled"].items()}
        for word, spelling in await conn.fetch(SPELLINGS, words):
            if spelling not in spelled[word]:
                spelled[word].append(spelling)
        found = await conn.fetch(
            candidates(len(words)), *candidate_arguments(words, spelled), case_id, case_id, case_id,
            organization, CANDIDATES_LIMIT, *NOT_A_MIGRANT, case_id,
        )  # fmt: skip
        # The API scores the candidates in Python and audits those it shows (`record_shown`: one more audit
        # insert in about one intake in twenty of bench.load's bodies); the bare route has no score and skips
        # that insert.
    answer = {"id": str(case_id), "reference": reference, "persons": persons, "candidates": len(found)}
    return _json(answer, 201)


app = Starlette(
    routes=[
        Route("/cases", list_cases, methods=["GET"]),
        Route("/cases", create_case, methods=["POST"]),
        Route("/cases/{case_id}", read_case, methods=["GET"]),
    ],
    lifespan=_lifespan,
)
