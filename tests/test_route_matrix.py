"""Every route of the app, walked from app.routes: each has an entry here saying what guards it, every one
but the public few answers 401 without a token, and every route that names a row answers 404 (problem+json,
nothing of the row) to a caller from another organization. A new route without an entry fails."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.audit.models import AuditEvent
from src.cases.models import Case
from src.platform.config import Settings
from tests import factories
from tests.factories import abuse_body, open_case

# What guards each route. public: no token. self: the caller's own sign-in. reference: codes and workflows
# for every signed-in caller. directory: organizations, consulates, instruments (not secret). Scoped lists
# (`*-list`) show only what the caller may see (tested per domain). The rest name a row of one organization:
# case, referral, redress, delivery, webhook, account -- walked below with callers from another organization.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("POST", "/v1/auth/token"): "public",
    ("GET", "/v1/auth/me"): "self",
    ("POST", "/v1/auth/logout"): "self",
    ("POST", "/v1/organizations"): "directory",
    ("GET", "/v1/organizations"): "directory",
    ("GET", "/v1/organizations/{organization_id}"): "directory",
    ("POST", "/v1/users"): "account-list",
    ("GET", "/v1/users"): "account-list",
    ("GET", "/v1/users/{user_id}"): "account",
    ("POST", "/v1/clients"): "account-list",
    ("GET", "/v1/clients"): "account-list",
    ("GET", "/v1/clients/{client_id}"): "account",
    ("POST", "/v1/consulates"): "directory",
    ("GET", "/v1/consulates"): "directory",
    ("GET", "/v1/consulates/route"): "directory",
    ("GET", "/v1/consulates/{consulate_id}"): "directory",
    ("GET", "/v1/taxonomies"): "reference",
    ("GET", "/v1/taxonomies/{name}"): "reference",
    ("GET", "/v1/workflows"): "reference",
    ("POST", "/v1/cases"): "case-list",
    ("GET", "/v1/cases"): "case-list",
    ("GET", "/v1/cases/{case_id}"): "case",
    ("PATCH", "/v1/cases/{case_id}"): "case",
    ("POST", "/v1/cases/{case_id}/transitions"): "case",
    ("POST", "/v1/cases/{case_id}/assign"): "case",
    ("POST", "/v1/cases/{case_id}/notes"): "case",
    ("GET", "/v1/cases/{case_id}/notes"): "case",
    ("GET", "/v1/cases/{case_id}/timeline"): "case",
    ("GET", "/v1/cases/{case_id}/duplicates"): "case",
    ("POST", "/v1/cases/{case_id}/links"): "case",
    ("GET", "/v1/cases/{case_id}/links"): "case",
    ("PUT", "/v1/cases/{case_id}/legal-hold"): "case",
    ("POST", "/v1/cases/{case_id}/consents"): "case",
    ("GET", "/v1/cases/{case_id}/consents"): "case",
    ("GET", "/v1/cases/{case_id}/export"): "case",
    ("POST", "/v1/cases/{case_id}/persons"): "case",
    ("PATCH", "/v1/cases/{case_id}/persons/{person_id}"): "case",
    ("DELETE", "/v1/cases/{case_id}/persons/{person_id}"): "case",
    ("POST", "/v1/cases/{case_id}/violations"): "case",
    ("PATCH", "/v1/cases/{case_id}/violations/{violation_id}"): "case",
    ("DELETE", "/v1/cases/{case_id}/violations/{violation_id}"): "case",
    ("POST", "/v1/cases/{case_id}/referrals"): "case",
    ("GET", "/v1/cases/{case_id}/access-log"): "case",
    ("POST", "/v1/cases/{case_id}/redress"): "case",
    ("GET", "/v1/cases/{case_id}/redress"): "case",
    ("PATCH", "/v1/cases/{case_id}/redress/{redress_id}"): "redress",
    ("POST", "/v1/cases/{case_id}/attachments"): "case",
    ("GET", "/v1/cases/{case_id}/attachments"): "case",
    ("GET", "/v1/cases/{case_id}/attachments/{attachment_id}/content"): "case",
    ("DELETE", "/v1/cases/{case_id}/attachments/{attachment_id}"): "case",
    ("GET", "/v1/referrals/{referral_id}/attachments"): "referral",
    ("GET", "/v1/referrals/{referral_id}/attachments/{attachment_id}/content"): "referral",
    ("POST", "/v1/referrals"): "referral-list",
    ("GET", "/v1/referrals"): "referral-list",
    ("POST", "/v1/cases/{case_id}/transfers"): "case",
    ("GET", "/v1/transfers"): "transfer-list",
    ("POST", "/v1/transfers/{transfer_id}/accept"): "transfer",
    ("POST", "/v1/transfers/{transfer_id}/decline"): "transfer",
    ("GET", "/v1/referrals/{referral_id}"): "referral",
    ("POST", "/v1/referrals/{referral_id}/accept"): "referral",
    ("POST", "/v1/referrals/{referral_id}/decline"): "referral",
    ("POST", "/v1/referrals/{referral_id}/complete"): "referral",
    ("POST", "/v1/referrals/{referral_id}/withdraw"): "referral",
    ("POST", "/v1/referrals/{referral_id}/updates"): "referral",
    ("GET", "/v1/referrals/{referral_id}/updates"): "referral",
    ("PUT", "/v1/organizations/{organization_id}/webhook"): "webhook",
    ("GET", "/v1/organizations/{organization_id}/webhook"): "webhook",
    ("GET", "/v1/webhook-deliveries"): "delivery-list",
    ("POST", "/v1/webhook-deliveries/{delivery_id}/retry"): "delivery",
    ("GET", "/v1/legal-instruments"): "directory",
    ("GET", "/v1/legal-instruments/{instrument_id}"): "directory",
    ("POST", "/v1/legal-instruments"): "directory",
    ("GET", "/v1/audit/events"): "audit",
    ("GET", "/v1/audit/verify"): "audit",
    ("GET", "/v1/audit/checkpoint"): "audit",
    ("GET", "/v1/audit/keys"): "audit",
    ("GET", "/v1/audit/consistency"): "audit",
    ("GET", "/v1/reports/cases"): "report",
    ("GET", "/v1/reports/referrals"): "report",
    ("GET", "/v1/reports/redress"): "report",
    ("GET", "/v1/reports/timeliness"): "report",
    ("GET", "/v1/exports/htcds"): "report",
    ("GET", "/v1/reports/monitoring"): "report",
}
CONSENT = {"purposes": ["referral", "partner_data_sharing"], "given_by": "self", "given_on": "2026-11-01"}


def app_routes(app: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            path = getattr(context, "path", None) or route.path
            found.update((method, path) for method in route.methods or () if method != "HEAD")
    return found


def test_every_route_has_an_entry(app: Any) -> None:
    routes = app_routes(app)
    assert routes - ROUTES.keys() == set(), "new route: say in ROUTES what guards it"
    assert ROUTES.keys() - routes == set(), "ROUTES names a route the app no longer has"


def _fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


async def test_every_route_but_the_public_ones_needs_a_token(app: Any, client: httpx.AsyncClient) -> None:
    some = str(uuid.uuid4())
    row_ids = ["case_id", "referral_id", "redress_id", "delivery_id", "organization_id", "user_id"]
    row_ids += ["client_id", "consulate_id", "instrument_id", "person_id", "violation_id", "transfer_id"]
    row_ids += ["attachment_id"]
    ids = {name: some for name in row_ids} | {"name": "violation_type"}
    for method, path in sorted(app_routes(app)):
        if ROUTES[(method, path)] == "public":
            continue
        answer = await client.request(
            method, _fill(path, ids), json={} if method in ("POST", "PUT", "PATCH") else None
        )
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")


BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/v1/cases/{case_id}"): {"summary": "x"},
    ("POST", "/v1/cases/{case_id}/transitions"): {"to": "closed", "reason": "x"},
    ("POST", "/v1/cases/{case_id}/assign"): {"assignee_id": None},
    ("POST", "/v1/cases/{case_id}/notes"): {"body": "x"},
    ("POST", "/v1/cases/{case_id}/links"): {"case_id": "{other_case_id}", "type": "related"},
    ("PUT", "/v1/cases/{case_id}/legal-hold"): {"hold": False},
    ("POST", "/v1/transfers/{transfer_id}/accept"): {},
    ("POST", "/v1/transfers/{transfer_id}/decline"): {"note": "x"},
    ("POST", "/v1/cases/{case_id}/transfers"): {"to_organization_id": "{target_consulate_id}", "reason": "x"},
    ("POST", "/v1/cases/{case_id}/consents"): {
        "action": "given",
        "purposes": ["referral"],
        "given_by": "self",
        "on": "2026-11-01",
        "method": "signed_form",
    },
    ("POST", "/v1/cases/{case_id}/persons"): {
        "role": "witness",
        "family_name": "Temirov",
        "given_name": "Bolot",
    },
    ("PATCH", "/v1/cases/{case_id}/persons/{person_id}"): {"organization_name": "x"},
    ("POST", "/v1/cases/{case_id}/violations"): {"type": "wage_theft"},
    ("PATCH", "/v1/cases/{case_id}/violations/{violation_id}"): {"status": "substantiated"},
    ("POST", "/v1/cases/{case_id}/referrals"): {
        "to_organization_id": "{partner_organization_id}",
        "services": ["legal_aid"],
        "reason": "x",
        "share": ["basic"],
    },
    ("POST", "/v1/cases/{case_id}/redress"): {"forum": "court"},
    ("PATCH", "/v1/cases/{case_id}/redress/{redress_id}"): {"status": "filed"},
    ("POST", "/v1/referrals/{referral_id}/accept"): {},
    ("POST", "/v1/referrals/{referral_id}/decline"): {"note": "x"},
    ("POST", "/v1/referrals/{referral_id}/complete"): {},
    ("POST", "/v1/referrals/{referral_id}/withdraw"): {"note": "x"},
    ("POST", "/v1/referrals/{referral_id}/updates"): {"body": "x"},
    ("DELETE", "/v1/cases/{case_id}/attachments/{attachment_id}"): {"reason": "x"},
    ("PUT", "/v1/organizations/{organization_id}/webhook"): {
        "url": "https://example.org/hook",
        "events": ["referral.created"],
    },
}


def _body(method: str, path: str, ids: dict[str, str]) -> Any:
    body = BODIES.get((method, path))
    if body is None:
        return None
    return {k: (_fill(v, ids) if isinstance(v, str) else v) for k, v in body.items()}


@pytest.fixture
async def world(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    """Organization A's rows, and callers from organizations that do not own them."""
    consulate_a = await factories.organization(db, kind="consulate", country="KG")
    partner_p = await factories.organization(db, kind="partner", country="RU")
    officer_a = await factories.account(db, settings, client, "officer", org=consulate_a)
    supervisor_a = await factories.account(db, settings, client, "supervisor", org=consulate_a)
    admin_p = await factories.account(db, settings, client, "admin", org=partner_p)
    subscribed = await client.put(
        f"/v1/organizations/{partner_p.id}/webhook",
        json={"url": "http://127.0.0.1:9/hook", "events": ["referral.created"]},
        headers=admin_p.headers,
    )
    assert subscribed.status_code == 200, subscribed.text
    case = await open_case(client, officer_a, abuse_body(consent=CONSENT))
    other = await open_case(client, officer_a, abuse_body())
    attachment = await client.post(
        f"/v1/cases/{case['id']}/attachments",
        params={"category": "contract"},
        content=b"%PDF-1.7\n%%EOF\n",
        headers={**officer_a.headers, "Content-Type": "application/pdf"},
    )
    assert attachment.status_code == 201, attachment.text
    # Held, so that the walk's deletions are refused (409) and leave the attachment for the routes after.
    await db.execute(update(Case).where(Case.id == case["id"]).values(legal_hold=True))
    await db.commit()
    referral = await client.post(
        f"/v1/cases/{case['id']}/referrals",
        json={
            "to_organization_id": str(partner_p.id),
            "services": ["legal_aid"],
            "reason": "x",
            "share": ["basic"],
            "evidence": [attachment.json()["id"]],
        },
        headers=officer_a.headers,
    )
    assert referral.status_code == 201, referral.text
    redress = await client.post(
        f"/v1/cases/{case['id']}/redress", json={"forum": "court"}, headers=officer_a.headers
    )
    assert redress.status_code == 201, redress.text
    deliveries = await client.get("/v1/webhook-deliveries", headers=admin_p.headers)
    [delivery] = deliveries.json()["items"]
    ids = {
        "case_id": case["id"],
        "other_case_id": other["id"],
        "person_id": case["persons"][0]["id"],
        "violation_id": case["violations"][0]["id"],
        "referral_id": referral.json()["id"],
        "redress_id": redress.json()["id"],
        "delivery_id": delivery["id"],
        "organization_id": str(partner_p.id),
        "partner_organization_id": str(partner_p.id),
        "user_id": str(officer_a.user.id),
        "attachment_id": attachment.json()["id"],
    }
    system = await client.post(
        "/v1/clients",
        json={"name": "case system", "organization_id": str(partner_p.id), "role": "partner"},
        headers=admin_p.headers,
    )
    assert system.status_code == 201, system.text
    ids["client_id"] = system.json()["client_id"]
    target = await factories.organization(db, kind="consulate", country="KG")
    transfer = await client.post(
        f"/v1/cases/{case['id']}/transfers",
        json={"to_organization_id": str(target.id), "reason": "x"},
        headers=supervisor_a.headers,
    )
    assert transfer.status_code == 201, transfer.text
    ids["transfer_id"] = transfer.json()["id"]
    ids["target_consulate_id"] = str(target.id)
    foreign_consulate = await factories.organization(db, kind="consulate", country="KG")
    foreign_partner = await factories.organization(db, kind="partner", country="RU")
    strangers = {
        "officer": await factories.account(db, settings, client, "officer", org=foreign_consulate),
        "supervisor": await factories.account(db, settings, client, "supervisor", org=foreign_consulate),
        "consulate admin": await factories.account(db, settings, client, "admin", org=foreign_consulate),
        "partner": await factories.account(db, settings, client, "partner", org=foreign_partner),
        "partner admin": await factories.account(db, settings, client, "admin", org=foreign_partner),
    }
    return {
        "ids": ids,
        "strangers": strangers,
        "secrets": [case["reference"], "Айдаралиев"],
        "owner": supervisor_a,
        "coordinator": await factories.account(db, settings, client, "coordinator"),
    }


