"""What a partner learns through a referral, and what it never learns: the given name from its own field
only, and of an inbound referral only what it submitted, whatever the consulate writes later."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Person
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case
from tests.referrals.test_referrals import _consented_case, _refer, referral_body

LATER = "moved to safe house 7"


@pytest.fixture
async def ngo(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "partner")


@pytest.mark.parametrize(
    ("parts", "given"),
    [
        # Latin, given name first as Latin-script clients write it: the guess showed the surname.
        ({"family_name": "Temirov", "given_name": "Bolot", "citizenship": "US"}, "Bolot"),
        # A Russian patronymic: the guess showed "Жумабекович".
        ({"family_name": "Асанов", "given_name": "Бакыт", "patronymic": "Жумабекович"}, "Бакыт"),
        # A Kyrgyz patronymic in place of a surname: the guess showed the father's name.
        ({"given_name": "Азамат", "patronymic": "Бакыт уулу"}, "Азамат"),
        ({"family_name": "Temirova", "given_name": "Aizhan", "patronymic": "Bakyt kyzy"}, "Aizhan"),
    ],
)
async def test_basic_share_shows_the_given_name_field_and_no_word_of_the_other_parts(
    client: httpx.AsyncClient,
    consulate_a: Consulate,
    ngo: factories.Account,
    parts: dict[str, str],
    given: str,
) -> None:
    subject = {k: v for k, v in abuse_body()["subject"].items() if k not in ("family_name", "given_name")}
    consent = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
    case = await open_case(
        client, consulate_a.officer, abuse_body(subject={**subject, **parts}, consent=consent)
    )
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    seen = await client.get(f"/v1/referrals/{referral['id']}", headers=ngo.headers)
    assert seen.json()["case"]["subject"]["given_name"] == given
    hidden = [w for part in ("family_name", "patronymic") for w in (parts.get(part) or "").split()]
    for word in hidden:
        assert word not in seen.text, word


async def test_a_migrations_guessed_given_name_is_not_shown_until_checked(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate, ngo: factories.Account
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    await db.execute(update(Person).where(Person.case_id == case["id"]).values(name_parts_inferred=True))
    await db.commit()
    read = await client.get(f"/v1/cases/{case['id']}", headers=consulate_a.officer.headers)
    assert read.json()["subject"]["name_parts_inferred"] is True
    referral = await _refer(client, consulate_a.officer, case["id"], referral_body(ngo))
    view = (await client.get(f"/v1/referrals/{referral['id']}", headers=ngo.headers)).json()["case"]
    assert "given_name" not in view["subject"] and "Медетбек" not in str(view)
    assert view["subject"]["age_band"] == "25-34"


async def _edit(client: httpx.AsyncClient, officer: factories.Account, case_id: str) -> None:
    current = await client.get(f"/v1/cases/{case_id}", headers=officer.headers)
    answer = await client.patch(
        f"/v1/cases/{case_id}",
        json={"summary": f"Wages unpaid; {LATER}.", "occurred": {"country": "RU", "region": "RU-SVE"}},
        headers={**officer.headers, "If-Match": current.headers["ETag"]},
    )
    assert answer.status_code == 200, answer.text


# The consulate's steps after the partner's submission, and who takes each.
PATHS = {
    "pending": [],
    "accepted": ["accept"],
    "declined": ["decline"],
    "completed": ["accept", "complete"],
    "withdrawn by the partner": ["withdraw"],
    "withdrawn after acceptance": ["accept", "withdraw"],
}


@pytest.mark.parametrize("path", list(PATHS))
async def test_an_inbound_referrals_sender_sees_only_what_it_submitted_in_every_status(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, ngo: factories.Account, path: str
) -> None:
    platform = await factories.account(db, settings, client, "admin")
    routed = await client.post(
        "/v1/consulates",
        json={
            "name": "CG Yekaterinburg",
            "country": "KG",
            "jurisdiction": [{"country": "RU", "region": "RU-SVE"}],
        },
        headers=platform.headers,
    )
    officer = await factories.account(
        db, settings, client, "supervisor", org=await db.get(type(ngo.organization), routed.json()["id"])
    )
    body: dict[str, Any] = {
        k: v
        for k, v in abuse_body(occurred={"country": "RU", "region": "RU-SVE"}).items()
        if k != "intake_channel"
    }
    body.update(services=["legal_aid"], urgency="high")
    sent = await client.post(
        "/v1/referrals", json=body, headers={**ngo.headers, "Idempotency-Key": path.replace(" ", "-")}
    )
    assert sent.status_code == 201, sent.text
    submitted = sent.json()["case"]
    assert submitted["summary"] == body["summary"] and submitted["subject"]["given_name"] == "Медетбек"
    url = f"/v1/referrals/{sent.json()['id']}"
    case_id = sent.json()["case_id"]

    await _edit(client, officer, case_id)
    for step in PATHS[path]:
        actor = ngo if step == "withdraw" else officer
        note = {"note": "Handled by the consulate."} if step in ("decline", "complete") else {}
        acted = await client.post(f"{url}/{step}", json=note, headers=actor.headers)
        assert acted.status_code == 200, acted.text
        await _edit(client, officer, case_id)

    seen = await client.get(url, headers=ngo.headers)
    assert seen.status_code == 200
    assert seen.json()["case"] == submitted
    assert LATER not in seen.text
    owner = await client.get(f"/v1/cases/{case_id}", headers=officer.headers)
    assert LATER in owner.json()["summary"]
    updates = await client.get(f"{url}/updates", headers=ngo.headers)
    assert updates.status_code == 200
    read = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.read", AuditEvent.actor_id == ngo.user.id)
    )
    assert read is not None and read.detail.get("submitted") is True


CLOSINGS = {
    "declined": ("recipient", "decline"),
    "completed": ("recipient", "accept", "complete"),
    "withdrawn": ("sender", "withdraw"),
    "withdrawn after acceptance": ("sender", "accept", "withdraw"),
}


@pytest.mark.parametrize("closing", list(CLOSINGS))
async def test_an_outgoing_referrals_recipient_sees_the_shared_groups_while_open_and_nothing_after(
    client: httpx.AsyncClient, consulate_a: Consulate, ngo: factories.Account, closing: str
) -> None:
    case = await _consented_case(client, consulate_a.officer)
    body = referral_body(ngo, share=["basic", "narrative"])
    referral = await _refer(client, consulate_a.officer, case["id"], body)
    url = f"/v1/referrals/{referral['id']}"
    await _edit(client, consulate_a.officer, case["id"])
    open_view = (await client.get(url, headers=ngo.headers)).json()
    assert LATER in open_view["case"]["summary"]  # while open: the shared groups as they are now
    who, *steps = CLOSINGS[closing]
    for step in steps:
        actor = consulate_a.supervisor if who == "sender" and step == "withdraw" else ngo
        note = {"note": "Closed."} if step in ("decline", "complete") else {}
        acted = await client.post(f"{url}/{step}", json=note, headers=actor.headers)
        assert acted.status_code == 200, acted.text
    closed = await client.get(url, headers=ngo.headers)
    assert closed.status_code == 200 and "case" not in closed.json()
    assert "Медетбек" not in closed.text and "Wages" not in closed.text
    owner = (await client.get(url, headers=consulate_a.officer.headers)).json()
    assert LATER in owner["case"]["summary"]  # the owner's own case, whole
