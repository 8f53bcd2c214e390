"""`ukuk report monitoring` as a real process: a valid PDF written, a line per section on standard error,
the read audited under the named account, and a consular officer refused (the refusal audited)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform import clock
from src.platform.config import Settings
from src.reports import monitoring_labels
from tests import factories
from tests.factories import Consulate, abuse_body, open_case
from tests.reports.test_monitoring import SECTIONS, pdf_pages
from tests.serving import ukuk

pytestmark = pytest.mark.slow  # runs `ukuk` as a process


def _ukuk(owner_url: str, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    # The app's keyring: the command opens what the app under test sealed.
    return ukuk(owner_url, "report", "monitoring", *args, timeout=300, UKUK_DATA_DIR=str(settings.data_dir))


async def test_the_cli_writes_a_pdf_and_shows_its_progress(
    owner_url: str,
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    tmp_path: Path,
) -> None:
    for _ in range(5):
        await open_case(client, consulate_a.officer, abuse_body())
    auditor = await factories.account(db, settings, client, "auditor")
    today = clock.utcnow().date()
    period = ["--from", today.replace(day=1).isoformat(), "--to", today.isoformat()]
    output = tmp_path / "monitoring.pdf"
    done = _ukuk(
        owner_url,
        settings,
        *period,
        "--output",
        str(output),
        "--as",
        auditor.user.username,
        "--language",
        "ky",
    )
    assert done.returncode == 0, done.stderr
    for key in SECTIONS:
        assert monitoring_labels.section_title(key, "ky") in done.stderr, key
    pages = pdf_pages(output.read_bytes())
    assert len(pages) >= 1 + len(SECTIONS) and all(variance > 50 for variance, _ in pages)
    assert monitoring_labels.text_of("title", "ky") in pages[0][1]
    (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "report.monitoring"))).all()
    assert event.actor_id == auditor.user.id and event.detail["format"] == "pdf"

    refused = _ukuk(
        owner_url,
        settings,
        *period,
        "--output",
        str(tmp_path / "no.pdf"),
        "--as",
        consulate_a.officer.user.username,
    )
    assert refused.returncode == 1 and "refused" in refused.stderr and not (tmp_path / "no.pdf").exists()
    # The refusal is audited as the API audits one: outcome denied, under the account named.
    (denial,) = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.monitoring", AuditEvent.outcome == "denied")
        )
    ).all()
    assert denial.actor_id == consulate_a.officer.user.id

    # A deactivated account cannot be named: refused before anything is read, as its sign-in would be.
    auditor.user.is_active = False
    await db.merge(auditor.user)
    await db.commit()
    gone = _ukuk(
        owner_url, settings, *period, "--output", str(tmp_path / "gone.pdf"), "--as", auditor.user.username
    )
    assert (
        gone.returncode == 2 and "no active account" in gone.stderr and not (tmp_path / "gone.pdf").exists()
    )
