"""The monitoring report for oversight bodies: a title page and six sections, each a table (and the chart
drawn from it), in the caller's language.

Every number passes the reports' one suppression (src/reports/suppression.py): the referral, redress and
timeliness sections take the already-suppressed rows of `service.referrals`, `service.redress` and
`service.timeliness`; the three counts no report has (cases by kind per month, by violation type and host
region, by intake channel and sex) are suppressed here exactly as `service.cases` does. A section is plain
data: `columns` (code, label), `rows` (code, label, values by column, the `suppressed` columns), `total`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.platform import clock, i18n
from src.platform.config import Settings
from src.platform.errors import Unprocessable
from src.reports import labels, monitoring_queries, repository, service
from src.reports import monitoring_labels as words
from src.reports.reading import Source
from src.reports.suppression import suppress

PREVIOUS_PERIODS = 2  # this period against the two of the same length before it
MAX_DAYS = 731  # two years a period; with the two before it, six years of months


def period(start: date | None, end: date | None) -> service.Period:
    """`to` defaults to today (UTC), `from` to 90 days before `to`."""
    checked = service.check_period(start, end)
    last = checked.end or clock.utcnow().date()
    first = checked.start or last - timedelta(days=89)
    if first > last:
        raise Unprocessable.at(["query", "to"], "before from", "`from` must not be after `to`.")
    if (last - first).days + 1 > MAX_DAYS:
        raise Unprocessable.at(["query", "from"], "too long", f"A period is at most {MAX_DAYS} days.")
    return service.Period(first, last)


def _column(code: str, label: str) -> dict[str, str]:
    return {"code": code, "label": label}


def _crossed(
    key: str,
    language: str,
    k: int,
    head: str,
    counts: list[tuple[str, str, int]],
    row_names: dict[str, str],
    column_names: dict[str, str],
) -> dict[str, Any]:
    """A table of counts by two codes (rows, columns), suppressed as `service.cases` suppresses its rows."""
    row_codes = sorted({r for r, _, _ in counts}, key=lambda code: (code not in row_names, code))
    column_codes = [c for c in column_names if any(c == found for _, found, _ in counts)]
    column_codes += sorted({c for _, c, _ in counts} - set(column_codes))
    found = {(r, c): n for r, c, n in counts}
    cells = [[found.get((r, c), 0) for c in column_codes] for r in row_codes]
    shown = suppress(cells, k)
    rows = []
    for i, code in enumerate(row_codes):
        values: dict[str, Any] = {
            c: None if shown.cell_hidden(i, j) else cells[i][j] for j, c in enumerate(column_codes)
        }
        rows.append(
            {
                "code": code,
                "label": row_names.get(code, code),
                "values": values,
                "suppressed": [c for c, v in values.items() if v is None],
            }
        )
    grand = sum(map(sum, cells))
    return {
        "key": key,
        "title": words.section_title(key, language),
        "row_header": words.column(head, language),
        "columns": [_column(c, column_names.get(c, c)) for c in column_codes],
        "chart": column_codes,
        "rows": rows,
        "total": None if shown.total_hidden else grand,
        "total_suppressed": shown.total_hidden,
    }


def _month_label(index: int, month: str, periods: list[tuple[date, date]], language: str) -> str:
    start, end = periods[index]
    return f"{month} ({start.isoformat()} – {end.isoformat()})" if index < len(periods) - 1 else month


async def _own_sections(
    session: AsyncSession, p: service.Period, periods: list[tuple[date, date]], k: int, language: str
) -> list[dict[str, Any]]:
    assert p.start is not None and p.end is not None
    kinds = labels.of_taxonomy("case_kind", language)
    monthly = await monitoring_queries.cases_by_period_month(session, periods)
    by_month = _crossed(
        "cases_by_month",
        language,
        k,
        "month",
        [(f"{i}:{m}", kind, n) for i, m, kind, n in monthly],
        {f"{i}:{m}": _month_label(i, m, periods, language) for i, m, _, _ in monthly},
        kinds,
    )
    by_month["rows"].sort(key=lambda row: row["code"])
    regions = await monitoring_queries.violations_by_region(session, p.start, p.end)
    by_region = _crossed(
        "violations_by_region",
        language,
        k,
        "violation_type",
        regions,
        labels.of_taxonomy("violation_type", language),
        {},
    )
    channels = await monitoring_queries.channels_by_sex(session, p.start, p.end)
    by_sex = _crossed(
        "channels_by_sex",
        language,
        k,
        "channel",
        channels,
        labels.of_taxonomy("intake_channel", language),
        labels.of_taxonomy("sex", language),
    )
    return [by_month, by_region, by_sex]


def _timeliness(report: Any, language: str) -> dict[str, Any]:
    rows = []
    for row in report.rows:
        if row.cases == 0:
            continue
        share = round(row.overdue / row.cases, 3) if row.cases and row.overdue is not None else None
        hidden = list(row.suppressed) + ["overdue_share"] * (
            "overdue" in row.suppressed or "cases" in row.suppressed
        )
        kind, state = row.labels.get("kind", row.kind), row.labels.get("state", row.state)
        rows.append(
            {
                "code": f"{row.kind}:{row.state}",
                "label": f"{kind}: {state}",
                "values": {
                    "cases": row.cases,
                    "overdue": row.overdue,
                    "overdue_share": share,
                    "median_days": row.median_days,
                },
                "suppressed": hidden,
            }
        )
    columns = ("cases", "overdue", "overdue_share", "median_days")
    return {
        "key": "timeliness",
        "title": words.section_title("timeliness", language),
        "row_header": words.column("stage", language),
        "columns": [_column(c, words.column(c, language)) for c in columns],
        "chart": ["cases", "overdue"],
        "rows": rows,
        "total": report.total.cases,
        "total_suppressed": report.total.cases is None,
    }


def _referrals(report: Any, language: str) -> dict[str, Any]:
    outcomes = ("accepted", "completed", "declined", "pending", "withdrawn", "expired")
    rows = [
        {
            "code": str(row.partner_id),
            "label": row.partner_name or str(row.partner_id),
            "values": {
                "sent": row.sent,
                **{o: getattr(row, o) for o in outcomes},
                "median_hours": row.median_hours_to_accept,
            },
            "suppressed": [{"median_hours_to_accept": "median_hours"}.get(s, s) for s in row.suppressed],
        }
        for row in report.rows
    ]
    columns = [_column("sent", words.column("sent", language))]
    columns += [_column(o, report.column_labels.get(o, o)) for o in outcomes]
    return {
        "key": "referrals",
        "title": words.section_title("referrals", language),
        "row_header": words.column("partner", language),
        "columns": [*columns, _column("median_hours", words.column("median_hours", language))],
        "chart": ["accepted", "completed", "declined"],
        "rows": rows,
        "total": report.total.sent,
        "total_suppressed": report.total.sent is None,
    }


def _money(row: Any, field: str, fewer: str) -> str | None:
    parts = []
    for entry in row.money:
        value = getattr(entry, field)
        if value is not None:
            parts.append(f"{value:,.2f}".replace(",", "\u00a0") + f" {entry.currency}")  # no-break thousands
        elif field in entry.suppressed:
            parts.append(f"{fewer} ({entry.currency})")
    return "; ".join(parts) or None


def _redress(report: Any, language: str, k: int) -> dict[str, Any]:
    outcomes = ("planned", "filed", "granted", "denied", "withdrawn")
    fewer = words.fewer_than(k, language)
    rows = []
    for row in report.rows:
        instrument = row.labels.get("instrument_code", row.instrument_code or "")
        forum = row.labels.get("forum", row.forum or "")
        rows.append(
            {
                "code": f"{row.instrument_code}:{row.forum}",
                "label": f"{instrument} — {forum}" if forum else instrument,
                "values": {
                    "actions": row.actions,
                    **{o: getattr(row, o) for o in outcomes},
                    "claimed": _money(row, "claimed", fewer),
                    "recovered": _money(row, "recovered", fewer),
                },
                "suppressed": list(row.suppressed),
            }
        )
    columns = [_column("actions", words.column("actions", language))]
    columns += [_column(o, report.column_labels.get(o, o)) for o in outcomes]
    columns += [_column(m, words.column(m, language)) for m in ("claimed", "recovered")]
    return {
        "key": "redress",
        "title": words.section_title("redress", language),
        "row_header": words.column("instrument", language),
        "columns": columns,
        "chart": list(outcomes),
        "rows": rows,
        "total": report.total.actions,
        "total_suppressed": report.total.actions is None,
    }


async def build(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    settings: Settings,
    p: service.Period,
    export: str,
    language: str = i18n.DEFAULT,
    progress: Any = None,
) -> dict[str, Any]:
    """The whole report as plain data (the JSON answer; HTML and PDF draw from it). `progress(name)` is
    called as each section is read."""
    service.authorize(principal, "report.monitoring")
    assert p.start is not None and p.end is not None
    k = settings.report_min_cell
    note = progress or (lambda name: None)
    periods = monitoring_queries.previous_periods(p.start, p.end, PREVIOUS_PERIODS)
    async with source.reading(session) as reading:
        await repository.prepare(reading.session)
        head = await monitoring_queries.audit_head(session)
        organization = await repository.organization_names(reading.session, {str(principal.organization_id)})
        own = await _own_sections(reading.session, p, periods, k, language)
        read_from, lag = reading.read_from, reading.replica_lag_seconds
    note("cases_by_month, violations_by_region, channels_by_sex")
    sub = "monitoring"
    timeliness = await service.timeliness(session, principal, source, k, p, sub, language)
    note("timeliness")
    referrals = await service.referrals(session, principal, source, k, p, sub, language)
    note("referrals")
    redress = await service.redress(session, principal, source, k, p, sub, language)
    note("redress")
    sections = [own[0], own[1], _timeliness(timeliness, language)]
    sections += [_referrals(referrals, language), _redress(redress, language, k), own[2]]
    detail = {**p.detail(), "format": export, "language": language, "audit_sequence": head.sequence}
    if read_from == "replica":
        detail["read_from"] = "replica"
    await audit.record(session, principal.actor, "report.monitoring", resource_type="report", detail=detail)
    return {
        "report": "monitoring",
        "language": language,
        "min_cell": k,
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "previous_periods": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in periods[:-1]],
        "generated_at": clock.utcnow().isoformat(timespec="seconds"),
        "generated_by": {"kind": principal.kind, "id": str(principal.id), "role": principal.role},
        "organization": organization.get(str(principal.organization_id), str(principal.organization_id)),
        "audit_checkpoint": {"sequence": head.sequence, "head_hash": head.head_hash},
        "read_from": read_from,
        "replica_lag_seconds": lag,
        "fewer_than": words.fewer_than(k, language),
        "sections": sections,
    }
