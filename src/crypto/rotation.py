"""Re-encrypting sealed columns under the active key, in batches, while the API keeps serving.

Each batch reads rows after the last one seen (keyset order), re-seals the values under an older key and
writes each back only if it is still the value read (compare and set): a value the API changed meanwhile was
already sealed under the active key. Readers never wait: every old key stays in the keyring until
`ukuk keys status` shows it unused.
"""

from __future__ import annotations

import uuid
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
    SealedColumn("attachment", "description"),
    SealedColumn("attachment", "deletion_reason"),
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
# Attachment chunks: their associated data names the attachment, the index and whether it is the last
# (src/attachments/storage.py chunk_row_id); walked by their primary key, a few at a time (each is up to
# UKUK_ATTACHMENT_CHUNK_BYTES).
CHUNKS = SealedColumn("attachment_chunk", "content")
CHUNK_ROW_ID = (
    "c.attachment_id::text || '/' || c.index || '/' || "
    "CASE WHEN c.index = a.chunk_count - 1 THEN 'last' ELSE 'more' END"
)
CHUNK_BATCH = 8


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
        rows = await conn.execute(
            text(
                "SELECT encode(substring(content FROM 3 FOR get_byte(content, 1)), 'escape'), count(*) "
                "FROM attachment_chunk GROUP BY 1"
            )
        )
        usage["attachment_chunk.content"] = Counter({key_id: count for key_id, count in rows.all()})
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
    rewritten["attachment_chunk.content"] += await _rotate_chunks(engine, progress)
    return rewritten


async def _rotate_chunks(engine: AsyncEngine, progress: Callable[[int], Any]) -> int:
    select_batch = text(
        f"SELECT c.attachment_id, c.index, {CHUNK_ROW_ID} AS r, c.content FROM attachment_chunk c "  # noqa: S608
        "JOIN attachment a ON a.id = c.attachment_id "
        "WHERE (c.attachment_id, c.index) > (:after_id, :after_index) "
        "ORDER BY c.attachment_id, c.index LIMIT :n"
    )
    update = text(
        "UPDATE attachment_chunk SET content = :new "
        "WHERE attachment_id = :id AND index = :index AND content = :old"
    )
    after: tuple[Any, int] = (uuid.UUID(int=0), -1)
    rewritten = 0
    while True:
        async with engine.begin() as conn:
            params = {"after_id": after[0], "after_index": after[1], "n": CHUNK_BATCH}
            rows = (await conn.execute(select_batch, params)).all()
            if not rows:
                break
            active = keys.current().active
            for attachment_id, index, row_id, old in rows:
                if fields.key_id_of(old) == active:
                    continue
                new = fields.seal(
                    CHUNKS.table,
                    CHUNKS.column,
                    row_id,
                    fields.unseal(CHUNKS.table, CHUNKS.column, row_id, old),
                )
                result = await conn.execute(
                    update, {"id": attachment_id, "index": index, "new": new, "old": old}
                )
                rewritten += result.rowcount
        after = (rows[-1][0], rows[-1][1])
        progress(len(rows))
    async with engine.begin() as conn:
        # An attachment names the key of its chunks once they are all under one.
        await conn.execute(
            text(
                "UPDATE attachment a SET key_id = :active WHERE a.key_id <> :active AND NOT EXISTS ("
                "SELECT 1 FROM attachment_chunk c WHERE c.attachment_id = a.id "
                "AND substring(c.content FROM 3 FOR get_byte(c.content, 1)) <> convert_to(:active, 'UTF8'))"
            ),
            {"active": keys.current().active},
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
        total += int(await conn.scalar(text("SELECT count(*) FROM attachment_chunk")) or 0)
    return total
