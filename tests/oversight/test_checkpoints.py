"""Signed checkpoints and consistency: an oversight body keeps checkpoints and proves the log only grew."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.chain import GENESIS_HASH, link_hash
from src.audit.checkpoints import verify_checkpoint
from src.audit.sequencer import sequence_all
from src.config import Settings
from tests import factories


async def _events(app_engine: AsyncEngine, count: int) -> None:
    async with app_engine.begin() as conn:
        for i in range(count):
            await conn.execute(
                text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system', :a, 's')"),
                {"a": f"e{i}"},
            )
    async with app_engine.connect() as conn:
        await sequence_all(conn)


def _grows(held: dict, later: dict, proof: dict) -> bool:
    """What an oversight body runs, with only the public API's answers."""
    if proof["from_head_hash"] != held["head_hash"] or proof["to_head_hash"] != later["head_hash"]:
        return False
    current = bytes.fromhex(held["head_hash"]) if held["head_hash"] else GENESIS_HASH
    for event in proof["events"]:
        document = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        current = hashlib.sha256(current + document).digest()
    return current.hex() == later["head_hash"]


async def test_checkpoints_verify_and_prove_growth_until_a_rewrite(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    app_engine: AsyncEngine,
    owner_engine: AsyncEngine,
) -> None:
    auditor = await factories.account(db, settings, client, "auditor")
    await _events(app_engine, 5)
    held = (await client.get("/v1/audit/checkpoint", headers=auditor.headers)).json()
    keys = (await client.get("/v1/audit/keys", headers=auditor.headers)).json()["items"]
    public = base64.b64decode(keys[0]["public_key"])
    assert keys[0]["key_id"] == held["key_id"] and verify_checkpoint(public, held)
    assert not verify_checkpoint(public, {**held, "size": held["size"] + 1})
    await _events(app_engine, 7)
    later = (await client.get("/v1/audit/checkpoint", headers=auditor.headers)).json()
    assert later["size"] > held["size"] and verify_checkpoint(public, later)
    url = f"/v1/audit/consistency?from_size={held['size']}&to_size={later['size']}"
    assert _grows(held, later, (await client.get(url, headers=auditor.headers)).json())

    # A superuser rewrites an early event and recomputes every later hash: the chain verifies again...
    async with owner_engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "UPDATE audit_event SET outcome = 'forged' "
                "WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 2)"
            )
        )
        rows = (
            (
                await conn.execute(
                    text(
                        "SELECT c.seq, e.* FROM audit_chain c JOIN audit_event e ON e.id = c.event_id "
                        "ORDER BY c.seq"
                    )
                )
            )
            .mappings()
            .all()
        )
        previous = GENESIS_HASH
        for row in rows:
            previous = link_hash(previous, row)
            await conn.execute(
                text("UPDATE audit_chain SET hash = :h WHERE seq = :s"), {"h": previous, "s": row["seq"]}
            )
    assert (await client.get("/v1/audit/verify", headers=auditor.headers)).json()["first_bad_seq"] is None
    # ...but the checkpoint the oversight body kept no longer fits.
    rewritten = (await client.get("/v1/audit/checkpoint", headers=auditor.headers)).json()
    proof = (
        await client.get(
            f"/v1/audit/consistency?from_size={held['size']}&to_size={rewritten['size']}",
            headers=auditor.headers,
        )
    ).json()
    assert not _grows(held, rewritten, proof)


async def test_checkpoint_rules(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, app_engine: AsyncEngine
) -> None:
    await _events(app_engine, 3)
    auditor = await factories.account(db, settings, client, "auditor")
    for query in ("from_size=2&to_size=1", "from_size=0&to_size=999", "from_size=-1&to_size=2"):
        assert (
            await client.get(f"/v1/audit/consistency?{query}", headers=auditor.headers)
        ).status_code == 422
    supervisor = await factories.account(db, settings, client, "supervisor")
    assert (await client.get("/v1/audit/checkpoint", headers=supervisor.headers)).status_code == 403
    assert (
        await client.get("/v1/audit/consistency?from_size=0&to_size=1", headers=supervisor.headers)
    ).status_code == 403
