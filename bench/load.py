"""The load half of `make bench`: the API under load from wrk, each figure beside its baseline measured in
the same run, written to bench/results.md.

    python -m bench.load [--seconds 10] [--connections 16]

Needs wrk (Debian: `apt-get install wrk`) and the `make bench` data (generated on first use). The API runs as
`ukuk serve` does (one uvicorn worker, uvloop, httptools, no access log, the audit sequencer inside); the
baselines are in bench/bare.py. The machine is shared by wrk, the server and PostgreSQL, so only the ratios
mean something; the absolute numbers are for this machine, this run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import bare
from bench.run import ROOT, _database, _generate, describe_data
from src.auth.passwords import hash_password
from src.crypto import keys
from src.platform.config import Settings
from src.platform.pagination import bind_list, encode_cursor, unbind_list
from src.seed import bench_names
from src.seed.bench_data import BENCH_ORG_PREFIX

RESULTS = ROOT / "results.md"
PASSWORD = "bench-password-1"  # noqa: S105 (a generated benchmark account)
DATA_DIR = Path(".ukuk/bench")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(command: list[str], env: dict[str, str], health: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 (our own commands)
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + health, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-2000:] if process.stderr else "exited")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Wrk:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(url: str, script: str, seconds: int, connections: int) -> Wrk:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name, url]
    done = subprocess.run(  # noqa: S603
        command,
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(lua.name)
    out = done.stdout
    if "Requests/sec" not in out or "50%" not in out:
        raise RuntimeError(f"wrk said:\n{out}\n{done.stderr}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Wrk(rate, p50, p99, failed)


def _lua_get(paths: list[str], token: str | None) -> str:
    listed = ",".join(json.dumps(p) for p in paths)
    auth = f'["Authorization"] = "Bearer {token}"' if token else ""
    return f"""
