"""The privacy budget over the API (src/reports/budget.py): every report read charges `report_epsilon` to the
reader's organization's calendar year, before it reads anything and in the request's transaction; past the
yearly budget the read is refused with 429 problem+json and Retry-After, which writes nothing but a
`throttled` audit event. Tests set a realistic epsilon and budget (conftest's are quiet and unlimited)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform import clock
from src.platform.config import Settings
from src.reports.budget import ReportBudget
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case

REPORTS = ["cases?group_by=kind", "referrals", "redress", "timeliness", "cases?group_by=kind&format=csv"]


@pytest.fixture
def budget(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Production-like: epsilon 0.5 a read, 2 a year (four reads)."""
    monkeypatch.setattr(settings, "report_epsilon", 0.5)
    monkeypatch.setattr(settings, "report_delta", 1e-6)
    monkeypatch.setattr(settings, "report_min_cell", 5)
    monkeypatch.setattr(settings, "report_epsilon_per_year", 2.0)
    return settings


async def _spent(db: AsyncSession, organization_id: uuid.UUID) -> dict[int, Decimal]:
    """{year: spent} of the organization, as committed."""
    query = select(ReportBudget).where(ReportBudget.organization_id == organization_id)
    rows = await db.scalars(query.execution_options(populate_existing=True))
    return {row.year: row.spent for row in rows}


async def _events(db: AsyncSession, organization_id: uuid.UUID) -> list[tuple[str, str]]:
    found = await db.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_organization_id == organization_id, AuditEvent.action.startswith("report."))
        .order_by(AuditEvent.id)
    )
    return [(event.action, event.outcome) for event in found]


async def _read(client: httpx.AsyncClient, account: factories.Account, path: str) -> httpx.Response:
    return await client.get(f"/v1/reports/{path}", headers=account.headers)


def _seconds_to_new_year() -> float:
    now = clock.utcnow()
    return (datetime(now.year + 1, 1, 1, tzinfo=UTC) - now).total_seconds()


async def test_a_read_spends_its_epsilon_of_the_organizations_year_and_states_it(
    client: httpx.AsyncClient, db: AsyncSession, budget: Settings, consulate_a: Consulate
) -> None:
    await open_case(client, consulate_a.officer, abuse_body())
    first = await factories.account(db, budget, client, "coordinator")
    second = await factories.account(db, budget, client, "coordinator", org=first.organization)
    other = await factories.account(db, budget, client, "auditor")
    year = clock.utcnow().year

    answer = await _read(client, first, REPORTS[0])
    assert answer.status_code == 200, answer.text
    privacy = answer.json()["privacy"]
    # At epsilon 1/2: 21/64 a cell (the case report's 7/8, of which 3/4), so a new row shows from
    # 1 + ceil(64/21 ln(1 / (delta (1 + q)))) = 42.
    assert privacy == {
        "epsilon": 0.5,
        "delta": 1e-6,
        "spent": 0.5,
        "budget": 2.0,
        "year": year,
        "row_threshold": 42,
    }
    assert await _spent(db, first.organization.id) == {year: Decimal("0.5")}
    # Another account of the same organization spends the same budget; other organizations have their own.
    shared = (await _read(client, second, "timeliness")).json()["privacy"]
    assert (shared["spent"], shared["year"]) == (1.0, year)
    assert (await _read(client, other, REPORTS[0])).json()["privacy"]["spent"] == 0.5
    for path in REPORTS[2:4]:
        assert (await _read(client, first, path)).status_code == 200
    assert await _spent(db, first.organization.id) == {year: Decimal("2.0")}
    # The budget is spent for the whole organization, whichever account or report asks next.
    for account, path in ((first, REPORTS[1]), (second, REPORTS[4]), (second, "cases?group_by=status")):
        assert (await _read(client, account, path)).status_code == 429
    assert await _spent(db, first.organization.id) == {year: Decimal("2.0")}
    assert (await _read(client, other, "referrals")).status_code == 200
    assert await _spent(db, other.organization.id) == {year: Decimal("1.0")}
    events = await _events(db, first.organization.id)
    assert [outcome for _, outcome in events] == ["success"] * 4 + ["throttled"] * 3
    assert events[-1] == ("report.cases", "throttled") and events[-3] == ("report.referrals", "throttled")


async def test_a_monitoring_report_costs_one_read_whatever_it_holds(
    client: httpx.AsyncClient, db: AsyncSession, budget: Settings, consulate_a: Consulate
) -> None:
    for body in (abuse_body(), child_body()):
        await open_case(client, consulate_a.officer, body)
    auditor = await factories.account(db, budget, client, "auditor")
    answer = await _read(client, auditor, "monitoring")
    assert answer.status_code == 200, answer.text
    privacy = answer.json()["privacy"]
    assert (privacy["epsilon"], privacy["spent"], privacy["budget"]) == (0.5, 0.5, 2.0)
    # Its six sections (three of them the referral, redress and timeliness reports) share the one charge.
    assert await _spent(db, auditor.organization.id) == {clock.utcnow().year: Decimal("0.5")}
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "report.monitoring"))).one()
    assert event.outcome == "success" and event.detail["epsilon"] == 0.5
    for export in ("json", "html", "json"):  # a page costs what its data does
        assert (await _read(client, auditor, f"monitoring?format={export}")).status_code == 200
    refused = await _read(client, auditor, "monitoring")
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    # (Each read also audits the sections it read, as report.referrals etc.: not reads of their own.)
    events = [outcome for action, outcome in await _events(db, auditor.organization.id) if "monit" in action]
    assert events == ["success"] * 4 + ["throttled"]


