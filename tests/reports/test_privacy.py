"""Differential privacy of the reports: the samplers of src/reports/privacy.py against their exact
distributions, and the attack the issue asks for, which must fail: recover a hidden count by differencing the
case report over overlapping periods and nested groupings, and averaging while the budget lasts.

Statistics. A frequency of n draws is held to its exact probability p within Z = 5 standard errors,
sqrt(p(1 - p) / n): under the normal approximation a correct sampler fails one check in 1.7 million, so the
file's few dozen checks fail spuriously about once in 50 000 runs; a wrong distribution fails them at once.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import statistics
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import Organization
from src.auth.principal import Principal
from src.auth.scopes import REPORTS_READ
from src.cases.models import Case
from src.platform import clock
from src.platform.config import Settings
from src.platform.errors import TooManyRequests
from src.reports import privacy, release, service
from src.reports.budget import ReportBudget
from src.reports.reading import Source
from tests import factories
from tests.factories import Consulate, abuse_body, open_case, trafficking_body

Z = 5.0
N = 20_000  # draws per mechanism check: each well under a second


def _close(count: int, n: int, p: float) -> bool:
    return abs(count / n - p) <= Z * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("scale", [Fraction(1), Fraction(5, 2)], ids=["1", "2.5"])
def test_discrete_laplace_has_its_exact_distribution(scale: Fraction) -> None:
    draws = [privacy.discrete_laplace(scale) for _ in range(N)]
    assert all(type(z) is int for z in draws)
    found, q = Counter(draws), math.exp(-1 / float(scale))
    for z in (-2, -1, 0, 1, 2):
        assert _close(found[z], N, (1 - q) / (1 + q) * q ** abs(z)), (z, found[z])  # P(Z = z)
    far = sum(n for z, n in found.items() if abs(z) >= 3)
    assert _close(far, N, 2 * q**3 / (1 + q))
    # Symmetric: given how many are non-zero, each is positive with probability 1/2 (sd sqrt(m)/2 each side).
    positive, negative = sum(n for z, n in found.items() if z > 0), sum(n for z, n in found.items() if z < 0)
    assert abs(positive - negative) <= Z * math.sqrt(positive + negative)


@pytest.mark.parametrize("gamma", [Fraction(3, 10), Fraction(1), Fraction(27, 10)], ids=str)
def test_bernoulli_exp_is_true_with_probability_exp_minus_gamma(gamma: Fraction) -> None:
    assert _close(sum(privacy.bernoulli_exp(gamma) for _ in range(N)), N, math.exp(-gamma))


def _tail(sensitivity: int, epsilon: Fraction, m: int) -> Decimal:
    """P(Z >= m) for the noise of `privacy.noisy`, to 60 digits: q^m / (1 + q) for m >= 1, and by symmetry
    1 - q^(1 - m) / (1 + q) below."""
    with localcontext() as context:
        context.prec = 60
        q = (-Decimal(epsilon.numerator) / Decimal(epsilon.denominator) / sensitivity).exp()
        return q**m / (1 + q) if m >= 1 else 1 - q ** (1 - m) / (1 + q)


@pytest.mark.parametrize(
    ("sensitivity", "epsilon", "delta", "expected"),
    [
        (1, Fraction(3, 4), 1e-6, 19),  # rows a case moves by 1, at 3/4 of epsilon 1
        (1, Fraction(21, 32), 1e-6, 22),  # the case report's rows at epsilon 1 (7/8 of 3/4 of it)
        (1, Fraction(21, 64), 1e-6, 42),  # at epsilon 1/2
        (3, Fraction(3, 8), 1e-6 / 2 / 18, None),  # the referral report's: half of epsilon 1, 3 x 6 cells
        (6, Fraction(1, 16), 1e-9, None),
        (1, Fraction(750_000_000), 1e-6, 2),  # conftest's quiet epsilon: the least threshold, 1 above
    ],
)
def test_row_threshold_is_the_least_that_shows_a_new_row_with_probability_at_most_delta(
    sensitivity: int, epsilon: Fraction, delta: float, expected: int | None
) -> None:
    threshold = privacy.row_threshold(sensitivity, epsilon, delta)
    assert expected is None or threshold == expected
    m = threshold - sensitivity  # a row one case made holds at most `sensitivity`: the noise must reach m
    assert m >= 1 and _tail(sensitivity, epsilon, m) <= Decimal(delta)
    assert _tail(sensitivity, epsilon, m - 1) > Decimal(delta)  # one less would not do
    q = math.exp(-float(epsilon) / sensitivity)  # and the closed form is the sum of the probabilities
    summed = math.fsum((1 - q) / (1 + q) * q**z for z in range(m, m + 5000))
    assert math.isclose(summed, float(_tail(sensitivity, epsilon, m)), rel_tol=1e-9, abs_tol=1e-300)


@pytest.mark.parametrize(("value", "bar"), [(2, 5), (0, 1), (7, 5)], ids=["below", "at-zero", "above"])
def test_reaches_and_below_draw_what_noisy_draws(value: int, bar: int) -> None:
    """The shortcut a table takes for rows below their bar gives the same distribution as drawing the whole
    noise: how often the bar is reached, by how much, and what a cell that did not reach it holds."""
    epsilon = Fraction(3, 4)
    q = math.exp(-float(epsilon))
    point = {z: (1 - q) / (1 + q) * q ** abs(z) for z in range(-40, 60)}  # P(Z = z), noise of `noisy`
    reached = [privacy.reaches(value, 1, epsilon, bar) for _ in range(N)]
    shown = [r for r in reached if r is not None]
    p_shown = float(_tail(1, epsilon, bar - value))
    assert _close(len(shown), N, p_shown)
    for released in (bar, bar + 1, bar + 3):  # given it is shown, P(released) = P(Z = released - value) / p
        assert _close(shown.count(released), len(shown), point[released - value] / p_shown), released
    stayed = [privacy.below(value, 1, epsilon, bar) for _ in range(N)]
    assert max(stayed) < bar
    for released in (bar - 1, bar - 2, bar - 4):
        expected = point[released - value] / (1 - p_shown)
        assert _close(stayed.count(released), N, expected), released


def test_a_row_one_case_makes_shows_with_probability_at_most_delta() -> None:
    """release.table end to end, at a delta large enough to measure: a new row holding one case (unknown
    key) is published exactly when 1 + noise (3/4 of epsilon) reaches the threshold."""
    tables = [release.table([("new",)], [[1]], 1, release.Privacy(Fraction(1), 0.05, 1)) for _ in range(N)]
    shown, threshold = sum(bool(table.keys) for table in tables), tables[0].threshold
    exact = float(_tail(1, Fraction(3, 4), threshold - 1))
    assert exact <= 0.05 and _close(shown, N, exact)


def _permute_and_flip(utilities: Sequence[int], epsilon: float) -> list[float]:
    """The exact probabilities of permute-and-flip: over every order of the candidates, the first that
    passes its coin exp(epsilon (u - best) / 2) is taken."""
    best, n = max(utilities), len(utilities)
    coins = [math.exp(epsilon * (u - best) / 2) for u in utilities]
    found = [0.0] * n
    orders = list(itertools.permutations(range(n)))
    for order in orders:
        left = 1.0 / len(orders)
        for i in order:
            found[i] += left * coins[i]
            left *= 1 - coins[i]
    return found


def test_permute_and_flip_takes_the_best_at_a_large_epsilon_and_any_at_epsilon_zero() -> None:
    utilities = [3, 9, 4, 8]
    assert {privacy.permute_and_flip(utilities, Fraction(10**6)) for _ in range(1000)} == {1}
    found = Counter(privacy.permute_and_flip(utilities, Fraction(0)) for _ in range(N))
    assert all(_close(found[i], N, 1 / 4) for i in range(4)), found


def test_permute_and_flip_is_epsilon_dp_between_neighbouring_utilities() -> None:
    """(1, 1, 4) and (0, 2, 3): each utility moved by at most one. Candidate 1 is taken with probability
    0.103, then 0.281: a ratio of exactly e^epsilon, the worst over every pair of three utilities in 0..3
    (by enumeration). The draws match the exact probabilities, and no ratio of them exceeds e^epsilon
    beyond Z standard errors of a log ratio; at twice the epsilon, candidate 1's ratio would be e^2."""
    epsilon, pair = 1.0, ([1, 1, 4], [0, 2, 3])
    exact = [_permute_and_flip(u, epsilon) for u in pair]
    assert max(abs(math.log(a / b)) for a, b in zip(*exact, strict=True)) == pytest.approx(epsilon)
    drawn = [Counter(privacy.permute_and_flip(u, Fraction(1)) for _ in range(N)) for u in pair]
    for found, probabilities in zip(drawn, exact, strict=True):
        assert all(_close(found[i], N, p) for i, p in enumerate(probabilities)), (found, probabilities)
    for i in range(3):
        a, b = drawn[0][i] / N, drawn[1][i] / N
        error = math.sqrt((1 - a) / (N * a) + (1 - b) / (N * b))
        assert abs(math.log(a / b)) <= epsilon + Z * error, i


