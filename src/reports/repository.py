"""Report queries: the read side over every domain's tables, one aggregate statement each.

The one module outside its domain that reads other domains' models: an aggregate must join and count their
rows in one statement, which their repositories' row-by-row functions cannot give. It counts over every
organization (reports are for the ministry's coordinators and oversight bodies, who see all of them), and
no row of personal data leaves these queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Double, and_, case, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization
from src.cases.models import Case, Transition
from src.redress.models import LegalInstrument, RedressAction
from src.referrals.models import Referral
from src.reports import privacy, release


def _bounds(column: Any, start: date | None, end: date | None) -> list[Any]:
    """`start` and `end` are whole UTC days, both included."""
    clauses = []
    if start is not None:
        clauses.append(column >= datetime.combine(start, time.min, UTC))
    if end is not None:
        clauses.append(column < datetime.combine(end + timedelta(days=1), time.min, UTC))
    return clauses


# Aggregates sort and hash in memory with this much; the default 4 MB spills 100 000 cases to disk.
WORK_MEM = "64MB"


async def prepare(session: AsyncSession) -> None:
    await session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def _case_dimension(name: str) -> Any:
    """Raw columns: grouping by them hashes; formatting (quarter, ids) happens on the far fewer groups."""
    if name == "quarter":
        return func.date_trunc("quarter", func.timezone("UTC", Case.created_at))
    if name == "owner_organization":
        return Case.owner_organization_id
    return getattr(Case, name)


def _formatted(name: str, column: Any) -> Any:
    if name == "quarter":
        return func.to_char(column, 'YYYY-"Q"Q')
    if name == "owner_organization":
        return cast(column, TEXT)
    return column


class TooManyGroups(Exception):
    pass


# The planner's estimate of a grouping is asked only over a table this large (analyzed): below it, grouping
# every case is cheap, and a small table's estimate (or a never-analyzed one's guess) can be far off.
ESTIMATE_FROM_ROWS = 50_000
# A report estimated to have more groups than allowed is refused when this many cases per allowed group
# (any of them, the first found) already fall into more groups than allowed: a lower bound, so exact.
SAMPLE_PER_GROUP = 4


# The columns of `ix_case_file_report_dimensions` (migration 0018) in its order; the quarter (not in it) last.
INDEXED_DIMENSIONS = ("kind", "status", "occurred_country", "owner_organization", "intake_channel", "quarter")


def _grouped(group_by: list[str], start: date | None, end: date | None) -> Any:
    """Grouped in the index's column order whatever order was asked for (the rows are sorted afterwards):
    a grouping by a leading part of the index is then counted in index order, without hashing."""
    columns = [_case_dimension(name).label(name) for name in group_by]
    ordered = sorted(columns, key=lambda column: INDEXED_DIMENSIONS.index(column.name))
    return (
        select(*columns, func.count().label("n"))
        .where(*_bounds(Case.created_at, start, end))
        .group_by(*ordered)
    )


async def estimated_groups(
    session: AsyncSession, group_by: list[str], start: date | None, end: date | None
) -> float | None:
    """The planner's estimate of how many groups a case report has (an `EXPLAIN`, no rows read), from the
    ndistinct statistics over the report's dimensions (migration 0016); None where it is not to be trusted.
    The statement is compiled with its constants inline, so that the quarter's expression is the one the
    statistics were gathered on."""
    rows = await session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'case_file'::regclass"))
    if rows is None or rows < ESTIMATE_FROM_ROWS:
        return None
    statement = _grouped(group_by, start, end).compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    plan = await session.scalar(text(f"EXPLAIN (FORMAT JSON) {statement}"))
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


async def more_groups_than(
    session: AsyncSession, group_by: list[str], start: date | None, end: date | None, max_groups: int
) -> bool:
    """Whether some `SAMPLE_PER_GROUP * max_groups` cases of the period already fall into more than
    `max_groups` groups. True means the whole report has too many (a subset cannot have more groups than the
    whole); False says nothing."""
    sample = (
        select(*(_case_dimension(name).label(name) for name in group_by))
        .where(*_bounds(Case.created_at, start, end))
        .limit(SAMPLE_PER_GROUP * max_groups)
        .subquery("sample")
    )
    groups = select(func.count()).select_from(select(*sample.c).distinct().subquery("groups"))
    return int(await session.scalar(groups) or 0) > max_groups


async def case_counts(
    session: AsyncSession, group_by: list[str], start: date | None, end: date | None, max_groups: int
) -> list[tuple[dict[str, str], int]]:
    """Counted over raw columns (a hash aggregate), then formatted: 100 000 cases by all six dimensions
    take a third of the time that grouping by the formatted text takes. At most `max_groups + 1` groups,
    any of them, go on to be formatted and sorted: one more than allowed is enough to refuse, and a refused
    report (74 000 groups at 100 000 cases) no longer formats and sorts them all.

    A report the planner expects to have more groups than allowed (`estimated_groups`) is refused when a
    sample of cases already has more (`more_groups_than`): grouping a million cases only to refuse took a
    second. The estimate alone does not refuse: for one quarter of 1M cases by all six dimensions it was
    2.9 times the real count, and would have refused a report that fits.

    The grouping is a MATERIALIZED CTE so that the limit cannot reach its plan: with the limit inside it,
    the generic plan of the prepared statement (the limit a parameter) chose a fast-start incremental sort
    over an index and grouping 1M cases by four took 2.5 s instead of 0.4 s."""
    estimate = await estimated_groups(session, group_by, start, end)
    too_many = estimate is not None and estimate > max_groups
    if too_many and await more_groups_than(session, group_by, start, end, max_groups):
        raise TooManyGroups
    grouped = _grouped(group_by, start, end).cte("grouped").prefix_with("MATERIALIZED")
    some = select(grouped).limit(max_groups + 1).subquery("some")
    formatted = [_formatted(name, some.c[name]).label(name) for name in group_by]
    query = select(*formatted, some.c.n).order_by(*(column.collate("C") for column in formatted))
    rows = (await (await session.connection()).execute(query)).all()
    if len(rows) > max_groups:
        raise TooManyGroups
    width = len(group_by)
    return [(dict(zip(group_by, row[:width], strict=True)), row[width]) for row in rows]


async def organization_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(cast(Organization.id, TEXT), Organization.name).where(cast(Organization.id, TEXT).in_(ids))
    )
    return {row[0]: row[1] for row in rows}


def _bounded(model: Any, start: date | None, end: date | None, *columns: Any) -> Any:
    """The period's rows of `model` (referrals, redress actions) with only the first `release.BOUND` of each
    case: how far one case can move a report is what its noise is scaled to (src/reports/release.py)."""
    nth = func.row_number().over(partition_by=model.case_id, order_by=(model.created_at, model.id))
    return select(*columns, nth.label("nth")).where(*_bounds(model.created_at, start, end)).subquery("rows")


def _bin(value: Any) -> Any:
    """The bin of privacy.GRID a duration falls in (1-based, as `privacy.bin_middle` reads it); null stays
    null."""
    grid = literal(list(privacy.GRID), ARRAY(Double))
    return case((value.is_(None), None), else_=func.width_bucket(func.greatest(value, 0.0), grid))


async def referral_cells(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """(to_organization_id, status, bin of the hours to acceptance or null, referrals) over the period's
    referrals, at most `release.BOUND` of each case."""
    hours = func.date_part("epoch", Referral.accepted_at - Referral.created_at) / literal(3600.0, Double)
    rows = _bounded(Referral, start, end, Referral.to_organization_id, Referral.status, hours.label("hours"))
    bin_ = _bin(rows.c.hours)
    query = (
        select(rows.c.to_organization_id, rows.c.status, bin_.label("bin"), func.count().label("n"))
        .where(rows.c.nth <= release.BOUND)
        .group_by(rows.c.to_organization_id, rows.c.status, bin_)
    )
    return list((await session.execute(query)).all())


async def organizations(session: AsyncSession) -> dict[Any, tuple[str, str]]:
    """{id: (name, kind)} of every organization: the referral report's rows known whatever the data."""
    found = await session.execute(select(Organization.id, Organization.name, Organization.kind))
    return {row.id: (row.name, row.kind) for row in found}


