"""create_app(): the FastAPI application, its lifespan (engine, sessions, audit sequencer), ops routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.attachments.router import router as attachments_router
from src.audit.checkpoints import load_checkpoint_key
from src.audit.router import router as audit_router
from src.audit.sequencer import Sequencer, SequencerRefused, backlog, create_sequencer
from src.auth.router import router as auth_router
from src.auth.tokens import load_keys
from src.cases import consents as case_consents
from src.cases import service as cases_service
from src.cases import transfers as case_transfers
from src.cases.alerts import DeadlineAlerter
from src.cases.amend_router import router as case_amendments_router
from src.cases.reference_router import router as case_reference_router
from src.cases.router import router as cases_router
from src.cases.transfer_router import router as case_transfers_router
from src.consulates.router import router as consulates_router
from src.crypto import keys
from src.exports.router import router as exports_router
from src.platform.config import Settings, get_settings
from src.platform.dependencies import refuse_unknown_query
from src.platform.docs import add_docs_routes
from src.platform.errors import install_error_handlers, problem_response, problems_as_problem_json
from src.platform.middleware import RequestContextMiddleware
from src.platform.observability import (
    AUDIT_SEQUENCER_LAG,
    AUDIT_UNSEQUENCED,
    configure_logging,
    observe_pools,
)
from src.platform.session import create_engine, create_sessionmaker
from src.platform.tags import OPENAPI_TAGS
from src.redress import service as redress_service
from src.redress.router import router as redress_router
from src.referrals import consent as referral_consent
from src.referrals import service as referrals_service
from src.referrals.expiry import ReferralExpirer
from src.referrals.router import router as referrals_router
from src.reports.monitoring_router import router as monitoring_router
from src.reports.router import router as reports_router
from src.subject_access.router import router as subject_access_router
from src.webhooks.delivery import DeliveryWorker, http_client
from src.webhooks.router import router as webhooks_router

log = structlog.get_logger("ukuk.app")

API_VERSION = "1.0.0"


def _operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name (unique across the app, checked by a test)."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise RuntimeError(
                "DATABASE_URL is not set: start with `ukuk serve`, which runs an embedded PostgreSQL"
            )
        engine = create_engine(settings, settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        # Reports read their aggregates from a replica when one is named (src/reports/reading.py).
        reports_engine = (
            create_engine(settings, settings.reports_database_url) if settings.reports_database_url else None
        )
        app.state.reports_sessionmaker = create_sessionmaker(reports_engine) if reports_engine else None
        sequencer_task = None
        sequencer: Sequencer | None = None
        if settings.audit_sequencer_enabled:
            try:
                sequencer = create_sequencer(settings, engine)
            except SequencerRefused as exc:  # the API serves; the chain waits for a sequencer that can run
                log.error("sequencer_refused", reason=str(exc))
            else:
                sequencer_task = asyncio.create_task(sequencer.run(), name="audit-sequencer")
        app.state.sequencer = sequencer
        # The pools /metrics reports on.
        app.state.engines = {
            "primary": engine,
            "reports": reports_engine,
            "sequencer": sequencer.engine if sequencer is not None and sequencer.owns_engine else None,
        }
        http = http_client(settings)
        app.state.http = http
        jobs: list[DeliveryWorker | ReferralExpirer | DeadlineAlerter] = []
        if (
            settings.webhook_worker_enabled
        ):  # the outbox, expiry and alerts; `ukuk worker` runs them apart too
            jobs = [
                DeliveryWorker(engine, settings, http),
                ReferralExpirer(engine),
                DeadlineAlerter(engine, settings),
            ]
        job_tasks = [asyncio.create_task(job.run(), name=type(job).__name__) for job in jobs]
        # What start-up made (modules, models, routes, about 190 000 objects) lives as long as the process:
        # frozen out of the cycle collector, a full collection no longer walks it. It took 70 to 140 ms, every
        # request waiting, about once in 6 000 GET case requests.
        gc.collect()
        gc.freeze()
        log.info("started")
        try:
            yield
        finally:
            gc.unfreeze()  # a process that builds another app (the tests) lets this one's objects go
            if sequencer is not None and sequencer_task is not None:
                sequencer.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await sequencer_task
            for job in jobs:
                job.stop()
            await asyncio.gather(*job_tasks, return_exceptions=True)
            await http.aclose()
            await engine.dispose()
            if reports_engine is not None:
                await reports_engine.dispose()
            log.info("stopped")

    app = FastAPI(
        title="Ukuk",
        summary="Case management for violations of migrants' rights",
        version=API_VERSION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # served from this process's files (src/platform/docs.py), not a CDN
        redoc_url=None,
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.settings = settings

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems_as_problem_json(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.token_keys = load_keys(settings)
    keys.install(keys.load_keyring(settings))
    app.state.checkpoint_key = load_checkpoint_key(settings)
    install_error_handlers(app)
    # A case's timeline shows what later domains record on it; cases imports none of them.
    cases_service.add_timeline_source(redress_service.timeline_entries)
    cases_service.add_timeline_source(referrals_service.timeline_entries)
    case_consents.on_withdrawal(referral_consent.consent_withdrawn)
    case_transfers.on_transferred(referral_consent.case_transferred)
    # A request is matched against the routers in this order. Each router it cannot be passes it over with
    # one comparison (platform/routing.py); the one it can be tries its routes one by one, so the case
    # routes and the referral inbox, which most requests are, still come first. No router is included with
    # a prefix: each router's paths are the ones requests are matched on.
    app.include_router(cases_router)
    app.include_router(referrals_router)
    app.include_router(auth_router)
    app.include_router(consulates_router)
    app.include_router(case_reference_router)
    app.include_router(case_amendments_router)
    app.include_router(case_transfers_router)
    app.include_router(subject_access_router)
    app.include_router(webhooks_router)
    app.include_router(redress_router)
    app.include_router(attachments_router)
    app.include_router(audit_router)
    app.include_router(reports_router)
    app.include_router(exports_router)
    app.include_router(monitoring_router)
    _add_ops_routes(app)
    add_docs_routes(app)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        form_paths=frozenset({"/v1/auth/token"}),
        streamed_bodies=re.compile(r"/v1/cases/[^/]+/attachments"),
        # Production: only UKUK_PUBLIC_URL's host and UKUK_ALLOWED_HOSTS (required there; raises without).
        trusted_hosts=settings.trusted_hosts(),
    )
    return app


READINESS_SECONDS = 2.0


def _forget_outcome(task: asyncio.Task[None]) -> None:
    """Retrieve a readiness check's outcome so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def _add_ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"], include_in_schema=True, summary="Check liveness")
    async def healthz() -> dict[str, str]:
        """The process is up (no dependencies checked). Needs no token."""
        return {"status": "ok"}

    # At most one check at a time: one still running past its bound means the database does not answer, and
    # hung checks never pile up in the pool.
    checks: dict[str, asyncio.Task[Any]] = {}

    async def database_answers(engine: AsyncEngine) -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @app.get("/readyz", tags=["ops"], summary="Check readiness")
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the database answers within two seconds; otherwise 503 (problem+json)."""
        # The whole check (pool checkout, pre-ping, connect, query, return) is bounded, and the answer never
        # waits for a cancelled check to clean up: against a frozen database that cleanup itself hangs.
        check = checks.get("running")
        if check is None or check.done() or check.get_loop() is not asyncio.get_running_loop():
            check = asyncio.create_task(database_answers(request.app.state.engine), name="readiness-check")
            check.add_done_callback(_forget_outcome)
            checks["running"] = check
        done, _ = await asyncio.wait({check}, timeout=READINESS_SECONDS)
        reason = None
        if not done:
            check.cancel()  # it finishes in the background (bounded by the command timeout)
            reason = "TimeoutError"
        elif not check.cancelled() and check.exception() is not None:
            reason = type(check.exception()).__name__
        elif check.cancelled():
            reason = "CancelledError"
        if reason is not None:
            log.warning("not_ready", error_class=reason)
            return problem_response(
                503, "service-unavailable", "Service unavailable", "The database does not answer."
            )
        return JSONResponse({"status": "ready"})

    async def audit_backlog(engine: AsyncEngine) -> tuple[int, float]:
        async with engine.connect() as conn:
            return await backlog(conn)

    @app.get("/metrics", tags=["ops"], response_class=Response, summary="Read Prometheus metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics: requests by route template and status, webhook deliveries by outcome, the
        database pools' use and the audit sequencer's lag (counts only, never personal data)."""
        observe_pools(request.app.state.engines)
        # Like readiness: one backlog query at a time, waited for at most two seconds (NaN after that); one
        # still running is waited for again by the next scrape instead of starting another.
        check = checks.get("backlog")
        if check is None or check.done() or check.get_loop() is not asyncio.get_running_loop():
            check = asyncio.create_task(audit_backlog(request.app.state.engine), name="audit-backlog")
            check.add_done_callback(_forget_outcome)
            checks["backlog"] = check
        done, _ = await asyncio.wait({check}, timeout=READINESS_SECONDS)
        waiting, lag = math.nan, math.nan
        if done and not check.cancelled() and check.exception() is None:
            waiting, lag = check.result()
        AUDIT_UNSEQUENCED.set(waiting)
        AUDIT_SEQUENCER_LAG.set(lag)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
