"""CSV export of reports: RFC 4180 (CRLF, quoted where needed), UTF-8 with a BOM so spreadsheets read Cyrillic
right, text that a spreadsheet would run as a formula defused, and an RFC 6266/8187 attachment filename."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from src.reports.schemas import RedressReport, ReferralReport, TimelinessReport

# A cell starting with one of these is a formula to Excel, LibreOffice, Google Sheets (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MEDIA_TYPE = "text/csv; charset=utf-8"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(map(str, value))
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)  # numbers: a negative amount is data, and never starts a formula on its own


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def content_disposition(filename: str) -> str:
    """`filename` for old clients (ASCII, quotes and backslashes dropped) and `filename*` (RFC 8187)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='!#$&+^`|')}"


def cases_csv(report: dict[str, Any]) -> bytes:
    """`report` is the plain-data CaseReport of `service.cases`."""
    group_by = report["group_by"]
    named = "owner_organization" in group_by
    columns = ["level", *group_by, *(["owner_organization_name"] * named), "count", "suppressed"]
    rows = [
        {
            "level": "group",
            **row["group"],
            "owner_organization_name": row["labels"].get("owner_organization"),
            "count": row["count"],
            "suppressed": row["suppressed"],
        }
        for row in report["rows"]
    ]
    total = report["total"]
    rows.append({"level": "total", "count": total["count"], "suppressed": total["suppressed"]})
    return to_csv(columns, rows)


def _flat(report: ReferralReport | TimelinessReport, columns: list[str]) -> bytes:
    rows = [{"level": "group", **row.model_dump()} for row in report.rows]
    rows.append({"level": "total", **report.total.model_dump()})
    return to_csv(["level", *columns], rows)


def referrals_csv(report: ReferralReport) -> bytes:
    columns = [name for name in report.total.model_dump() if name not in ("suppressed", "labels")]
    return _flat(report, [*columns, "suppressed"])


def timeliness_csv(report: TimelinessReport) -> bytes:
    return _flat(report, ["kind", "state", "cases", "overdue", "median_days", "suppressed"])


def redress_csv(report: RedressReport) -> bytes:
    """One line per instrument and forum; claimed and recovered sums as a column pair per currency."""
    currencies = sorted({money.currency for row in report.rows for money in row.money})
    counts = ["actions", "planned", "filed", "granted", "denied", "withdrawn"]
    money_columns = [f"{name}_{currency}" for currency in currencies for name in ("claimed", "recovered")]
    columns = ["level", "instrument_code", "instrument_id", "forum", *counts, *money_columns, "suppressed"]
    rows: list[dict[str, Any]] = []
    for row in [*report.rows, report.total]:
        line = {"level": "total" if row is report.total else "group", **row.model_dump(exclude={"money"})}
        hidden = list(row.suppressed)
        for money in row.money:
            line[f"claimed_{money.currency}"] = money.claimed
            line[f"recovered_{money.currency}"] = money.recovered
            hidden += [f"{name}_{money.currency}" for name in money.suppressed]
        line["suppressed"] = hidden
        rows.append(line)
    return to_csv(columns, rows)