async def test_a_row_of_another_organization_is_404_on_every_route_that_names_one(
    app: Any, client: httpx.AsyncClient, world: dict[str, Any], db: AsyncSession
) -> None:
    ids, strangers = world["ids"], world["strangers"]
    owned = {"case", "referral", "redress", "delivery", "webhook", "account", "transfer"}
    named = sorted(route for route in app_routes(app) if ROUTES[route] in owned)
    assert len(named) == 46
    # And the routes whose body names the organization: accounts created in partner P's.
    named += [("POST", "/v1/clients"), ("POST", "/v1/users")]
    unaudited = []
    for method, path in named:
        for who, stranger in strangers.items():
            headers = {**stranger.headers, "If-Match": '"1"'}
            body = _creating_bodies(ids).get((method, path)) or _body(method, path, ids)
            answer = await client.request(
                method, _fill(path, ids), params=QUERIES.get((method, path)), json=body, headers=headers
            )
            assert answer.status_code == 404, (method, path, who, answer.status_code, answer.text[:200])
            assert answer.headers["content-type"] == "application/problem+json"
            assert all(secret not in answer.text for secret in world["secrets"])
            if not await _refusal_audited(db, answer):
                unaudited.append(f"{method} {path} {who}")
    assert not unaudited, "404 without an audit event of its request id:\n" + "\n".join(unaudited)


