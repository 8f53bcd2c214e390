"""HTTP for reports: JSON by default, `format=csv` for a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import pydantic_core
from fastapi import Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.dependencies import CurrentPrincipal
from src.auth.principal import Principal
from src.platform import clock, i18n
from src.platform.config import Settings
from src.platform.dependencies import AppSettings
from src.platform.errors import problem_responses
from src.platform.routing import Router
from src.platform.schemas import IsoDate
from src.platform.session import DbSession
from src.reports import export, outcomes, service
from src.reports.reading import Source
from src.reports.schemas import CASE_DIMENSIONS, CaseReport, RedressReport, ReferralReport, TimelinessReport

READ_FROM_HEADER = "Ukuk-Read-From"
LAG_HEADER = "Ukuk-Replica-Lag-Seconds"
CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The report.",
        "headers": {
            READ_FROM_HEADER: {
                "description": "`primary` or `replica`: where the counts were read (`read_from`).",
                "schema": {"type": "string", "enum": ["primary", "replica"]},
            },
            LAG_HEADER: {
                "description": "Read from the replica: `replica_lag_seconds`, when known.",
                "schema": {"type": "number"},
            },
        },
    }
}
router = Router(
    prefix="/v1/reports",
    tags=["reports"],
    responses={**CSV, **problem_responses(401, 403, 422, 429)},
)

From = Annotated[IsoDate | None, Query(alias="from", description="First day (UTC) of creation, included.")]
To = Annotated[IsoDate | None, Query(description="Last day (UTC) of creation, included.")]
AcceptLanguage = Annotated[
    str | None,
    Header(max_length=200, description="en, ru or ky: the language of the `labels` (default en)."),
]
Format = Annotated[Literal["json", "csv"], Query(description="`csv`: RFC 4180, UTF-8 with a BOM.")]

ReportT = TypeVar("ReportT", bound=BaseModel | dict[str, Any])


@dataclass(frozen=True)
class ReportParams:
    period: service.Period
    format: str


async def _params(from_: From = None, to: To = None, format: Format = "json") -> ReportParams:
    return ReportParams(service.check_period(from_, to), format)


Params = Annotated[ReportParams, Depends(_params)]


def _source(request: Request) -> Source:
    """The reports replica's sessions when UKUK_REPORTS_DATABASE_URL is set (the lifespan made them)."""
    return Source(getattr(request.app.state, "reports_sessionmaker", None))


ReportSource = Annotated[Source, Depends(_source)]


def _provenance(report: BaseModel | dict[str, Any]) -> dict[str, str]:
    """The report's `read_from` and `replica_lag_seconds` as headers: a CSV has no room for them."""
    meta = (
        report
        if isinstance(report, dict)
        else report.model_dump(include={"read_from", "replica_lag_seconds"})
    )
    headers = {READ_FROM_HEADER: str(meta["read_from"])}
    if meta["replica_lag_seconds"] is not None:
        headers[LAG_HEADER] = str(meta["replica_lag_seconds"])
    return headers


def _answer(report: ReportT, params: ReportParams, name: str, to_csv: Callable[[ReportT], bytes]) -> Response:
    period = params.period
    if params.format != "csv":  # serialized here once, instead of validated again by FastAPI
        content = (
            report.model_dump_json(by_alias=True)
            if isinstance(report, BaseModel)
            else pydantic_core.to_json(report)
        )
        return Response(content=content, media_type="application/json", headers=_provenance(report))
    parts = ["ukuk", name, period.start.isoformat() if period.start else None]
    parts.append(period.end.isoformat() if period.end else clock.utcnow().date().isoformat())
    filename = "-".join(p for p in parts if p) + ".csv"
    return Response(
        content=to_csv(report),
        media_type=export.MEDIA_TYPE,
        headers={"Content-Disposition": export.content_disposition(filename), **_provenance(report)},
    )