def _bin(value: float) -> int:
    """The bin PostgreSQL's width_bucket(value, GRID) gives (repository._bin)."""
    return bisect.bisect_right(privacy.GRID, value)


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([0.55 * 1.25**i for i in range(0, 41, 2)], id="one-value-a-bin"),
        pytest.param([0.2] * 5 + [1.0] * 3 + [7.0] * 4 + [40.0], id="balanced-heavy-bins"),
        # A heavy median bin with all its values on one side: an empty neighbour must not balance better.
        pytest.param([0.1] * 60 + [3.0] * 41, id="lopsided"),
    ],
)
def test_median_bin_holds_the_median_at_a_large_epsilon(values: list[float]) -> None:
    """It does, whether the median's bin is balanced (as many values below it as above) or not."""
    median = statistics.median_low(values)
    counts = Counter(_bin(value) for value in values)
    chosen = {privacy.median_bin(counts, Fraction(10**6)) for _ in range(200)}
    assert chosen == {_bin(median)}, (chosen, _bin(median))


# The attack. Cases over three days: 25 trafficking cases (occurred in RU) on each of d1 and d2, 10 abuse
# cases each day, and on d3 the targets, trafficking cases that occurred in KZ: 2 of them, or 1 (the second
# moved before d1, out of every period read). The attacker reads from d1 and knows all but the targets.
TRAFFICKING, ABUSE, EPSILON, BUDGET = 25, 10, 1.0, 20.0
# The case report's shares of a read's epsilon (src/reports/service.py, release.table): 1/8 decides whether
# there are too many groups, and of the other 7/8 the groups' counts take 3/4 and the grand total 1/4.
CELLS, TOTAL = Fraction(7, 8) * Fraction(3, 4), Fraction(7, 8) * Fraction(1, 4)
REPETITIONS = 150  # attacks in each world: 6000 reads in all, about 20 s
Read = Callable[[str, date], Awaitable[dict[str, Any] | None]]
READ = frozenset({REPORTS_READ})


