"""Benchmark data: many cases with their transitions, referrals and redress actions, generated inside
PostgreSQL with set-based INSERTs (100 000 cases in seconds). Deterministic for a given seed.

Rows look like the application's: time-ordered uuid7-style ids, workflow states of each kind, deadlines,
accepted referrals with their acceptance update. No personal data beyond an invented summary.
Used by `ukuk seed-bench` and `make bench`; never by the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.cases import repository as cases_repository
from src.cases.workflow import WORKFLOWS
from src.crypto import fields
from src.seed import bench_names

BENCH_ORG_PREFIX = "bench:"
SEAL_BATCH = 10_000
CONSULATES = 20
PARTNERS = 30
COUNTRIES = ["RU", "RU", "RU", "KZ", "KZ", "TR", "AE", "KR", "DE", "PL"]
CHANNELS = ["hotline", "walk_in", "online", "partner_referral", "consular_outreach", "diaspora"]
FORUMS = ["court", "labour_inspectorate", "prosecutor", "employer_negotiation", "diplomatic_note"]
REDRESS_STATUSES = ["planned", "filed", "in_progress", "granted", "partially_granted", "denied", "settled"]
REFERRAL_STATUSES = ["pending", "accepted", "accepted", "completed", "declined", "withdrawn", "expired"]

# A uuid7-like id for a time (48 bits of milliseconds, then random bits), as the application makes them.
UUID7_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.bench_uuid7(at timestamptz) RETURNS uuid VOLATILE LANGUAGE sql AS $$
    SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7'
            || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid
$$
"""


@dataclass(frozen=True)
class Seeded:
    cases: int
    transitions: int
    referrals: int
    redress_actions: int


async def seeded_cases(conn: AsyncConnection) -> int:
    found = await conn.scalar(
        text(
            "SELECT count(*) FROM case_file c JOIN organization o ON o.id = c.owner_organization_id "
            "WHERE o.name LIKE :prefix"
        ),
        {"prefix": BENCH_ORG_PREFIX + "%"},
    )
    return int(found or 0)


async def _seal(
    conn: AsyncConnection, table: str, ids_query: str, values: dict[str, tuple[Any, str]]
) -> None:
    """Sealed columns are encrypted per row (AES-GCM bound to the row id), which SQL cannot do: the rows
    are inserted with an empty value and sealed here in batches."""
    ids = (await conn.execute(text(ids_query))).scalars().all()
    columns = sorted(values)
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    arrays = ", ".join(f"CAST(:{c} AS bytea[])" for c in columns)
    update = (
        f"UPDATE {table} t SET {assignments} FROM unnest(CAST(:ids AS uuid[]), {arrays}) "  # noqa: S608
        f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id"
    )
    for start in range(0, len(ids), SEAL_BATCH):
        batch = ids[start : start + SEAL_BATCH]
        params: dict[str, Any] = {"ids": batch}
        for column in columns:
            value, codec = values[column]
            params[column] = [fields.seal_value(table, column, i, value, codec=codec) for i in batch]
        await conn.execute(text(update), params)


PERSON_ROLES = ["parent", "guardian", "witness", "child", "victim", "employer", "recruiter"]
NAME_POOL = 40_000


async def _persons(conn: AsyncConnection, per_case: int) -> None:
    """A subject per case (position 0) and `per_case - 1` more people, named from bench_names' pool."""
    written = bench_names.pool(NAME_POOL)
    await conn.execute(
        text(
            """
            INSERT INTO case_person (id, case_id, position, role, family_name, given_name, patronymic,
                                     full_name, name_key, birth_date, sex, citizenship)
            SELECT pg_temp.bench_uuid7(p.created_at), p.id, p.pos,
                   CASE WHEN p.pos > 0 THEN (CAST(:roles AS text[]))[1 + floor(random() * :nroles)::int]
                        WHEN p.kind = 'child_return' THEN 'child' ELSE 'victim' END,
                   (CAST(:families AS text[]))[p.ix], (CAST(:givens AS text[]))[p.ix],
                   (CAST(:patronymics AS text[]))[p.ix],
                   (CAST(:names AS text[]))[p.ix], (CAST(:keys AS text[]))[p.ix],
                   date '1960-01-01' + floor(random() * 22000)::int, (CAST(:sexes AS text[]))[p.ix],
                   (ARRAY['KG', 'TJ', 'UZ'])[1 + floor(random() * 3)::int]
            FROM (SELECT b.id, b.kind, b.created_at, g.pos, 1 + floor(random() * :npool)::int AS ix
                  FROM bench_new b CROSS JOIN generate_series(0, :per_case - 1) AS g(pos)) p
            """
        ),
        {
            "roles": PERSON_ROLES,
            "nroles": len(PERSON_ROLES),
            "families": [n.family_name for n in written],
            "givens": [n.given_name for n in written],
            "patronymics": [n.patronymic for n in written],
            "names": [n.full_name for n in written],
            "keys": [n.name_key for n in written],
            "sexes": [n.sex for n in written],
            "npool": len(written),
            "per_case": per_case,
        },
    )


