"""The baselines of the load half of `make bench`: a bare Starlette + asyncpg app running the API's own SQL.

Every statement below is copied from PostgreSQL's log of one API request (`log_statement = all` on the
bench database; last 2026-12-01 07:20, with the code of that moment): the same text, parameters and order,
in one transaction per request. What is left out is everything that is not SQL: JWT verification, the ORM, the
encryption of sealed fields (random bytes of the same size instead), pydantic validation, FastAPI's
dependencies, and SQLAlchemy's pool pre-ping (`BEGIN; ROLLBACK` on checkout, pool machinery, not the
request's SQL). The API's statements change when its code does: `python -m bench.load --check-sql` (run
first by every `bench.load`) compares the two logs and prints the difference to copy here.

- `GET /cases/{id}`: as `GET /v1/cases/{id}`.
- `GET /cases?before=<id>`: as `GET /v1/cases?limit=50` (page 1 without `before`, a deep page with it).
- `POST /cases`: as `POST /v1/cases` (intake): the body is one the load generator prepared with the values the
  API would derive (name keys, known spellings: `bench.load._bare_intake_body`), so no application code runs
  here but one plain function: the duplicate search's name terms (`duplicates.terms`, Python over the
  spellings the request reads), so its candidate statement runs with the API's very arguments.

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

from src.cases import duplicates

# src/auth/repository.py `_SESSION_SUBJECT` (the signed-in session, every request; run on the driver).
SESSION = """
SELECT f.revoked_at, f.expires_at,
       coalesce(u.is_active, c.is_active) AS is_active, coalesce(u.role, c.role) AS role,
       o.id AS organization_id, o.kind AS organization_kind, u.username
