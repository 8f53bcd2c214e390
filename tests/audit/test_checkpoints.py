"""Signed checkpoints and consistency: an oversight body keeps checkpoints and proves the log only grew."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.chain import GENESIS_HASH, link_hash
from src.audit.checkpoints import verify_checkpoint
from src.audit.sequencer import sequence_all
from src.platform.config import Settings
from tests import factories

DOCS = Path(__file__).resolve().parents[2] / "docs" / "oversight.md"


async def _events(app_engine: AsyncEngine, count: int) -> None:
    async with app_engine.begin() as conn:
        for i in range(count):
            await conn.execute(
                text("INSERT INTO audit_event (actor_type, action, outcome) VALUES ('system', :a, 's')"),
                {"a": f"e{i}"},
            )
    async with app_engine.connect() as conn:
        await sequence_all(conn)


def _script_from_docs() -> dict[str, Any]:
    """The independent verification script exactly as docs/oversight.md shows it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None
    namespace: dict[str, Any] = {"__name__": "verify_ukuk"}
    exec(compile(code.group(1), str(DOCS), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace


async def _only_grew(
    client: httpx.AsyncClient, auditor: factories.Account, keys: dict[str, str], kept: dict[str, Any]
) -> dict[str, Any]:
    """Run the documented script (synchronous, as an oversight body would) against the live API."""
    loop = asyncio.get_running_loop()

    def get(path: str) -> Any:
        response = asyncio.run_coroutine_threadsafe(client.get(path, headers=auditor.headers), loop).result()
        assert response.status_code == 200, response.text
        return response.json()

    result: dict[str, Any] = await asyncio.to_thread(_script_from_docs()["only_grew"], get, keys, kept)
    return result


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
    pinned = {keys[0]["key_id"]: keys[0]["public_key"]}
    await _events(app_engine, 7)
    later = await _only_grew(client, auditor, pinned, held)
    assert later["size"] > held["size"] and verify_checkpoint(public, later)
    assert (await _only_grew(client, auditor, pinned, later))["head_hash"] == later["head_hash"]
    with pytest.raises(ValueError, match="signature"):
        await _only_grew(client, auditor, pinned, {**held, "size": held["size"] - 1})
    with pytest.raises(ValueError, match="unknown key"):
        await _only_grew(client, auditor, {"ed25519:other": keys[0]["public_key"]}, held)

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
    with pytest.raises(ValueError, match="not the one the kept checkpoint signed"):
        await _only_grew(client, auditor, pinned, held)


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
