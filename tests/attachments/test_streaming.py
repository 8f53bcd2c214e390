"""Streaming with bounded memory: a 200 MB file uploaded and downloaded through the ASGI app in this process,
driven by hand (httpx's ASGI transport would hold the whole response), while the process's peak resident
memory is measured; and a client that disconnects midway leaves nothing.

What the memory test measures: the peak resident set (VmHWM, reset through /proc/self/clear_refs) of the
whole test process, which runs the app, the generator of the body and the consumer of the answer, against
the resident set before. PostgreSQL runs in its own processes and is not counted. It is an upper bound on
what the app adds for one upload and one download, not a per-request allocation profile.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments.models import Attachment, AttachmentChunk
from src.main import create_app
from src.platform.config import Settings
from tests.factories import Account, Consulate, abuse_body, open_case

MIB = 1024 * 1024
STATUS = Path("/proc/self/status")
HAS_PROC = STATUS.exists()


def _status_kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
    except OSError:
        return False
    return True


Receive = Callable[[], Awaitable[dict[str, Any]]]


async def call(
    app: Any, method: str, path: str, query: str, headers: dict[str, str], receive: Receive
) -> tuple[int, dict[str, str], int, str, bytes]:
    """(status, headers, bytes of body, its SHA-256, the first KiB) without keeping the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"testserver")],
        "client": ("203.0.113.7", 50000),
        "server": ("testserver", 80),
    }
    state: dict[str, Any] = {"status": 0, "headers": {}, "size": 0, "head": b""}
    digest = hashlib.sha256()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            state["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            digest.update(body)
            state["size"] += len(body)
            if len(state["head"]) < 1024:
                state["head"] += body[:1024]

    await app(scope, receive, send)
    return state["status"], state["headers"], state["size"], digest.hexdigest(), state["head"]


async def _after_the_body() -> dict[str, Any]:
    """As a server does once the body is read: nothing more until the client goes (here: never)."""
    await asyncio.Event().wait()
    return {"type": "http.disconnect"}


def _generated(total: int, piece: int = 64 * 1024) -> tuple[Receive, str]:
    """A body of `total` bytes of text made as it is read (no copy of it kept), and its SHA-256."""
    block = (b"Wage slip line, month and amount, 0123456789 abcdefghij\n" * 1200)[:piece]
    digest = hashlib.sha256()
    sent = 0
    while sent < total:
        digest.update(block[: min(piece, total - sent)])
        sent += piece
    left = total

    async def receive() -> dict[str, Any]:
        nonlocal left
        if left == 0:
            return await _after_the_body()
        size = min(piece, left)
        left -= size
        return {"type": "http.request", "body": block[:size], "more_body": left > 0}

    return receive, digest.hexdigest()


@pytest.fixture(scope="module")
async def big_app(settings: Settings) -> Any:
    large = settings.model_copy(
        update={"attachment_max_bytes": 256 * MIB, "attachment_case_total_bytes": 512 * MIB}
    )
    application = create_app(large)
    async with application.router.lifespan_context(application):
        yield application


async def _upload(app: Any, account: Account, case_id: str, receive: Receive, length: int | None) -> Any:
    headers = {"authorization": f"Bearer {account.token}", "content-type": "text/plain"}
    if length is not None:
        headers["content-length"] = str(length)
    return await call(app, "POST", f"/v1/cases/{case_id}/attachments", "category=other", headers, receive)


@pytest.mark.slow
async def test_a_200_mb_upload_and_download_grow_memory_by_less_than_32_mb(
    big_app: Any, client: Any, consulate_a: Consulate
) -> None:
    if not HAS_PROC:
        pytest.skip("needs /proc/self/status")
    case = await open_case(client, consulate_a.officer, abuse_body())
    total = int(os.environ.get("UKUK_ATTACHMENT_TEST_MIB", "200")) * MIB
    receive, expected = _generated(total)
    resettable = _reset_peak()
    before = _status_kib("VmRSS")
    status, _, _, _, head = await _upload(big_app, consulate_a.officer, case["id"], receive, total)
    upload_peak = _status_kib("VmHWM")
    assert status == 201, head
    created = json.loads(head)
    assert created["size"] == total and created["sha256"] == expected

    sent = False

    async def no_body() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await _after_the_body()
        sent = True
        return {"type": "http.request", "body": b"", "more_body": False}

    _reset_peak()
    before_download = _status_kib("VmRSS")
    status, headers, size, digest, _ = await call(
        big_app,
        "GET",
        f"/v1/cases/{case['id']}/attachments/{created['id']}/content",
        "",
        {"authorization": f"Bearer {consulate_a.officer.token}"},
        no_body,
    )
    download_peak = _status_kib("VmHWM")
    assert status == 200 and size == total and digest == expected
    assert headers["content-length"] == str(total)
    growth_upload = (upload_peak - before) / 1024
    growth_download = (download_peak - before_download) / 1024
    print(f"peak RSS growth: upload {growth_upload:.1f} MiB, download {growth_download:.1f} MiB")
    if not resettable:
        pytest.skip("VmHWM cannot be reset here: the peak may predate the test")
    assert growth_upload < 32, growth_upload
    assert growth_download < 32, growth_download


async def test_a_client_that_disconnects_midway_leaves_nothing(
    client: Any, app: Any, consulate_a: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    pieces = 0

    async def goes_away() -> dict[str, Any]:
        nonlocal pieces
        pieces += 1
        if pieces > 30:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"part of a testimony\n" * 3000, "more_body": True}

    status, _, _, _, head = await _upload(app, consulate_a.officer, case["id"], goes_away, None)
    assert status == 400 and b"upload-interrupted" in head
    assert await db.scalar(select(func.count()).select_from(Attachment)) == 0
    assert await db.scalar(select(func.count()).select_from(AttachmentChunk)) == 0
