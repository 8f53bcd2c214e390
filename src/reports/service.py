"""Reports for the ministry's coordinators and oversight bodies: aggregate counts with small-cell suppression.

What each report publishes is rows of counts that split the row's total, and the grand total of the rows;
nothing else that is a sum of counts (no per-column totals: they would let a hidden count be recovered).
Medians and money sums are published only for visible rows and for at least `min_cell` contributing cases;
a money sum is also hidden when one action makes up more than 85% of it (the dominance rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.cases.workflow import WORKFLOWS
from src.platform import clock, i18n
from src.platform.config import Settings
from src.platform.errors import Unprocessable
from src.reports import labels, policies, repository
from src.reports.reading import Reading, Source
from src.reports.schemas import (
    CASE_DIMENSIONS,
    REDRESS_OUTCOMES,
    REFERRAL_OUTCOMES,
    MoneyTotal,
    RedressReport,
    RedressReportRow,
    ReferralReport,
    ReferralReportRow,
    TimelinessReport,
    TimelinessRow,
)
from src.reports.suppression import Suppression, suppress

DOMINANCE = Decimal("0.85")
# The case report's dimensions whose values are codes of a taxonomy, labelled in the row's `labels`; status
# is labelled by the workflows' state names. (occurred_country is an ISO code, quarter a period.)
LABELLED_DIMENSIONS = {"kind": "case_kind", "intake_channel": "intake_channel"}


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None

    def detail(self) -> dict[str, str | None]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


def parse_group_by(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASE_DIMENSIONS]
    if not names or unknown or len(set(names)) != len(names):
        raise Unprocessable(
            f"group_by takes distinct names from: {', '.join(CASE_DIMENSIONS)}.",
            extra={
                "errors": [{"loc": ["query", "group_by"], "msg": "unknown, repeated or missing dimension"}]
            },
        )
    return names


def check_period(start: date | None, end: date | None) -> Period:
    if start is not None and end is not None and start > end:
        raise Unprocessable.at(["query", "to"], "before from", "`from` must not be after `to`.")
    return Period(start, end)


def authorize(principal: Principal, action: str) -> None:
    """403, audited as `denied`, for a caller who may not read reports (the monitoring report asks too)."""
    if not policies.may_read_reports(principal):
        raise audit.denied(
            principal.actor, action, "report", detail="Coordinators and oversight bodies read reports."
        )


async def _audit(
    session: AsyncSession,
    principal: Principal,
    name: str,
    period: Period,
    export: str,
    reading: Reading,
    **detail: Any,
) -> None:
    """On the primary, through the request's session, wherever the aggregates were read."""
    if reading.read_from == "replica":
        detail = {**detail, "read_from": "replica"}
    await audit.record(
        session,
        principal.actor,
        f"report.{name}",
        resource_type="report",
        detail={**period.detail(), "format": export, **detail},
    )


def _meta(name: str, k: int, period: Period, reading: Reading) -> dict[str, Any]:
    """The fields every report starts with (ReportMeta, by alias)."""
    return {
        "report": name,
        "min_cell": k,
        "from": period.start,
        "to": period.end,
        "generated_at": clock.utcnow(),
        "read_from": reading.read_from,
        "replica_lag_seconds": reading.replica_lag_seconds,
    }


def _code_labels(group_by: list[str], language: str) -> dict[str, dict[str, str]]:
    """For each coded dimension grouped by (taxonomy codes, workflow states), the label in `language` of
    each of its codes."""
    found = {
        dimension: labels.of_taxonomy(taxonomy, language)
        for dimension, taxonomy in LABELLED_DIMENSIONS.items()
        if dimension in group_by
    }
    if "status" in group_by:
        found["status"] = labels.of_states(language)
    return found


def _named(field: str, code: str | None, names: dict[str, str]) -> dict[str, str]:
    """`{field: name}` of a row's code, or nothing for a code without a name (or no code: a total row)."""
    return {field: names[code]} if code is not None and code in names else {}


def _visible(
    shown: Suppression, row: int, cells: Sequence[int], names: Sequence[str]
) -> dict[str, int | None]:
    return {name: None if shown.cell_hidden(row, c) else cells[c] for c, name in enumerate(names)}


def _hidden_names(values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if value is None]


def _median(
    value: float | None, contributors: int, k: int, hidden_row: bool = False
) -> tuple[float | None, bool]:
    """The median, and whether it was hidden (a median of nothing is absent, not hidden)."""
    if value is None:
        return None, False
    if hidden_row or contributors < k:
        return None, True
    return round(float(value), 2), False


