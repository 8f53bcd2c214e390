"""Workflow states named in the caller's language at /v1/workflows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.cases import workflow
from src.platform.config import Settings
from tests import factories


@pytest.fixture
async def officer(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "officer")


async def test_workflow_states_are_named_in_the_negotiated_language(
    client: httpx.AsyncClient, officer: factories.Account
) -> None:
    served: dict[str, dict[str, Any]] = {}
    for language in ("en", "ru", "ky"):
        answer = await client.get("/v1/workflows", headers={**officer.headers, "Accept-Language": language})
        assert answer.status_code == 200
        assert answer.headers["content-language"] == language and "Accept-Language" in answer.headers["vary"]
        assert answer.json()["language"] == language
        served[language] = {flow["kind"]: flow for flow in answer.json()["items"]}
    for kind, flow in workflow.WORKFLOWS.items():
        for language in ("en", "ru", "ky"):
            # every state, and every target a transition names (reopened among them)
            targets = {t["to_state"] for t in served[language][kind]["transitions"]}
            assert set(served[language][kind]["labels"]) == {*flow.states, *targets}
    trafficking = {language: served[language]["trafficking"]["labels"] for language in served}
    assert trafficking["en"]["presumed_victim"] == "Presumed victim of trafficking"
    assert trafficking["ru"]["presumed_victim"] == "Предполагаемая жертва торговли людьми"
    assert trafficking["ky"]["presumed_victim"] == "Адам сатуунун болжолдуу жабырлануучусу"
    assert served["ky"]["child_return"]["labels"]["consulate_notified"] == "Консулдук мекемеге кабарланды"
    assert served["ru"]["abuse"]["labels"]["closed"] == "Закрыто"
    assert served["ky"]["abuse"]["labels"]["reopened"] == "Кайра ачылды"
