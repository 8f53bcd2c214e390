"""What a report may publish of its true aggregates: noisy counts, medians and sums (src/reports/privacy.py),
rows that appear only when their noisy counts are large enough, and the share of the privacy budget each
part of a report spends.

The unit protected is one case with everything recorded about it. A report states how far one case can move
what it counts (its contributions): a case is in one row of the case report and in one state; at most
`BOUND` of its referrals and of its redress actions (the first recorded) and of its violation types (the
first by code) are counted; one stay per state it left. The noise is scaled to that, so whatever one reader
combines from all reports spends at most the epsilon the reports charged (basic composition).

After the noise, small-cell suppression (src/reports/suppression.py) still hides noisy counts below the
minimum cell: that hides nothing the noise has not already protected, and keeps reports from printing
counts of two or three that a reader would take as exact.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from src.reports import privacy

BOUND = 3  # referrals, redress actions and violation types counted per case

# Per currency, the most of one redress amount a money sum counts (in whole units; more is counted as this).
# A sum's noise is scaled to it; a currency without a cap is not summed.
MONEY_CAPS = {
    "RUB": 1_000_000,
    "KZT": 5_000_000,
    "KGS": 1_000_000,
    "TJS": 150_000,
    "UZS": 150_000_000,
    "USD": 15_000,
    "EUR": 15_000,
}
# A noisy count is shown only where noise alone would show a count in no empty cell of its table (or no
# median of nothing) but 1 time in 20: noise is not printed as if it were cases.
FALSE_SHOW = 0.05
# A noisy sum is published only when its noise is within a tenth of it 19 times in 20.
MONEY_PRECISION = 0.1


@dataclass(frozen=True)
class Privacy:
    """What one report, or one part of it, may spend: epsilon, and delta for the rows it may create; and the
    minimum cell below which noisy counts are still hidden."""

    epsilon: Fraction
    delta: float
    min_cell: int

    def share(self, part: Fraction) -> Privacy:
        return Privacy(self.epsilon * part, self.delta * float(part), self.min_cell)


@dataclass(frozen=True)
class Table:
    """Noisy cells of the rows published (in the order given), the noisy grand total (None below its floor),
    the count from which a cell is shown (`min_cell`: the minimum cell, or the noise floor where the noise
    is larger), and the row threshold of rows not known whatever the data."""

    keys: list[Any]
    cells: list[list[int]]
    total: int | None
    min_cell: int
    threshold: int


def table(
    keys: Sequence[Any],
    cells: Sequence[Sequence[int]],
    contributions: int,
    spend: Privacy,
    known: Collection[Hashable] = (),
    every_known: bool = False,
) -> Table:
    """Rows of counts released: each cell noisy, with a quarter of `spend` for a noisy grand total. A case
    moves the cells by at most `contributions` in all.

    Which rows are published depends only on noisy values and on what is `known` whatever the data (the
    workflow states, the organizations, the legal instruments): a known row when a noisy cell reaches the
    table's `min_cell` (or always, `every_known`); any other row only when a noisy cell reaches the row
    threshold, so that a row one case creates shows with probability at most delta. The caller passes every
    known key, counted or not (0): leaving out the ones with no rows would show which have some.

    `min_cell` is the configured minimum cell or, where the noise is larger, its floor (privacy.noise_floor)
    over the table's known cells: 19 times in 20, no empty known cell shows, instead of noise printed as if it
    were cases. It is published, so it depends on nothing but the known keys and the epsilon (rows only the
    data makes are held back by the row threshold, which is higher)."""
    columns = max((len(row) for row in cells), default=1)
    cell_epsilon = spend.epsilon * Fraction(3, 4)
    chance = FALSE_SHOW / max(1, len(known) * columns)  # the known cells only: never the data's own
    min_cell = max(spend.min_cell, privacy.noise_floor(contributions, cell_epsilon, chance))
    threshold = max(
        min_cell,
        privacy.row_threshold(contributions, cell_epsilon, spend.delta / (contributions * columns)),
    )
    kept_keys, kept_cells = [], []
    for key, row in zip(keys, cells, strict=True):
        if key in known and every_known:
            kept_keys.append(key)
            kept_cells.append([max(0, privacy.noisy(value, contributions, cell_epsilon)) for value in row])
            continue
        # Published when a noisy cell reaches the bar; a cell's noise is drawn whole only where it is needed.
        bar = min_cell if key in known else threshold
        reached = [privacy.reaches(value, contributions, cell_epsilon, bar) for value in row]
        if any(released is not None for released in reached):
            kept_keys.append(key)
            kept_cells.append(
                [
                    released
                    if released is not None
                    else max(0, privacy.below(value, contributions, cell_epsilon, bar))
                    for value, released in zip(row, reached, strict=True)
                ]
            )
    grand = sum(map(sum, cells))
    total_epsilon = spend.epsilon / 4
    total = privacy.noisy(grand, contributions, total_epsilon)
    floor = max(spend.min_cell, privacy.noise_floor(contributions, total_epsilon, FALSE_SHOW))
    return Table(kept_keys, kept_cells, total if total >= floor else None, min_cell, threshold)


def medians(
    histograms: Mapping[Any, Mapping[int, int]], keys: Sequence[Any], contributions: int, spend: Privacy
) -> dict[Any, float | None]:
    """A median for each of `keys` (the rows published), from the values counted per bin of privacy.GRID: a
    noisy count of the values (half of `spend`) and, when it reaches the minimum cell and the noise floor,
    a bin chosen near the median (the other half). A case adds at most `contributions` values to them in all
    (one value moves a count and a median's utilities by at most 1, so k values in one row cost k times a
    row's share)."""
    half = spend.epsilon / 2 / contributions
    floor = max(spend.min_cell, privacy.noise_floor(1, half, FALSE_SHOW / max(1, len(keys))))
    found: dict[Any, float | None] = {}
    for key in keys:
        counts = histograms.get(key, {})
        if privacy.noisy(sum(counts.values()), 1, half) < floor:
            found[key] = None
            continue
        found[key] = privacy.bin_middle(privacy.median_bin(counts, half))
    return found


def money(total: Decimal, currency: str, contributions: int, epsilon: Fraction) -> Decimal | None:
    """A sum of amounts, each capped at the currency's MONEY_CAPS, released in whole units with noise scaled
    to what `contributions` capped amounts of one case can add; None when the noise is too large to publish
    it."""
    cap = MONEY_CAPS.get(currency)
    if cap is None:
        return None
    most = cap * contributions  # what one case moves the sum by, at most (whole units: noise is far larger)
    released = privacy.noisy(int(total.to_integral_value()), most, epsilon)
    if released <= 0 or most / float(epsilon) * math.log(20) > MONEY_PRECISION * released:
        return None
    return Decimal(released)