async def seed(conn: AsyncConnection, cases: int, *, persons_per_case: int = 1, seed: float = 0.42) -> Seeded:
    """Add `cases` generated cases (and their organizations on first use), in the caller's transaction."""
    await conn.execute(text("SELECT setseed(:s)"), {"s": seed})
    # A temporary function needs the session's temporary schema, which the first temporary table creates.
    await conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS bench_session () ON COMMIT DROP"))
    await conn.execute(text(UUID7_FUNCTION))
    params: dict[str, Any] = {"prefix": BENCH_ORG_PREFIX}
    exists = await conn.scalar(
        text("SELECT count(*) FROM organization WHERE name LIKE :prefix || '%'"), params
    )
    if not exists:
        await conn.execute(
            text(
                "INSERT INTO organization (id, name, kind, country) "
                "SELECT pg_temp.bench_uuid7(now()), :prefix || 'consulate ' || i, 'consulate', 'KG' "
                "FROM generate_series(1, :consulates) i "
                "UNION ALL SELECT pg_temp.bench_uuid7(now()), :prefix || 'partner ' || i, 'partner', 'RU' "
                "FROM generate_series(1, :partners) i"
            ),
            {**params, "consulates": CONSULATES, "partners": PARTNERS},
        )
    kinds = sorted(WORKFLOWS)
    states = [list(WORKFLOWS[kind].states) for kind in kinds]
    width = max(len(s) for s in states)
    padded = [s + [s[0]] * (width - len(s)) for s in states]  # rectangular for a 2-D array
    await conn.execute(
        text(
            """
            CREATE TEMP TABLE bench_new ON COMMIT DROP AS
            WITH consulates AS (
                SELECT array_agg(id ORDER BY name) AS ids FROM organization
                WHERE name LIKE :prefix || 'consulate %'
            ), drawn AS (
                SELECT i, 1 + floor(random() * 3)::int AS k,
                       now() - random() * interval '1095 days' AS created_at, random() AS progress,
                       random() AS r1, random() AS r2, random() AS r3, random() AS r4
                FROM generate_series(1, :n) i
            )
            SELECT pg_temp.bench_uuid7(d.created_at) AS id, d.i, d.created_at,
                   (CAST(:kinds AS text[]))[d.k] AS kind,
                   (CAST(:states AS text[]))[d.k][1] AS initial,
                   (CAST(:states AS text[]))[d.k][1 + floor(d.progress * :width)::int] AS status,
                   (CAST(:countries AS text[]))[1 + floor(d.r1 * :ncountries)::int] AS country,
                   (CAST(:channels AS text[]))[1 + floor(d.r2 * :nchannels)::int] AS channel,
                   c.ids[1 + floor(d.r3 * array_length(c.ids, 1))::int] AS owner,
                   d.r4
            FROM drawn d CROSS JOIN consulates c
            """
        ),
        {
            **params,
            "n": cases,
            "kinds": kinds,
            "states": padded,
            "width": width,
            "countries": COUNTRIES,
            "ncountries": len(COUNTRIES),
            "channels": CHANNELS,
            "nchannels": len(CHANNELS),
        },
    )
    await conn.execute(
        text(
            """
            INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel,
                                   occurred_country, owner_organization_id, created_by, status_entered_at,
                                   due_at, created_at, updated_at)
            SELECT id, 'BENCH-' || substr(md5(id::text), 1, 20), kind, status, '', '', channel,
                   country, owner, owner,
                   CASE WHEN status = initial THEN created_at ELSE created_at + r4 * interval '20 days' END,
                   CASE WHEN status = initial THEN created_at + interval '3 days' END, created_at, created_at
            FROM bench_new
            """
        )
    )
    await _persons(conn, persons_per_case)
    # The name dictionary and its spellings as intake writes them (a few hundred words from the pool).
    keys = await conn.execute(
        text("SELECT DISTINCT p.name_key FROM case_person p JOIN bench_new b ON b.id = p.case_id")
    )
    await cases_repository.remember_name_tokens(conn, list(keys.scalars()))
    await _seal(
        conn,
        "case_file",
        "SELECT id FROM bench_new ORDER BY id",
        {"summary": ("Generated case.", "text"), "details": ({}, "json")},
    )
    transitions = await conn.execute(
        text(
            """
            INSERT INTO case_transition (case_id, from_status, to_status, actor_id, at, from_entered_at,
                                         case_kind)
            SELECT id, NULL, initial, owner, created_at, NULL, kind FROM bench_new
            UNION ALL
            SELECT id, initial, status, owner, created_at + r4 * interval '20 days', created_at, kind
            FROM bench_new WHERE status <> initial
            """
        )
    )
    referrals = await conn.execute(
        text(
            """
            WITH partners AS (
                SELECT array_agg(id ORDER BY name) AS ids FROM organization
                WHERE name LIKE :prefix || 'partner %'
            ), picked AS (
                SELECT b.id AS case_id, b.owner, b.created_at + interval '1 day' AS at,
                       p.ids[1 + floor(random() * array_length(p.ids, 1))::int] AS partner,
                       (CAST(:statuses AS text[]))[1 + floor(random() * :nstatuses)::int] AS status
                FROM bench_new b CROSS JOIN partners p WHERE random() < 0.3
            )
            INSERT INTO referral (id, case_id, from_organization_id, to_organization_id, services, urgency,
                                  reason, share, status, created_by, created_at, updated_at, accepted_at)
            SELECT pg_temp.bench_uuid7(at), case_id, owner, partner, ARRAY['legal_aid'], 'normal',
                   '', ARRAY['basic'], status, owner, at, at,
                   CASE WHEN status IN ('accepted', 'completed') THEN at + random() * interval '72 hours' END
            FROM picked
            """
        ),
        {**params, "statuses": REFERRAL_STATUSES, "nstatuses": len(REFERRAL_STATUSES)},
    )
    await _seal(
        conn,
        "referral",
        "SELECT r.id FROM referral r JOIN bench_new b ON b.id = r.case_id ORDER BY r.id",
        {"reason": ("Generated referral.", "text")},
    )
    await conn.execute(
        text(
            """
            INSERT INTO referral_update (id, referral_id, author_id, author_organization_id, kind, created_at)
            SELECT pg_temp.bench_uuid7(r.created_at), r.id, r.to_organization_id, r.to_organization_id,
                   'accepted', r.accepted_at
            FROM referral r JOIN bench_new b ON b.id = r.case_id
            WHERE r.accepted_at IS NOT NULL
            """
        )
    )
    redress = await conn.execute(
        text(
            """
            WITH instruments AS (
                SELECT array_agg(id ORDER BY code) AS ids FROM legal_instrument WHERE source = 'seed'
            ), picked AS (
                SELECT b.id AS case_id, b.owner, b.created_at + interval '30 days' AS at,
                       i.ids[1 + floor(random() * array_length(i.ids, 1))::int] AS instrument,
                       (CAST(:forums AS text[]))[1 + floor(random() * :nforums)::int] AS forum,
                       (CAST(:statuses AS text[]))[1 + floor(random() * :nstatuses)::int] AS status,
                       CASE b.country WHEN 'RU' THEN 'RUB' WHEN 'KZ' THEN 'KZT' ELSE 'USD' END AS currency,
                       round((1000 + random() * 500000)::numeric, 2) AS claim
                FROM bench_new b CROSS JOIN instruments i WHERE random() < 0.1
            )
            INSERT INTO redress_action (id, case_id, instrument_id, forum, status, claim_amount,
                                        claim_currency, recovered_amount, recovered_currency, created_by,
                                        created_at, updated_at)
            SELECT pg_temp.bench_uuid7(at), case_id, instrument, forum, status, claim, currency,
                   CASE WHEN status IN ('granted', 'partially_granted', 'settled')
                        THEN round(claim * (0.3 + random() * 0.7)::numeric, 2) END,
                   CASE WHEN status IN ('granted', 'partially_granted', 'settled') THEN currency END,
                   owner, at, at
            FROM picked
            """
        ),
        {
            "forums": FORUMS,
            "nforums": len(FORUMS),
            "statuses": REDRESS_STATUSES,
            "nstatuses": len(REDRESS_STATUSES),
        },
    )
    await conn.execute(text("DROP TABLE bench_new"))
    for table in ("case_file", "case_transition", "referral", "referral_update", "redress_action"):
        await conn.execute(text(f"ANALYZE {table}"))
    return Seeded(cases, transitions.rowcount, referrals.rowcount, redress.rowcount)


