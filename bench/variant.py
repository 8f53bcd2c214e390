"""`ukuk serve` for the load half of `make bench`, optionally with the audit trail switched off
(`--no-audit`), to measure what auditing costs. The switch exists only here, in the benchmark: the
application has no way to turn auditing off, and should not have one."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-audit", action="store_true")
    options = parser.parse_args()
    if options.no_audit:
        from src.audit import service

        async def record(*_: Any, **__: Any) -> None:
            return None

        service.record = record
    # As `ukuk serve`: uvloop and httptools (installed, so uvicorn's "auto" picks them), no access log.
    uvicorn.run(
        "src.main:create_app",
        factory=True,
        host="127.0.0.1",
        port=options.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