@dataclass(frozen=True)
class World:
    days: tuple[date, date, date]
    second_target: Any


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


async def _arrange(client: httpx.AsyncClient, db: AsyncSession, officer: factories.Account) -> World:
    today = clock.utcnow().date()
    days = (today - timedelta(days=10), today - timedelta(days=9), today - timedelta(days=8))
    bodies = [
        [trafficking_body(occurred={"country": "RU"})] * TRAFFICKING * (i < 2)
        + [abuse_body()] * ABUSE
        + [trafficking_body()] * 2 * (i == 2)
        for i in range(3)
    ]
    created = [[(await open_case(client, officer, body))["id"] for body in day] for day in bodies]
    for day, ids in zip(days, created, strict=True):
        await db.execute(update(Case).where(Case.id.in_(ids)).values(created_at=_noon(day)))
    await db.commit()
    return World(days, created[2][-1])


async def _targets(db: AsyncSession, world: World, n: int) -> None:
    moved = world.days[2] if n == 2 else world.days[0] - timedelta(days=30)
    await db.execute(update(Case).where(Case.id == world.second_target).values(created_at=_noon(moved)))
    await db.commit()


def _trafficking(report: dict[str, Any]) -> int:
    return sum(row["count"] or 0 for row in report["rows"] if row["group"]["kind"] == "trafficking")


