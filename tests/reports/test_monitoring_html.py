"""The monitoring report's HTML as a person sees it: loaded in a real headless Chromium (Debian's `chromium`,
which .ci/run installs when missing; playwright drives it and never downloads a browser of its own), every
chart drawn (its SVG has a non-empty box, with drawn shapes inside) and no console error."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from playwright.async_api import async_playwright
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case

CHROMIUM = "/usr/bin/chromium"
BOXES = """() => [...document.querySelectorAll("figure.chart svg")].map((svg) => {
    const box = svg.getBoundingClientRect();
    const drawn = svg.querySelector("g").getBBox();
    return {width: box.width, height: box.height, drawn: drawn.width * drawn.height,
            shapes: svg.querySelectorAll("path, use, rect").length};
})"""


async def test_every_chart_draws_in_chromium_without_console_errors(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate, tmp_path: Path
) -> None:
    assert shutil.which(CHROMIUM), "Install Debian's chromium (apt-get install -y chromium): .ci/run does."
    for body in [abuse_body()] * 6 + [child_body()] * 2:
        await open_case(client, consulate_a.officer, body)
    auditor = await factories.account(db, settings, client, "auditor")
    answer = await client.get(
        "/v1/reports/monitoring",
        params={"format": "html"},
        headers={**auditor.headers, "Accept-Language": "ky"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "<script" not in answer.text and "http://" not in answer.text.replace("http://www.w3.org", "")
    page_file = tmp_path / "monitoring.html"
    page_file.write_text(answer.text, encoding="utf-8")
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.on(
                "console", lambda message: errors.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(page_file.as_uri())
            await page.wait_for_load_state("load")
            boxes = await page.evaluate(BOXES)
            title = await page.title()
            sections = await page.locator("section h2").all_inner_texts()
        finally:
            await browser.close()
    assert errors == []
    assert title.startswith("Мониторинг боюнча отчет")
    assert "Ай сайын ачылган иштер, түрлөрү боюнча" in sections and len(sections) == 6
    charted = answer.text.count('<figure class="chart"')
    assert charted >= 3 and len(boxes) == charted
    for box in boxes:
        assert box["width"] > 100 and box["height"] > 50 and box["drawn"] > 0 and box["shapes"] > 3, box