async def test_past_the_budget_a_read_is_refused_until_new_year_and_writes_only_its_audit_event(
    client: httpx.AsyncClient, db: AsyncSession, budget: Settings, consulate_a: Consulate
) -> None:
    await open_case(client, consulate_a.officer, abuse_body())
    auditor = await factories.account(db, budget, client, "auditor")
    year = clock.utcnow().year
    for _ in range(4):
        assert (await _read(client, auditor, REPORTS[0])).status_code == 200
    every_event = select(func.count()).select_from(AuditEvent)
    before = int(await db.scalar(every_event) or 0)

    refused = await _read(client, auditor, REPORTS[0])
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["cache-control"] == "no-store"
    problem = refused.json()
    assert problem["status"] == 429 and problem["type"].endswith("/too-many-requests")
    assert problem["budget"] == 2.0 and problem["year"] == year and "1 January" in problem["detail"]
    retry_after = int(refused.headers["retry-after"])
    # Until 00:00 UTC on 1 January, rounded up: the server answered a moment before this line.
    assert _seconds_to_new_year() <= retry_after <= _seconds_to_new_year() + 5
    assert await db.scalar(every_event) == before + 1  # its audit event, and nothing else
    throttled = (await db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))).one()
    assert (throttled.action, throttled.outcome) == ("report.cases", "throttled")
    assert throttled.actor_id == auditor.user.id and throttled.resource_type == "report"
    assert throttled.detail == {"epsilon": 0.5, "budget": 2.0}
    assert await _spent(db, auditor.organization.id) == {year: Decimal("2.0")}

    clock.advance(timedelta(seconds=retry_after))  # the budget renews with the calendar year
    await factories.sign_in_again(client, auditor)
    renewed = await _read(client, auditor, REPORTS[0])
    assert renewed.status_code == 200, renewed.text
    assert (renewed.json()["privacy"]["year"], renewed.json()["privacy"]["spent"]) == (year + 1, 0.5)
    assert await _spent(db, auditor.organization.id) == {year: Decimal("2.0"), year + 1: Decimal("0.5")}


async def test_refused_reads_spend_nothing(
    client: httpx.AsyncClient, db: AsyncSession, budget: Settings, consulate_a: Consulate
) -> None:
    for body in (abuse_body(), child_body()):
        await open_case(client, consulate_a.officer, body)
    officer, auditor = consulate_a.officer, await factories.account(db, budget, client, "auditor")
    for path in [*REPORTS[:4], "monitoring"]:
        assert (await _read(client, officer, path)).status_code == 403
    assert await _spent(db, officer.organization.id) == {}
    assert [outcome for _, outcome in await _events(db, officer.organization.id)] == ["denied"] * 5
    # Bad parameters are refused before the charge.
    for path in (
        "cases?group_by=nothing",
        "cases?from=2026-05-02&to=2026-05-01",
        "monitoring?from=2020-01-01",
    ):
        assert (await _read(client, auditor, path)).status_code == 422, path
    assert await _spent(db, auditor.organization.id) == {}
    assert (await _read(client, auditor, REPORTS[0])).json()["privacy"]["spent"] == 0.5


@pytest.mark.parametrize("spent_before", [None, Decimal("0.5")], ids=["first-read-of-the-year", "later"])
async def test_concurrent_reads_at_the_edge_of_the_budget_never_overspend(
    client: httpx.AsyncClient,
    db: AsyncSession,
    budget: Settings,
    monkeypatch: pytest.MonkeyPatch,
    spent_before: Decimal | None,
) -> None:
    """Ten reads at once with budget left for three: exactly three are answered, whether the organization
    has no row for the year yet (concurrent inserts) or has one (concurrent updates of it)."""
    auditor = await factories.account(db, budget, client, "auditor")
    year = clock.utcnow().year
    if spent_before is not None:
        db.add(ReportBudget(organization_id=auditor.organization.id, year=year, spent=spent_before))
        await db.commit()
    monkeypatch.setattr(budget, "report_epsilon_per_year", 1.5 + float(spent_before or 0))
    answers = await asyncio.gather(*(_read(client, auditor, REPORTS[i % 4]) for i in range(10)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 3 + [429] * 7, [a.text for a in answers if a.status_code not in (200, 429)]
    spent: list[Any] = sorted(a.json()["privacy"]["spent"] for a in answers if a.status_code == 200)
    base = float(spent_before or 0)
    assert spent == [base + 0.5, base + 1.0, base + 1.5]
    assert await _spent(db, auditor.organization.id) == {year: Decimal(str(base + 1.5))}
    outcomes = sorted(outcome for _, outcome in await _events(db, auditor.organization.id))
    assert outcomes == ["success"] * 3 + ["throttled"] * 7