@router.get("/cases", response_model=CaseReport, summary="Count cases by dimension")
async def report_cases(
    session: DbSession,
    source: ReportSource,
    settings: AppSettings,
    principal: CurrentPrincipal,
    params: Params,
    group_by: Annotated[
        str, Query(max_length=200, description=f"Comma-separated, from: {', '.join(CASE_DIMENSIONS)}.")
    ] = "kind",
    accept_language: AcceptLanguage = None,
) -> Any:
    """Cases opened in the period (`from`, `to`), counted by the chosen dimensions (`group_by`); cells under
    the threshold are suppressed (`count: null, suppressed: true`). Taxonomy codes and organizations are
    named in each row's `labels`, in the negotiated language (en, ru or ky). Coordinators and auditors with
    the `reports:read` scope (403 otherwise). `format=csv` for a spreadsheet; `Ukuk-Read-From` says whether
    the counts came from the primary or a replica."""
    dimensions = service.parse_group_by(group_by)
    read = await _open(session, principal, source, settings, "cases", params, accept_language)
    report = await service.cases(read, settings, dimensions)
    return _localized(_answer(report, params, "cases", export.cases_csv), read.language)


async def _open(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    settings: Settings,
    name: str,
    params: ReportParams,
    accept_language: str | None,
) -> service.Read:
    """The read of report `name` in the negotiated language, authorized and charged (service.open_report)."""
    language = i18n.negotiate(accept_language)
    return await service.open_report(
        session, principal, source, settings, f"report.{name}", params.period, params.format, language
    )


def _localized(answer: Response, language: str) -> Response:
    answer.headers["Content-Language"] = language
    answer.headers["Vary"] = "Accept-Language"
    return answer


@router.get("/referrals", response_model=ReferralReport, summary="Report referrals by recipient")
async def report_referrals(
    session: DbSession,
    source: ReportSource,
    settings: AppSettings,
    principal: CurrentPrincipal,
    params: Params,
    accept_language: AcceptLanguage = None,
) -> Any:
    """Referrals sent in the period, per receiving organization: by status now, and hours to accept; small
    cells suppressed. Coordinators and auditors with `reports:read` (403 otherwise). `format=csv` for a
    spreadsheet.
    Codes and columns are named in the negotiated language (en, ru or ky)."""
    read = await _open(session, principal, source, settings, "referrals", params, accept_language)
    report = await outcomes.referrals(read)
    return _localized(_answer(report, params, "referrals", export.referrals_csv), read.language)


@router.get("/redress", response_model=RedressReport, summary="Report redress outcomes")
async def report_redress(
    session: DbSession,
    source: ReportSource,
    settings: AppSettings,
    principal: CurrentPrincipal,
    params: Params,
    accept_language: AcceptLanguage = None,
) -> Any:
    """Redress actions recorded in the period, per instrument and forum: outcomes and sums per currency; small
    cells suppressed. Coordinators and auditors with `reports:read` (403 otherwise). `format=csv` for a
    spreadsheet.
    Codes and columns are named in the negotiated language (en, ru or ky)."""
    read = await _open(session, principal, source, settings, "redress", params, accept_language)
    report = await outcomes.redress(read)
    return _localized(_answer(report, params, "redress", export.redress_csv), read.language)


@router.get("/timeliness", response_model=TimelinessReport, summary="Report case timeliness")
async def report_timeliness(
    session: DbSession,
    source: ReportSource,
    settings: AppSettings,
    principal: CurrentPrincipal,
    params: Params,
    accept_language: AcceptLanguage = None,
) -> Any:
    """Cases opened in the period, per kind and state: how many are there now, how many overdue, and the
    median days spent; small cells suppressed. Coordinators and auditors with `reports:read` (403
    otherwise). `format=csv` for a spreadsheet.
    Codes and columns are named in the negotiated language (en, ru or ky)."""
    read = await _open(session, principal, source, settings, "timeliness", params, accept_language)
    report = await outcomes.timeliness(read)
    return _localized(_answer(report, params, "timeliness", export.timeliness_csv), read.language)
