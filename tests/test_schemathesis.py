"""schemathesis against the served OpenAPI contract, once per role: no 5xx, responses match their schema,
invalid input is refused, every operation refuses a missing or broken token. `make test` runs a few
examples per operation with a fixed seed; `make fuzz` many, with every phase and a fresh seed."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.config import Settings
from tests import factories

ROLES = ["officer", "supervisor", "coordinator", "partner", "auditor", "admin"]
CHECKS = "not_a_server_error,response_schema_conformance,negative_data_rejection,ignored_auth,use_after_free"
EXAMPLES = os.environ.get("UKUK_FUZZ_EXAMPLES", "3")
PHASES = os.environ.get("UKUK_FUZZ_PHASES", "fuzzing,stateful")
SEED = os.environ.get("UKUK_FUZZ_SEED", "20261123")  # "random": a new one each run
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(owner_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ukuk serve` as a real process on the test database, with the suite's keys."""
    assert settings.jwt_private_key is not None
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": owner_url,
        "UKUK_ENV": "test",
        "UKUK_DATA_DIR": str(settings.data_dir),
        "UKUK_JWT_PRIVATE_KEY": settings.jwt_private_key.get_secret_value(),
        "UKUK_AUDIT_SEQUENCER_ENABLED": "false",
        "UKUK_WEBHOOK_WORKER_ENABLED": "false",
        "UKUK_WEBHOOK_ALLOW_PRIVATE": "true",
        "UKUK_LOG_LEVEL": "WARNING",
        "UKUK_PASSWORD_HASH_TIME_COST": "1",
        "UKUK_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "src.cli", "serve", "--port", str(port), "--no-migrate"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError(f"ukuk serve did not start:\n{log.read_text()[-2000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("role", ROLES)
async def test_schemathesis_finds_nothing(
    role: str, served: str, db: AsyncSession, settings: Settings, client: httpx.AsyncClient
) -> None:
    account = await factories.account(db, settings, client, role)
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{served}/openapi.json",
        "--header",
        f"Authorization: Bearer {account.token}",
        # Signing out would leave every later request 401; the token endpoint has its own tests.
        "--exclude-path",
        "/v1/auth/logout",
        "--exclude-path",
        "/v1/auth/token",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--phases",
        PHASES,
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "generated" in done.stdout
