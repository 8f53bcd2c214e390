"""Small-cell suppression for published counts.

A report is a list of rows; each row splits its total into count cells (one cell for a one-column report such
as case counts). Published: every row's total and cells unless hidden, and the grand total of all rows.
What a reader can use against us: a row's cells sum to its total; row totals sum to the grand total; a row
that is listed at all has a total of at least 1; a hidden cell of a visible row is at least 1 (zeros are
shown).

Rules, with k the minimum cell:
1. primary: a row whose total is below k is hidden whole; a cell below k (and not zero) is hidden.
2. secondary, between rows under the grand total and between the cells of each visible row: the hidden items
   are none, or at least two whose sum is at least k and more than their number. Then each hidden item can
   be 1 or 2 or more with the others still consistent, so none is determined. The complements are the
   smallest visible non-zero items (least information lost); a hidden row hides all its cells.
3. When no visible item is left to hide, the total above is hidden instead: a row's total (the row becomes
   hidden and rule 2 runs again between rows) or the grand total.

A hidden row's cells are unconstrained below its unknown total, so they are never determined either.
tests/reports/test_suppression.py checks all of this against an exact integer solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Suppression:
    hidden_rows: frozenset[int]
    hidden_cells: frozenset[tuple[int, int]]  # (row, column) in visible rows; hidden rows hide all cells
    total_hidden: bool

    def row_hidden(self, row: int) -> bool:
        return row in self.hidden_rows

    def cell_hidden(self, row: int, column: int) -> bool:
        return row in self.hidden_rows or (row, column) in self.hidden_cells


def _safe(values: Sequence[int], hidden: set[int], k: int) -> bool:
    if not hidden:
        return True
    total = sum(values[i] for i in hidden)
    return len(hidden) >= 2 and total >= k and total > len(hidden)


def _complements(values: Sequence[int], hidden: set[int], k: int) -> set[int] | None:
    """Visible items to hide as well so that rule 2 holds; None when even hiding all of them does not."""
    candidates = sorted((values[i], i) for i in range(len(values)) if i not in hidden and values[i] > 0)
    chosen = set(hidden)
    for _, index in candidates:
        if _safe(values, chosen, k):
            break
        chosen.add(index)
    return chosen - hidden if _safe(values, chosen, k) else None


def suppress(rows: Sequence[Sequence[int]], k: int) -> Suppression:
    """Which rows, cells and whether the grand total to hide so that no hidden count can be recovered."""
    totals = [sum(cells) for cells in rows]
    hidden_rows = {r for r, total in enumerate(totals) if 0 < total < k}
    hidden_cells: dict[int, set[int]] = {}
    total_hidden = False
    while True:
        if not total_hidden:
            extra = _complements(totals, hidden_rows, k)
            if extra is None:
                total_hidden = True
            else:
                hidden_rows |= extra
        newly_hidden_row = False
        for r, cells in enumerate(rows):
            if r in hidden_rows:
                continue
            hidden = {c for c, value in enumerate(cells) if 0 < value < k} | hidden_cells.get(r, set())
            extra = _complements(cells, hidden, k)
            if extra is None:
                hidden_rows.add(r)
                newly_hidden_row = True
            else:
                hidden_cells[r] = hidden | extra
        if not newly_hidden_row:
            break
    return Suppression(
        hidden_rows=frozenset(hidden_rows),
        hidden_cells=frozenset(
            (r, c) for r, columns in hidden_cells.items() if r not in hidden_rows for c in columns
        ),
        total_hidden=total_hidden,
    )
