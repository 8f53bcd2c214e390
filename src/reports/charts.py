"""The monitoring report's charts, drawn on the server with matplotlib (Agg, no browser, no system library)
in DejaVu Sans, which matplotlib ships and which has Cyrillic and the Kyrgyz letters ң, ө, ү.

matplotlib is imported only when a chart is drawn, so the API's start does not pay for it. Figures are made
with the object API (no pyplot state), so two requests drawing at once do not share a figure. A suppressed
value is drawn as no bar with the words "fewer than N" where the bar would start."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONT = "DejaVu Sans"
STYLE: dict[str, Any] = {
    "font.family": FONT,
    "font.size": 8,
    "pdf.fonttype": 42,
    "svg.fonttype": "path",
}
MAX_ROWS = 30  # a chart shows the first rows; the table under it has them all
COLORS = ("#1f5f8b", "#e07b39", "#5a9e4b", "#b8424a", "#7d5ba6", "#8c6d46", "#d16ba5", "#7f7f7f", "#bcbd22")


def style() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    return matplotlib.rc_context(STYLE)  # type: ignore[arg-type]


def short(text: str, width: int = 40) -> str:
    """Long labels keep their start and their end (where an instrument's forum or a stage's name is)."""
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return f"{text[:half].rstrip()}…{text[-half:].lstrip()}"


def draw(ax: Axes, section: dict[str, Any], fewer: str) -> None:
    """Grouped horizontal bars: one group per row, one bar per charted column."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    rows = section["rows"][:MAX_ROWS]
    columns = [c for c in section["columns"] if c["code"] in section["chart"]]
    if not rows or not columns:
        ax.set_axis_off()
        return
    height = 0.8 / len(columns)
    legend = []
    for j, column in enumerate(columns):
        for i, row in enumerate(rows):
            y = i + (j - (len(columns) - 1) / 2) * height
            value = row["values"].get(column["code"])
            if value is None and column["code"] in row["suppressed"]:
                ax.text(0, y, f" {fewer}", va="center", ha="left", fontsize=6, color=COLORS[j % len(COLORS)])
            elif isinstance(value, int | float):
                ax.barh(y, value, height=height, color=COLORS[j % len(COLORS)])
        legend.append(Patch(color=COLORS[j % len(COLORS)], label=short(column["label"], 40)))
    ax.set_yticks(range(len(rows)), [short(row["label"]) for row in rows])
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(
        handles=legend,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=min(3, len(legend)),
        fontsize=6,
        frameon=False,
    )


def chart_height(section: dict[str, Any]) -> float:
    """Inches: room for each row's group of bars."""
    rows = min(len(section["rows"]), MAX_ROWS)
    return max(2.0, min(7.0, 0.6 + rows * (0.18 + 0.06 * len(section["chart"]))))


def svg(section: dict[str, Any], fewer: str) -> str:
    """The chart as an inline SVG element: text drawn as paths, no external reference, no script."""
    from matplotlib.figure import Figure

    with style():
        figure: Figure = Figure(figsize=(7.5, chart_height(section)), layout="constrained")
        draw(figure.add_subplot(), section, fewer)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.DOTALL)
