"""The `ukuk` command as a real process: create-admin, demo-data (refused in production), help."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import Organization, User
from src.cases.models import Case, Person
from src.consulates.models import ConsulateJurisdiction
from src.platform.config import Settings
from src.referrals.models import Referral
from src.seed.demo import ORGANIZATIONS, USERS, load_demo_accounts, load_demo_cases
from tests import factories, serving

pytestmark = pytest.mark.slow  # every test runs `ukuk` as a process


@pytest.fixture(autouse=True)
def _same_keys_as_the_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command seals with the data dir's keyring: the app under test must open what it wrote."""
    monkeypatch.setenv("UKUK_DATA_DIR", str(settings.data_dir))


async def test_create_admin_then_sign_in(owner_url: str, client: httpx.AsyncClient, db: AsyncSession) -> None:
    done = serving.ukuk(
        owner_url, "create-admin", "--username", "root.admin", "--password", "a-long-admin-pass"
    )
    assert done.returncode == 0, done.stderr
    admin = await db.scalar(select(User).where(User.username == "root.admin"))
    assert admin is not None and admin.role == "admin"
    ministry = await db.get(Organization, admin.organization_id)
    assert ministry is not None and ministry.kind == "ministry"
    tokens = await factories.login(client, "root.admin", "a-long-admin-pass")
    assert tokens["scope"] == "admin"
    again = serving.ukuk(
        owner_url, "create-admin", "--username", "root.admin", "--password", "a-long-admin-pass"
    )
    assert again.returncode == 2 and "taken" in again.stderr
    weak = serving.ukuk(owner_url, "create-admin", "--username", "second", "--password", "short")
    assert weak.returncode == 2
    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert {"organization.create", "user.create"} <= actions


