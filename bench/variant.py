"""`ukuk serve` for the load half of `make bench`, optionally with the audit trail switched off
(`--no-audit`), to measure what auditing costs. The switch exists only here, in the benchmark: the
application has no way to turn auditing off, and should not have one.

The app served here has one route more than the API, `GET /bench/floor/cases/{case_id}` (FLOOR): the bare
app's GET case (bench/bare.py: its statements, on a plain asyncpg pool, its rows as JSON), served by the API's
own app as a FastAPI route, after the API's middleware and its routers, with the bearer token verified as
the API verifies it (cached). It is the floor of the framework the API is built on: what GET case would cost
if the API's own code (the principal, the session, the scoping, the ORM's case, decryption, the response
model) cost nothing. `bench.load` measures it beside the API and the bare app, so a run shows how much of
the gap between them is the framework and how much is the API's code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

from bench import bare

FLOOR = "/bench/floor/cases/{case_id}"


def create_app() -> FastAPI:
    from src.auth.tokens import decode_access_token
    from src.main import create_app as create_api

    app = create_api()
    pool: list[asyncpg.Pool] = []
    opening = asyncio.Lock()

    async def floor(request: Request) -> Response:
        """bench/bare.py's read_case, the reader taken from the request's token instead of the environment."""
        authorization = request.headers.get("authorization", "")
        state = request.app.state
        claims = decode_access_token(state.token_keys, state.settings, authorization.removeprefix("Bearer "))
        if not pool:
            async with opening:  # the bare app's pool: no reset on release (the API's sends none either)
                if not pool:
                    url, args = bare._dsn(os.environ["DATABASE_URL"]), bare._driver_args()
                    pool.append(
                        await asyncpg.create_pool(url, min_size=10, max_size=20, reset=bare._no_reset, **args)
                    )
        case_id = uuid.UUID(request.path_params["case_id"])
        return await bare.case_answer(pool[0], case_id, claims.session_id, claims.subject)

    app.add_api_route(FLOOR, floor, methods=["GET"], include_in_schema=False)
    return app


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
        "bench.variant:create_app",
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