async def test_found_by_schemathesis(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    """Times and days given as numbers were read as Unix times; a referral page left out `next_cursor`."""
    owner = world["owner"]
    for query in ({"created_to": "0.5"}, {"created_from": "1700000000"}):
        answer = await client.get("/v1/cases", params=query, headers=owner.headers)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert (
        await client.get("/v1/cases", params={"created_to": "2026-11-23"}, headers=owner.headers)
    ).status_code == 200
    coordinator = world["coordinator"]
    report = await client.get("/v1/reports/referrals", params={"to": "-3.4e-75"}, headers=coordinator.headers)
    assert report.status_code == 422
    page = await client.get("/v1/referrals", headers=owner.headers)
    assert page.status_code == 200 and page.json()["next_cursor"] is None


# The other half: every route, called by every role from the organizations that own its rows (consulate A
# owns the case; partner P receives its referral and owns the webhook, delivery and API client), with valid
# bodies, so that only the guard decides. Columns, in CALLERS order:
#   officer, supervisor, consulate admin (consulate A), coordinator (ministry), partner, partner admin
#   (partner P), auditor, oversight admin, platform admin (ministry admin).
# y: the guard lets the caller through (2xx, or 409/412/422 from the state earlier callers left);
# F: 403 problem+json (a row the caller may see, an action the role may not take), audited `denied`;
# N: 404 problem+json (a row the caller may not see). DESIGN.md "Who sees what" is the source of each row.
CALLERS = (
    "officer",
    "supervisor",
    "c-admin",
    "coordinator",
    "partner",
    "p-admin",
    "auditor",
    "o-admin",
    "platform",
)
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/v1/auth/me"): "yyyyyyyyy",
    ("POST", "/v1/organizations"): "FFFFFFFFy",
    ("GET", "/v1/organizations"): "yyyyyyyyy",
    ("GET", "/v1/organizations/{organization_id}"): "yyyyyyyyy",
    ("POST", "/v1/users"): "NNNNFyNNy",
    ("GET", "/v1/users"): "FyyFFyFyy",  # a supervisor lists its own organization's active users
    ("GET", "/v1/users/{user_id}"): "FFyNNNNNy",
    ("POST", "/v1/clients"): "NNNNFyNNy",
    ("GET", "/v1/clients"): "FFyFFyFyy",
    ("GET", "/v1/clients/{client_id}"): "NNNNFyNNy",
    ("POST", "/v1/consulates"): "FFFFFFFFy",
    ("GET", "/v1/consulates"): "yyyyyyyyy",
    ("GET", "/v1/consulates/route"): "yyyyyyyyy",
    ("GET", "/v1/consulates/{consulate_id}"): "yyyyyyyyy",
    ("GET", "/v1/taxonomies"): "yyyyyyyyy",
    ("GET", "/v1/taxonomies/{name}"): "yyyyyyyyy",
    ("GET", "/v1/workflows"): "yyyyyyyyy",
    ("POST", "/v1/cases"): "yyFyFFFFF",
    ("GET", "/v1/cases"): "yyyyyyyyy",  # scoped: each sees only its own (tests/cases)
    ("GET", "/v1/cases/{case_id}"): "yyNyNNNNN",
    ("PATCH", "/v1/cases/{case_id}"): "yyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/transitions"): "yyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/assign"): "FyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/notes"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/notes"): "yyNyNNNNN",
    ("GET", "/v1/cases/{case_id}/timeline"): "yyNyNNNNN",
    ("GET", "/v1/cases/{case_id}/duplicates"): "yyNyNNNNN",
    ("POST", "/v1/cases/{case_id}/consents"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/consents"): "yyNyNNNNN",
    ("GET", "/v1/cases/{case_id}/export"): "FyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/persons"): "yyNFNNNNN",
    ("PATCH", "/v1/cases/{case_id}/persons/{person_id}"): "yyNFNNNNN",
    ("DELETE", "/v1/cases/{case_id}/persons/{person_id}"): "yyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/violations"): "yyNFNNNNN",
    ("PATCH", "/v1/cases/{case_id}/violations/{violation_id}"): "yyNFNNNNN",
    ("DELETE", "/v1/cases/{case_id}/violations/{violation_id}"): "yyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/links"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/links"): "yyNyNNNNN",
    ("PUT", "/v1/cases/{case_id}/legal-hold"): "FyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/referrals"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/access-log"): "FyNFNNyNN",
    ("POST", "/v1/cases/{case_id}/redress"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/redress"): "yyNyNNNNN",
    ("PATCH", "/v1/cases/{case_id}/redress/{redress_id}"): "yyNFNNNNN",
    ("POST", "/v1/cases/{case_id}/attachments"): "yyNFNNNNN",
    ("GET", "/v1/cases/{case_id}/attachments"): "yyNyNNNNN",
    ("GET", "/v1/cases/{case_id}/attachments/{attachment_id}/content"): "yyNyNNNNN",
    ("DELETE", "/v1/cases/{case_id}/attachments/{attachment_id}"): "FyNFNNNNN",  # 409: under legal hold
    ("GET", "/v1/referrals/{referral_id}/attachments"): "FFNNyNNNN",  # the recipient reads the evidence
    ("GET", "/v1/referrals/{referral_id}/attachments/{attachment_id}/content"): "FFNNyNNNN",
    ("POST", "/v1/referrals"): "FFFFyFFFF",  # inbound referrals come from partners
    ("GET", "/v1/referrals"): "yyyyyyyyy",  # scoped: sent or received by the caller's organization
    ("POST", "/v1/cases/{case_id}/transfers"): "FyNyNNNNN",  # 409 for the owner: already under transfer
    ("GET", "/v1/transfers"): "yyyyyyyyy",  # scoped: to or from the caller's consulate
    ("POST", "/v1/transfers/{transfer_id}/accept"): "FFNFNNNNN",  # only the receiving supervisor decides
    ("POST", "/v1/transfers/{transfer_id}/decline"): "FFNFNNNNN",
    ("GET", "/v1/referrals/{referral_id}"): "yyNNyNNNN",
    ("POST", "/v1/referrals/{referral_id}/accept"): "FFNNyNNNN",
    ("POST", "/v1/referrals/{referral_id}/decline"): "FFNNyNNNN",
    ("POST", "/v1/referrals/{referral_id}/complete"): "FFNNyNNNN",
    ("POST", "/v1/referrals/{referral_id}/withdraw"): "FyNNFNNNN",
    ("POST", "/v1/referrals/{referral_id}/updates"): "yyNNyNNNN",
    ("GET", "/v1/referrals/{referral_id}/updates"): "yyNNyNNNN",
    ("PUT", "/v1/organizations/{organization_id}/webhook"): "NNNNFyNNy",
    ("GET", "/v1/organizations/{organization_id}/webhook"): "NNNNFyNNy",
    ("GET", "/v1/webhook-deliveries"): "yyyyyyyyy",  # scoped: the caller's organization's deliveries
    ("POST", "/v1/webhook-deliveries/{delivery_id}/retry"): "NNNNFyNNN",
    ("GET", "/v1/legal-instruments"): "yyyyyyyyy",
    ("GET", "/v1/legal-instruments/{instrument_id}"): "yyyyyyyyy",
    ("POST", "/v1/legal-instruments"): "FFFyFFFFF",  # coordinators keep the legal content
    ("GET", "/v1/audit/events"): "FyFFFFyFF",  # supervisors: their own cases' events
    ("GET", "/v1/audit/verify"): "FFFFFFyFF",
    ("GET", "/v1/audit/checkpoint"): "FFFFFFyFF",
    ("GET", "/v1/audit/keys"): "yyyyyyyyy",  # public keys, for anyone to pin
    ("GET", "/v1/audit/consistency"): "FFFFFFyFF",
    ("GET", "/v1/reports/cases"): "FFFyFFyFF",
    ("GET", "/v1/reports/referrals"): "FFFyFFyFF",
    ("GET", "/v1/reports/redress"): "FFFyFFyFF",
    ("GET", "/v1/reports/timeliness"): "FFFyFFyFF",
    ("GET", "/v1/exports/htcds"): "FFFyFFFFF",  # coordinators only: records go further than counts
    ("GET", "/v1/reports/monitoring"): "FFFyFFyFF",
}
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/v1/cases/{case_id}/attachments"): {"category": "other"},
    ("GET", "/v1/audit/consistency"): {"from_size": "0", "to_size": "0"},
    ("GET", "/v1/consulates/route"): {"country": "RU", "region": "RU-MOW", "sending_country": "KG"},
}


