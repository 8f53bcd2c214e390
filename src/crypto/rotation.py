"""Re-encrypting sealed columns under the active key, in batches, while the API keeps serving.

Each batch reads rows after the last one seen (keyset order), re-seals the values under an older key and
writes each back only if it is still the value read (compare and set): a value the API changed meanwhile was
already sealed under the active key. Readers never wait: every old key stays in the keyring until
`ukuk keys status` shows it unused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.crypto import fields, keys


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    row_id: str = "id::text"  # as the application binds it into the associated data
    order: str = "id"  # a unique, indexed key to walk the table by


SEALED_COLUMNS = (
    SealedColumn("case_file", "summary"),
    SealedColumn("case_file", "details"),
    SealedColumn("case_person", "document_number"),
    SealedColumn("case_person", "phone"),
    SealedColumn("case_violation", "location"),
    SealedColumn("case_violation", "description"),
    SealedColumn("case_note", "body"),
    SealedColumn("case_transition", "reason"),
    SealedColumn("referral", "reason"),
    SealedColumn("referral", "status_note"),
    SealedColumn("referral", "submitted_view"),
    SealedColumn("referral_update", "body"),
    SealedColumn("webhook_endpoint", "secret", "organization_id::text", "organization_id"),
    SealedColumn("webhook_endpoint", "previous_secret", "organization_id::text", "organization_id"),
    # Short-lived replay records: walked by their text key, unindexed but few.
    SealedColumn(
        "idempotency_record",
        "response_body",
        "principal_id::text || '/' || key",
        "(principal_id::text || '/' || key)",
    ),
)


async def key_usage(engine: AsyncEngine) -> dict[str, Counter[str]]:
    """Per `table.column`, how many values each key id seals."""
    usage: dict[str, Counter[str]] = {}
    async with engine.connect() as conn:
        for sealed in SEALED_COLUMNS:
            rows = await conn.execute(
                text(
                    f"SELECT encode(substring({sealed.column} FROM 3 FOR get_byte({sealed.column}, 1)), "  # noqa: S608
                    f"'escape'), count(*) FROM {sealed.table} WHERE {sealed.column} IS NOT NULL GROUP BY 1"
                )
            )
            usage[f"{sealed.table}.{sealed.column}"] = Counter(
                {key_id: count for key_id, count in rows.all()}
            )
    return usage


async def rotate(
    engine: AsyncEngine, *, batch_size: int, progress: Callable[[int], Any] = lambda _: None
) -> Counter[str]:
    """Re-seal every value not under the active key; answers how many were rewritten per `table.column`.
    `progress` is told how many rows each batch looked at."""
    rewritten: Counter[str] = Counter()
    for sealed in SEALED_COLUMNS:
        rewritten[f"{sealed.table}.{sealed.column}"] += await _rotate_column(
            engine, sealed, batch_size, progress
        )
    return rewritten


async def _rotate_column(
    engine: AsyncEngine, sealed: SealedColumn, batch_size: int, progress: Callable[[int], Any]
) -> int:
    table, column, order = sealed.table, sealed.column, sealed.order
    select_first = (
        f"SELECT {order} AS k, {sealed.row_id} AS r, {column} AS v FROM {table} "  # noqa: S608
        f"WHERE {column} IS NOT NULL ORDER BY {order} LIMIT :n"
    )
    select_next = (
        f"SELECT {order} AS k, {sealed.row_id} AS r, {column} AS v FROM {table} "  # noqa: S608
        f"WHERE {column} IS NOT NULL AND {order} > :after ORDER BY {order} LIMIT :n"
    )
    update = f"UPDATE {table} SET {column} = :new WHERE {order} = :k AND {column} = :old"  # noqa: S608
    after: Any = None
    rewritten = 0
    while True:
        params: dict[str, Any] = {"n": batch_size}
        if after is not None:
            params["after"] = after
        async with engine.begin() as conn:
            rows = (
                await conn.execute(text(select_next if after is not None else select_first), params)
            ).all()
            if not rows:
                return rewritten
            active = keys.current().active
            for key, row_id, old in rows:
                if fields.key_id_of(old) == active:
                    continue
                new = fields.seal(table, column, row_id, fields.unseal(table, column, row_id, old))
                result = await conn.execute(text(update), {"k": key, "new": new, "old": old})
                rewritten += result.rowcount
        after = rows[-1][0]
        progress(len(rows))


async def sealed_rows(engine: AsyncEngine) -> int:
    total = 0
    async with engine.connect() as conn:
        for sealed in SEALED_COLUMNS:
            count = f"SELECT count(*) FROM {sealed.table} WHERE {sealed.column} IS NOT NULL"  # noqa: S608
            total += int(await conn.scalar(text(count)) or 0)
    return total
