"""Report bodies. A hidden count is `null` with `suppressed: true` (or listed in the row's `suppressed`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CaseDimension = Literal[
    "kind", "status", "occurred_country", "owner_organization", "intake_channel", "quarter"
]
CASE_DIMENSIONS: tuple[str, ...] = CaseDimension.__args__  # type: ignore[attr-defined]

ReadFrom = Literal["primary", "replica"]  # where a report's counts were read

REFERRAL_OUTCOMES = ("pending", "accepted", "completed", "declined", "withdrawn", "expired")
# Redress statuses (taxonomies.md) grouped into outcomes that partition a row's actions.
REDRESS_OUTCOMES: dict[str, tuple[str, ...]] = {
    "planned": ("planned",),
    "filed": ("filed", "in_progress"),
    "granted": ("granted", "partially_granted", "settled"),
    "denied": ("denied",),
    "withdrawn": ("withdrawn",),
}


ROW_LABELS = "Names, in the negotiated language (Accept-Language), for the codes of this row"
COLUMN_LABELS = "Names of the outcome columns in the negotiated language (Accept-Language)."


class PrivacySpent(BaseModel):
    """What a report read spent of the organization's privacy budget (docs/oversight.md, "Reports that
    cannot be subtracted")."""

    epsilon: float = Field(description="The epsilon this read spent: its counts and medians are this DP.")
    delta: float = Field(description="The chance that a row one case alone makes is published at all.")
    spent: float = Field(
        description="The epsilon the organization's report reads spent this year, this one too."
    )
    budget: float = Field(description="The most its reads may spend in a calendar year (UTC).")
    year: int
    row_threshold: int = Field(
        description="The noisy count a row not known whatever the data (a case report's group, a state no "
        "workflow names) must reach to be published."
    )


class ReportMeta(BaseModel):
    report: str
    min_cell: int = Field(
        description="Noisy counts below this are hidden (UKUK_REPORT_MIN_CELL); a row not known whatever "
        "the data is published only past `privacy.row_threshold`."
    )
    from_: date | None = Field(alias="from", serialization_alias="from")
    to: date | None
    generated_at: datetime
    read_from: ReadFrom = Field(
        description="Where the counts were read: the primary, or the replica of UKUK_REPORTS_DATABASE_URL."
    )
    replica_lag_seconds: float | None = Field(
        description=(
            "How far behind the primary the replica's data was when the report read it, in seconds; null "
            "when read from the primary. 0 when the replica has replayed all the WAL it received and is "
            "receiving more (an idle primary sends none: the time since its last commit is no lag then); "
            "otherwise the time since the last commit it replayed was made on the primary (replay behind, "
            "or the primary out of reach). Null from a replica too when it replayed no commit since it "
            "started and receives no WAL."
        )
    )

    privacy: PrivacySpent

    model_config = {"populate_by_name": True}


class Count(BaseModel):
    count: int | None
    suppressed: bool


class CaseReportRow(Count):
    group: dict[str, str] = Field(description="The value of each dimension grouped by.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Names for the values of `group`: kind, status and intake_channel in the negotiated "
        "language (Accept-Language), owner_organization.",
    )


class CaseReport(ReportMeta):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "report": "cases",
                    "min_cell": 5,
                    "from": "2026-07-01",
                    "to": "2026-09-30",
                    "generated_at": "2026-11-30T08:00:00Z",
                    "read_from": "replica",
                    "replica_lag_seconds": 0.4,
                    "privacy": {
                        "epsilon": 1.0,
                        "delta": 1e-6,
                        "spent": 7.0,
                        "budget": 20.0,
                        "year": 2026,
                        "row_threshold": 22,
                    },
                    "group_by": ["kind", "occurred_country"],
                    "rows": [
                        {
                            "group": {"kind": "abuse", "occurred_country": "RU"},
                            "labels": {"kind": "Нарушение прав трудового мигранта"},
                            "count": 128,
                            "suppressed": False,
                        },
                        {
                            "group": {"kind": "trafficking", "occurred_country": "RU"},
                            "labels": {"kind": "Торговля людьми"},
                            "count": 27,
                            "suppressed": False,
                        },
                    ],
                    "total": {"count": 157, "suppressed": False},
                }
            ]
        }
    )

    group_by: list[CaseDimension]
    rows: list[CaseReportRow]
    total: Count


class ReferralReportRow(BaseModel):
    partner_id: uuid.UUID | None = Field(description="The receiving organization; null on the total row.")
    partner_name: str | None
    partner_kind: str | None
    sent: int | None
    pending: int | None
    accepted: int | None = Field(description="Accepted and not yet completed.")
    completed: int | None
    declined: int | None
    withdrawn: int | None
    expired: int | None
    median_hours_to_accept: float | None
    suppressed: list[str] = Field(description="Fields hidden by small-cell suppression.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description=f"{ROW_LABELS}: partner_kind.",
    )


class ReferralReport(ReportMeta):
    rows: list[ReferralReportRow]
    total: ReferralReportRow
    column_labels: dict[str, str] = Field(default_factory=dict, description=COLUMN_LABELS)


class MoneyTotal(BaseModel):
    currency: str
    claimed: Decimal | None
    recovered: Decimal | None
    suppressed: list[str]


class RedressReportRow(BaseModel):
    instrument_id: uuid.UUID | None
    instrument_code: str | None
    forum: str | None
    actions: int | None
    planned: int | None
    filed: int | None = Field(description="Filed or in progress: awaiting a decision.")
    granted: int | None = Field(description="Granted, partially granted or settled.")
    denied: int | None
    withdrawn: int | None
    money: list[MoneyTotal]
    suppressed: list[str]
    labels: dict[str, str] = Field(
        default_factory=dict,
        description=f"{ROW_LABELS}: forum, and instrument_code (the instrument's title).",
    )


class RedressReport(ReportMeta):
    rows: list[RedressReportRow]
    total: RedressReportRow
    column_labels: dict[str, str] = Field(default_factory=dict, description=COLUMN_LABELS)


class TimelinessRow(BaseModel):
    kind: str | None
    state: str | None
    cases: int | None = Field(description="Cases in this state now.")
    overdue: int | None = Field(description="Of those, past a workflow deadline.")
    median_days: float | None = Field(description="Median days cases stayed in this state (stays ended).")
    suppressed: list[str]
    labels: dict[str, str] = Field(
        default_factory=dict,
        description=f"{ROW_LABELS}: kind and state.",
    )


class TimelinessReport(ReportMeta):
    rows: list[TimelinessRow]
    total: TimelinessRow
