"""schemathesis against the served OpenAPI contract, once per role: no 5xx, responses match their schema,
invalid input is refused, every operation refuses a missing or broken token. `make test` runs a few
examples per operation with a fixed seed; `make fuzz` many, with every phase and a fresh seed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories
from tests.serving import serve

ROLES = ["officer", "supervisor", "coordinator", "partner", "auditor", "admin"]
CHECKS = "not_a_server_error,response_schema_conformance,negative_data_rejection,ignored_auth,use_after_free"
EXAMPLES = os.environ.get("UKUK_FUZZ_EXAMPLES", "3")
PHASES = os.environ.get("UKUK_FUZZ_PHASES", "fuzzing,stateful")
SEED = os.environ.get("UKUK_FUZZ_SEED", "20261123")  # "random": a new one each run
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

pytestmark = pytest.mark.slow  # `ukuk serve` and schemathesis, as processes


@pytest.fixture(scope="module")
def served(owner_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ukuk serve` as a real process on the test database, with the suite's keys."""
    with serve(owner_url, settings, tmp_path_factory.mktemp("serve") / "serve.log") as server:
        yield server.url


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
