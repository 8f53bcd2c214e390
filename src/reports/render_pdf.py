"""The monitoring report as a PDF, with matplotlib's PdfPages (a wheel, no system library): a title page,
then per section a page with its chart and the first rows of its table, and more pages for the rest of
the rows. Fonts are embedded as TrueType (`pdf.fonttype` 42), so the text can be searched and extracted."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from src.reports import charts, render_html
from src.reports import monitoring_labels as words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

A4 = (8.27, 11.69)
ROWS_UNDER_CHART = 18
ROWS_PER_PAGE = 48


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split(" "):  # not at a no-break space (inside an amount)
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def _title_page(report: dict[str, Any]) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=A4)
    language = report["language"]
    figure.text(0.08, 0.9, words.text_of("title", language), fontsize=22, weight="bold")
    figure.text(0.08, 0.86, _wrap(words.text_of("subtitle", language), 80), fontsize=10, va="top")
    y = 0.78
    for label, value in render_html.title_lines(report):
        figure.text(0.08, y, label, fontsize=9, weight="bold")
        figure.text(0.08, y - 0.018, _wrap(value, 90), fontsize=9, va="top")
        y -= 0.03 + 0.016 * (1 + len(value) // 90)
    note = render_html.privacy_note(report)
    # Upright, not italic: each style of the font is embedded (subset) once more, 0.15 s a time.
    figure.text(0.08, y - 0.02, _wrap(note, 95), fontsize=8, va="top")
    y -= 0.1
    for number, key in enumerate(words.SECTIONS, start=1):  # drawn before the sections are all read
        figure.text(0.1, y, f"{number}. {words.section_title(key, language)}", fontsize=10)
        y -= 0.025
    return figure


def _table(
    figure: Figure, rect: tuple[float, float, float, float], section: dict[str, Any], rows: list[list[str]]
) -> None:
    ax = figure.add_axes(rect)
    ax.set_axis_off()
    header = [section["row_header"], *(c["label"] for c in section["columns"])]
    if not rows or len(header) < 2:  # no columns: nothing was counted
        return
    share = 0.66 / (len(header) - 1)
    width = max(7, int(share * rect[2] * A4[0] * 72 / 3.4))  # characters of 6 pt across a column
    cells = [[charts.short(row[0], 56), *(_wrap(value, width) for value in row[1:])] for row in rows]
    labels = [_wrap(h, width) for h in header]
    table = ax.table(
        cellText=cells,
        colLabels=labels,
        loc="upper center",
        cellLoc="left",
        colWidths=[0.34, *([share] * (len(header) - 1))],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(6)
    table.scale(1, 1.25)
    lines = [max(1 + text.count("\n") for text in row) for row in [labels, *cells]]
    for (r, _), cell in table.get_celld().items():
        cell.set_linewidth(0.3)
        cell.set_height(cell.get_height() * (0.35 + 0.65 * lines[r]))
        if r == 0:
            cell.get_text().set_fontweight("bold")


def _section_pages(section: dict[str, Any], report: dict[str, Any]) -> list[Figure]:
    from matplotlib.figure import Figure

    fewer, language = section["fewer_than"], report["language"]
    rows = render_html.table_rows(section, fewer)
    total = render_html.cell(section["total"], section["total_suppressed"], fewer)
    rows.append([words.text_of("total", language), total, *([""] * (len(section["columns"]) - 1))])
    figure = Figure(figsize=A4)
    figure.text(0.06, 0.955, section["title"], fontsize=14, weight="bold")
    height = charts.chart_height(section) / A4[1]
    if section["rows"]:
        charts.draw(figure.add_axes((0.4, 0.93 - height * 0.8, 0.54, height * 0.8 - 0.02)), section, fewer)
    else:
        figure.text(0.06, 0.9, words.text_of("no_data", language), fontsize=10)
    top = 0.93 - height * 0.8 - 0.05
    _table(figure, (0.04, 0.04, 0.92, top - 0.04), section, rows[:ROWS_UNDER_CHART])
    pages = [figure]
    for start in range(ROWS_UNDER_CHART, len(rows), ROWS_PER_PAGE):
        more = Figure(figsize=A4)
        more.text(0.06, 0.955, section["title"], fontsize=11, weight="bold")
        _table(more, (0.04, 0.04, 0.92, 0.89), section, rows[start : start + ROWS_PER_PAGE])
        pages.append(more)
    return pages


class Writer:
    """A PDF drawn a section at a time, on one thread of its own, while the report's next sections are still
    being read: the reading is mostly PostgreSQL's time and the drawing Python's, so the two overlap (at 1M
    cases, 2-3 s of each). `section(report, section)` queues a section (the title page with the first);
    `wait()` (or `await finish()`) answers the bytes once they are drawn; `close()` drops a half-drawn one."""

    def __init__(self, progress: Callable[[str], None] | None = None) -> None:
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ukuk-pdf")
        self._out = io.BytesIO()
        self._pdf: Any = None
        self._style: Any = None
        self._progress = progress
        self._queued: list[concurrent.futures.Future[None]] = []

    def _open(self, report: dict[str, Any]) -> None:
        from matplotlib.backends.backend_pdf import PdfPages

        logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per font table subset, at INFO
        title = f"{words.text_of('title', report['language'])} {report['from']} – {report['to']}"
        self._style = charts.style()
        self._style.__enter__()
        self._pdf = PdfPages(self._out, metadata={"Title": title, "Creator": "Ukuk"})
        self._pdf.savefig(_title_page(report))

    def _draw(self, report: dict[str, Any], section: dict[str, Any]) -> None:
        if self._pdf is None:
            self._open(report)
        for page in _section_pages(section, report):
            self._pdf.savefig(page)
        if self._progress:
            self._progress(section["title"])

    def section(self, report: dict[str, Any], section: dict[str, Any]) -> None:
        self._queued.append(self._worker.submit(self._draw, report, section))

    def _close(self) -> bytes:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        if self._style is not None:
            self._style.__exit__(None, None, None)
            self._style = None
        return self._out.getvalue()

    def wait(self) -> bytes:
        """The document, once every queued section is drawn (an error in drawing is raised here)."""
        try:
            for queued in self._queued:
                queued.result()
            return self._worker.submit(self._close).result()
        finally:
            self.close()

    async def finish(self) -> bytes:
        """`wait`, without holding up the event loop."""
        return await asyncio.to_thread(self.wait)

    def close(self) -> None:
        """Done or given up: whatever is queued still runs on the worker, then the document is dropped."""
        with contextlib.suppress(RuntimeError):  # already shut down
            self._worker.submit(self._close)
        self._worker.shutdown(wait=False)


def render(report: dict[str, Any], progress: Callable[[str], None] | None = None) -> bytes:
    """The PDF's bytes from a report already read; `progress(section title)` as each section is drawn."""
    writer = Writer(progress)
    for section in report["sections"]:
        writer.section(report, section)
    return writer.wait()
