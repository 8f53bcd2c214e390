"""Lists people work from: the case list shows whom a case is about, and notes, timelines and referral
updates come in `{items, next_cursor}` pages like every other list."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case


async def _pages(client: httpx.AsyncClient, url: str, account: factories.Account, limit: int) -> list[Any]:
    """Every page of a list, followed by its cursors; each page holds at most `limit` items."""
    pages: list[Any] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"} and len(page["items"]) <= limit
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert f"cursor={cursor}" in response.headers["link"]


async def _audited(db: AsyncSession, action: str, actor: factories.Account) -> int:
    query = select(func.count()).where(AuditEvent.action == action, AuditEvent.actor_id == actor.user.id)
    return int(await db.scalar(query) or 0)


async def test_case_list_items_show_the_subjects_name_and_age_band(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    unknown_birth = abuse_body()
    del unknown_birth["subject"]["birth_date"]
    other = await open_case(client, consulate_a.officer, unknown_birth)
    listed = await client.get("/v1/cases", headers=consulate_a.officer.headers)
    assert listed.status_code == 200
    items = {item["id"]: item for item in listed.json()["items"]}
    assert items[case["id"]]["subject_name"] == case["subject"]["full_name"]
    assert items[case["id"]]["subject_age_band"] == "25-34"  # born 1994-03-12
    assert items[other["id"]]["subject_age_band"] is None
    assert items[case["id"]]["reference"] == case["reference"] and items[case["id"]]["status"] == "intake"
    # Names are on the page, so the page's audit event names every case shown.
    listed_event = select(AuditEvent).where(AuditEvent.action == "case.list").order_by(AuditEvent.id)
    event = await db.scalar(listed_event)
    assert event is not None and set(event.detail["case_ids"]) == {case["id"], other["id"]}


async def test_notes_come_in_pages_each_audited(
    client: httpx.AsyncClient, db: AsyncSession, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/notes"
    for n in range(5):
        added = await client.post(url, json={"body": f"note {n}"}, headers=consulate_a.officer.headers)
        assert added.status_code == 201
    pages = await _pages(client, url, consulate_a.officer, limit=2)
    assert [[note["body"] for note in page] for page in pages] == [
        ["note 0", "note 1"],
        ["note 2", "note 3"],
        ["note 4"],
    ]
    assert await _audited(db, "case.note.list", consulate_a.officer) == 3


async def test_a_cursor_of_another_list_or_a_forged_one_is_refused(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    first = await open_case(client, consulate_a.officer, abuse_body())
    second = await open_case(client, consulate_a.officer, abuse_body())
    for n in range(3):
        await client.post(
            f"/v1/cases/{first['id']}/notes", json={"body": f"n{n}"}, headers=consulate_a.officer.headers
        )
    page = await client.get(
        f"/v1/cases/{first['id']}/notes", params={"limit": 1}, headers=consulate_a.officer.headers
    )
    cursor = page.json()["next_cursor"]
    for url, forged in [
        (f"/v1/cases/{second['id']}/notes", cursor),  # another case's notes
        (f"/v1/cases/{first['id']}/timeline", cursor),  # another list of the same case
        (f"/v1/cases/{first['id']}/notes", cursor[:-2] + "AA"),
    ]:
        refused = await client.get(url, params={"cursor": forged}, headers=consulate_a.officer.headers)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_the_timeline_pages_add_up_to_the_whole_timeline(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    officer = consulate_a.officer
    case = await open_case(client, officer, abuse_body())
    for n in range(3):
        await client.post(f"/v1/cases/{case['id']}/notes", json={"body": f"n{n}"}, headers=officer.headers)
    etag = (await client.get(f"/v1/cases/{case['id']}", headers=officer.headers)).headers["etag"]
    moved = await client.post(
        f"/v1/cases/{case['id']}/transitions",
        json={"to": "triage"},
        headers={**officer.headers, "If-Match": etag},
    )
    assert moved.status_code == 200, moved.text
    url = f"/v1/cases/{case['id']}/timeline"
    whole = await client.get(url, params={"limit": 200}, headers=officer.headers)
    assert whole.status_code == 200 and whole.json()["next_cursor"] is None
    entries = whole.json()["items"]
    assert len(entries) == 5 and [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    for limit in (1, 2, 3):
        pages = await _pages(client, url, officer, limit=limit)
        assert [entry for page in pages for entry in page] == entries


async def test_notes_and_timeline_of_another_organizations_case_are_404(
    client: httpx.AsyncClient, consulate_a: Consulate, consulate_b: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    for tail in ("notes", "timeline"):
        response = await client.get(f"/v1/cases/{case['id']}/{tail}", headers=consulate_b.officer.headers)
        assert response.status_code == 404


async def test_referral_updates_come_in_pages_and_the_inbox_shows_the_reference(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings, consulate_a: Consulate
) -> None:
    ngo = await factories.account(db, settings, client, "partner")
    consent = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}
    case = await open_case(client, consulate_a.officer, abuse_body(consent=consent))
    body = {
        "to_organization_id": str(ngo.organization.id),
        "services": ["legal_aid"],
        "urgency": "high",
        "reason": "Needs a lawyer for the wage claim.",
        "share": ["basic"],
        "due_on": "2027-01-15",
    }
    officer = consulate_a.officer
    sent = await client.post(f"/v1/cases/{case['id']}/referrals", json=body, headers=officer.headers)
    assert sent.status_code == 201, sent.text
    referral = sent.json()
    url = f"/v1/referrals/{referral['id']}"
    assert (await client.post(f"{url}/accept", json={}, headers=ngo.headers)).status_code == 200
    for n in range(3):
        update = await client.post(f"{url}/updates", json={"body": f"step {n}"}, headers=ngo.headers)
        assert update.status_code == 201
    pages = await _pages(client, f"{url}/updates", ngo, limit=2)
    kinds = [(u["kind"], u["body"]) for page in pages for u in page]
    assert kinds[0][0] == "created" and kinds[1][0] == "accepted"
    assert [b for _, b in kinds[2:]] == ["step 0", "step 1", "step 2"]
    assert len(pages) == 3

    inbox = await client.get("/v1/referrals", params={"direction": "incoming"}, headers=ngo.headers)
    [item] = inbox.json()["items"]
    assert item["reference"] == case["reference"]
    assert (item["urgency"], item["services"], item["due_on"]) == ("high", ["legal_aid"], "2027-01-15")
    assert "case_id" not in item or item["case_id"] is None
    outbox = await client.get("/v1/referrals", headers=consulate_a.officer.headers)
    assert outbox.json()["items"][0]["reference"] == case["reference"]
    # Once the referral is over, the recipient's inbox keeps its metadata but no longer names the case.
    done = await client.post(f"{url}/complete", json={"note": "Claim filed."}, headers=ngo.headers)
    assert done.status_code == 200, done.text
    after = await client.get("/v1/referrals", params={"direction": "incoming"}, headers=ngo.headers)
    assert after.json()["items"][0]["reference"] is None
