"""Suppression: no hidden count can be recovered from what a report publishes.

The check is independent of the rules in src/reports/suppression.py: an exact integer solver (HiGHS through
scipy) takes the published numbers and everything a reader knows, and finds the least and greatest value
each hidden count can have. A hidden count is recoverable when the two are equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from src.reports.suppression import Suppression, suppress

UPPER = 100_000


def _recoverable(rows: Sequence[Sequence[int]], shown: Suppression) -> list[str]:
    """Hidden counts (cells and row totals) whose value the published numbers determine."""
    unknowns: list[tuple[int, int]] = [
        (r, c) for r, cells in enumerate(rows) for c in range(len(cells)) if shown.cell_hidden(r, c)
    ]
    if not unknowns:
        return []
    index = {cell: i for i, cell in enumerate(unknowns)}
    lower = np.array([0.0 if shown.row_hidden(r) else 1.0 for r, _ in unknowns])
    constraints = []

    def over(cells: list[tuple[int, int]]) -> np.ndarray:
        vector = np.zeros(len(unknowns))
        for cell in cells:
            vector[index[cell]] = 1
        return vector

    for r, cells in enumerate(rows):
        mine = [(r, c) for c in range(len(cells)) if (r, c) in index]
        if not mine:
            continue
        if shown.row_hidden(r):  # listed, so at least one
            constraints.append(LinearConstraint(over(mine), 1, np.inf))
        else:  # its total is published
            rest = sum(cells) - sum(v for c, v in enumerate(cells) if (r, c) not in index)
            constraints.append(LinearConstraint(over(mine), rest, rest))
    if not shown.total_hidden:
        published = sum(v for r, cells in enumerate(rows) for c, v in enumerate(cells) if (r, c) not in index)
        rest = sum(map(sum, rows)) - published
        constraints.append(LinearConstraint(over(unknowns), rest, rest))

    def extent(objective: np.ndarray) -> tuple[float, float]:
        low, high = (
            milp(
                sign * objective,
                constraints=constraints,
                integrality=np.ones(len(unknowns)),
                bounds=Bounds(lower, np.full(len(unknowns), UPPER)),
            )
            for sign in (1, -1)
        )
        assert low.success and high.success, (low.message, high.message)
        return round(low.fun), round(-high.fun)

    found = []
    for cell in unknowns:
        low, high = extent(over([cell]))
        if low == high:
            found.append(f"cell {cell} = {low}")
    for r in shown.hidden_rows:
        low, high = extent(over([(r, c) for c in range(len(rows[r]))]))
        if low == high:
            found.append(f"row {r} total = {low}")
    return found


report_tables = st.lists(
    st.lists(st.integers(0, 14), min_size=1, max_size=4).filter(lambda cells: sum(cells) > 0),
    min_size=1,
    max_size=7,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=report_tables, k=st.integers(2, 10))
def test_no_hidden_count_is_recoverable_from_the_published_ones(rows: list[list[int]], k: int) -> None:
    shown = suppress(rows, k)
    assert _recoverable(rows, shown) == []
    for r, cells in enumerate(rows):
        if not shown.row_hidden(r):
            assert sum(cells) >= k
            assert all(v == 0 or v >= k for c, v in enumerate(cells) if not shown.cell_hidden(r, c))
    if not shown.total_hidden:
        assert sum(map(sum, rows)) >= k


def test_the_solver_does_find_what_primary_suppression_alone_gives_away() -> None:
    rows = [[3], [10], [12]]
    naive = Suppression(hidden_rows=frozenset({0}), hidden_cells=frozenset(), total_hidden=False)
    assert _recoverable(rows, naive) == ["cell (0, 0) = 3", "row 0 total = 3"]
    two_ones = Suppression(hidden_rows=frozenset({0, 1}), hidden_cells=frozenset(), total_hidden=False)
    assert _recoverable([[1], [1], [9]], two_ones) == [
        "cell (0, 0) = 1",
        "cell (1, 0) = 1",
        "row 0 total = 1",
        "row 1 total = 1",
    ]


def test_complements_are_the_smallest_visible_counts() -> None:
    shown = suppress([[3], [40], [6], [9]], 5)
    assert shown.hidden_rows == {0, 2} and not shown.total_hidden
    within_row = suppress([[2, 30, 7, 0]], 5)
    assert within_row.hidden_cells == {(0, 0), (0, 2)} and not within_row.hidden_rows


def test_all_ones_are_not_protected_by_hiding_them_together() -> None:
    shown = suppress([[1], [1], [1], [1], [1]], 5)  # five hidden ones would each be 1
    assert shown.total_hidden and shown.hidden_rows == {0, 1, 2, 3, 4}


def test_a_small_grand_total_hides_everything() -> None:
    shown = suppress([[2], [1]], 5)
    assert shown.total_hidden and shown.hidden_rows == {0, 1}