def _capped(amount: Any, currency: Any) -> Any:
    caps = case({code: cap for code, cap in release.MONEY_CAPS.items()}, value=currency, else_=0)
    capped = func.greatest(
        func.least(amount, caps), 0
    )  # the API refuses negative amounts; the table does not
    return case((amount.is_(None), None), else_=capped)  # LEAST and GREATEST skip a null


async def redress_cells(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """(instrument_id, forum, status, claim_currency, claimed, recovered_currency, recovered, actions) over
    the period's redress actions, at most `release.BOUND` of each case, each amount capped at its currency's
    `release.MONEY_CAPS` (0 for a currency without one)."""
    a = RedressAction
    rows = _bounded(
        a,
        start,
        end,
        a.instrument_id,
        a.forum,
        a.status,
        a.claim_currency,
        _capped(a.claim_amount, a.claim_currency).label("claimed"),
        a.recovered_currency,
        _capped(a.recovered_amount, a.recovered_currency).label("recovered"),
    )
    keys = (
        rows.c.instrument_id,
        rows.c.forum,
        rows.c.status,
        rows.c.claim_currency,
        rows.c.recovered_currency,
    )
    query = (
        select(
            *keys,
            func.sum(rows.c.claimed).label("claimed"),
            func.sum(rows.c.recovered).label("recovered"),
            func.count().label("actions"),
        )
        .where(rows.c.nth <= release.BOUND)
        .group_by(*keys)
    )
    return list((await session.execute(query)).all())


async def instruments(session: AsyncSession) -> dict[Any, tuple[str, dict[str, str]]]:
    """{id: (code, title by language)} of every legal instrument: with the forums, the redress report's rows
    known whatever the data."""
    rows = await session.execute(select(LegalInstrument.id, LegalInstrument.code, LegalInstrument.title))
    return {row.id: (row.code, dict(row.title)) for row in rows}


async def state_counts(
    session: AsyncSession, start: date | None, end: date | None, now: datetime
) -> list[Any]:
    """Per kind and current state: cases, and how many are past a deadline."""
    overdue = and_(Case.due_at.is_not(None), Case.due_at < now)
    query = (
        select(
            Case.kind,
            Case.status,
            func.count().label("cases"),
            func.count().filter(overdue).label("overdue"),
        )
        .where(*_bounds(Case.created_at, start, end))
        .group_by(Case.kind, Case.status)
    )
    return list((await session.execute(query)).all())


async def stay_bins(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """(kind, state, bin of the stay's days, stays) over the ended stays of the period's cases: one stay per
    case and state (the first), so that a case adds at most one value to each state's median. Each
    transition after the first ends the stay in its `from_status` and holds its length (`stay_days`,
    migration 0016); the first of each case and state is marked when it is written (`first_stay`, migration
    0025) and counted from its own index, not picked out of all of them (DISTINCT ON over every ended stay
    took 310 ms at 1M cases). A period (of case creation) needs the cases, for their `created_at`."""
    t = Transition
    bin_ = _bin(t.stay_days)
    query = select(
        t.case_kind.label("kind"), t.from_status.label("state"), bin_.label("bin"), func.count().label("n")
    ).where(t.first_stay)  # as in the partial index's predicate, so the planner uses it
    if start is not None or end is not None:
        query = query.join(Case, Case.id == t.case_id).where(*_bounds(Case.created_at, start, end))
    return list((await session.execute(query.group_by(t.case_kind, t.from_status, bin_))).all())


async def begin_read_only(session: AsyncSession) -> None:
    """The first statement of the session's transaction: read only, and one snapshot for every query of the
    report (REPEATABLE READ works on a standby too), taken when the replica's lag is measured."""
    await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


# How far behind the primary a standby's data is, in seconds. A WAL receiver running and everything received
# replayed: caught up (0), however long ago the primary last committed (an idle primary sends no WAL, and
# `now() - pg_last_xact_replay_timestamp()` alone would grow while nothing is missing). Otherwise (replay
# behind, or no WAL receiver: the primary is unreachable) the time since the last replayed commit was made
# on the primary, never below 0; null when the standby replayed no commit since it started and receives no
# WAL. A database not in recovery (a promoted replica) is its own primary: 0. The WAL receiver's row is
# visible to any role (its details are not), which is all this needs.
_REPLICA_LAG = text(
    """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0.0
        WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
             AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
        ELSE greatest(0.0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
    END::float8
    """
)


async def replica_lag_seconds(session: AsyncSession) -> float | None:
    lag = await session.scalar(_REPLICA_LAG)
    return None if lag is None else round(float(lag), 3)