local paths = {{{listed}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {{{auth}}})
end
"""


def _lua_post(path: str, bodies: list[str], token: str) -> str:
    listed = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return f"""
local bodies = {{{listed}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "{path}", {{["Authorization"] = "Bearer {token}",
    ["Content-Type"] = "application/json"}}, bodies[(i % #bodies) + 1])
end
"""


def _signed_cursor(path: str, key: list[Any]) -> str:
    """A cursor as the API issues it for `path` (cursors are signed and bound to their list; the key ring is
    the server's, installed in `run`)."""
    bound = bind_list(path)
    try:
        return encode_cursor(key)
    finally:
        unbind_list(bound)


def _parts(name: bench_names.BenchName) -> dict[str, str]:
    parts = {"family_name": name.family_name, "given_name": name.given_name, "patronymic": name.patronymic}
    return {k: v for k, v in parts.items() if v is not None}


def _intake_bodies(count: int) -> list[str]:
    """Intakes of five people and ten violations, names from the benchmark's pool (so duplicate search runs
    against the million generated people as it would in production)."""
    names = bench_names.pool(count * 5)
    bodies = []
    for n in range(count):
        people = names[n * 5 : n * 5 + 5]
        body = {
            "kind": "abuse",
            "summary": "Wages unpaid for four months on a construction site; passports kept by the foreman.",
            "intake_channel": "hotline",
            "occurred": {"country": "RU", "region": "RU-MOW", "city": "Москва"},
            "subject": {
                "role": "victim",
                **_parts(people[0]),
                "birth_date": "1990-05-17",
                "sex": people[0].sex,
                "citizenship": "KG",
                "document": {"type": "passport", "number": f"AC{n:07d}"},
                "phone": "+996 555 123 456",
            },
            "persons": [{"role": "witness", **_parts(p)} for p in people[1:]],
            "violations": [
                {
                    "type": "wage_theft",
                    "indicators": ["withholding_wages"],
                    "description": f"Month {m + 1} of wages not paid.",
                }
                for m in range(10)
            ],
        }
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


async def _raw_intake(url: str, owner: uuid.UUID, actor: uuid.UUID, seconds: int, clients: int) -> float:
    """The same writes through asyncpg, `clients` connections as fast as they go: intakes per second."""
    pool = [n for n in bench_names.pool(1000)]
    names = [(p.full_name, p.name_key) for p in pool]
    done = 0
    deadline = time.perf_counter() + seconds

    async def client(k: int) -> None:
        nonlocal done
        conn = await asyncpg.connect(bare._dsn(url), **bare._driver_args())
        n = k
        while time.perf_counter() < deadline:
            await bare.intake(conn, owner, actor, names, n)
            done += 1
            n += clients
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    rate = done / (time.perf_counter() - started)
    conn = await asyncpg.connect(bare._dsn(url), **bare._driver_args())
    await conn.execute(bare.REMOVE_RAW)
    await conn.close()
    return rate


async def _paced(url: str, paths: list[str], token: str, rate: float, seconds: int, clients: int) -> float:
    """An open-loop generator: requests at a fixed rate over `clients` keep-alive connections, latency counted
    from when each request was due (so a stall is not hidden by sending less). Answers p99 in ms."""
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    end = start + seconds
    latencies: list[float] = []
    failures = 0

    async def client(k: int) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        n = 0
        while (due := start + (k + n * clients) / rate) < end:
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            path = paths[(k + n * clients) % len(paths)]
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            failures += not head.startswith(b"HTTP/1.1 200")
            latencies.append((loop.time() - due) * 1000)
            n += 1
        writer.close()

    await asyncio.gather(*(client(k) for k in range(clients)))
    if failures:
        raise RuntimeError(f"{failures} paced requests failed")
    latencies.sort()
    return latencies[int(0.99 * (len(latencies) - 1))]


async def _sequential(url: str, path: str, token: str, count: int) -> float:
    """Median ms of `count` requests one after another on one connection."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        samples = []
        for n in range(count + 5):
            started = time.perf_counter()
            answer = await http.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
            if n >= 5:
                samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def _raw_list(
    url: str, session_id: uuid.UUID, subject: uuid.UUID, before: uuid.UUID, count: int
) -> float:
    """The list page's SQL alone (sign-in lookup, the page, the audit INSERT, commit): median ms."""
    conn = await asyncpg.connect(bare._dsn(url), **bare._driver_args())
    samples = []
    for n in range(count + 5):
        started = time.perf_counter()
        async with conn.transaction():
            await conn.fetchrow(bare.SESSION, session_id, subject)
            rows = await conn.fetch(
                "SELECT id, reference, kind, status, owner_organization_id, assignee_id, occurred_country, "
                "due_at, created_at FROM case_file WHERE id < $1 ORDER BY id DESC LIMIT 51",
                before,
            )
            await conn.execute(bare.AUDIT, subject, subject, "case.list", None, "raw")
        if n >= 5:
            samples.append((time.perf_counter() - started) * 1000)
    assert len(rows) == 51
    await conn.close()
    return statistics.median(samples)


async def _accounts(url: str, settings: Settings) -> dict[str, Any]:
    """A coordinator (reads every case) and an officer of a generated consulate (opens cases there)."""
    conn = await asyncpg.connect(bare._dsn(url), **bare._driver_args())
    await conn.execute(bare.REMOVE_RAW)
    password = await hash_password(settings, PASSWORD)
    ministry = uuid.uuid4()
    await conn.execute(
        "INSERT INTO organization (id, name, kind, country) VALUES ($1, $2, 'ministry', 'KG')",
        ministry,
        f"bench load ministry {ministry}",
    )
    consulate = await conn.fetchval(
        "SELECT id FROM organization WHERE name = $1", BENCH_ORG_PREFIX + "consulate 1"
    )
    accounts: dict[str, Any] = {"consulate": consulate}
    for role, org in (("coordinator", ministry), ("officer", consulate)):
        user_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO user_account (id, username, password_hash, organization_id, role) "
            "VALUES ($1, $2, $3, $4, $5)",
            user_id,
            f"bench.load.{role}.{user_id.hex[:8]}",
            password,
            org,
            role,
        )
        accounts[role] = {"id": user_id, "username": f"bench.load.{role}.{user_id.hex[:8]}"}
    await conn.close()
    return accounts


def _sign_in(url: str, username: str) -> tuple[str, uuid.UUID]:
    answer = httpx.post(
        url + "/v1/auth/token", data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    answer.raise_for_status()
    token = answer.json()["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return token, uuid.UUID(claims["sid"])


@dataclass
class Row:
    name: str
    api: str
    baseline: str
    ratio: float
    target: str
    ok: bool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cases", type=int, default=100_000)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    raise SystemExit(asyncio.run(run(options.seconds, options.connections, options.cases)))


async def run(seconds: int, connections: int, cases: int) -> int:
    url = _database()
    settings = Settings(
        database_url=url, data_dir=DATA_DIR, password_hash_time_cost=1, password_hash_memory_kib=1024
    )
    keys.install(keys.load_keyring(settings))
    sample = await _generate(url, cases, 10)
    accounts = await _accounts(url, settings)
    env = {
        "DATABASE_URL": url,
        "UKUK_DATA_DIR": str(DATA_DIR),
        "UKUK_WEBHOOK_WORKER_ENABLED": "false",
        "UKUK_LOG_LEVEL": "WARNING",
        "UKUK_PASSWORD_HASH_TIME_COST": "1",
        "UKUK_PASSWORD_HASH_MEMORY_KIB": "1024",
        "UKUK_SEARCH_MAX_PER_MINUTE": "100000",
    }
    api_command = [sys.executable, "-m", "bench.variant"]
    bodies = _intake_bodies(400)
    rows: list[Row] = []
    measured: dict[str, Any] = {}
    case_paths = [f"/v1/cases/{c}" for c in sample]
    for audit in ("on", "off"):
        command = api_command + ([] if audit == "on" else ["--no-audit"])
        with _server(command, env, "/healthz") as api:
            coordinator, session_id = _sign_in(api, accounts["coordinator"]["username"])
            officer, _ = _sign_in(api, accounts["officer"]["username"])
            print(f"audit {audit}: GET case ...", flush=True)
            measured[f"read {audit}"] = _wrk(api, _lua_get(case_paths, coordinator), seconds, connections)
            print(f"audit {audit}: intake ...", flush=True)
            measured[f"intake {audit}"] = _wrk(
                api + "/v1/cases", _lua_post("/v1/cases", bodies, officer), seconds, connections
            )
            if audit == "on":
                rate = 0.8 * measured["read on"].rate
                print(f"paced GET case at {rate:.0f}/s ...", flush=True)
                measured["paced p99"] = await _paced(api, case_paths, coordinator, rate, seconds, connections)
                measured["paced rate"] = rate
                print("list pages ...", flush=True)
                conn = await asyncpg.connect(bare._dsn(url), **bare._driver_args())
                newest = await conn.fetchval("SELECT id FROM case_file ORDER BY id DESC LIMIT 1")
                total = await conn.fetchval("SELECT count(*) FROM case_file")
                deep_page = total // 50 - 1
                deep = await conn.fetchval(
                    "SELECT id FROM case_file ORDER BY id DESC OFFSET $1 LIMIT 1", deep_page * 50 - 1
                )
                await conn.close()
                measured["deep page"] = deep_page
                measured["list first"] = await _sequential(api, "/v1/cases?limit=50", coordinator, 200)
                measured["list deep"] = await _sequential(
                    api,
                    f"/v1/cases?limit=50&cursor={_signed_cursor('/v1/cases', [str(deep)])}",
                    coordinator,
                    200,
                )
                subject = accounts["coordinator"]["id"]
                newest_after = uuid.UUID(int=newest.int + 1)
                measured["list raw"] = await _raw_list(url, session_id, subject, newest_after, 200)
        if audit == "on":
            subject = accounts["coordinator"]["id"]
            env_bare = {**env, "BARE_SESSION_ID": str(session_id), "BARE_SUBJECT": str(subject)}
            command = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--loop", "uvloop"]
            command += ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
            with _server(command, env_bare, f"/cases/{sample[0]}") as bare_url:
                print("bare route: GET case ...", flush=True)
                bare_paths = [f"/cases/{c}" for c in sample]
                measured["read bare"] = _wrk(bare_url, _lua_get(bare_paths, None), seconds, connections)
            print("raw asyncpg intake ...", flush=True)
            measured["intake raw"] = await _raw_intake(
                url, accounts["consulate"], accounts["officer"]["id"], seconds, connections
            )
    for key in ("read on", "read off", "intake on", "intake off", "read bare"):
        if measured[key].errors:
            raise RuntimeError(f"{key}: {measured[key].errors} failed requests")

    def add(name: str, api: str, baseline: str, ratio: float, target: str, ok: bool) -> None:
        rows.append(Row(name, api, baseline, ratio, target, ok))

    read, intake = measured["read on"], measured["intake on"]
    ratio = intake.rate / measured["intake raw"]
    add(
        f"intake, {connections} clients (case + 5 persons + 10 violations + audit)",
        f"{intake.rate:.0f}/s",
        f"raw asyncpg {measured['intake raw']:.0f}/s",
        ratio,
        ">= 0.50 of raw",
        ratio >= 0.5,
    )
    ratio = read.rate / measured["read bare"].rate
    add(
        f"GET case, {connections} clients",
        f"{read.rate:.0f}/s",
        f"bare Starlette+asyncpg {measured['read bare'].rate:.0f}/s",
        ratio,
        ">= 0.60 of bare",
        ratio >= 0.6,
    )
    add(
        f"GET case p99 at 80% of max ({measured['paced rate']:.0f}/s, open loop)",
        f"{measured['paced p99']:.1f} ms",
        f"p50 at max {read.p50_ms:.1f} ms",
        measured["paced p99"] / read.p50_ms,
        "reported",
        True,
    )
    ratio = measured["list first"] / measured["list raw"]
    add(
        f"list page 1 over {total} cases",
        f"{measured['list first']:.2f} ms",
        f"its SQL alone {measured['list raw']:.2f} ms",
        ratio,
        "<= 2x raw SQL",
        ratio <= 2,
    )
    ratio = measured["list deep"] / measured["list first"]
    add(
        f"list page {measured['deep page']} vs page 1",
        f"{measured['list deep']:.2f} ms",
        f"{measured['list first']:.2f} ms",
        ratio,
        "<= 1.2x page 1",
        ratio <= 1.2,
    )
    for kind, key, limit in (("writes (intake)", "intake", 0.10), ("reads (GET case)", "read", 0.20)):
        on, off = measured[f"{key} on"].rate, measured[f"{key} off"].rate
        loss = 1 - on / off
        add(
            f"audit on vs off, {kind}",
            f"{on:.0f}/s",
            f"off {off:.0f}/s",
            on / off,
            f"loses <= {limit:.0%}",
            loss <= limit,
        )
    lines = [
        f"{seconds} s per wrk run, {connections} connections, one API worker; "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared by wrk, server and PostgreSQL; "
        f"{describe_data()}",
        "",
        "| scenario | API | baseline (same run) | ratio | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    lines += [
        f"| {r.name} | {r.api} | {r.baseline} | {r.ratio:.2f} | {r.target} | {'yes' if r.ok else 'NO'} |"
        for r in rows
    ]
    table = "\n".join(lines)
    print(table)
    # `make bench` runs bench.run first: its table (same data, same machine, minutes earlier) goes below.
    in_process = ROOT / "results" / "latest.md"
    timed = (
        f"\n\n## Requests in process (`python -m bench.run`)\n\n{in_process.read_text()}"
        if in_process.exists()
        else ""
    )
    RESULTS.write_text(f"# make bench\n\n## Load (`python -m bench.load`)\n\n{table}\n{timed}")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    main()