async def seed_audit_events(conn: AsyncConnection, per_case: int, after: Any, limit: int) -> tuple[int, Any]:
    """`per_case` generated audit events (reads, lists, updates by the owner) for each of the next `limit`
    generated cases by id after `after`: an audit table the size a busy year leaves behind, appended like
    the application's (the sequencer chains them as it would). Answers how many, and the last case id."""
    bench = "FROM case_file c JOIN organization o ON o.id = c.owner_organization_id AND o.name LIKE :prefix"
    params = {"prefix": BENCH_ORG_PREFIX + "%", "after": after}
    last = await conn.scalar(
        text(
            f"SELECT max(c.id::text) FROM (SELECT c.id {bench} "  # noqa: S608 (constant fragments)
            "WHERE c.id > :after ORDER BY c.id LIMIT :limit) c"
        ),
        {**params, "limit": limit},
    )
    if last is None:
        return 0, after
    done = await conn.execute(
        text(
            f"""
            INSERT INTO audit_event (at, actor_type, actor_id, actor_organization_id, action, resource_type,
                                     resource_id, outcome, request_id, changed_fields, detail)
            SELECT c.created_at + g * interval '1 hour' * random(), 'user', c.owner_organization_id,
                   c.owner_organization_id,
                   (ARRAY['case.read', 'case.read', 'case.read', 'case.list', 'case.update', 'case.timeline'])
                       [1 + floor(random() * 6)::int],
                   'case', c.id, 'success', md5(random()::text), '{{}}', '{{}}'
            {bench} CROSS JOIN generate_series(1, :per_case) g
            WHERE c.id > :after AND c.id <= CAST(:last AS uuid)
            """
        ),
        {**params, "last": last, "per_case": per_case},
    )
    return int(done.rowcount or 0), last
