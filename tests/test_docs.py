"""The documentation works without internet (its assets are this process's own) and signs in with a username
and password."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from src.platform.config import Settings
from tests import factories


async def test_docs_and_redoc_load_only_from_this_server(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = await client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        sources = re.findall(r'(?:src|href)="([^"]+)"', html.text) + re.findall(r"url: '([^']+)'", html.text)
        assert sources, page
        for source in sources:
            assert source.startswith("/"), f"{page} loads {source} from elsewhere"
            if source.startswith("/docs/assets/"):
                asset = await client.get(source)
                assert asset.status_code == 200 and len(asset.content) > 1000, source
        assert "fonts.googleapis" not in html.text and "cdn." not in html.text


async def test_the_home_page_names_the_api_and_links_the_docs(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and "Ukuk" in home.text
    for link in ("/docs", "/redoc", "/openapi.json"):
        assert f"href={link}>" in home.text


async def test_authorize_in_docs_is_the_password_flow_and_its_form_signs_in(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert scheme["type"] == "oauth2" and scheme["flows"]["password"]["tokenUrl"] == "/v1/auth/token"
    officer = await factories.account(db, settings, client, "officer")
    # What Swagger UI sends for the password flow: a form, with an empty scope.
    token = await client.post(
        "/v1/auth/token",
        data={
            "grant_type": "password",
            "username": officer.user.username,
            "password": factories.PASSWORD,
            "scope": "",
        },
    )
    assert token.status_code == 200, token.text
    assert token.json()["token_type"].lower() == "bearer"
    me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200