async def _attack(read: Read, world: World, pairs: int | None = None) -> tuple[list[int], int]:
    """Differences of the trafficking row, alternately over overlapping periods ([d1, d3] - [d1, d2]) and
    nested groupings (by kind - by kind and occurred_country, over [d1, d3]): each is the targets' count
    plus noise. Until `pairs` or the budget runs out; answers them and how many reads were answered."""
    _, d2, d3 = world.days
    differences: list[int] = []
    answered = 0
    while pairs is None or len(differences) < pairs:
        whole = await read("kind", d3)
        second = ("kind", d2) if len(differences) % 2 == 0 else ("kind,occurred_country", d3)
        part = await read(*second) if whole is not None else None
        answered += (whole is not None) + (part is not None)
        if whole is None or part is None:
            return differences, answered
        differences.append(_trafficking(whole) - _trafficking(part))
    return differences, answered


def _over_http(client: httpx.AsyncClient, reader: factories.Account, start: date, log: list[Any]) -> Read:
    async def read(group_by: str, last: date) -> dict[str, Any] | None:
        params = {"group_by": group_by, "from": start.isoformat(), "to": last.isoformat()}
        answer = await client.get("/v1/reports/cases", params=params, headers=reader.headers)
        log.append(answer)
        assert answer.status_code in (200, 429), answer.text
        return answer.json() if answer.status_code == 200 else None

    return read


def _in_service(app: Any, settings: Settings, reader: Principal, start: date) -> Read:
    """As the router reads: charge (TooManyRequests past the budget), then the case report."""

    async def read(group_by: str, last: date) -> dict[str, Any] | None:
        async with app.state.sessionmaker() as session:
            period = service.Period(start, last)
            try:
                opened = await service.open_report(
                    session, reader, Source(), settings, "report.cases", period, "json"
                )
            except TooManyRequests:
                return None
            found = await service.cases(opened, settings, group_by.split(","))
            await session.commit()
            return found

    return read