def _creating_bodies(ids: dict[str, str]) -> dict[tuple[str, str], Any]:
    """Valid bodies for the routes that create a row from nothing, new names each call."""
    tag = uuid.uuid4().hex[:8].upper()
    inbound = abuse_body(occurred={"country": "RU", "region": "RU-MOW"})
    del inbound["intake_channel"]
    return {
        ("POST", "/v1/organizations"): {"name": f"NGO {tag}", "kind": "partner", "country": "RU"},
        ("POST", "/v1/users"): {
            "username": f"new.{tag.lower()}",
            "password": "a-long-pass-phrase",
            "organization_id": ids["partner_organization_id"],
            "role": "partner",
        },
        ("POST", "/v1/clients"): {
            "name": f"system {tag}",
            "organization_id": ids["partner_organization_id"],
            "role": "partner",
        },
        ("POST", "/v1/consulates"): {
            "name": f"CG {tag}",
            "country": "KG",
            "jurisdiction": [{"country": "RU", "region": "RU-SVE"}],
        },
        ("POST", "/v1/legal-instruments"): {
            "code": f"KG-TJ-{tag}",
            "kind": "bilateral_agreement",
            "title": {"en": "Agreement on labour migration", "ru": "Соглашение о трудовой миграции"},
            "parties": ["KG", "TJ"],
            "signed_on": "2026-03-01",
            "unverified": True,
        },
        ("POST", "/v1/cases"): abuse_body(),
        ("POST", "/v1/referrals"): inbound | {"services": ["legal_aid"], "urgency": "high"},
        ("POST", "/v1/referrals/{referral_id}/complete"): {"note": "done"},
    }


