"""Report queries: the read side over every domain's tables, one aggregate statement each.

The one module outside its domain that reads other domains' models: an aggregate must join and count their
rows in one statement, which their repositories' row-by-row functions cannot give. It counts over every
organization (reports are for the ministry's coordinators and oversight bodies, who see all of them), and
no row of personal data leaves these queries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, Double, and_, cast, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import TEXT
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.models import Organization
from src.cases.models import Case, Transition
from src.redress.models import LegalInstrument, RedressAction
from src.referrals.models import Referral
from src.reports.schemas import REDRESS_OUTCOMES, REFERRAL_OUTCOMES


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


async def instrument_titles(session: AsyncSession, ids: set[Any]) -> dict[Any, dict[str, str]]:
    """Each instrument's title by language ({"en": ..., "ru": ..., "ky"?: ...})."""
    if not ids:
        return {}
    rows = await session.execute(
        select(LegalInstrument.id, LegalInstrument.title).where(LegalInstrument.id.in_(ids))
    )
    return {row[0]: dict(row[1]) for row in rows}


def _referrals(start: date | None, end: date | None) -> Any:
    hours = func.date_part("epoch", Referral.accepted_at - Referral.created_at) / literal(3600.0, Double)
    counted = (
        select(
            Referral.to_organization_id,
            *(func.count().filter(Referral.status == status).label(status) for status in REFERRAL_OUTCOMES),
            func.count(Referral.accepted_at).label("accepted_n"),
            func.percentile_cont(0.5).within_group(hours).label("median_hours"),  # nulls ignored
            (func.grouping(Referral.to_organization_id) > 0).label("overall"),
        )
        .where(*_bounds(Referral.created_at, start, end))
        .group_by(func.rollup(Referral.to_organization_id))
        .cte("counted")
    )
    return (
        select(
            counted.c.to_organization_id,
            Organization.name,
            Organization.kind,
            *(counted.c[status] for status in REFERRAL_OUTCOMES),
            counted.c.accepted_n,
            counted.c.median_hours,
            counted.c.overall,
        )
        .outerjoin(Organization, Organization.id == counted.c.to_organization_id)
        .order_by(Organization.name, counted.c.to_organization_id)
    )


