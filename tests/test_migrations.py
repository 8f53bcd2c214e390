"""The migrations build exactly the schema the models describe (autogenerate finds nothing to do)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from src.models import Base


# audit_event.txid is xid8, which SQLAlchemy's reflection does not know; the model declares it the same way.
@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")
async def test_models_and_migrations_agree(owner_engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with owner_engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == [], "\n".join(map(str, found))


# Rows of these parents are never deleted (accounts are deactivated, instruments stay for the record).
UNINDEXED_ON_PURPOSE = {("case_assignment", "assignee_id"), ("redress_action", "instrument_id")}


async def test_every_foreign_key_has_an_index_so_a_delete_does_not_scan_the_child_table(
    owner_engine: AsyncEngine,
) -> None:
    """Found by the load benchmark: deleting 7 000 cases out of a million took minutes, because two foreign
    keys (a case's link to another, a violation's perpetrator) had no index to check against."""
    from sqlalchemy import text

    async with owner_engine.connect() as conn:
        missing = (
            await conn.execute(
                text(
                    """
                    SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND NOT EXISTS (
                        SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
                    """
                )
            )
        ).all()
    assert {(table, column) for table, column in missing} <= UNINDEXED_ON_PURPOSE


async def test_0013_fills_stays_and_acceptances_from_the_history_already_written(owner_url: str) -> None:
    """The reports now read `case_transition.from_entered_at` and `referral.accepted_at`; rows written before
    0013 get them from the history: the previous transition's time (by time, then id) and the first
    acceptance."""
    import asyncio
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from src.platform.postgres import run_migrations

    server = create_async_engine(owner_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"{make_url(owner_url).database}_m13"
    url = make_url(owner_url).set(database=name).render_as_string(hide_password=False)
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0012")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        consulate, partner, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        referrals = [uuid.uuid4(), uuid.uuid4()]
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country) "
                    "VALUES (:c, 'c', 'consulate', 'KG'), (:p, 'p', 'partner', 'RU')"
                ),
                {"c": consulate, "p": partner},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, "
                    "occurred_country, owner_organization_id, created_by, status_entered_at, created_at, "
                    "updated_at) VALUES (:id, 'R-1', 'abuse', 'referred', '', '', 'walk_in', 'RU', :c, :c, "
                    ":t, :t, :t)"
                ),
                {"id": case, "c": consulate, "t": t0},
            )
            # Ids out of time order: the previous transition is by time (then id), as lead() had it.
            for number, (source, target, days) in enumerate(
                [(None, "intake", 0), ("assessment", "referred", 9), ("intake", "assessment", 2)]
            ):
                await conn.execute(
                    text(
                        "INSERT INTO case_transition (id, case_id, from_status, to_status, actor_id, at) "
                        "VALUES (:id, :case, :source, :target, :c, :at)"
                    ),
                    {
                        "id": number + 1,
                        "case": case,
                        "source": source,
                        "target": target,
                        "c": consulate,
                        "at": t0 + timedelta(days=days),
                    },
                )
            for referral in referrals:
                await conn.execute(
                    text(
                        "INSERT INTO referral (id, case_id, from_organization_id, to_organization_id, "
                        "services, urgency, reason, share, status, created_by, created_at, updated_at) "
                        "VALUES (:id, :case, :c, :p, ARRAY['legal_aid'], 'normal', '', ARRAY['basic'], "
                        "'completed', :c, :t, :t)"
                    ),
                    {"id": referral, "case": case, "c": consulate, "p": partner, "t": t0},
                )
            for kind, hours in (("created", 0), ("accepted", 7), ("accepted", 3), ("completed", 20)):
                await conn.execute(
                    text(
                        "INSERT INTO referral_update (id, referral_id, author_id, author_organization_id, "
                        "kind, created_at) VALUES (:id, :r, :p, :p, :kind, :at)"
                    ),
                    {
                        "id": uuid.uuid4(),
                        "r": referrals[0],
                        "p": partner,
                        "kind": kind,
                        "at": t0 + timedelta(hours=hours),
                    },
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            stays = (
                await conn.execute(text("SELECT id, from_entered_at FROM case_transition ORDER BY id"))
            ).all()
            accepted = dict((await conn.execute(text("SELECT id, accepted_at FROM referral"))).all())
        assert stays == [(1, None), (2, t0 + timedelta(days=2)), (3, t0)]
        assert accepted == {referrals[0]: t0 + timedelta(hours=3), referrals[1]: None}
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def test_0014_splits_whole_names_into_parts_and_marks_them_inferred(owner_url: str) -> None:
    """Names written before 0014 are split by the rule the partner view used to guess with, improved by the
    patronymics it missed, and marked for an officer to check; what retention removed stays removed."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from src.platform.postgres import run_migrations

    server = create_async_engine(owner_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"{make_url(owner_url).database}_m14"
    url = make_url(owner_url).set(database=name).render_as_string(hide_password=False)
    async with server.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(url, poolclass=NullPool)
    written = {
        "Айдаралиев Медетбек": ("Айдаралиев", "Медетбек", None),
        "Асанов Бакыт Жумабекович": ("Асанов", "Бакыт", "Жумабекович"),
        "Бакыт уулу Азамат": (None, "Азамат", "Бакыт уулу"),
        "Азамат Бакыт уулу": (None, "Азамат", "Бакыт уулу"),
        "Садыкова Айгерим Бакыт кызы": ("Садыкова", "Айгерим", "Бакыт кызы"),
        "Медетбек": (None, "Медетбек", None),
        "[removed under retention]": (None, None, None),
    }
    try:
        await asyncio.to_thread(run_migrations, url, "ukuk_app", "0013")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        consulate, case = uuid.uuid4(), uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO organization (id, name, kind, country) VALUES (:c, 'c', 'consulate', 'KG')"
                ),
                {"c": consulate},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_file (id, reference, kind, status, summary, details, intake_channel, "
                    "occurred_country, owner_organization_id, created_by, status_entered_at, created_at, "
                    "updated_at) VALUES (:id, 'R-1', 'abuse', 'intake', '', '', 'walk_in', 'RU', :c, :c, "
                    ":t, :t, :t)"
                ),
                {"id": case, "c": consulate, "t": t0},
            )
            for position, full_name in enumerate(written):
                await conn.execute(
                    text(
                        "INSERT INTO case_person (id, case_id, position, role, full_name) "
                        "VALUES (:id, :case, :position, 'victim', :name)"
                    ),
                    {"id": uuid.uuid4(), "case": case, "position": position, "name": full_name},
                )
        await asyncio.to_thread(run_migrations, url, "ukuk_app")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT full_name, family_name, given_name, patronymic, name_parts_inferred "
                        "FROM case_person ORDER BY position"
                    )
                )
            ).all()
        assert {row[0]: tuple(row[1:4]) for row in rows} == written
        assert [row[4] for row in rows] == [True] * 6 + [False]
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


def test_no_migration_imports_live_application_code() -> None:
    """A migration that imports `src` changes what it does when that code changes. 0008 is older than this
    rule (it imports the name skeleton and the field sealing); every later migration stands alone."""
    import ast
    from pathlib import Path

    grandfathered = {"0008_identity_protection.py"}
    for path in sorted(Path(__file__).parents[1].joinpath("migrations", "versions").glob("*.py")):
        if path.name in grandfathered:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            assert not any(m == "src" or m.startswith("src.") for m in modules), path.name