FROM token_family f
LEFT JOIN user_account u ON u.id = f.user_id
LEFT JOIN api_client c ON c.id = f.client_id
JOIN organization o ON o.id = coalesce(u.organization_id, c.organization_id)
WHERE f.id = $1 AND coalesce(f.user_id, f.client_id) = $2
"""

# src/audit/service.py `_INSERT` (`record`).
AUDIT = """
INSERT INTO audit_event (actor_type, actor_id, actor_organization_id, action, resource_type, resource_id,
                         outcome, request_id, changed_fields, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

# src/cases/repository.py `_CASE_WHOLE` (GET /v1/cases/{id}): the case with its persons, violations and
# consents as arrays of rows.
CASE = "SELECT case_file.id, case_file.reference, case_file.kind, case_file.status, case_file.summary, case_file.intake_channel, case_file.occurred_country, case_file.occurred_region, case_file.occurred_city, case_file.owner_organization_id, case_file.assignee_id, case_file.created_by, case_file.linked_case_id, case_file.details, case_file.legal_hold, case_file.legal_hold_reason, case_file.anonymised_at, case_file.version, case_file.status_entered_at, case_file.due_at, case_file.updated_at, case_file.created_at, ARRAY(SELECT ROW(x.id, x.position, x.role, x.family_name, x.given_name, x.patronymic, x.organization_name, x.name_parts_inferred, x.full_name, x.name_key, x.birth_date, x.sex, x.citizenship, x.document_type, x.document_number, x.phone, x.language) FROM case_person x WHERE x.case_id = case_file.id ORDER BY x.position), ARRAY(SELECT ROW(x.id, x.type, x.indicators, x.started_on, x.ended_on, x.location, x.description, x.status, x.perpetrator_id) FROM case_violation x WHERE x.case_id = case_file.id ORDER BY x.id), ARRAY(SELECT ROW(x.purpose, x.given_by, x.given_on, x.action) FROM case_consent x WHERE x.case_id = case_file.id ORDER BY x.id) FROM case_file WHERE case_file.id = $1"  # noqa: E501

# src/cases/repository.py `list_cases` (GET /v1/cases?limit=50; a coordinator: no scope condition).
LIST_FIRST = "SELECT c.id, c.reference, c.kind, c.status, c.owner_organization_id, c.assignee_id, c.occurred_country, c.due_at, c.created_at, s.full_name AS subject_name, s.birth_date AS subject_birth_date FROM case_file c LEFT JOIN case_person s ON s.case_id = c.id AND s.position = 0 WHERE true ORDER BY c.id DESC LIMIT $1"  # noqa: E501
LIST_BEFORE = "SELECT c.id, c.reference, c.kind, c.status, c.owner_organization_id, c.assignee_id, c.occurred_country, c.due_at, c.created_at, s.full_name AS subject_name, s.birth_date AS subject_birth_date FROM case_file c LEFT JOIN case_person s ON s.case_id = c.id AND s.position = 0 WHERE true AND c.id < $1 ORDER BY c.id DESC LIMIT $2"  # noqa: E501

# src/cases/intake.py `open_case` (POST /v1/cases), in the API's order: the case (its reference numbered in
# the statement), the persons, the name words, the violations, the first transition, the audit event.
INSERT_CASE = "INSERT INTO case_file (id, kind, status, summary, intake_channel, occurred_country, occurred_region, occurred_city, owner_organization_id, assignee_id, created_by, linked_case_id, details, legal_hold, legal_hold_reason, anonymised_at, version, status_entered_at, due_at, updated_at, created_at, reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22 || (SELECT CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END FROM nextval('case_reference_abu') n)) RETURNING reference"  # noqa: E501
INSERT_PERSON = "INSERT INTO case_person (id, position, role, family_name, given_name, patronymic, organization_name, name_parts_inferred, full_name, name_key, birth_date, sex, citizenship, document_type, document_number, phone, language, case_id, document_number_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"  # noqa: E501
# src/cases/repository.py `remember_name_tokens`: every word of the bench names is already known, so the API
# stops after this look-up (new words would take the dictionary lock and add spellings). It holds the
# pruning lock shared (NAME_PRUNE_LOCK) to the commit.
KNOWN_WORDS = (
    "SELECT t.token FROM pg_advisory_xact_lock_shared($1) AS held, name_token t "
    "WHERE t.token = ANY(CAST($2 AS text[]))"
)
NAME_PRUNE_LOCK = 0x756B756B_7072756E  # src/cases/repository.py
INSERT_VIOLATION = "INSERT INTO case_violation (id, type, indicators, started_on, ended_on, location, description, status, perpetrator_id, case_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"  # noqa: E501
INSERT_TRANSITION = "INSERT INTO case_transition (case_id, from_status, to_status, actor_id, at, case_kind) VALUES ($1, $2, $3, $4, $5, $6)"  # noqa: E501
# src/cases/duplicates.py `candidates`: the spellings of the subject's words, the candidate persons.
SPELLINGS = "SELECT token, spelling FROM name_spelling WHERE token = ANY($1::text[]) ORDER BY 1, 2"
_CANDIDATES_HEAD = "SELECT p.case_id, c.reference, p.role, p.position, p.name_key, p.family_name, p.given_name, p.patronymic, p.birth_date, p.citizenship, p.sex FROM case_person p JOIN case_file c ON c.id = p.case_id WHERE p.role <> ALL($1::text[]) AND p.case_id <> ALL($2::uuid[]) AND p.case_id NOT IN (SELECT other_case_id FROM case_link WHERE case_id = $3 UNION SELECT case_id FROM case_link WHERE other_case_id = $3) AND c.linked_case_id IS DISTINCT FROM $3 AND c.anonymised_at IS NULL"  # noqa: E501
NOT_A_MIGRANT = ["perpetrator", "employer", "recruiter", "escort"]  # src/cases/duplicates.py _NOT_A_MIGRANT
CANDIDATES_LIMIT = 2000  # src/cases/duplicates.py CANDIDATES


@functools.cache
def candidates(born: bool, sex: bool) -> str:
    """The candidate statement, with or without a birth date and a known sex, numbered as the API numbers it:
    $1-$3 (roles, excluded cases, the case), the birth years, the sex, the owner, then the subject's name
    terms (`duplicates.terms`)."""
    n = itertools.count(4)
    conditions = []
    if born:
        conditions.append(f"(p.birth_date IS NULL OR p.birth_date BETWEEN ${next(n)} AND ${next(n)})")
    if sex:
        conditions.append(f"(p.sex IS NULL OR p.sex IN ('unknown', ${next(n)}))")
    conditions.append(f"c.owner_organization_id = ${next(n)}")
    conditions.append(f"name_terms(p.name_key) && ${next(n)}::text[]")
    return f"{_CANDIDATES_HEAD} AND {' AND '.join(conditions)} LIMIT {CANDIDATES_LIMIT}"


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
    session_id, subject, _ = request.app.state.reader
    return await case_answer(
        request.app.state.pool, uuid.UUID(request.path_params["case_id"]), session_id, subject
    )


async def case_answer(
    pool: asyncpg.Pool, case_id: uuid.UUID, session_id: uuid.UUID, subject: uuid.UUID
) -> Response:
    """GET case's statements for the signed-in reader, and the case's row as JSON (also bench/variant.py's
    FLOOR)."""
    async with pool.acquire() as conn, conn.transaction():
        signed_in = await conn.fetchrow(SESSION, session_id, subject)
        case = await conn.fetchrow(CASE, case_id)
        if signed_in is None or case is None:
            return Response(status_code=404)
        await conn.execute(
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
        await conn.execute(
            AUDIT, "user", subject, signed_in[4], "case.list", "case", None, "success",
            secrets.token_hex(16), [], json.dumps(detail),
        )  # fmt: skip
    return _json({"items": _rows(page), "next": str(page[-1]["id"]) if len(rows) > 50 else None})


def _person_values(case_id: uuid.UUID, position: int, person: dict[str, Any]) -> list[Any]:
    sealed = secrets.token_bytes  # the API's ciphertexts: about 40 bytes more than the value
    document = person.get("document_number")
    return [
        uuid.uuid4(), position, person["role"], person.get("family_name"), person.get("given_name"),
        person.get("patronymic"), None, False, person["full_name"], person["name_key"],
        date.fromisoformat(person["birth_date"]) if person.get("birth_date") else None, person.get("sex"),
        person.get("citizenship"), person.get("document_type"),
        sealed(len(document) + 40) if document else None,
        sealed(len(person["phone"]) + 40) if person.get("phone") else None, None, case_id,
        sealed(32) if document else None,
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
            INSERT_CASE, case_id, "abuse", "intake", sealed(body["summary_bytes"]), "hotline", "RU",
            "RU-MOW", "Москва", organization, None, subject, None, sealed(body["details_bytes"]), False, None,
            None, 1, now, now + timedelta(days=3), now, now, f"ABU-{now.year}-",
        )  # fmt: skip
        await conn.executemany(INSERT_PERSON, [_person_values(case_id, i, p) for i, p in enumerate(persons)])
        words_known = sorted({w for p in persons for w in p["name_key"].split()})
        await conn.fetch(KNOWN_WORDS, NAME_PRUNE_LOCK, words_known)
        await conn.executemany(
            INSERT_VIOLATION,
            [
                (uuid.uuid4(), v["type"], v["indicators"], None, None, None,
                 sealed(len(v["description"]) + 40), "reported", None, case_id)
                for v in body["violations"]
            ],
        )  # fmt: skip
        await conn.execute(INSERT_TRANSITION, case_id, None, "intake", subject, now, "abuse")
        await conn.execute(
            AUDIT, "user", subject, organization, "case.create", "case", case_id, "success",
            secrets.token_hex(16), body["changed_fields"], json.dumps({"kind": "abuse"}),
        )  # fmt: skip
        # The duplicate search (src/cases/duplicates.py `candidates`).
        words: list[str] = body["words"]
        spelled: dict[str, list[str]] = {w: list(s) for w, s in body["spelled"].items()}
        for word, spelling in await conn.fetch(SPELLINGS, words):
            if spelling not in spelled[word]:
                spelled[word].append(spelling)
        subject_person = persons[0]
        arguments: list[Any] = [NOT_A_MIGRANT, [case_id], case_id]
        if subject_person.get("birth_date"):
            year = date.fromisoformat(subject_person["birth_date"]).year
            arguments += [date(max(year - 1, 1), 1, 1), date(min(year + 1, 9999), 12, 31)]  # the API's clamp
        sex = subject_person.get("sex")
        if sex is not None and sex != "unknown":
            arguments.append(sex)
        arguments.append(organization)
        arguments.append(duplicates.terms(words, spelled))
        statement = candidates(bool(subject_person.get("birth_date")), sex not in (None, "unknown"))
        found = await conn.fetch(statement, *arguments)
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
