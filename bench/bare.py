"""The baselines of the load half of `make bench`: the same SQL as the API, with nothing around it.

- `app`: a bare Starlette + asyncpg route, `GET /cases/{id}`: in one transaction the sign-in lookup the API
  makes for every token, the case, its persons and violations, and the audit INSERT; rows as JSON. No JWT,
  no ORM, no decryption, no validation: what is left when the framework and the application are taken away.
- `intake`: the writes of one intake straight through asyncpg (no HTTP): the case, its persons and
  violations, the first transition, the name words and the audit event, in one transaction.

Served by uvicorn with the same options as `ukuk serve` (uvloop, httptools, no access log, one worker).
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SESSION = """
SELECT f.revoked_at, f.expires_at, coalesce(u.is_active, c.is_active), coalesce(u.role, c.role), o.id, o.kind,
       u.username
FROM token_family f LEFT JOIN user_account u ON u.id = f.user_id LEFT JOIN api_client c ON c.id = f.client_id
JOIN organization o ON o.id = coalesce(u.organization_id, c.organization_id)
WHERE f.id = $1 AND coalesce(f.user_id, f.client_id) = $2
"""
CASE = "SELECT * FROM case_file WHERE id = $1"
PERSONS = "SELECT * FROM case_person WHERE case_id = $1 ORDER BY position"
VIOLATIONS = "SELECT * FROM case_violation WHERE case_id = $1"
AUDIT = """
INSERT INTO audit_event (actor_type, actor_id, actor_organization_id, action, resource_type, resource_id,
                         outcome, request_id, changed_fields, detail)
VALUES ('user', $1, $2, $3, 'case', $4, 'success', $5, '{}', '{}')
"""


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _driver_args() -> dict[str, Any]:
    """asyncpg's arguments under UKUK_DB_TRANSACTION_POOLER: no statement cache (it then prepares unnamed)."""
    from src.platform.config import get_settings
    from src.platform.session import pooler_connect_args

    args = pooler_connect_args(get_settings().db_transaction_pooler)
    return {"statement_cache_size": args["statement_cache_size"]} if args else {}


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        _dsn(os.environ["DATABASE_URL"]), min_size=10, max_size=10, **_driver_args()
    )
    app.state.session = uuid.UUID(os.environ["BARE_SESSION_ID"]), uuid.UUID(os.environ["BARE_SUBJECT"])
    yield
    await app.state.pool.close()


async def read_case(request: Request) -> Response:
    case_id = uuid.UUID(request.path_params["case_id"])
    session_id, subject = request.app.state.session
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        signed_in = await conn.fetchrow(SESSION, session_id, subject)
        case = await conn.fetchrow(CASE, case_id)
        if signed_in is None or case is None:
            return Response(status_code=404)
        persons = await conn.fetch(PERSONS, case_id)
        violations = await conn.fetch(VIOLATIONS, case_id)
        await conn.execute(AUDIT, subject, signed_in[4], "case.read", case_id, secrets.token_hex(16))
    body = {
        "case": {k: _plain(v) for k, v in case.items()},
        "persons": [{k: _plain(v) for k, v in p.items()} for p in persons],
        "violations": [{k: _plain(v) for k, v in v.items()} for v in violations],
    }
    return Response(json.dumps(body), media_type="application/json")


app = Starlette(routes=[Route("/cases/{case_id}", read_case)], lifespan=_lifespan)


INSERT_CASE = """
INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, occurred_country,
                       occurred_region, owner_organization_id, created_by, status_entered_at, due_at,
                       created_at, updated_at)
VALUES ($1, $2, 'abuse', 'intake', $3, $4, 'hotline', 'RU', 'RU-MOW', $5, $6, now(),
        now() + interval '3 days', now(), now())
"""
INSERT_PERSON = """
INSERT INTO case_person (id, case_id, position, role, full_name, name_key, birth_date, sex, citizenship,
                         document_type, document_number, document_number_index, phone)
VALUES ($1, $2, $3, $4, $5, $6, date '1990-01-01', 'male', 'KG', 'passport', $7, $8, $9)
"""
INSERT_VIOLATION = """
INSERT INTO case_violation (id, case_id, type, indicators, location, description, status)
VALUES ($1, $2, 'wage_theft', ARRAY['withholding_wages'], $3, $4, 'reported')
"""
INSERT_TRANSITION = """
INSERT INTO case_transition (case_id, from_status, to_status, actor_id, at)
VALUES ($1, NULL, 'intake', $2, now())
"""
# The raw intakes' sealed columns hold random bytes, not ciphertexts: the API could not read them back, so
# they are removed after the measurement (and before, if an earlier run was interrupted).
REMOVE_RAW = "DELETE FROM case_file WHERE reference LIKE 'RAW-%'"
INSERT_WORDS = "INSERT INTO name_token (token) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING"


async def intake(
    conn: asyncpg.Connection, owner: uuid.UUID, actor: uuid.UUID, names: list[tuple[str, str]], n: int
) -> None:
    """One intake's writes: a case with five persons and ten violations; sealed columns get as many random
    bytes as the API's ciphertexts take."""
    case_id = uuid.uuid4()
    sealed = secrets.token_bytes
    people = [names[(n * 5 + i) % len(names)] for i in range(5)]
    async with conn.transaction():
        await conn.execute(
            INSERT_CASE, case_id, f"RAW-{case_id.hex[:20]}", sealed(120), sealed(60), owner, actor
        )
        await conn.executemany(
            INSERT_PERSON,
            [
                (
                    uuid.uuid4(),
                    case_id,
                    i,
                    "victim" if i == 0 else "witness",
                    name,
                    key,
                    sealed(40),
                    sealed(32),
                    sealed(45),
                )
                for i, (name, key) in enumerate(people)
            ],
        )
        await conn.executemany(
            INSERT_VIOLATION, [(uuid.uuid4(), case_id, sealed(60), sealed(90)) for _ in range(10)]
        )
        await conn.execute(INSERT_TRANSITION, case_id, actor)
        await conn.execute(INSERT_WORDS, sorted({w for _, key in people for w in key.split()}))
        await conn.execute(AUDIT, actor, owner, "case.create", case_id, secrets.token_hex(16))
