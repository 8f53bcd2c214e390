"""Attachment throughput: uploading and downloading a file through the API (in process, the ASGI app driven by
hand so neither side holds the body) against sealing and writing the same bytes, in chunks of the same size,
straight through asyncpg, and reading them back the same way. Reported as ratios (API MB/s over direct MB/s,
target >= 0.5): these machines are shared and noisy, a ratio survives that.

    python -m bench.attachments [--mib 64] [--repeat 3]

Database: BENCH_DATABASE_URL (an owner's URL; used as is) or an embedded PostgreSQL in
.ukuk/bench-attachments-pg (database ukuk_bench_attachments).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.run import OUT
from src.attachments.storage import READ_BATCH, open_chunk, seal_chunk
from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.auth.tokens import generate_private_pem
from src.main import create_app
from src.platform.config import Settings, to_async_url
from src.platform.postgres import run_migrations, start_embedded
from src.platform.session import create_owner_engine, create_sessionmaker

MIB = 1024 * 1024
PIECE = 64 * 1024  # what a server hands the app per receive
PASSWORD = "bench-password-1"  # noqa: S105 (a generated benchmark account)
TARGET = 0.5


def _database() -> str:
    external = os.environ.get("BENCH_DATABASE_URL")
    if external:
        url = to_async_url(external)
    else:
        url = start_embedded(Path(".ukuk/bench-attachments-pg").resolve(), "ukuk_bench_attachments")
    run_migrations(url, "ukuk_app")
    return url


def _scope(method: str, path: str, query: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }


async def _asgi(app: Any, scope: dict[str, Any], pieces: list[bytes]) -> tuple[int, bytes, str]:
    """(status, the answer's first KiB, SHA-256 of the whole answer); the body sent piece by piece."""
    queue = list(reversed(pieces)) or [b""]
    state: dict[str, Any] = {"status": 0, "head": b""}
    digest = hashlib.sha256()

    async def receive() -> dict[str, Any]:
        if not queue:
            await asyncio.Event().wait()  # as a server: nothing more until the client goes
        body = queue.pop()
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            digest.update(body)
            if len(state["head"]) < 1024:
                state["head"] += body[:1024]

    await app(scope, receive, send)
    return state["status"], state["head"], digest.hexdigest()


async def _account(url: str, settings: Settings) -> str:
    """An officer of a new consulate, written directly; answers its username."""
    engine = create_owner_engine(url)
    async with create_sessionmaker(engine)() as session:
        org = Organization(name=f"Bench consulate {uuid.uuid4().hex[:8]}", kind="consulate", country="KG")
        session.add(org)
        await session.flush()
        user = User(
            username=f"bench.attachments.{uuid.uuid4().hex[:8]}",
            password_hash=await hash_password(settings, PASSWORD),
            organization_id=org.id,
            role="officer",
        )
        session.add(user)
        await session.commit()
        username = user.username
    await engine.dispose()
    return username


async def _token(app: Any, username: str) -> str:
    form = f"grant_type=password&username={username}&password={PASSWORD}".encode()
    headers = {"content-type": "application/x-www-form-urlencoded", "content-length": str(len(form))}
    status, head, _ = await _asgi(app, _scope("POST", "/v1/auth/token", "", headers), [form])
    assert status == 200, head
    return str(json.loads(head)["access_token"])


async def _case(app: Any, token: str) -> str:
    body = json.dumps(
        {
            "kind": "abuse",
            "summary": "Benchmark case for attachments.",
            "intake_channel": "hotline",
            "occurred": {"country": "RU", "region": "RU-MOW"},
            "subject": {"role": "victim", "family_name": "Bench", "given_name": "Mark", "citizenship": "KG"},
        }
    ).encode()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    status, head, _ = await _asgi(app, _scope("POST", "/v1/cases", "", headers), [body])
    assert status == 201, head
    return str(json.loads(head)["id"])


def _file(size: int) -> list[bytes]:
    """A PDF's worth of incompressible bytes (passed through as they are: no filter's cost is measured)."""
    block = os.urandom(PIECE)
    pieces = [block[: min(PIECE, size - at)] for at in range(0, size, PIECE)]
    pieces[0] = b"%PDF-1.7\n" + pieces[0][9:]
    return pieces


async def _direct_write(conn: asyncpg.Connection, pieces: list[bytes], chunk_bytes: int) -> uuid.UUID:
    """The floor an upload stands on: the same chunks, sealing and one INSERT per chunk, in a transaction."""
    attachment_id = uuid.uuid4()
    buffer = bytearray()
    index = 0
    digest = hashlib.sha256()
    async with conn.transaction():
        for piece in pieces:
            digest.update(piece)
            buffer += piece
            while len(buffer) > chunk_bytes:
                sealed = seal_chunk(attachment_id, index, False, bytes(buffer[:chunk_bytes]))
                del buffer[:chunk_bytes]
                await conn.execute(
                    "INSERT INTO bench_chunk VALUES ($1, $2, $3)", attachment_id, index, sealed
                )
                index += 1
        sealed = seal_chunk(attachment_id, index, True, bytes(buffer))
        await conn.execute("INSERT INTO bench_chunk VALUES ($1, $2, $3)", attachment_id, index, sealed)
    return attachment_id


async def _direct_read(conn: asyncpg.Connection, attachment_id: uuid.UUID, count: int) -> str:
    digest = hashlib.sha256()
    for first in range(0, count, READ_BATCH):
        rows = await conn.fetch(
            "SELECT index, content FROM bench_chunk WHERE id = $1 AND index BETWEEN $2 AND $3 ORDER BY index",
            attachment_id,
            first,
            first + READ_BATCH - 1,
        )
        for row in rows:
            digest.update(open_chunk(attachment_id, row["index"], row["index"] == count - 1, row["content"]))
    return digest.hexdigest()


async def run(url: str, mib: int, repeat: int) -> list[tuple[str, float, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="ukuk-bench-attachments-"))
    settings = Settings(
        env="test",
        database_url=url,
        data_dir=data_dir,
        jwt_private_key=generate_private_pem().decode(),
        audit_sequencer_enabled=False,
        webhook_worker_enabled=False,
        log_level="WARNING",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        attachment_max_bytes=max(mib, 1) * MIB + 1,
        attachment_case_total_bytes=64 * 1024 * MIB,
    )
    chunk_bytes = settings.attachment_chunk_bytes
    pieces = _file(mib * MIB)
    expected = hashlib.sha256(b"".join(pieces)).hexdigest()
    username = await _account(url, settings)
    app = create_app(settings)
    timings: dict[str, list[float]] = {
        "api upload": [],
        "api download": [],
        "direct write": [],
        "direct read": [],
    }
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(raw)
    # A logged table like attachment_chunk (a temporary one writes no WAL: an unfair floor).
    await conn.execute("DROP TABLE IF EXISTS bench_chunk")
    await conn.execute(
        "CREATE TABLE bench_chunk (id uuid, index int, content bytea, PRIMARY KEY (id, index))"
    )
    await conn.execute("ALTER TABLE bench_chunk ALTER COLUMN content SET STORAGE EXTERNAL")
    async with app.router.lifespan_context(app):
        token = await _token(app, username)
        case_id = await _case(app, token)
        auth = {"authorization": f"Bearer {token}"}
        for _ in range(repeat):
            started = time.perf_counter()
            upload = _scope(
                "POST",
                f"/v1/cases/{case_id}/attachments",
                "category=other",
                {**auth, "content-type": "application/octet-stream", "content-length": str(mib * MIB)},
            )
            status, head, _ = await _asgi(app, upload, pieces)
            timings["api upload"].append(time.perf_counter() - started)
            assert status == 201, head
            created = json.loads(head)
            started = time.perf_counter()
            path = f"/v1/cases/{case_id}/attachments/{created['id']}/content"
            status, _, digest = await _asgi(app, _scope("GET", path, "", auth), [])
            timings["api download"].append(time.perf_counter() - started)
            assert status == 200 and digest == expected == created["sha256"]

            started = time.perf_counter()
            direct = await _direct_write(conn, pieces, chunk_bytes)
            timings["direct write"].append(time.perf_counter() - started)
            started = time.perf_counter()
            count = -(-mib * MIB // chunk_bytes)
            assert await _direct_read(conn, direct, count) == expected
            timings["direct read"].append(time.perf_counter() - started)
        engine = app.state.engine
        async with engine.begin() as db:  # leave the benchmark database as it was
            await db.execute(text("DELETE FROM case_file WHERE id = :id"), {"id": case_id})
    await conn.execute("DROP TABLE bench_chunk")
    await conn.close()
    size = mib * MIB / MIB

    def rate(name: str) -> float:
        return size / statistics.median(timings[name])

    return [
        ("upload", rate("api upload"), rate("direct write")),
        ("download", rate("api download"), rate("direct read")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=64, help="file size in MiB (default 64)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the median is reported")
    options = parser.parse_args()
    rows = asyncio.run(run(_database(), options.mib, options.repeat))
    how = f"{options.mib} MiB, median of {options.repeat}, chunks of the default size"
    table = [
        f"{how}; the API in process (ASGI driven by hand) against sealing and writing the same chunks "
        "with asyncpg",
        "",
        "| what | API MB/s | direct MB/s | ratio | target |",
        "|---|---|---|---|---|",
    ]
    judged = []
    for name, api, direct in rows:
        ratio = api / direct
        ok = ratio >= TARGET
        verdict = "ok" if ok else "MISSED"
        table.append(f"| {name} | {api:.1f} | {direct:.1f} | {ratio:.2f} | >= {TARGET} {verdict} |")
        judged.append(
            {
                "target": f"attachment {name} >= {TARGET} of direct",
                "measured": f"{ratio:.2f}",
                "ok": ratio >= TARGET,
            }
        )
    print("\n" + "\n".join(table))
    # For bench.load, which `make bench` runs next: its bench/results.md carries this table and these targets.
    OUT.mkdir(exist_ok=True)
    (OUT / "attachments.md").write_text("\n".join(table) + "\n")
    (OUT / "attachments.json").write_text(json.dumps({"how": f"throughput, {how}", "rows": judged}, indent=2))
    raise SystemExit(0 if all(row["ok"] for row in judged) else 1)


if __name__ == "__main__":
    main()
