"""The monitoring report for oversight bodies: a title page and six sections, each a table (and the chart
drawn from it), in the caller's language.

Every number is released with differential privacy as every report's (src/reports/release.py), the whole
report spending one read's epsilon, a sixth for each section: the referral, redress and timeliness sections
are those reports' rows (src/reports/outcomes.py); the three counts no report has (cases by kind per month, by
violation type and host region, by intake channel and sex) are released here, a cell at a time. A section
is plain data: `columns` (code, label), `rows` (code, label, values by column, the `suppressed` columns),
`total`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.platform import clock, i18n
from src.platform.config import Settings
from src.platform.errors import Unprocessable
from src.reports import labels, monitoring_queries, outcomes, release, repository, service
from src.reports import monitoring_labels as words
from src.reports.reading import Source

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
    head: str,
    counts: list[tuple[str, str, int]],
    known: set[tuple[str, str]] | None,
    contributions: int,
    spend: release.Privacy,
    names: tuple[dict[str, str], dict[str, str]],
) -> dict[str, Any]:
    """A table of counts by two codes (rows, columns), each cell released on its own (release.table): a cell
    of the `known` pairs (every month and kind, every channel and sex) shows when its noisy count reaches the
    minimum cell, any other when it reaches the row threshold; a row shows with any cell shown. `None` for
    `known`: no pair is known whatever the data (violation types by region)."""
    row_names, column_names = names
    found = {(r, c): n for r, c, n in counts}
    pairs = sorted(known or set()) + sorted(set(found) - (known or set()))
    counted = release.table(pairs, [[found.get(p, 0)] for p in pairs], contributions, spend, known or ())
    shown = {pair: cells[0] for pair, cells in zip(counted.keys, counted.cells, strict=True)}
    row_codes = sorted({r for r, _ in shown}, key=lambda code: (code not in row_names, code))
    # Every known column (a kind, a sex: "fewer than N" where none shows), and the others that show.
    column_codes = [c for c in column_names if known is not None or any(c == column for _, column in shown)]
    column_codes += sorted({c for _, c in shown} - set(column_codes))
    rows = []
    for code in row_codes:
        values: dict[str, Any] = {c: shown.get((code, c)) for c in column_codes}
        rows.append(
            {
                "code": code,
                "label": row_names.get(code, code),
                "values": values,
                "suppressed": [c for c, v in values.items() if v is None],
            }
        )
    return {
        "key": key,
        "title": words.section_title(key, language),
        "row_header": words.column(head, language),
        "columns": [_column(c, column_names.get(c, c)) for c in column_codes],
        "chart": column_codes,
        "rows": rows,
        "total": counted.total,
        "total_suppressed": counted.total is None,
        "min_cell": counted.min_cell,
    }


def _month_label(index: int, month: str, periods: list[tuple[date, date]], language: str) -> str:
    start, end = periods[index]
    return f"{month} ({start.isoformat()} – {end.isoformat()})" if index < len(periods) - 1 else month


def _months(start: date, end: date) -> list[str]:
    """`YYYY-MM` of every month [start, end] touches."""
    found, month = [], date(start.year, start.month, 1)
    while month <= end:
        found.append(month.strftime("%Y-%m"))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


def _months_labelled(periods: list[tuple[date, date]], language: str) -> dict[str, str]:
    return {
        f"{i}:{m}": _month_label(i, m, periods, language)
        for i, (first, last) in enumerate(periods)
        for m in _months(first, last)
    }


async def _by_month(
    session: AsyncSession, periods: list[tuple[date, date]], spend: release.Privacy, language: str
) -> dict[str, Any]:
    """Section 1: every month of the three periods and every kind are known cells."""
    kinds = labels.of_taxonomy("case_kind", language)
    months = _months_labelled(periods, language)
    monthly = await monitoring_queries.cases_by_period_month(session, periods)
    by_month = _crossed(
        "cases_by_month",
        language,
        "month",
        [(f"{i}:{m}", kind, n) for i, m, kind, n in monthly],
        {(month, kind) for month in months for kind in kinds},
        1,
        spend,
        (months, kinds),
    )
    by_month["rows"].sort(key=lambda row: row["code"])
    return by_month


async def _by_region(
    session: AsyncSession, p: service.Period, spend: release.Privacy, language: str
) -> dict[str, Any]:
    """Section 2: no (violation type, region) is known whatever the data; a case counts up to BOUND types."""
    assert p.start is not None and p.end is not None
    regions = await monitoring_queries.violations_by_region(session, p.start, p.end)
    by_region = _crossed(
        "violations_by_region",
        language,
        "violation_type",
        regions,
        None,
        release.BOUND,
        spend,
        (labels.of_taxonomy("violation_type", language), {}),
    )
    # A case is counted under each of its violation types (up to three): the cells' sum is no number of
    # cases, so no total is published.
    by_region.update(total=None, total_suppressed=False)
    return by_region


async def _by_sex(
    session: AsyncSession, p: service.Period, spend: release.Privacy, language: str
) -> dict[str, Any]:
    """Section 6: every intake channel and sex (and `unknown`) are known cells."""
    assert p.start is not None and p.end is not None
    channels = await monitoring_queries.channels_by_sex(session, p.start, p.end)
    channel_names = labels.of_taxonomy("intake_channel", language)
    sexes = labels.of_taxonomy("sex", language)
    return _crossed(
        "channels_by_sex",
        language,
        "channel",
        channels,
        {(c, s) for c in channel_names for s in [*sexes, "unknown"]},
        1,
        spend,
        (channel_names, sexes),
    )


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
        "min_cell": report.min_cell,
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
        "min_cell": report.min_cell,
    }


def _money(row: Any, field: str) -> str | None:
    """The sums published, per currency (a sum the noise would swamp is withheld: no entry)."""
    parts = []
    for entry in row.money:
        value = getattr(entry, field)
        if value is not None:
            parts.append(f"{value:,.0f}".replace(",", "\u00a0") + f" {entry.currency}")  # no-break thousands
    return "; ".join(parts) or None


def _redress(report: Any, language: str) -> dict[str, Any]:
    outcomes = ("planned", "filed", "granted", "denied", "withdrawn")
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
                    "claimed": _money(row, "claimed"),
                    "recovered": _money(row, "recovered"),
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
        "min_cell": report.min_cell,
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
    on_section: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The whole report as plain data (the JSON answer; HTML and PDF draw from it). `progress(name)` is
    called as each section is read, and `on_section(report, section)` with it (the PDF draws it meanwhile:
    render_pdf.Writer); the report's title fields are there from the first."""
    read = await service.open_report(
        session, principal, source, settings, "report.monitoring", p, export, language
    )
    assert p.start is not None and p.end is not None
    k = settings.report_min_cell
    note = progress or (lambda name: None)
    periods = monitoring_queries.previous_periods(p.start, p.end, PREVIOUS_PERIODS)
    share = read.share(1, 6, "monitoring")  # each of the six sections spends a sixth of the report's epsilon
    async with source.reading(session) as reading:
        head = await monitoring_queries.audit_head(session)
        organization = await repository.organization_names(reading.session, {str(principal.organization_id)})
        read_from, lag = reading.read_from, reading.replica_lag_seconds
    report: dict[str, Any] = {
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
        "privacy": read.note,
        "fewer_than": words.fewer_than(k, language),
        "sections": [],
    }

    async def own(count: Callable[..., Awaitable[dict[str, Any]]], *args: Any) -> dict[str, Any]:
        async with source.reading(session) as reading:
            await repository.prepare(reading.session)
            return await count(reading.session, *args, share.spend, language)

    async def _shown(section: Callable[[Any, str], dict[str, Any]], read: Awaitable[Any]) -> dict[str, Any]:
        return section(await read, language)

    steps: list[Callable[[], Awaitable[dict[str, Any]]]] = [
        lambda: own(_by_month, periods),
        lambda: own(_by_region, p),
        lambda: _shown(_timeliness, outcomes.timeliness(share)),
        lambda: _shown(_referrals, outcomes.referrals(share)),
        lambda: _shown(_redress, outcomes.redress(share)),
        lambda: own(_by_sex, p),
    ]
    for step in steps:  # in the report's order, each handed on (to be drawn) as soon as it is read
        section = await step()
        section["fewer_than"] = words.fewer_than(section["min_cell"], language)  # each table its own
        report["sections"].append(section)
        note(section["key"])
        if on_section is not None:
            on_section(report, section)
    detail = {
        **p.detail(),
        "format": export,
        "language": language,
        "audit_sequence": head.sequence,
        "epsilon": float(read.spend.epsilon),
    }
    if read_from == "replica":
        detail["read_from"] = "replica"
    await audit.record(session, principal.actor, "report.monitoring", resource_type="report", detail=detail)
    return report
