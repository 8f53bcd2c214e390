"""The interactive documentation, served from this process's own files: a consulate's locked-down network
often has no internet, and FastAPI's default /docs loads Swagger UI from a CDN (a blank page there). The
assets come from the fastapi-offline package (Swagger UI and ReDoc, pinned in uv.lock). /docs signs in with
a username and password (OAuth2's password flow against POST /v1/auth/token) instead of a pasted token."""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# The guides in docs/ a newcomer reads first (the repository's files; the API does not serve them).
GUIDES = (
    ("docs/architecture.md", "how the code is laid out and why"),
    ("docs/security.md", "who sees what, encryption, the audit trail"),
    ("docs/webhooks.md", "referrals and signed webhooks, for partners"),
    ("docs/attachments.md", "evidence files"),
    ("docs/oversight.md", "the audit trail and reports, for oversight bodies"),
)


def add_docs_routes(app: FastAPI) -> None:
    """/, /docs (Swagger UI), /redoc and their assets; none of them in the OpenAPI document."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title}: API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters={"persistAuthorization": False},
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title}: API",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    async def home(request: Request) -> HTMLResponse:
        guides = "".join(f"<li><code>{escape(path)}</code>: {escape(what)}</li>" for path, what in GUIDES)
        return HTMLResponse(
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{escape(app.title)}</title>"
            f"<h1>{escape(app.title)} {escape(app.version)}</h1>"
            f"<p>{escape(app.summary or '')}.</p>"
            "<ul><li><a href=/docs>/docs</a>: try the API (Authorize signs in with a username and "
            "password)</li>"
            "<li><a href=/redoc>/redoc</a>: the reference</li>"
            f"<li><a href={escape(str(app.openapi_url))}>{escape(str(app.openapi_url))}</a>: the OpenAPI "
            "contract</li></ul>"
            f"<p>Guides, in the repository:</p><ul>{guides}</ul>"
        )

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT, oauth2_redirect, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_route("/", home, include_in_schema=False)
