"""`ukuk export htcds` as a real process: the file it writes is k-anonymous, and the system's export is
audited with its parameters."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.exports.deidentify import QUASI_IDENTIFIERS
from src.platform.config import Settings
from tests.factories import Consulate, open_case, trafficking_body
from tests.serving import ukuk

pytestmark = pytest.mark.slow  # runs `ukuk` as a process


def _ukuk(owner_url: str, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    # The app's keyring: the command opens what the app under test sealed.
    return ukuk(owner_url, "export", "htcds", *args, timeout=120, UKUK_DATA_DIR=str(settings.data_dir))


async def test_the_cli_writes_a_k_anonymous_file_and_audits_it(
    owner_url: str,
    settings: Settings,
    client: httpx.AsyncClient,
    db: AsyncSession,
    consulate_a: Consulate,
    tmp_path: Path,
) -> None:
    for _ in range(5):
        await open_case(client, consulate_a.officer, trafficking_body())
    man = trafficking_body()
    man["subject"] = {**man["subject"], "given_name": "Бакыт", "sex": "male"}
    await open_case(client, consulate_a.officer, man)
    target = tmp_path / "htcds.csv"
    done = _ukuk(owner_url, settings, "--format", "csv", "--from", "2020-01-01", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert "5 records (k=5): 0 generalized, 1 withheld" in done.stderr
    content = target.read_bytes()
    assert b"\xd0\xa1\xd0\xb0\xd0\xb4\xd1\x8b\xd0\xba\xd0\xbe\xd0\xb2\xd0\xb0" not in content  # Садыкова
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    classes = Counter(tuple(row[name] for name in QUASI_IDENTIFIERS) for row in rows)
    assert len(rows) == 5 and all(size >= 5 for size in classes.values())

    as_json = _ukuk(owner_url, settings)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["metadata"]["records"] == 5

    events = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.htcds").order_by(AuditEvent.id)
        )
    ).all()
    assert [(e.actor_type, e.outcome) for e in events] == [("system", "success")] * 2
    assert events[0].detail["from"] == "2020-01-01" and events[0].detail["format"] == "csv"
    assert events[0].detail["records"] == 5 and events[0].detail["withheld"] == 1

    refused = _ukuk(owner_url, settings, "--from", "2026-02-01", "--to", "2026-01-01")
    assert refused.returncode == 2 and "--from" in refused.stderr
    bad = _ukuk(owner_url, settings, "--to", "yesterday")
    assert bad.returncode == 2