async def test_benchmark_data_does_not_stop_the_demo_from_loading(owner_url: str, db: AsyncSession) -> None:
    seeded = serving.ukuk(
        owner_url, "seed-bench", "--cases", "50", "--batch", "20", "--audit-events-per-case", "3"
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "added 50 cases" in seeded.stdout and "150 audit events" in seeded.stdout, seeded.stdout
    generated = await db.scalar(
        select(func.count()).where(
            AuditEvent.action.in_(["case.read", "case.list", "case.update", "case.timeline"])
        )
    )
    assert generated == 150
    demo = serving.ukuk(owner_url, "demo-data", "--if-empty")
    assert demo.returncode == 0 and "demo data loaded" in demo.stdout, demo.stderr
    assert await db.scalar(select(func.count()).select_from(Case)) == 50 + 161


async def test_demo_data_loads_once_and_every_user_signs_in(
    owner_url: str, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    done = serving.ukuk(owner_url, "demo-data", "--if-empty")
    assert done.returncode == 0, done.stderr
    assert await db.scalar(select(func.count()).select_from(Organization)) == len(ORGANIZATIONS)
    assert (await db.scalar(select(func.count()).select_from(ConsulateJurisdiction)) or 0) >= 4
    kinds = dict((await db.execute(select(Case.kind, func.count()).group_by(Case.kind))).all())
    assert kinds == {"abuse": 91, "child_return": 30, "trafficking": 40}
    owners = set((await db.scalars(select(Case.owner_organization_id))).all())
    assert len(owners) == 4  # Moscow, Yekaterinburg, and routed to Novosibirsk and Almaty
    assert await db.scalar(select(func.count()).select_from(Referral)) == 21
    # The demo's migrant written twice, the second time in Latin letters: the last intake found the first.
    shown = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.duplicates").order_by(AuditEvent.id.desc())
    )
    assert shown is not None and len(shown.detail["case_ids"]) >= 1
    assert (
        await db.scalar(select(func.count()).select_from(Person).where(Person.full_name.like("% %"))) or 0
    ) >= 160
    skipped = serving.ukuk(owner_url, "demo-data", "--if-empty")
    assert "skipped" in skipped.stdout
    assert await db.scalar(select(func.count()).select_from(Organization)) == len(ORGANIZATIONS)
    for username, _, role, password in USERS:
        tokens = await factories.login(client, username, password)
        me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.json()["role"] == role
    routed = await client.get(
        "/v1/consulates/route?country=RU&region=RU-SVE",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert "Yekaterinburg" in routed.json()["name"]
    # Every report shows a newcomer numbers, not only cells suppressed below the minimum of 5.
    coordinator = await factories.login(client, "coordinator", "ukuk-demo-coordinator")
    headers = {"Authorization": f"Bearer {coordinator['access_token']}"}
    reports = {
        name: (await client.get(f"/v1/reports/{name}", headers=headers)).json()
        for name in ("cases", "referrals", "redress", "timeliness")
    }
    assert all(row["count"] >= 5 for row in reports["cases"]["rows"])
    [ngo] = reports["referrals"]["rows"]
    counts = (ngo["sent"], ngo["accepted"], ngo["completed"], ngo["declined"], ngo["pending"])
    assert counts == (21, 5, 6, 5, 5)
    shown_redress = [row for row in reports["redress"]["rows"] if row["actions"] is not None]
    assert len(shown_redress) == 3  # court, negotiation with the employer, labour inspectorate
    assert any(money["recovered"] for row in shown_redress for money in row["money"])
    assert sum(1 for row in reports["timeliness"]["rows"] if row["cases"] and not row["suppressed"]) >= 5


async def test_demo_cases_cut_off_by_a_stop_are_loaded_on_the_next_start(
    owner_url: str, settings: Settings, db: AsyncSession
) -> None:
    """`serve --demo-data` commits the accounts, then loads the cases beside the server: a stop in between
    leaves accounts without cases, and the next start (`--if-empty`) loads the cases, once."""
    demo = settings.model_copy(update={"database_url": owner_url})
    assert await load_demo_accounts(demo, if_empty=True) is True
    assert await load_demo_accounts(demo, if_empty=True) is False
    assert await db.scalar(select(func.count()).select_from(Case)) == 0
    resumed = serving.ukuk(owner_url, "demo-data", "--if-empty")
    assert resumed.returncode == 0 and "demo data loaded" in resumed.stdout, resumed.stderr
    assert await db.scalar(select(func.count()).select_from(Case)) == 161
    assert await load_demo_cases(demo) is False
    assert await db.scalar(select(func.count()).select_from(Case)) == 161


async def test_demo_data_is_refused_in_production(owner_url: str, db: AsyncSession) -> None:
    done = serving.ukuk(owner_url, "demo-data", UKUK_ENV="production")
    assert done.returncode == 2
    assert "refused" in done.stderr
    assert await db.scalar(select(func.count()).select_from(Organization)) == 0


def test_a_setting_out_of_bounds_is_one_line_naming_its_variable(owner_url: str) -> None:
    done = serving.ukuk(owner_url, "migrate", UKUK_ACCESS_TOKEN_TTL_SECONDS="5", UKUK_ENV="nope")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = sorted(done.stderr.strip().splitlines())
    assert len(lines) == 2
    assert lines[0].startswith("setting UKUK_ACCESS_TOKEN_TTL_SECONDS='5': Input should be greater than or")
    assert lines[1].startswith("setting UKUK_ENV='nope': Input should be 'development'")


def test_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "src.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in (
        "serve",
        "migrate",
        "create-admin",
        "demo-data",
        "worker",
        "audit",
        "keys",
        "retention",
        "openapi",
    ):
        assert command in done.stdout


async def test_keys_add_then_rotate_reseals_everything_and_the_api_still_reads_it(
    owner_url: str, settings: Settings, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    from src.crypto import keys

    seeded = serving.ukuk(owner_url, "seed-bench", "--cases", "30")
    assert seeded.returncode == 0, seeded.stderr
    added = serving.ukuk(owner_url, "keys", "add", "--id", "cli2")
    assert added.returncode == 0 and "added key cli2" in added.stdout, added.stderr
    rotated = serving.ukuk(owner_url, "keys", "rotate", "--batch-size", "7")
    assert rotated.returncode == 0, rotated.stderr
    referrals = await db.scalar(select(func.count()).select_from(Referral)) or 0
    assert f"re-sealed {60 + referrals} values under cli2" in rotated.stdout  # summaries, details, reasons
    status = serving.ukuk(owner_url, "keys", "status")
    assert "active key: cli2" in status.stdout and "case_file.summary: cli2: 30" in status.stdout
    assert "k1" not in status.stdout.replace("active key", "")
    taken = serving.ukuk(owner_url, "keys", "add", "--id", "cli2")
    assert taken.returncode == 2 and "taken" in taken.stderr
    # The API process learns the new key from the keyring file when a value names it.
    keyring = keys.current()
    assert keyring.key("cli2") is not None
    case = await db.scalar(select(Case).limit(1))
    assert case is not None and case.summary == "Generated case."


async def test_retention_run_reports_what_it_did(owner_url: str) -> None:
    dry = serving.ukuk(owner_url, "retention", "run", "--dry-run")
    assert dry.returncode == 0 and "would anonymise 0 cases; held: none" in dry.stdout, dry.stderr
    done = serving.ukuk(owner_url, "retention", "run")
    assert (
        done.returncode == 0 and "anonymised 0 cases" in done.stdout and "idempotency records" in done.stdout
    )


def test_serve_loads_the_demo_world_in_the_same_process(
    owner_url: str, settings: Settings, tmp_path: Path
) -> None:
    """`make run` is `ukuk serve --demo-data`: one process (one embedded PostgreSQL), demo data, the API."""
    with serving.serve(owner_url, settings, tmp_path / "serve.log", "--demo-data") as served:
        token = httpx.post(
            f"{served.url}/v1/auth/token",
            data={"grant_type": "password", "username": "officer.moscow", "password": "ukuk-demo-officer"},
            timeout=30,
        )
        assert token.status_code == 200, token.text
        # The accounts are there before the server answers; the cases load beside it.
        deadline = time.monotonic() + 120
        while "demo data loaded" not in served.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        cases = httpx.get(
            f"{served.url}/v1/cases",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )
        assert cases.status_code == 200 and cases.json()["items"], cases.text
    assert "demo data loaded" in served.log.read_text()


def test_no_platformdirs_warning_without_a_runtime_directory(tmp_path: Path) -> None:
    """The embedded PostgreSQL's import asked platformdirs for XDG_RUNTIME_DIR and warned on every command."""
    environment = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", "from src.platform.postgres import start_embedded; "
         f"start_embedded(__import__('pathlib').Path({str(tmp_path / 'pg')!r}), cleanup='stop')"],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "XDG_RUNTIME_DIR" not in done.stderr
