"""Every report names the codes of its rows in the caller's language (Accept-Language)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from src.redress.models import LegalInstrument
from tests import factories
from tests.factories import Consulate, abuse_body, open_case, trafficking_body

CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


@pytest.fixture(autouse=True)
def every_count_shows(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read one or two cases' rows: a minimum cell of 1 shows them (a case report's group, which
    only the data makes, still needs a noisy count of 2)."""
    monkeypatch.setattr(settings, "report_min_cell", 1)


@pytest.fixture
async def coordinator(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "coordinator")


async def _report(client: httpx.AsyncClient, account: factories.Account, path: str, language: str) -> Any:
    answer = await client.get(path, headers={**account.headers, "Accept-Language": language})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == language and "Accept-Language" in answer.headers["vary"]
    return answer.json()


async def test_the_case_report_names_states(
    client: httpx.AsyncClient, consulate_a: Consulate, coordinator: factories.Account
) -> None:
    for _ in range(2):
        await open_case(client, consulate_a.officer, abuse_body())
        await open_case(client, consulate_a.officer, trafficking_body())
    path = "/v1/reports/cases?group_by=kind,status,intake_channel"
    rows = {
        language: {
            r["group"]["kind"]: r["labels"]
            for r in (await _report(client, coordinator, path, language))["rows"]
        }
        for language in ("en", "ru", "ky")
    }
    assert rows["en"]["abuse"] == {
        "kind": "Abuse of a labour migrant",
        "status": "Intake",
        "intake_channel": "Hotline",
    }
    assert rows["ru"]["abuse"] == {
        "kind": "Нарушение прав трудового мигранта",
        "status": "Приём обращения",
        "intake_channel": "Горячая линия",
    }
    assert rows["ky"]["trafficking"] == {
        "kind": "Адам сатуу",
        "status": "Кайрылууну кабыл алуу",
        "intake_channel": "Өнөктөштүн жолдомосу",
    }


async def test_the_timeliness_report_names_kinds_and_states(
    client: httpx.AsyncClient, consulate_a: Consulate, coordinator: factories.Account
) -> None:
    await open_case(client, consulate_a.officer, abuse_body())
    report = await _report(client, coordinator, "/v1/reports/timeliness", "ky")
    rows = report["rows"]
    named = {(row["kind"], row["state"]): row["labels"] for row in rows}
    assert named[("trafficking", "reflection_period")] == {
        "kind": "Адам сатуу",
        "state": "Калыбына келүү жана ой жүгүртүү мезгили",
    }
    assert named[("abuse", "closed")] == {"kind": "Эмгек мигрантынын укуктарын бузуу", "state": "Жабылды"}
    assert all(row["labels"] for row in rows)  # every row of a workflow's state is named
    assert report["total"]["labels"] == {}


async def test_the_referral_report_names_partner_kinds_and_outcomes(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    coordinator: factories.Account,
) -> None:
    ngo = await factories.account(db, settings, client, "partner")
    case = await open_case(client, consulate_a.officer, abuse_body(consent=CONSENT))
    sent = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "urgency": "high",
            "reason": "Needs a lawyer.",
            "share": ["basic"],
        },
        headers=consulate_a.officer.headers,
    )
    assert sent.status_code == 201, sent.text
    russian = await _report(client, coordinator, "/v1/reports/referrals", "ru")
    kyrgyz = await _report(client, coordinator, "/v1/reports/referrals", "ky")
    english = await _report(client, coordinator, "/v1/reports/referrals", "en")
    assert russian["rows"][0]["labels"] == {"partner_kind": "Партнёрская организация"}
    assert kyrgyz["rows"][0]["labels"] == {"partner_kind": "Өнөктөш уюм"}
    assert english["rows"][0]["labels"] == {"partner_kind": "Partner organization"}
    assert kyrgyz["column_labels"]["declined"] == "Четке кагылды"
    assert set(russian["column_labels"]) == {
        "pending",
        "accepted",
        "completed",
        "declined",
        "withdrawn",
        "expired",
    }
    exported = await client.get(
        "/v1/reports/referrals?format=csv", headers={**coordinator.headers, "Accept-Language": "ru"}
    )
    header = next(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert "labels" not in header  # a CSV keeps its columns


async def test_the_redress_report_names_forums_and_instruments(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, coordinator: factories.Account
) -> None:
    instrument = str(
        await db.scalar(select(LegalInstrument.id).where(LegalInstrument.code == "KG-RU-LABOUR-1996"))
    )
    case = await open_case(client, consulate_a.officer, abuse_body())
    created = await client.post(
        f"/v1/cases/{case['id']}/redress",
        json={"instrument_id": instrument, "forum": "labour_inspectorate", "status": "filed"},
        headers=consulate_a.officer.headers,
    )
    assert created.status_code == 201, created.text
    kyrgyz = await _report(client, coordinator, "/v1/reports/redress", "ky")
    russian = await _report(client, coordinator, "/v1/reports/redress", "ru")
    english = await _report(client, coordinator, "/v1/reports/redress", "en")
    (row,) = kyrgyz["rows"]
    assert row["labels"]["forum"] == "Эмгек инспекциясы"
    # The catalog has no Kyrgyz title for this agreement: the Russian one stands in.
    assert row["labels"]["instrument_code"].startswith("Соглашение между Кыргызской Республикой")
    assert russian["rows"][0]["labels"]["forum"] == "Трудовая инспекция"
    assert english["rows"][0]["labels"] == {
        "forum": "Labour inspectorate",
        "instrument_code": "Agreement between Kyrgyzstan and Russia on labour activity and social protection "
        "of migrant workers",
    }
    assert kyrgyz["column_labels"]["granted"].startswith("Толук же жарым-жартылай")
