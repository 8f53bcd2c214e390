"""One log format: the app's lines, uvicorn's and httpx's all JSON with the same keys, or all for a person
on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from src.platform.config import Settings
from tests import serving

ROOT = Path(__file__).resolve().parents[1]
LINES = """
import logging, httpx, structlog
from src.platform.config import get_settings
from src.platform.observability import configure_logging
settings = get_settings()
configure_logging(settings.log_level, settings.log_json)
structlog.get_logger("ukuk.app").info("started")
logging.getLogger("uvicorn.error").info("Application startup complete.")
httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))).get("http://partner.test/")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
"""


def _environment(**settings: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("UKUK_LOG")}
    return {**environment, "UKUK_LOG_LEVEL": "INFO", **settings}


def _json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def _on_a_terminal(environment: dict[str, str]) -> str:
    """The program's output when its standard output is a terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its standard output is the terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-c", LINES], environment)  # noqa: S606
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return output.decode(errors="replace")


def test_uvicorn_and_httpx_lines_are_json_like_the_apps() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINES], env=_environment(), cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing went around the configured handler
    app_line, uvicorn_line, httpx_line, error_line = _json_lines(done.stdout)
    assert app_line == {
        "event": "started",
        "level": "info",
        "logger": "ukuk.app",
        "timestamp": app_line["timestamp"],
    }
    assert uvicorn_line.keys() == app_line.keys()
    assert (uvicorn_line["logger"], uvicorn_line["level"]) == ("uvicorn.error", "info")
    assert httpx_line.keys() == app_line.keys()
    assert httpx_line["logger"] == "httpx"
    assert "http://partner.test/" in httpx_line["event"]
    assert error_line["level"] == "error"
    assert "ZeroDivisionError" in error_line["exception"]


def test_a_terminal_gets_lines_for_a_person_unless_json_is_asked_for() -> None:
    console = _on_a_terminal(_environment())
    assert "Application startup complete." in console
    assert "uvicorn.error" in console
    assert not any(line.startswith("{") for line in console.splitlines())
    forced = _on_a_terminal(_environment(UKUK_LOG_JSON="true"))
    lines = [line for line in forced.splitlines() if line.strip()]
    assert [json.loads(line)["logger"] for line in lines[:3]] == ["ukuk.app", "uvicorn.error", "httpx"]


@pytest.mark.slow
def test_ukuk_serve_writes_uvicorns_lines_in_the_apps_format(
    owner_url: str, settings: Settings, tmp_path: Path
) -> None:
    with serving.serve(owner_url, settings, tmp_path / "serve.log", UKUK_LOG_LEVEL="INFO") as served:
        pass
    lines = _json_lines(served.log.read_text())  # every line parses: no line in uvicorn's own format
    by_logger = {(line["logger"], line["event"]): line for line in lines}
    started = by_logger[("ukuk.app", "started")]
    for event in ("Application startup complete.", "Waiting for application shutdown."):
        assert by_logger[("uvicorn.error", event)].keys() == started.keys()
    assert any(line["logger"] == "uvicorn.error" and "Uvicorn running on" in line["event"] for line in lines)
