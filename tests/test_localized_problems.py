"""Problems answer in the caller's language: title, detail and field messages, from the routes and from the
middleware; English by default, and where the catalogue has no entry."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories
from tests.factories import Consulate, abuse_body, open_case

KY = {"Accept-Language": "ky"}
RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def _problem(answer: httpx.Response, status: int, language: str) -> Any:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language
    return answer.json()


async def test_a_404_detail_follows_accept_language(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    path = f"/v1/cases/{uuid.uuid4()}"
    headers = consulate_a.officer.headers
    english = _problem(await client.get(path, headers=headers), 404, "en")
    russian = _problem(await client.get(path, headers={**headers, **RU}), 404, "ru")
    kyrgyz = _problem(await client.get(path, headers={**headers, **KY}), 404, "ky")
    assert (english["title"], english["detail"]) == ("Not found", "No such case.")
    assert (russian["title"], russian["detail"]) == ("Не найдено", "Дело не найдено.")
    assert (kyrgyz["title"], kyrgyz["detail"]) == ("Табылган жок", "Мындай иш табылган жок.")


async def test_a_409_transition_detail_keeps_its_states_in_the_language(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    case = await open_case(client, consulate_a.officer, abuse_body())
    url = f"/v1/cases/{case['id']}/transitions"
    headers = {**consulate_a.officer.headers, "If-Match": '"1"'}
    answers = {
        language: _problem(
            await client.post(url, json={"to": "redress"}, headers={**headers, "Accept-Language": language}),
            409,
            language,
        )
        for language in ("en", "ru", "ky")
    }
    assert answers["en"]["detail"] == "A case in 'intake' cannot move to 'redress'."
    assert answers["ru"]["detail"] == "Дело в состоянии «intake» не может перейти в состояние «redress»."
    assert answers["ky"]["detail"] == "«intake» абалындагы иш «redress» абалына өтө албайт."
    assert answers["ky"]["title"] == "Маалыматтар карама-каршы келет"
    assert all(answer["allowed"] == ["triage"] for answer in answers.values())  # the codes stay codes


async def test_field_messages_of_a_422_follow_accept_language(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    body = abuse_body(intake_channel="carrier_pigeon", unexpected=1)
    del body["summary"]
    messages = {}
    for language in ("en", "ru", "ky"):
        answer = await client.post(
            "/v1/cases", json=body, headers={**consulate_a.officer.headers, "Accept-Language": language}
        )
        problem = _problem(answer, 422, language)
        messages[language] = {tuple(error["loc"][1:]): error for error in problem["errors"]}
        assert (
            problem["detail"]
            == {
                "en": "The request does not match the schema.",
                "ru": "Запрос не соответствует схеме.",
                "ky": "Суроо-талап схемага дал келбейт.",
            }[language]
        )
    assert messages["en"][("summary",)]["msg"] == "Field required"
    assert messages["ru"][("summary",)]["msg"] == "Обязательное поле"
    assert messages["ky"][("summary",)]["msg"] == "Милдеттүү талаа"
    assert messages["ru"][("unexpected",)]["msg"] == "Лишние поля не допускаются"
    assert messages["ky"][("unexpected",)]["msg"] == "Ашыкча талааларга жол берилбейт"
    channel = {language: found[("intake_channel",)] for language, found in messages.items()}
    assert channel["en"]["msg"].startswith("not a code of the intake_channel taxonomy")
    assert channel["ru"]["msg"].startswith("не код справочника intake_channel")
    assert channel["ky"]["msg"].startswith("код эмес: intake_channel маалымдамасы")
    assert all(entry["taxonomy"] == "intake_channel" for entry in channel.values())  # still machine-readable


async def test_a_validators_message_follows_accept_language(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    body = abuse_body()
    body["violations"][0]["ended_on"] = "2026-04-01"  # before started_on
    answer = await client.post("/v1/cases", json=body, headers={**consulate_a.officer.headers, **KY})
    (error,) = _problem(answer, 422, "ky")["errors"]
    assert error["msg"] == "ended_on датасы started_on датасынан мурда"


async def test_a_routes_own_field_message_follows_accept_language(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    coordinator = await factories.account(db, settings, client, "coordinator")
    path = "/v1/reports/cases?from=2026-02-01&to=2026-01-01"
    english = _problem(await client.get(path, headers=coordinator.headers), 422, "en")
    russian = _problem(await client.get(path, headers={**coordinator.headers, **RU}), 422, "ru")
    assert english["detail"] == "`from` must not be after `to`."
    assert english["errors"] == [{"loc": ["query", "to"], "msg": "before from"}]
    assert russian["detail"] == "`from` не может быть позже `to`."
    assert russian["errors"] == [{"loc": ["query", "to"], "msg": "раньше from"}]


async def test_problems_of_the_middleware_follow_accept_language(
    client: httpx.AsyncClient, consulate_a: Consulate
) -> None:
    headers = {**consulate_a.officer.headers, "Content-Type": "text/plain"}
    english = _problem(await client.post("/v1/cases", content=b"x", headers=headers), 415, "en")
    kyrgyz = _problem(await client.post("/v1/cases", content=b"x", headers={**headers, **KY}), 415, "ky")
    assert english["detail"] == "Send the body as application/json."
    assert kyrgyz["title"] == "Мазмундун бул түрү колдоого алынбайт"
    assert kyrgyz["detail"] == "Суроо-талаптын мазмунун application/json катары жөнөтүңүз."
    control = await client.get("/v1/cases?q=a%01b", headers={**consulate_a.officer.headers, **RU})
    problem = _problem(control, 422, "ru")
    assert problem["title"] == "Некорректный запрос"
    assert problem["errors"] == [
        {
            "loc": ["query", "q"],
            "msg": "Управляющие символы (кроме табуляции, перевода строки и возврата каретки) и одиночные "
            "суррогаты не принимаются.",
        }
    ]


@pytest.mark.parametrize(
    ("language", "detail"), [("en", "Not Found"), ("ru", "Не найдено"), ("ky", "Табылган жок")]
)
async def test_an_unmatched_route_answers_in_the_language(
    client: httpx.AsyncClient, language: str, detail: str
) -> None:
    problem = _problem(
        await client.get("/v1/no-such-route", headers={"Accept-Language": language}), 404, language
    )
    assert problem["detail"] == detail
