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