async def cases(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    settings: Settings,
    group_by: list[str],
    period: Period,
    export: str,
    language: str = i18n.DEFAULT,
) -> dict[str, Any]:
    """A CaseReport as plain data: a fine grouping has 100 000 rows, and models for each would cost a
    second; the router serializes this directly and a test holds it to the CaseReport schema. Each row's
    `labels` name its organization and its codes (kind, status, intake channel) in `language`."""
    authorize(principal, "report.cases")
    k = settings.report_min_cell
    async with source.reading(session) as reading:
        await repository.prepare(reading.session)
        try:
            groups = await repository.case_counts(
                reading.session, group_by, period.start, period.end, settings.report_max_groups
            )
        except repository.TooManyGroups as exc:
            raise Unprocessable.at(
                ["query", "group_by"],
                "too many groups",
                f"More than {settings.report_max_groups} groups: use fewer dimensions or a shorter period.",
            ) from exc
        names = (
            await repository.organization_names(reading.session, {g["owner_organization"] for g, _ in groups})
            if "owner_organization" in group_by
            else {}
        )
    shown = suppress([[n] for _, n in groups], k)
    code_labels = _code_labels(group_by, language)  # a code no longer in its taxonomy goes unlabelled
    rows = []
    for i, (group, n) in enumerate(groups):
        hidden = shown.row_hidden(i)
        owner = names.get(group.get("owner_organization", ""))
        named = {name: found[group[name]] for name, found in code_labels.items() if group[name] in found}
        if owner:
            named["owner_organization"] = owner
        rows.append({"group": group, "labels": named, "count": None if hidden else n, "suppressed": hidden})
    grand = sum(n for _, n in groups)
    await _audit(session, principal, "cases", period, export, reading, group_by=group_by, rows=len(rows))
    return {
        **_meta("cases", k, period, reading),
        "group_by": group_by,
        "rows": rows,
        "total": {"count": None if shown.total_hidden else grand, "suppressed": shown.total_hidden},
    }


async def referrals(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    k: int,
    period: Period,
    export: str,
    language: str = i18n.DEFAULT,
) -> ReferralReport:
    authorize(principal, "report.referrals")
    async with source.reading(session) as reading:
        await repository.prepare(reading.session)
        counted = await repository.referral_counts(reading.session, period.start, period.end)
    found = [row for row in counted if not row.overall]
    (overall,) = [row for row in counted if row.overall]  # the empty grouping set: always one row
    cells = [[getattr(row, status) for status in REFERRAL_OUTCOMES] for row in found]
    shown = suppress(cells, k)
    rows = []
    for i, row in enumerate(found):
        hidden = shown.row_hidden(i)
        counts = _visible(shown, i, cells[i], REFERRAL_OUTCOMES)
        values: dict[str, Any] = {"sent": None if hidden else sum(cells[i]), **counts}
        median, median_hidden = _median(row.median_hours, row.accepted_n, k, hidden)
        rows.append(
            ReferralReportRow(
                partner_id=row.to_organization_id,
                partner_name=row.name,
                partner_kind=row.kind,
                median_hours_to_accept=median,
                suppressed=_hidden_names(values) + ["median_hours_to_accept"] * median_hidden,
                labels=_named(
                    "partner_kind", row.kind, labels.named(labels.ORGANIZATION_KINDS, [row.kind], language)
                ),
                **values,
            )
        )
    accepted_n, median = overall.accepted_n, overall.median_hours
    sent = None if shown.total_hidden else sum(map(sum, cells))
    overall, overall_hidden = _median(median, accepted_n, k)
    total = ReferralReportRow(
        partner_id=None,
        partner_name=None,
        partner_kind=None,
        sent=sent,
        **dict.fromkeys(REFERRAL_OUTCOMES),  # per-outcome totals would give hidden cells away
        median_hours_to_accept=overall,
        suppressed=["sent"] * (sent is None) + ["median_hours_to_accept"] * overall_hidden,
    )
    await _audit(session, principal, "referrals", period, export, reading, rows=len(rows))
    return ReferralReport(
        **_meta("referrals", k, period, reading),
        rows=rows,
        total=total,
        column_labels=labels.named(labels.REFERRAL_OUTCOMES, REFERRAL_OUTCOMES, language),
    )


def _money(entries: dict[str, dict[str, Any]], k: int) -> list[MoneyTotal]:
    money = []
    for currency in sorted(entries):
        values: dict[str, Decimal | None] = {}
        hidden = []
        for field, name in (("claim", "claimed"), ("recovered", "recovered")):
            found = entries[currency].get(field)
            values[name] = None
            if found is None:
                continue
            if found.n < k or (found.total > 0 and found.largest > DOMINANCE * found.total):
                hidden.append(name)
            else:
                values[name] = found.total
        money.append(MoneyTotal(currency=currency, **values, suppressed=hidden))
    return money


