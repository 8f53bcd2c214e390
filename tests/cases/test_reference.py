"""Taxonomies in the negotiated language and the workflows as served."""

from __future__ import annotations

from typing import get_args

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.attachments.schemas import Category
from src.platform import i18n
from src.platform.config import Settings
from tests import factories


@pytest.fixture
async def officer(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "officer")


async def test_taxonomy_labels_follow_accept_language(
    client: httpx.AsyncClient, officer: factories.Account
) -> None:
    english = await client.get("/v1/taxonomies/violation_type", headers=officer.headers)
    russian = await client.get(
        "/v1/taxonomies/violation_type",
        headers={**officer.headers, "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"},
    )
    kyrgyz = await client.get(
        "/v1/taxonomies/violation_type", headers={**officer.headers, "Accept-Language": "ky"}
    )
    assert english.headers["content-language"] == "en" and russian.headers["content-language"] == "ru"
    assert kyrgyz.headers["content-language"] == "ky"
    assert "Accept-Language" in english.headers["vary"]
    label = {
        r.json()["language"]: {i["code"]: i["label"] for i in r.json()["items"]}
        for r in (english, russian, kyrgyz)
    }
    assert label["en"]["wage_theft"] == "Wage theft"
    assert label["ru"]["wage_theft"] == "Невыплата заработной платы"
    assert label["ky"]["wage_theft"] == "Эмгек акыны төлөбөй коюу"
    assert len(label["en"]) == 22


async def test_all_taxonomies_and_unknown_name(client: httpx.AsyncClient, officer: factories.Account) -> None:
    index = await client.get("/v1/taxonomies", headers=officer.headers)
    names = {t["name"] for t in index.json()["items"]}
    assert {
        "violation_type",
        "ilo_indicator",
        "means_of_control",
        "service",
        "share_group",
        "isic_section",
    } <= names
    missing = await client.get("/v1/taxonomies/nope", headers=officer.headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/taxonomies")).status_code == 401


async def test_workflows_are_served_from_the_tables(
    client: httpx.AsyncClient, officer: factories.Account
) -> None:
    flows = {
        w["kind"]: w for w in (await client.get("/v1/workflows", headers=officer.headers)).json()["items"]
    }
    assert flows["child_return"]["initial_state"] == "detected"
    assert flows["trafficking"]["minimum_days"] == {"reflection_period": 30}
    close = [
        t for t in flows["abuse"]["transitions"] if t["from_state"] == "triage" and t["to_state"] == "closed"
    ]
    assert close == [{"from_state": "triage", "to_state": "closed", "roles": ["coordinator", "supervisor"]}]
    assert {"since": "intake", "reach": "triage", "days": 3} in flows["abuse"]["deadlines"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("ru", "ru"),
        ("ky-KG", "ky"),
        ("fr, ru;q=0.3", "ru"),
        ("de", "en"),
        ("en;q=0, ru", "ru"),
        ("*", "en"),
        ("ru;q=bad, ky;q=0.5", "ky"),
    ],
)
def test_negotiation(header: str | None, language: str) -> None:
    assert i18n.negotiate(header) == language


async def test_attachment_categories_are_served_with_labels(
    client: httpx.AsyncClient, officer: factories.Account
) -> None:
    """The categories an upload takes (src/attachments/schemas.py) are a taxonomy a client can label."""
    russian = await client.get(
        "/v1/taxonomies/attachment_category", headers={**officer.headers, "Accept-Language": "ru"}
    )
    assert russian.status_code == 200
    labels = {item["code"]: item["label"] for item in russian.json()["items"]}
    assert set(labels) == set(get_args(Category))
    assert labels["contract"] == "Договор"


async def test_a_value_outside_its_taxonomy_names_the_taxonomy_and_where_its_codes_are(
    client: httpx.AsyncClient, officer: factories.Account
) -> None:
    body = factories.abuse_body()
    body["violations"][0]["type"] = "wage_theftt"
    refused = await client.post("/v1/cases", json=body, headers=officer.headers)
    assert refused.status_code == 422
    (error,) = [e for e in refused.json()["errors"] if e["loc"][-1] == "type"]
    assert error["taxonomy"] == "violation_type" and error["codes"] == "/v1/taxonomies/violation_type"
    assert error["msg"].startswith("not a code of the violation_type taxonomy")  # no "Value error, " prefix
    assert "wage_theftt" not in refused.text  # the input is never echoed
