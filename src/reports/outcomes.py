"""The referral, redress and timeliness reports: per row, counts split by outcome (or overdue), with medians
and money sums; released as src/reports/service.py says. Each spends half its epsilon on the counts and half
on the medians or money sums."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from src.cases.workflow import WORKFLOWS
from src.platform import clock, i18n
from src.reports import labels, release, repository
from src.reports.schemas import (
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
from src.reports.service import Read, hidden_names, meta, named, record, visible
from src.reports.suppression import suppress

# The most states one case can leave once each: how many medians of the timeliness report one case moves.
MOST_STATES = max(len(flow.states) for flow in WORKFLOWS.values())


def _add(histogram: dict[Any, Counter[int]], key: Any, bin_: int | None, n: int) -> None:
    if bin_ is not None:
        histogram.setdefault(key, Counter())[bin_] += n


async def referrals(read: Read) -> ReferralReport:
    """Per receiving organization: referrals by status now (at most `release.BOUND` of each case), and the
    median hours to acceptance, per row and over all of them."""
    period, language = read.period, read.language
    column = {status: i for i, status in enumerate(REFERRAL_OUTCOMES)}
    cells: dict[Any, list[int]] = {}
    hours: dict[Any, Counter[int]] = {}
    async with read.source.reading(read.session) as reading:
        await repository.prepare(reading.session)
        for row in await repository.referral_cells(reading.session, period.start, period.end):
            if row.status in column:
                cells.setdefault(row.to_organization_id, [0] * len(column))[column[row.status]] += row.n
            _add(hours, row.to_organization_id, row.bin, row.n)
            _add(hours, None, row.bin, row.n)  # the overall median
        organizations = await repository.organizations(reading.session)
        keys = list(organizations) + [k for k in cells if k not in organizations]
        found_cells = [cells.get(k, [0] * len(column)) for k in keys]
        counted = release.table(keys, found_cells, release.BOUND, read.share(1, 2).spend, organizations)
    # A case adds at most BOUND values to the partners' medians and as many to the overall one.
    medians = release.medians(hours, [*counted.keys, None], 2 * release.BOUND, read.share(1, 2).spend)
    order = sorted(
        range(len(counted.keys)),
        key=lambda i: (organizations.get(counted.keys[i], ("",))[0], str(counted.keys[i])),
    )
    found = [counted.cells[i] for i in order]
    shown = suppress(found, counted.min_cell)
    rows = []
    for i, index in enumerate(order):
        partner = counted.keys[index]
        name, kind = organizations.get(partner, (None, None))
        hidden = shown.row_hidden(i)
        values: dict[str, Any] = {
            "sent": None if hidden else sum(found[i]),
            **visible(shown, i, found[i], REFERRAL_OUTCOMES),
        }
        median = None if hidden else medians[partner]
        rows.append(
            ReferralReportRow(
                partner_id=partner,
                partner_name=name,
                partner_kind=kind,
                median_hours_to_accept=median,
                suppressed=hidden_names(values) + ["median_hours_to_accept"] * (median is None),
                labels=named(
                    "partner_kind", kind, labels.named(labels.ORGANIZATION_KINDS, [kind or ""], language)
                ),
                **values,
            )
        )
    sent = None if shown.total_hidden else counted.total
    total = ReferralReportRow(
        partner_id=None,
        partner_name=None,
        partner_kind=None,
        sent=sent,
        **dict.fromkeys(REFERRAL_OUTCOMES),  # per-outcome totals are not published
        median_hours_to_accept=medians[None],
        suppressed=["sent"] * (sent is None) + ["median_hours_to_accept"] * (medians[None] is None),
    )
    await record(read, "referrals", reading, rows=len(rows))
    return ReferralReport(
        **meta(read, "referrals", counted, reading),
        rows=rows,
        total=total,
        column_labels=labels.named(labels.REFERRAL_OUTCOMES, REFERRAL_OUTCOMES, language),
    )


def _money(sums: dict[tuple[str, str], Decimal], read: Read) -> list[MoneyTotal]:
    """Per capped currency, the noisy sums claimed and recovered that are precise enough to publish. A case
    adds at most BOUND capped amounts to each of the two."""
    epsilon = read.share(1, 2).spend.epsilon
    money = []
    for currency in sorted(release.MONEY_CAPS):
        values = {
            name: release.money(sums.get((currency, name), Decimal(0)), currency, 2 * release.BOUND, epsilon)
            for name in ("claimed", "recovered")
        }
        if any(value is not None for value in values.values()):
            money.append(MoneyTotal(currency=currency, **values, suppressed=hidden_names(values)))
    return money


async def redress(read: Read) -> RedressReport:
    """Per legal instrument and forum: redress actions by outcome (at most `release.BOUND` of each case), and
    the sums claimed and recovered per currency."""
    period, language = read.period, read.language
    outcome_of = {status: i for i, statuses in enumerate(REDRESS_OUTCOMES.values()) for status in statuses}
    cells: dict[Any, list[int]] = {}
    sums: dict[Any, dict[tuple[str, str], Decimal]] = {}
    async with read.source.reading(read.session) as reading:
        await repository.prepare(reading.session)
        for row in await repository.redress_cells(reading.session, period.start, period.end):
            key = (row.instrument_id, row.forum)
            counts = cells.setdefault(key, [0] * len(REDRESS_OUTCOMES))
            if row.status in outcome_of:
                counts[outcome_of[row.status]] += row.actions
            money = sums.setdefault(key, {})
            for currency, name in ((row.claim_currency, "claimed"), (row.recovered_currency, "recovered")):
                amount = getattr(row, name)
                if currency is not None and amount is not None:
                    money[(currency, name)] = money.get((currency, name), Decimal(0)) + amount
        instruments = await repository.instruments(reading.session)
    forums = labels.of_taxonomy("redress_forum", language)
    known = {(i, forum) for i in [*instruments, None] for forum in forums}
    keys = sorted(known, key=str) + [k for k in cells if k not in known]
    found_cells = [cells.get(k, [0] * len(REDRESS_OUTCOMES)) for k in keys]
    counted = release.table(keys, found_cells, release.BOUND, read.share(1, 2).spend, known)
    order = sorted(
        range(len(counted.keys)),
        key=lambda i: (instruments.get(counted.keys[i][0], ("",))[0], counted.keys[i][1] or ""),
    )
    found = [counted.cells[i] for i in order]
    shown = suppress(found, counted.min_cell)
    outcomes = tuple(REDRESS_OUTCOMES)
    rows = []
    for i, index in enumerate(order):
        instrument, forum = counted.keys[index]
        code, title = instruments.get(instrument, (None, {}))
        hidden = shown.row_hidden(i)
        values: dict[str, Any] = {
            "actions": None if hidden else sum(found[i]),
            **visible(shown, i, found[i], outcomes),
        }
        labelled = named("forum", forum, forums)
        if title:
            labelled["instrument_code"] = i18n.label(title, language)
        rows.append(
            RedressReportRow(
                instrument_id=instrument,
                instrument_code=code,
                forum=forum,
                money=[] if hidden else _money(sums.get((instrument, forum), {}), read),
                suppressed=hidden_names(values),
                labels=labelled,
                **values,
            )
        )
    actions = None if shown.total_hidden else counted.total
    total = RedressReportRow(
        instrument_id=None,
        instrument_code=None,
        forum=None,
        actions=actions,
        **dict.fromkeys(outcomes),
        money=[],
        suppressed=["actions"] if actions is None else [],
    )
    await record(read, "redress", reading, rows=len(rows))
    return RedressReport(
        **meta(read, "redress", counted, reading),
        rows=rows,
        total=total,
        column_labels=labels.named(labels.REDRESS_OUTCOMES, REDRESS_OUTCOMES, language),
    )


async def timeliness(read: Read) -> TimelinessReport:
    """Per case kind and workflow state: cases there now and how many are overdue (every state a workflow
    names is listed), and the median days stays there lasted (one stay per case and state)."""
    period, language = read.period, read.language
    now = clock.utcnow()
    async with read.source.reading(read.session) as reading:
        await repository.prepare(reading.session)
        current = {
            (r.kind, r.status): r
            for r in await repository.state_counts(reading.session, period.start, period.end, now)
        }
        stays: dict[Any, Counter[int]] = {}
        for row in await repository.stay_bins(reading.session, period.start, period.end):
            _add(stays, (row.kind, row.state), row.bin, row.n)
    known = [(kind, state) for kind, flow in sorted(WORKFLOWS.items()) for state in flow.states]
    keys = known + sorted(set(current) - set(known))  # states no workflow names any more still count
    cells = [
        [current[k].overdue, current[k].cases - current[k].overdue] if k in current else [0, 0] for k in keys
    ]
    counted = release.table(keys, cells, 1, read.share(1, 2).spend, set(known), every_known=True)
    medians = release.medians(stays, counted.keys, MOST_STATES, read.share(1, 2).spend)
    shown = suppress(counted.cells, counted.min_cell)
    kinds, states = labels.of_taxonomy("case_kind", language), labels.of_states(language)
    rows = []
    for i, (kind, state) in enumerate(counted.keys):
        hidden = shown.row_hidden(i)
        values: dict[str, Any] = {
            "cases": None if hidden else sum(counted.cells[i]),
            "overdue": None if shown.cell_hidden(i, 0) else counted.cells[i][0],
        }
        median = None if hidden else medians[(kind, state)]
        rows.append(
            TimelinessRow(
                kind=kind,
                state=state,
                median_days=median,
                suppressed=hidden_names(values) + ["median_days"] * (median is None),
                labels=named("kind", kind, kinds) | named("state", state, states),
                **values,
            )
        )
    grand = None if shown.total_hidden else counted.total
    total = TimelinessRow(
        kind=None,
        state=None,
        cases=grand,
        overdue=None,
        median_days=None,
        suppressed=["cases"] if grand is None else [],
    )
    await record(read, "timeliness", reading, rows=len(rows))
    return TimelinessReport(**meta(read, "timeliness", counted, reading), rows=rows, total=total)