async def test_without_noise_differencing_recovers_the_count_suppression_hides(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    """The contrast: at conftest's quiet epsilon only the minimum cell protects the targets, and the attack
    is real. Their row is never published, yet every difference is their count exactly."""
    world = await _arrange(client, db, consulate_a.officer)
    auditor = await factories.account(db, settings, client, "auditor")
    for targets in (2, 1):
        await _targets(db, world, targets)
        read = _over_http(client, auditor, world.days[0], [])
        fine = await read("kind,occurred_country", world.days[2])
        assert fine is not None and fine["min_cell"] == 5
        assert [row["group"]["occurred_country"] for row in fine["rows"]] == ["RU", "RU"]
        assert await _attack(read, world, pairs=4) == ([targets] * 4, 8)


@dataclass(frozen=True)
class Expected:
    """Exactly, at epsilon 1: a difference is the targets' count plus D, two cells' independent noises each
    discrete Laplace of scale 32/21 (CELLS of epsilon for a row a case moves by 1): Var D = 2 * 2q/(1-q)^2
    = 8.96 with q = e^-21/32. The attacker's estimate is the count plus the mean of 10 of them (sd 0.95)."""

    variance: float  # Var D
    fourth: float  # E[D^4]
    says_two_of_one: float  # P(mean of 10 D >= 0.5): with 1 target the estimate reaches 1.5
    says_one_of_two: float  # P(mean of 10 D < -0.5): with 2 it falls below 1.5

    @classmethod
    def compute(cls) -> Expected:
        q, z = math.exp(-float(CELLS)), np.arange(-60, 61)
        laplace = (1 - q) / (1 + q) * q ** np.abs(z)
        one, ten, d = np.convolve(laplace, laplace), np.array([1.0]), np.arange(-120, 121)  # D on d
        for _ in range(10):
            ten = np.convolve(ten, one)
        s = np.arange(len(ten)) - 1200  # the sum of 10 D
        second, fourth = (float(np.sum(one * d**k)) for k in (2, 4))
        return cls(second, fourth, float(ten[s >= 5].sum()), float(ten[s <= -6].sum()))


def _best_test_misses(alpha: float, reads: int = 15) -> float:
    """The DP bound: the least chance that any test on the 20 reports takes 2 targets for 1 when it
    takes 1 for 2 with chance alpha. The targets are in 15 of the reads ([d1, d2] has none); in each they
    move one row's count (noise at CELLS of epsilon) and the total (TOTAL); the attacker reads nothing
    else. For a discrete Laplace count moved by 1 the likelihood ratio is e^eps or e^-eps by the side it
    falls on: a coin, heads with probability 1/(1+e^-eps) in one world and e^-eps/(1+e^-eps) in the
    other. Suppression, thresholds and rounding at 0 only post-process, so no test does better than
    Neyman-Pearson on the 15 + 15 coins, computed here. (The pure-epsilon bound fp + e^15 fn >= 1 says
    nothing at these numbers.)"""
    h, g = (1 / (1 + math.exp(-float(eps))) for eps in (CELLS, TOTAL))  # heads in the world of 1 target

    def chance(k: int, p: float) -> float:
        return math.comb(reads, k) * p**k * (1 - p) ** (reads - k)

    outcomes = [
        (chance(a, h) * chance(b, g), chance(a, 1 - h) * chance(b, 1 - g))
        for a, b in itertools.product(range(reads + 1), repeat=2)
    ]
    taken = caught = 0.0
    for one, two in sorted(outcomes, key=lambda o: o[1] / o[0], reverse=True):  # most telling of 2 first
        share = min(1.0, (alpha - taken) / one)
        if share <= 0:
            break
        taken, caught = taken + share * one, caught + share * two
    return max(0.0, 1 - caught)


async def test_the_differencing_attack_fails_against_the_noise_and_stops_at_the_budget(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At the production setting (epsilon 1 a read, delta 1e-6, minimum cell 5, 20 a year) the attacker
    gets 20 reads, 10 differences; guessing 2 targets when their mean reaches 1.5, it is wrong in 31.4% of
    the worlds with 1 target and 27.7% of those with 2 (`Expected`, exactly).

    REPETITIONS independent attacks in each world (a fresh organization each, with its own budget): the
    first over HTTP, with the budget's refusal and its audit event, the others through the service layer
    as the router calls it. Held within Z standard errors: each world's mean estimate to its count (no
    bias); the 3000 differences' variance around it to Var D, i.e. 8.96 +- 1.55 (the error of a variance
    is sqrt((E[D^4] - Var D^2) / n)): the noise is there, and as large as stated (at the whole epsilon
    instead of CELLS of it, 3.7); the attacker's error rates to the exact ones. And at every threshold, the
    empirical (false positive, false negative) rates, each raised by Z standard errors, must not beat the
    DP bound `_best_test_misses`."""
    production = {"report_epsilon": EPSILON, "report_delta": 1e-6, "report_min_cell": 5}
    for name, value in {**production, "report_epsilon_per_year": BUDGET}.items():
        monkeypatch.setattr(settings, name, value)
    world = await _arrange(client, db, consulate_a.officer)
    auditor = await factories.account(db, settings, client, "auditor")
    start, year = world.days[0], clock.utcnow().year

    log: list[httpx.Response] = []
    first, answered = await _attack(_over_http(client, auditor, start, log), world)
    assert answered == 20 == len(log) - 1  # floor(20 / 1) reads, then the refusal
    privacy = log[19].json()["privacy"]
    assert privacy == dict(epsilon=1.0, delta=1e-6, spent=20.0, budget=20.0, year=year, row_threshold=22)
    assert not any(row["group"].get("occurred_country") == "KZ" for a in log[:20] for row in a.json()["rows"])
    refused = log[20]
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 366 * 86400 and refused.json()["budget"] == BUDGET
    mine = AuditEvent.actor_organization_id == auditor.organization.id
    events = await db.scalars(select(AuditEvent).where(mine))
    reads = Counter((e.action, e.outcome) for e in events if e.action != "auth.token")  # and its sign-in
    assert reads == {("report.cases", "success"): 20, ("report.cases", "throttled"): 1}
    assert (await db.get_one(ReportBudget, (auditor.organization.id, year))).spent == 20

    readers = [
        Organization(name=f"oversight {uuid.uuid4().hex}", kind="oversight", country="KG")
        for _ in range(2 * REPETITIONS)
    ]
    db.add_all(readers)
    await db.commit()

    gate = asyncio.Semaphore(8)  # sessions at once, well within the pool

    async def attack(org: Organization) -> list[int]:
        reader = Principal(auditor.user.id, "user", org.id, "oversight", "auditor", READ, uuid.uuid4())
        async with gate:
            differences, answered = await _attack(_in_service(app, settings, reader, start), world)
        assert answered == 20
        return differences

    found = {2: [first, *await asyncio.gather(*map(attack, readers[: REPETITIONS - 1]))]}
    await _targets(db, world, 1)
    found[1] = list(await asyncio.gather(*map(attack, readers[REPETITIONS:])))

    expected, n = Expected.compute(), REPETITIONS
    sd = math.sqrt(expected.variance / 10 / n)  # of a world's mean estimate
    estimates = {targets: [statistics.fmean(run) for run in runs] for targets, runs in found.items()}
    for targets, runs in found.items():
        assert len(runs) == n and all(len(run) == 10 for run in runs)
        assert abs(statistics.fmean(estimates[targets]) - targets) <= Z * sd
        wrong = sum((estimate >= 1.5) != (targets == 2) for estimate in estimates[targets])
        rate = expected.says_two_of_one if targets == 1 else expected.says_one_of_two
        assert _close(wrong, n, rate), (targets, wrong / n, rate)
    noise = [d - targets for targets, runs in found.items() for run in runs for d in run]
    spread = statistics.fmean(d * d for d in noise)
    error = math.sqrt((expected.fourth - expected.variance**2) / len(noise))
    assert abs(spread - expected.variance) <= Z * error, (spread, expected.variance)
    for threshold in (k / 10 + 0.05 for k in range(-10, 40)):  # between the estimates' values
        rates = [sum(e >= threshold for e in estimates[1]) / n, sum(e < threshold for e in estimates[2]) / n]
        alpha, beta = (r + Z * math.sqrt(max(r * (1 - r), 1 / n) / n) for r in rates)
        assert beta >= _best_test_misses(min(1.0, alpha)), (threshold, rates)


def test_the_published_minimum_cell_depends_on_no_row_the_data_makes() -> None:
    """`min_cell` is published: rows only the data makes (a case report's groups) must not move it, however
    many there are; only the known rows and epsilon do."""
    spend = release.Privacy(Fraction(1), 1e-6, 5)
    known = [("known", i) for i in range(40)]
    floors = {
        release.table(known + made, [[0]] * len(known) + [[1]] * len(made), 1, spend, set(known)).min_cell
        for made in ([], [("made", 0)], [("made", i) for i in range(5000)])
    }
    assert len(floors) == 1
    alone = {release.table(made, [[1]] * len(made), 1, spend).min_cell for made in ([("a",)], [("b",)] * 999)}
    assert len(alone) == 1
