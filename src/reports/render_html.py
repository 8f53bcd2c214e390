"""The monitoring report as one self-contained HTML page: the title block, then each section's chart (inline
SVG drawn on the server, no script, no external URL) and its table. Every text is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from src.reports import charts
from src.reports import monitoring_labels as words

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; max-width: 60em; }
table { border-collapse: collapse; margin: 0.5em 0 2em; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.hidden { color: #8a4b00; font-style: italic; }
figure.chart { margin: 0; } figure.chart svg { max-width: 100%; height: auto; }
dl.title dt { font-weight: bold; } dl.title dd { margin: 0 0 0.5em 0; }
"""


def cell(value: Any, hidden: bool, fewer: str, code: str = "") -> str:
    """What a table cell reads: the number, "fewer than N" when suppressed, "—" when there is none."""
    if hidden:
        return fewer
    if value is None:
        return "—"
    if code.endswith("_share"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def title_lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The title page's lines (label, value), shared by the HTML and the PDF."""
    language = report["language"]
    previous = ", ".join(f"{p['from']} – {p['to']}" for p in report["previous_periods"])
    by = report["generated_by"]
    checkpoint = report["audit_checkpoint"]
    return [
        (words.text_of("period", language), f"{report['from']} – {report['to']}"),
        (words.text_of("previous_periods", language), previous),
        (words.text_of("organization", language), report["organization"]),
        (words.text_of("generated_at", language), report["generated_at"]),
        (words.text_of("generated_by", language), f"{by['role']} ({by['kind']} {by['id']})"),
        (words.text_of("checkpoint", language), str(checkpoint["sequence"])),
        (words.text_of("head_hash", language), checkpoint["head_hash"] or "—"),
    ]


def table_rows(section: dict[str, Any], fewer: str) -> list[list[str]]:
    return [
        [row["label"]]
        + [
            cell(row["values"].get(c["code"]), c["code"] in row["suppressed"], fewer, c["code"])
            for c in section["columns"]
        ]
        for row in section["rows"]
    ]


def _section(section: dict[str, Any], report: dict[str, Any]) -> str:
    language, fewer = report["language"], section["fewer_than"]
    head = "".join(f"<th>{escape(c['label'])}</th>" for c in section["columns"])
    body = []
    for values, row in zip(table_rows(section, fewer), section["rows"], strict=True):
        cells = [f"<td>{escape(values[0])}</td>"]
        for c, text in zip(section["columns"], values[1:], strict=True):
            hidden = ' class="hidden"' if c["code"] in row["suppressed"] else ""
            cells.append(f"<td{hidden}>{escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    total = cell(section["total"], section["total_suppressed"], fewer)
    width = len(section["columns"])
    total_label = escape(words.text_of("total", language))
    body.append(f"<tr><th>{total_label}</th><td colspan='{width}'>{escape(total)}</td></tr>")
    chart = (
        f'<figure class="chart" data-section="{escape(section["key"])}">{charts.svg(section, fewer)}</figure>'
        if section["rows"]
        else f"<p>{escape(words.text_of('no_data', language))}</p>"
    )
    return (
        f'<section id="{escape(section["key"])}"><h2>{escape(section["title"])}</h2>{chart}'
        f"<table><thead><tr><th>{escape(section['row_header'])}</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )


def privacy_note(report: dict[str, Any]) -> str:
    """The title page's words on the noise and the hidden cells (HTML and PDF alike)."""
    return words.text_of(
        "suppression",
        report["language"],
        n=report["min_cell"],
        less=report["fewer_than"],
        epsilon=f"{report['privacy']['epsilon']:g}",
    )


def render(report: dict[str, Any]) -> str:
    language = report["language"]
    title = words.text_of("title", language)
    lines = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in title_lines(report))
    note = privacy_note(report)
    sections = "".join(_section(section, report) for section in report["sections"])
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(title)} {escape(report['from'])} – {escape(report['to'])}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(words.text_of('subtitle', language))}</p>"
        f'<dl class="title">{lines}</dl><p>{escape(note)}</p></header>{sections}</body></html>'
    )