async def referral_counts(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """Per receiving organization: referrals by current status, and acceptance times; and, in the same scan,
    one more row (`overall` true, organization columns null) with the acceptance times of all of them.

    The referrals are grouped alone, by recipient, and the few groups named afterwards: joined first, every
    referral was sorted by its recipient's name before grouping (0.6-0.7 s at 300 000 referrals). In
    recipient order, the groups and the overall row come from one pass over `ix_referral_report`
    (migration 0018), which holds every column read here. Hours are float8 (`date_part`), as the median
    is: `EXTRACT` gives numeric, and the numeric division and conversion of each referral took most of the
    time; the two agree to the last bit or so, far below the two decimals published."""
    return list((await session.execute(_referrals(start, end))).all())


async def redress_counts(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """Per instrument and forum: actions by outcome. Counted per status first (one hash per action), then the
    few hundred groups sorted into outcomes and named: an outcome filter per action cost twice as much."""
    by_status = (
        select(
            RedressAction.instrument_id, RedressAction.forum, RedressAction.status, func.count().label("n")
        )
        .where(*_bounds(RedressAction.created_at, start, end))
        .group_by(RedressAction.instrument_id, RedressAction.forum, RedressAction.status)
        .cte("by_status")
    )
    query = (
        select(
            by_status.c.instrument_id,
            LegalInstrument.code,
            by_status.c.forum,
            *(
                cast(
                    func.coalesce(func.sum(by_status.c.n).filter(by_status.c.status.in_(statuses)), 0),
                    BigInteger,
                ).label(outcome)
                for outcome, statuses in REDRESS_OUTCOMES.items()
            ),
        )
        .outerjoin(LegalInstrument, LegalInstrument.id == by_status.c.instrument_id)
        .group_by(by_status.c.instrument_id, LegalInstrument.code, by_status.c.forum)
        .order_by(LegalInstrument.code, by_status.c.forum)
    )
    return list((await session.execute(query)).all())


async def redress_money(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """Per instrument, forum and currency: sums, how many actions gave each, and the largest single one.
    Claims and recoveries summed in one scan (per both currencies), then per the currency of each."""
    sums: list[Any] = []
    for field in ("claim", "recovered"):
        amount = getattr(RedressAction, f"{field}_amount")
        sums += [
            func.sum(amount).label(f"{field}_total"),
            func.count(amount).label(f"{field}_n"),
            func.max(amount).label(f"{field}_largest"),
        ]
    keys = (
        RedressAction.instrument_id,
        RedressAction.forum,
        RedressAction.claim_currency,
        RedressAction.recovered_currency,
    )
    both = (
        select(*keys, *sums)
        .where(*_bounds(RedressAction.created_at, start, end))
        .group_by(*keys)
        .cte("both")
        .prefix_with("MATERIALIZED")
    )
    results = []
    for field in ("claim", "recovered"):
        currency = both.c[f"{field}_currency"]
        n = cast(func.sum(both.c[f"{field}_n"]), BigInteger)
        query = (
            select(
                both.c.instrument_id,
                both.c.forum,
                currency.label("currency"),
                func.sum(both.c[f"{field}_total"]).label("total"),
                n.label("n"),
                func.max(both.c[f"{field}_largest"]).label("largest"),
            )
            .where(currency.is_not(None))
            .group_by(both.c.instrument_id, both.c.forum, currency)
            .having(n > 0)
        )
        results.append((field, query))
    rows = (
        await session.execute(
            union_all(*(query.add_columns(literal(field).label("field")) for field, query in results))
        )
    ).all()
    return [(row.field, row) for row in rows]


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


@dataclass(frozen=True)
class Stays:
    kind: str
    state: str
    n: int
    median_days: float | None


# Per kind and state, the ended stays counted from the index on (case_kind, from_status, stay_days), and
# the middle one or two read from it by offset: no stay is sorted or joined to its case.
_UNBOUNDED_STAYS = text(
    """
    WITH counted AS MATERIALIZED (
        SELECT case_kind AS kind, from_status AS state, count(*) AS n FROM case_transition
        WHERE stay_days IS NOT NULL GROUP BY case_kind, from_status
    )
    SELECT counted.kind, counted.state, counted.n, middle.low, middle.high FROM counted
    CROSS JOIN LATERAL (
        SELECT min(stay_days) AS low, max(stay_days) AS high FROM (
            SELECT t.stay_days FROM case_transition t
            WHERE t.case_kind = counted.kind AND t.from_status = counted.state AND t.stay_days IS NOT NULL
            ORDER BY t.stay_days OFFSET (counted.n - 1) / 2 LIMIT 2 - counted.n % 2
        ) two
    ) middle
    """
)


def _median(n: int, low: float | None, high: float | None) -> float | None:
    """`percentile_cont(0.5)` exactly: the middle value, or PostgreSQL's interpolation between the middle
    two (`low + (high - low) * 0.5`, float8_lerp)."""
    if low is None or high is None:
        return None
    return low if n % 2 else low + (high - low) * 0.5


async def state_durations(session: AsyncSession, start: date | None, end: date | None) -> list[Any]:
    """Per kind and state: how many stays ended, and their median length in days. Each transition after the
    first ends the stay in its `from_status`; it holds the case's kind and the stay's length (`stay_days`,
    `at - from_entered_at` in fractional days, migration 0016). A period (of case creation) still needs the
    cases, for their `created_at`."""
    if start is None and end is None:
        rows = (await session.execute(_UNBOUNDED_STAYS)).all()
        return [Stays(row.kind, row.state, row.n, _median(row.n, row.low, row.high)) for row in rows]
    query = (
        select(
            Transition.case_kind.label("kind"),
            Transition.from_status.label("state"),
            func.count().label("n"),
            func.percentile_cont(0.5).within_group(Transition.stay_days).label("median_days"),
        )
        .join(Case, Case.id == Transition.case_id)
        .where(Transition.stay_days.is_not(None), *_bounds(Case.created_at, start, end))
        .group_by(Transition.case_kind, Transition.from_status)
    )
    return list((await session.execute(query)).all())


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