def test_the_matrix_names_every_route_but_the_public_ones() -> None:
    assert set(MATRIX) == {route for route, guard in ROUTES.items() if guard != "public"} - {
        ("POST", "/v1/auth/logout")  # signs the caller out: tests/auth
    }
    assert all(len(row) == len(CALLERS) and set(row) <= set("yFN") for row in MATRIX.values())


async def _denials(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).where(AuditEvent.outcome == "denied")) or 0)


async def _refusal_audited(db: AsyncSession, answer: httpx.Response) -> bool:
    """Every refusal is audited: the request's id (X-Request-Id) is on an event `denied` or `not_found`.

    A refused request rolls back, and its event is written after the rollback and committed before the answer
    goes out (`AuditEvent` rows, chained later by the sequencer: unchained ones are in the same table)."""
    request_id = answer.headers["x-request-id"]
    outcomes = await db.scalars(select(AuditEvent.outcome).where(AuditEvent.request_id == request_id))
    return bool(set(outcomes.all()) & {"denied", "not_found"})


async def test_every_role_gets_the_documented_answer_on_every_route(
    app: Any, client: httpx.AsyncClient, world: dict[str, Any], db: AsyncSession, settings: Settings
) -> None:
    ids, owner = dict(world["ids"]), world["owner"]
    consulate_a = owner.organization
    partner_p = await db.get(type(consulate_a), uuid.UUID(ids["partner_organization_id"]))
    platform = await factories.account(db, settings, client, "admin")
    routed = await client.post(
        "/v1/consulates",
        json={"name": "CG Moscow", "country": "KG", "jurisdiction": [{"country": "RU", "region": "RU-MOW"}]},
        headers=platform.headers,
    )
    assert routed.status_code == 201, routed.text
    instruments = await client.get("/v1/legal-instruments", headers=owner.headers)
    ids |= {
        "name": "violation_type",
        "consulate_id": routed.json()["id"],
        "instrument_id": instruments.json()["items"][0]["id"],
    }
    callers = dict(
        zip(
            CALLERS,
            [
                await factories.account(db, settings, client, "officer", org=consulate_a),
                owner,
                await factories.account(db, settings, client, "admin", org=consulate_a),
                world["coordinator"],
                await factories.account(db, settings, client, "partner", org=partner_p),
                await factories.account(db, settings, client, "admin", org=partner_p),
                await factories.account(db, settings, client, "auditor"),
                await factories.account(db, settings, client, "admin", kind="oversight"),
                platform,
            ],
            strict=True,
        )
    )
    wrong = []
    for (method, path), row in sorted(MATRIX.items()):
        for (who, caller), expected in zip(callers.items(), row, strict=True):
            body = _creating_bodies(ids).get((method, path)) or _body(method, path, ids)
            headers = {**caller.headers, "If-Match": '"1"', "Idempotency-Key": uuid.uuid4().hex}
            denials = await _denials(db)
            answer = await client.request(
                method, _fill(path, ids), params=QUERIES.get((method, path)), json=body, headers=headers
            )
            status = answer.status_code
            got = {403: "F", 404: "N"}.get(status, "y" if status < 300 or status in (409, 412, 422) else "?")
            if got != expected:
                wrong.append(f"{method} {path} {who}: expected {expected}, got {status} {answer.text[:120]}")
            elif got in "FN" and answer.headers["content-type"] != "application/problem+json":
                wrong.append(f"{method} {path} {who}: {status} is not problem+json")
            elif got == "F" and await _denials(db) != denials + 1:
                wrong.append(f"{method} {path} {who}: 403 without a `denied` audit event")
            elif got in "FN" and not await _refusal_audited(db, answer):
                wrong.append(f"{method} {path} {who}: {status} without an audit event of its request id")
    assert not wrong, "\n".join(wrong)
