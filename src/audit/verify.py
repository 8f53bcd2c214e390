"""Verification of the chain: recompute every link, name the first broken seq, count events left unchained."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.audit.chain import GENESIS_HASH, link_hash


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_hash: str | None
    unsequenced_overdue: int


_PAGE = text(
    "SELECT c.seq, c.hash AS chain_hash, e.id, e.at, e.actor_type, e.actor_id, e.actor_organization_id, "
    " e.action, e.resource_type, e.resource_id, e.outcome, e.request_id, "
    "e.changed_fields, e.detail FROM audit_chain c LEFT JOIN audit_event e ON e.id = c.event_id "
    "WHERE c.seq > :after ORDER BY c.seq LIMIT :limit"
)
_OVERDUE = text(
    "SELECT count(*) FROM audit_event e WHERE e.at < clock_timestamp() - make_interval(secs => :secs) "
    "AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)"
)


async def verify_chain(
    conn: AsyncConnection, *, max_unsequenced_seconds: float, page: int = 5000
) -> Verification:
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    first_bad: int | None = None
    reason: str | None = None
    after = 0
    while first_bad is None:
        rows = (await conn.execute(_PAGE, {"after": after, "limit": page})).mappings().all()
        if not rows:
            break
        for row in rows:
            if row["seq"] != expected_seq:
                first_bad, reason = expected_seq, "missing link"
            elif row["id"] is None:
                first_bad, reason = row["seq"], "event missing"
            elif link_hash(prev_hash, row) != bytes(row["chain_hash"]):
                first_bad, reason = row["seq"], "hash mismatch"
            if first_bad is not None:
                break
            prev_hash = bytes(row["chain_hash"])
            checked += 1
            expected_seq += 1
        after = rows[-1]["seq"]
    overdue = (await conn.execute(_OVERDUE, {"secs": max_unsequenced_seconds})).scalar_one()
    return Verification(
        ok=first_bad is None and overdue == 0,
        checked=checked,
        first_bad_seq=first_bad,
        reason=reason,
        head_hash=prev_hash.hex() if checked else None,
        unsequenced_overdue=overdue,
    )
