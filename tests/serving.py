"""`ukuk serve` as a real process, for the tests that need a socket, signals or a server of their own; and any
other `ukuk` command run as a process (`ukuk`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from src.platform.config import Settings

# Report noise for tests that check counts exactly: at this epsilon a count moves with probability about
# exp(-10^7); the budget lets a test read as often as it likes. tests/reports/test_privacy.py reads reports
# at the production epsilon and attacks them.
QUIET_EPSILON = 1e9
QUIET_BUDGET = 1e15


def ukuk(owner_url: str, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """`ukuk ARGS...` as a process on the test database (as its owner), quiet logs and cheap password hashes;
    `env` adds or overrides variables (UKUK_DATA_DIR: the keyring the app under test opens with)."""
    environment = {
        **os.environ,
        "DATABASE_URL": owner_url,
        "UKUK_LOG_LEVEL": "WARNING",
        "UKUK_PASSWORD_HASH_TIME_COST": "1",
        "UKUK_PASSWORD_HASH_MEMORY_KIB": "1024",
        "UKUK_REPORT_EPSILON": str(QUIET_EPSILON),
        "UKUK_REPORT_EPSILON_PER_YEAR": str(QUIET_BUDGET),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "src.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serve(
    database_url: str, settings: Settings, log: Path, *options: str, **environment: str
) -> Iterator[Served]:
    """Start `ukuk serve` on a free port with the suite's keys; stop it (SIGTERM) at the end."""
    assert settings.jwt_private_key is not None
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "UKUK_ENV": "test",
        "UKUK_DATA_DIR": str(settings.data_dir),
        "UKUK_JWT_PRIVATE_KEY": settings.jwt_private_key.get_secret_value(),
        "UKUK_AUDIT_SEQUENCER_ENABLED": "false",
        "UKUK_WEBHOOK_WORKER_ENABLED": "false",
        "UKUK_WEBHOOK_ALLOW_PRIVATE": "true",
        "UKUK_LOG_LEVEL": "WARNING",
        "UKUK_PASSWORD_HASH_TIME_COST": "1",
        "UKUK_PASSWORD_HASH_MEMORY_KIB": "1024",
        **environment,
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "src.cli", "serve", "--port", str(port), "--no-migrate", *options],
            env=env,
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
            if process.poll() is not None:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"ukuk serve did not start:\n{log.read_text()[-2000:]}")
        if process.poll() is not None:
            raise AssertionError(f"ukuk serve exited:\n{log.read_text()[-2000:]}")
        yield Served(url, process, log)
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)