async def redress(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    k: int,
    period: Period,
    export: str,
    language: str = i18n.DEFAULT,
) -> RedressReport:
    authorize(principal, "report.redress")
    async with source.reading(session) as reading:
        await repository.prepare(reading.session)
        found = await repository.redress_counts(reading.session, period.start, period.end)
        sums = await repository.redress_money(reading.session, period.start, period.end)
        titles = await repository.instrument_titles(reading.session, {row.instrument_id for row in found})
    forums = labels.of_taxonomy("redress_forum", language)
    money: dict[tuple[Any, str], dict[str, dict[str, Any]]] = {}
    for field, row in sums:
        money.setdefault((row.instrument_id, row.forum), {}).setdefault(row.currency, {})[field] = row
    outcomes = tuple(REDRESS_OUTCOMES)
    cells = [[getattr(row, outcome) for outcome in outcomes] for row in found]
    shown = suppress(cells, k)
    rows = []
    for i, row in enumerate(found):
        hidden = shown.row_hidden(i)
        values: dict[str, Any] = {
            "actions": None if hidden else sum(cells[i]),
            **_visible(shown, i, cells[i], outcomes),
        }
        rows.append(
            RedressReportRow(
                instrument_id=row.instrument_id,
                instrument_code=row.code,
                forum=row.forum,
                money=[] if hidden else _money(money.get((row.instrument_id, row.forum), {}), k),
                suppressed=_hidden_names(values),
                labels=_redress_labels(row, forums, titles, language),
                **values,
            )
        )
    actions = None if shown.total_hidden else sum(map(sum, cells))
    total = RedressReportRow(
        instrument_id=None,
        instrument_code=None,
        forum=None,
        actions=actions,
        **dict.fromkeys(outcomes),
        money=[],
        suppressed=["actions"] if actions is None else [],
    )
    await _audit(session, principal, "redress", period, export, reading, rows=len(rows))
    return RedressReport(
        **_meta("redress", k, period, reading),
        rows=rows,
        total=total,
        column_labels=labels.named(labels.REDRESS_OUTCOMES, REDRESS_OUTCOMES, language),
    )


def _redress_labels(
    row: Any, forums: dict[str, str], titles: dict[Any, dict[str, str]], language: str
) -> dict[str, str]:
    """The row's forum and its instrument's title (ky falls back to ru where the catalog has no ky title)."""
    named = _named("forum", row.forum, forums)
    title = titles.get(row.instrument_id)
    if title:
        named["instrument_code"] = i18n.label(title, language)
    return named


async def timeliness(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    k: int,
    period: Period,
    export: str,
    language: str = i18n.DEFAULT,
) -> TimelinessReport:
    authorize(principal, "report.timeliness")
    now = clock.utcnow()
    async with source.reading(session) as reading:
        await repository.prepare(reading.session)
        counted = await repository.state_counts(reading.session, period.start, period.end, now)
        ended = await repository.state_durations(reading.session, period.start, period.end)
    current = {(r.kind, r.status): r for r in counted}
    stays = {(r.kind, r.state): r for r in ended}
    keys = [(kind, state) for kind, flow in sorted(WORKFLOWS.items()) for state in flow.states]
    keys += sorted(set(current) - set(keys))  # states no workflow names any more still count
    cells = []
    for key in keys:
        row = current.get(key)
        cells.append([row.overdue, row.cases - row.overdue] if row else [0, 0])
    shown = suppress(cells, k)
    kinds, states = labels.of_taxonomy("case_kind", language), labels.of_states(language)
    rows = []
    for i, (kind, state) in enumerate(keys):
        hidden = shown.row_hidden(i)
        stay = stays.get((kind, state))
        values: dict[str, Any] = {
            "cases": None if hidden else sum(cells[i]),
            "overdue": None if shown.cell_hidden(i, 0) else cells[i][0],
        }
        median, median_hidden = _median(stay.median_days, stay.n, k, hidden) if stay else (None, False)
        rows.append(
            TimelinessRow(
                kind=kind,
                state=state,
                median_days=median,
                suppressed=_hidden_names(values) + ["median_days"] * median_hidden,
                labels=_named("kind", kind, kinds) | _named("state", state, states),
                **values,
            )
        )
    grand = None if shown.total_hidden else sum(map(sum, cells))
    total = TimelinessRow(
        kind=None,
        state=None,
        cases=grand,
        overdue=None,
        median_days=None,
        suppressed=["cases"] if grand is None else [],
    )
    await _audit(session, principal, "timeliness", period, export, reading, rows=len(rows))
    return TimelinessReport(
        **_meta("timeliness", k, period, reading),
        rows=rows,
        total=total,
    )
