"""HTTP for the monitoring report: JSON by default, `format=html` (one self-contained page), `format=pdf`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic_core
from fastapi import Query, Response
from starlette.concurrency import run_in_threadpool

from src.auth.dependencies import CurrentPrincipal
from src.platform import i18n
from src.platform.dependencies import AppSettings
from src.platform.errors import problem_responses
from src.platform.routing import Router
from src.platform.session import DbSession
from src.reports import export, monitoring, render_html, render_pdf
from src.reports.router import AcceptLanguage, From, ReportSource, To

EXAMPLE: dict[str, Any] = {
    "report": "monitoring",
    "language": "ru",
    "min_cell": 5,
    "from": "2026-07-01",
    "to": "2026-09-30",
    "previous_periods": [
        {"from": "2026-01-01", "to": "2026-03-31"},
        {"from": "2026-04-01", "to": "2026-06-30"},
    ],
    "generated_at": "2026-11-30T08:00:00+00:00",
    "generated_by": {"kind": "user", "id": "01936f3e-8c1a-7b2d-9e4f-5a6b7c8d9e0f", "role": "auditor"},
    "organization": "Акыйкатчы (Омбудсмен) Кыргызской Республики",
    "audit_checkpoint": {"sequence": 48211, "head_hash": "9f2c…"},
    "read_from": "primary",
    "replica_lag_seconds": None,
    "fewer_than": "менее 5",
    "sections": [
        {
            "key": "channels_by_sex",
            "title": "Каналы обращения по полу",
            "row_header": "Канал обращения",
            "columns": [{"code": "female", "label": "Женский"}, {"code": "male", "label": "Мужской"}],
            "chart": ["female", "male"],
            "rows": [
                {
                    "code": "hotline",
                    "label": "Горячая линия",
                    "values": {"female": 12, "male": None},
                    "suppressed": ["male"],
                }
            ],
            "total": 15,
            "total_suppressed": False,
        }
    ],
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON, one HTML page, or a PDF.",
        "content": {
            "application/json": {"schema": {"type": "object"}, "example": EXAMPLE},
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **problem_responses(401, 403, 422, 429),
}
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}

router = Router(prefix="/v1/reports", tags=["reports"])


@router.get("/monitoring", summary="Monitoring report for oversight bodies", responses=RESPONSES)
async def report_monitoring(
    session: DbSession,
    source: ReportSource,
    settings: AppSettings,
    principal: CurrentPrincipal,
    from_: From = None,
    to: To = None,
    format: Annotated[
        Literal["json", "html", "pdf"], Query(description="`html`: one page with inline SVG charts; `pdf`.")
    ] = "json",
    accept_language: AcceptLanguage = None,
) -> Response:
    """The monitoring report of the period (`from`, `to`; default the 90 days to today), against the two
    periods of the same length before it: cases opened by kind per month, by violation type and host region,
    time in each stage against its deadline, referrals by partner, redress by instrument and outcome with the
    sums claimed and obtained, and intake channels by sex. Released differentially private as every report
    (one read of the organization's yearly budget; 429 past it), and a count under its table's minimum cell
    reads "fewer than N". The title page names the period, the organization, who generated it and when, and
    the audit trail's sequence it was read at. In the negotiated language (en, ru or ky); coordinators and
    auditors with `reports:read` (403 otherwise); audited as `report.monitoring`."""
    period = monitoring.period(from_, to)
    language = i18n.negotiate(accept_language)
    # A PDF is drawn a section at a time while the next sections are read (render_pdf.Writer).
    writer = render_pdf.Writer() if format == "pdf" else None
    try:
        report = await monitoring.build(
            session,
            principal,
            source,
            settings,
            period,
            format,
            language,
            on_section=writer.section if writer else None,
        )
        document = await writer.finish() if writer else b""
    finally:
        if writer:
            writer.close()
    headers = {"Content-Language": language, "Vary": "Accept-Language"}
    if format == "json":
        return Response(pydantic_core.to_json(report), media_type="application/json", headers=headers)
    name = f"ukuk-monitoring-{report['from']}-{report['to']}.{format}"
    headers["Content-Disposition"] = export.content_disposition(name).replace("attachment", "inline")
    if format == "html":
        page = await run_in_threadpool(render_html.render, report)
        headers["Content-Security-Policy"] = render_html.CSP
        return Response(page, media_type=MEDIA["html"], headers=headers)
    return Response(document, media_type=MEDIA["pdf"], headers=headers)
