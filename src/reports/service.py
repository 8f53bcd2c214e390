"""Reports for the ministry's coordinators and oversight bodies: aggregates released differentially private.

Every read is authorized and charged to the reader's organization's privacy budget first (`open_report`),
then its true aggregates are read and released through src/reports/release.py: noisy counts, rows that
appear only when a noisy count passes the row threshold, medians chosen on a fixed grid, capped and noisy
money sums; noisy counts below the threshold are still hidden by src/reports/suppression.py. The case report
is here; the referral, redress and timeliness reports are in src/reports/outcomes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from src.audit import service as audit
from src.auth.principal import Principal
from src.platform import clock, i18n
from src.platform.config import Settings
from src.platform.errors import Unprocessable
from src.reports import budget, labels, policies, privacy, release, repository
from src.reports.reading import Reading, Source
from src.reports.schemas import CASE_DIMENSIONS
from src.reports.suppression import Suppression, suppress

# A case report is refused when a noisy count of its groups passes UKUK_REPORT_MAX_GROUPS, the groups counted
# up to the limit and a margin the noise passes this rarely; more than that refuses outright (adds to delta).
REFUSAL_SLIP = 1e-9

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


@dataclass(frozen=True)
class Read:
    """One report read, authorized and charged (`open_report`): the request's session and where the
    aggregates are read, who reads, what it may spend and what it states of its privacy (`privacy` in the
    report: epsilon, delta, spent, budget, year), the period, the form (`json`, `csv`, or `monitoring` for a
    section of the monitoring report) and the language."""

    session: AsyncSession
    principal: Principal
    source: Source
    spend: release.Privacy
    note: dict[str, Any]
    period: Period
    export: str
    language: str

    def share(self, part: int, of: int, export: str | None = None) -> Read:
        """The same read spending `part/of` of its epsilon (a section of a report, a part of a table)."""
        return replace(self, spend=self.spend.share(Fraction(part, of)), export=export or self.export)


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


async def open_report(
    session: AsyncSession,
    principal: Principal,
    source: Source,
    settings: Settings,
    action: str,
    period: Period,
    export: str,
    language: str = i18n.DEFAULT,
) -> Read:
    """Authorize a report read (403) and charge its epsilon to the organization's budget (429 past it),
    before anything is read."""
    authorize(principal, action)
    epsilon = privacy.exact(settings.report_epsilon)
    note = await budget.charge(session, principal, action, epsilon, settings.report_epsilon_per_year)
    # Committed at once, in a transaction of its own: whatever happens to the read after it looked at the
    # data (a refusal, a timeout) does not give the epsilon back, and the budget's row is not held locked
    # while the report reads.
    await session.commit()
    spend = release.Privacy(epsilon, settings.report_delta, settings.report_min_cell)
    note = {**note, "delta": settings.report_delta}
    return Read(session, principal, source, spend, note, period, export, language)


async def record(read: Read, name: str, reading: Reading, **detail: Any) -> None:
    """The read's audit event, on the primary through the request's session wherever the aggregates were
    read; with the epsilon it spent (none for a section of the monitoring report, whose own event records
    the whole: the trail's epsilons then add up to what the budget was charged)."""
    if reading.read_from == "replica":
        detail = {**detail, "read_from": "replica"}
    if read.export != "monitoring":
        detail = {"epsilon": float(read.spend.epsilon), **detail}
    await audit.record(
        read.session,
        read.principal.actor,
        f"report.{name}",
        resource_type="report",
        detail={**read.period.detail(), "format": read.export, **detail},
    )


def meta(read: Read, name: str, counted: release.Table, reading: Reading) -> dict[str, Any]:
    """The fields every report starts with (ReportMeta, by alias)."""
    return {
        "report": name,
        "min_cell": counted.min_cell,
        "from": read.period.start,
        "to": read.period.end,
        "generated_at": clock.utcnow(),
        "read_from": reading.read_from,
        "replica_lag_seconds": reading.replica_lag_seconds,
        "privacy": {**read.note, "row_threshold": counted.threshold},
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


def named(field: str, code: str | None, names: dict[str, str]) -> dict[str, str]:
    """`{field: name}` of a row's code, or nothing for a code without a name (or no code: a total row)."""
    return {field: names[code]} if code is not None and code in names else {}


def visible(
    shown: Suppression, row: int, cells: Sequence[int], names: Sequence[str]
) -> dict[str, int | None]:
    return {name: None if shown.cell_hidden(row, c) else cells[c] for c, name in enumerate(names)}


def hidden_names(values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if value is None]


async def cases(read: Read, settings: Settings, group_by: list[str]) -> dict[str, Any]:
    """A CaseReport as plain data: a fine grouping has 100 000 rows, and models for each would cost a
    second; the router serializes this directly and a test holds it to the CaseReport schema. Each row's
    `labels` name its organization and its codes (kind, status, intake channel) in `language`. A case is in
    one group: a group is published when its noisy count passes the row threshold. Of the epsilon, 1/8
    decides whether there are too many groups (a 422 that still spends it), the rest counts."""
    period, language = read.period, read.language
    limit = settings.report_max_groups
    refusal = read.spend.epsilon / 8  # whether there are too many groups is an answer too
    margin = privacy.noise_floor(1, refusal, REFUSAL_SLIP)
    async with read.source.reading(read.session) as reading:
        await repository.prepare(reading.session)
        try:
            groups = await repository.case_counts(
                reading.session, group_by, period.start, period.end, limit + margin
            )
            too_many = privacy.noisy(len(groups), 1, refusal) > limit
        except repository.TooManyGroups:
            too_many = True  # more than limit + margin: the noisy count would refuse all but REFUSAL_SLIP
        if too_many:
            raise Unprocessable.at(
                ["query", "group_by"],
                "too many groups",
                f"More than {limit} groups: use fewer dimensions or a shorter period.",
                after_rollback=[
                    budget.audited_refusal(
                        read.principal, "report.cases", read.spend.epsilon, "too many groups"
                    )
                ],
            )
        keys, cells = [g for g, _ in groups], [[n] for _, n in groups]
        counted = release.table(keys, cells, 1, read.share(7, 8).spend)
        names = (
            await repository.organization_names(
                reading.session, {g["owner_organization"] for g in counted.keys}
            )
            if "owner_organization" in group_by
            else {}
        )
    shown = suppress(counted.cells, counted.min_cell)
    code_labels = _code_labels(group_by, language)  # a code no longer in its taxonomy goes unlabelled
    rows = []
    for i, (group, (n,)) in enumerate(zip(counted.keys, counted.cells, strict=True)):
        hidden = shown.row_hidden(i)
        owner = names.get(group.get("owner_organization", ""))
        labelled = {name: found[group[name]] for name, found in code_labels.items() if group[name] in found}
        if owner:
            labelled["owner_organization"] = owner
        rows.append(
            {"group": group, "labels": labelled, "count": None if hidden else n, "suppressed": hidden}
        )
    await record(read, "cases", reading, group_by=group_by, rows=len(rows))
    return {
        **meta(read, "cases", counted, reading),
        "group_by": group_by,
        "rows": rows,
        "total": {
            "count": None if shown.total_hidden else counted.total,
            "suppressed": shown.total_hidden or counted.total is None,
        },
    }
