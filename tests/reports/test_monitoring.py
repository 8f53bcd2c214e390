"""The monitoring report over the API: its JSON, suppression ("fewer than N"), who may read it, the audit
event, and the PDF as a person sees it (each page rendered to pixels, its text extracted)."""

from __future__ import annotations

from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform import clock
from src.platform.config import Settings
from src.reports import charts, monitoring_labels, render_html
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case

PATH = "/v1/reports/monitoring"
SECTIONS = ["cases_by_month", "violations_by_region", "timeliness", "referrals", "redress", "channels_by_sex"]


async def _world(client: httpx.AsyncClient, consulate: Consulate) -> None:
    for _ in range(6):
        await open_case(client, consulate.officer, abuse_body())
    for _ in range(2):
        await open_case(client, consulate.officer, child_body())


def _cells(section: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    return [
        (column, value, column in row["suppressed"])
        for row in section["rows"]
        for column, value in row["values"].items()
    ]


async def test_the_json_has_every_section_released_like_the_other_reports(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _world(client, consulate_a)
    coordinator = await factories.account(db, settings, client, "coordinator")
    answer = await client.get(PATH, headers={**coordinator.headers, "Accept-Language": "ru"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == "ru"
    report = answer.json()
    assert report["report"] == "monitoring" and report["min_cell"] == 5
    assert report["fewer_than"] == "менее 5"
    assert [s["key"] for s in report["sections"]] == SECTIONS
    assert report["sections"][0]["title"] == "Открытые дела по видам и месяцам"
    assert len(report["previous_periods"]) == 2
    assert report["organization"] == coordinator.organization.name
    assert report["generated_by"]["role"] == "coordinator"
    assert report["audit_checkpoint"]["sequence"] >= 0
    sections = {s["key"]: s for s in report["sections"]}
    by_month = sections["cases_by_month"]
    # 6 abuse and 2 child returns in one month: the 6 shows and the 2 does not (noise, not the totals,
    # protects it: no other count need be hidden with it). Months and kinds are known whatever the data.
    (row,) = by_month["rows"]
    assert row["values"] == {"abuse": 6, "child_return": None, "trafficking": None}
    assert by_month["total"] == 8
    assert report["privacy"]["epsilon"] > 0 and report["privacy"]["year"] == clock.utcnow().year
    for section in sections.values():
        for column, value, hidden in _cells(section):
            assert (value is None) == hidden or column not in section["chart"], (section["key"], column)
    for key in ("cases_by_month", "violations_by_region", "channels_by_sex"):
        for _, value, hidden in _cells(sections[key]):
            assert hidden or value == 0 or value >= 5
    channels = {r["code"]: r for r in sections["channels_by_sex"]["rows"]}
    assert channels["hotline"]["label"] == "Горячая линия"
    assert channels["hotline"]["values"]["male"] == 6 or "male" in channels["hotline"]["suppressed"]


async def test_who_may_read_it_and_the_audit_trail(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    auditor = await factories.account(db, settings, client, "auditor")
    period = {"from": "2026-07-01", "to": "2026-09-30"}
    assert (await client.get(PATH, params=period, headers=auditor.headers)).status_code == 200
    (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.action == "report.monitoring"))).all()
    assert event.outcome == "success" and event.resource_type == "report"
    assert event.detail["from"] == "2026-07-01" and event.detail["to"] == "2026-09-30"
    assert event.detail["format"] == "json" and event.detail["language"] == "en"
    denied = await client.get(PATH, headers=consulate_a.officer.headers)
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    refused = await db.scalar(
        select(func.count()).where(AuditEvent.action == "report.monitoring", AuditEvent.outcome == "denied")
    )
    assert refused == 1
    assert (await client.get(PATH)).status_code == 401


@pytest.mark.parametrize(
    "query",
    ["from=2026-11-02&to=2026-11-01", "from=yesterday", "format=xlsx", "from=2020-01-01&to=2026-01-01"],
)
async def test_a_bad_period_is_422_and_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, query: str
) -> None:
    coordinator = await factories.account(db, settings, client, "coordinator")
    before = await db.scalar(select(func.count()).select_from(AuditEvent))
    response = await client.get(f"{PATH}?{query}", headers=coordinator.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.scalar(select(func.count()).select_from(AuditEvent)) == before


def pdf_pages(document: bytes) -> list[tuple[float, str]]:
    """Each page rendered to pixels: (the variance of its grey levels, its extracted text)."""
    pdf = pdfium.PdfDocument(document)
    pages = []
    for page in pdf:
        image = page.render(scale=0.5, grayscale=True).to_pil()
        pixels = image.histogram()
        count = sum(pixels)
        mean = sum(level * n for level, n in enumerate(pixels)) / count
        variance = sum(n * (level - mean) ** 2 for level, n in enumerate(pixels)) / count
        pages.append((variance, page.get_textpage().get_text_range()))
    pdf.close()
    return pages


@pytest.mark.parametrize("language", ["ky", "ru"])
async def test_the_pdf_pages_are_drawn_and_hold_the_titles(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate, language: str
) -> None:
    await _world(client, consulate_a)
    auditor = await factories.account(db, settings, client, "auditor")
    answer = await client.get(
        PATH, params={"format": "pdf"}, headers={**auditor.headers, "Accept-Language": language}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    pages = pdf_pages(answer.content)
    assert len(pages) >= 1 + len(SECTIONS)
    assert all(variance > 50 for variance, _ in pages), [v for v, _ in pages]
    text = "\n".join(t for _, t in pages)
    assert monitoring_labels.text_of("title", language) in text
    for key in SECTIONS:
        assert monitoring_labels.section_title(key, language) in text, key
    assert monitoring_labels.fewer_than(5, language) in text
    if language == "ky":
        assert "ө" in text and "ү" in text


def test_a_cell_reads_as_a_number_a_share_fewer_than_n_or_a_dash() -> None:
    fewer = monitoring_labels.fewer_than(5, "ky")
    assert [fewer, monitoring_labels.fewer_than(10, "ky"), monitoring_labels.fewer_than(20, "ky")] == [
        "5тен аз",
        "10дон аз",
        "20дан аз",
    ]
    assert render_html.cell(0.25, False, fewer, "overdue_share") == "25.0%"
    assert render_html.cell(3.456, False, fewer, "median_days") == "3.5"
    assert render_html.cell(None, True, fewer, "male") == fewer
    assert render_html.cell(None, False, fewer, "median_days") == "—"
    assert render_html.cell(7, False, fewer) == "7"


def test_the_charts_font_has_the_kyrgyz_letters() -> None:
    from matplotlib import font_manager

    with charts.style():
        font = font_manager.get_font(font_manager.findfont(charts.FONT, fallback_to_default=False))
    assert all(font.get_char_index(ord(letter)) for letter in "ңөүҢӨҮабвёЁ")
