"""HTTP for identity: the token endpoint, /auth/me, logout, organizations, users and API clients."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated, Any

from fastapi import Form, Header, Query, Request, Response, status

from src.auth import accounts, sign_in
from src.auth.dependencies import CurrentPrincipal
from src.auth.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    Me,
    OrganizationCreate,
    OrganizationKind,
    OrganizationRead,
    Role,
    TokenResponse,
    UserCreate,
    UserRead,
)
from src.platform.dependencies import AppSettings, AppTokenKeys
from src.platform.errors import problem_responses
from src.platform.idempotency import IdempotencyKey, idempotent
from src.platform.pagination import Cursor, Limit, build_page, decode_cursor, uuid_after
from src.platform.routing import Router
from src.platform.schemas import Page, has_control_characters
from src.platform.session import DbSession

router = Router(prefix="/v1", responses=problem_responses(401, 422))

FormField = Annotated[str | None, Form(max_length=4096)]
# The token endpoint's form, one example per grant (shown by the docs beside the generated form schema).
TOKEN_FORM_EXAMPLES: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "examples": {
                    "password": {
                        "summary": "An officer signs in",
                        "value": {
                            "grant_type": "password",
                            "username": "aigul.toktogulova",
                            "password": "Ала-Тоо-кок-жар-2026",
                        },
                    },
                    "client_credentials": {
                        "summary": "A partner's system signs in",
                        "value": {
                            "grant_type": "client_credentials",
                            "client_id": "0193a0c2-8f3a-7b41-9c52-ad6e7f8a9b0c",
                            "client_secret": "s3_Jx7Qp2Lm9Vt4Rk8Wn5Yc1Zb6Hd0Fg",
                            "scope": "referrals:read referrals:write",
                        },
                    },
                    "refresh_token": {
                        "summary": "Renew an access token",
                        "value": {
                            "grant_type": "refresh_token",
                            "refresh_token": "r1_9mQ2vT8xK4pL7nB3cZ6wE1yH5jF0sD",
                        },
                    },
                }
            }
        }
    }
}


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["auth"],
    responses=problem_responses(400, 401, 415, 429),
    summary="Issue tokens",
    openapi_extra=TOKEN_FORM_EXAMPLES,
)
async def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    keys: AppTokenKeys,
    grant_type: Annotated[str, Form(max_length=64)],
    username: FormField = None,
    password: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    refresh_token: FormField = None,
    scope: Annotated[str | None, Form(max_length=512)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    """Sign in, as an OAuth 2 token endpoint (form-encoded): `grant_type=password` with `username` and
    `password` (people, through first-party clients), `client_credentials` with `client_id` and
    `client_secret` (in the form or as HTTP Basic; partner and oversight systems), or `refresh_token`
    (rotated on use: a reused one revokes its whole family). `scope` narrows the token to some of the
    role's scopes.

    Needs no token. Answers a 15-minute ES256 access token and, for people, a refresh token;
    `Cache-Control: no-store`. Errors are problem+json with the OAuth `error` member: a missing field,
    unknown grant, wrong username or password, or a spent refresh token is 400 (`invalid_request`,
    `unsupported_grant_type`, `invalid_grant`); a wrong client secret is 401 (`invalid_client`). Failed
    sign-ins are throttled per username (or client) and address (429 with Retry-After) and audited."""
    response.headers["Cache-Control"] = "no-store"
    ip = request.client.host if request.client else None
    basic = _basic_credentials(authorization) if grant_type == "client_credentials" else None
    if basic is not None:
        client_id, client_secret = basic
    fields = {
        "grant_type": grant_type,
        "username": username,
        "password": password,
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "scope": scope,
    }
    refused = [name for name, value in fields.items() if value is not None and has_control_characters(value)]
    if refused:
        # Before any look-up (PostgreSQL refuses NUL), yet counted toward the failed sign-in throttle.
        await sign_in.refuse_malformed_sign_in(
            session,
            settings,
            fields=refused,
            username=username,
            client_id=client_id if grant_type == "client_credentials" else None,
            ip=ip,
        )
    if grant_type == "password":
        if not username or not password:
            raise sign_in.OAuthError("invalid_request", "username and password are required.")
        issued = await sign_in.password_grant(
            session, keys, settings, username=username, password=password, scope=scope, ip=ip
        )
    elif grant_type == "client_credentials":
        if not client_id or not client_secret:
            raise sign_in.OAuthError("invalid_request", "client_id and client_secret are required.")
        issued = await sign_in.client_credentials_grant(
            session, keys, settings, client_id=client_id, client_secret=client_secret, scope=scope, ip=ip
        )
    elif grant_type == "refresh_token":
        if not refresh_token:
            raise sign_in.OAuthError("invalid_request", "refresh_token is required.")
        issued = await sign_in.refresh_grant(
            session, keys, settings, refresh_token=refresh_token, scope=scope
        )
    else:
        raise sign_in.OAuthError(
            "unsupported_grant_type", "Use password, client_credentials or refresh_token."
        )
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        scope=issued.scope,
    )


@router.get("/auth/me", response_model=Me, tags=["auth"], summary="Read the signed-in caller")
async def read_me(request: Request, principal: CurrentPrincipal) -> Me:
    """Who the access token speaks for: the user's (or API client's) id, username, organization, role and
    scopes. Any signed-in caller."""
    return Me(
        id=principal.id,
        username=request.state.username,
        organization_id=principal.organization_id,
        role=principal.role,
        scopes=sorted(principal.scopes),
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"], summary="Sign out")
async def logout(session: DbSession, principal: CurrentPrincipal) -> None:
    """Revoke this sign-in: its refresh token and every access token issued from it stop working at once. Any
    signed-in caller; answers 204."""
    await sign_in.logout(session, principal)


# ---- organizations -------------------------------------------------------------------------------------


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationRead,
    tags=["organizations"],
    responses=problem_responses(403, 409),
    summary="Create an organization",
)
async def create_organization(
    session: DbSession,
    principal: CurrentPrincipal,
    body: OrganizationCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Add an organization (ministry, consulate, partner or oversight body) to the directory. A platform
    administrator only (403 otherwise); a name taken, or one that looks like a taken one across scripts, is
    409. Consulates with their jurisdiction are created with `POST /v1/consulates`. Takes an optional
    Idempotency-Key."""

    async def create() -> OrganizationRead:
        return OrganizationRead.model_validate(await accounts.create_organization(session, principal, body))

    return await idempotent(
        session, principal, idempotency_key, body, resource_type="organization", create=create
    )


@router.get(
    "/organizations",
    response_model=Page[OrganizationRead],
    tags=["organizations"],
    summary="List organizations",
)
async def list_organizations(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: OrganizationKind | None = None,
) -> Page[OrganizationRead]:
    """The directory of organizations (ids to refer cases to), keyset-paged, optionally of one `kind`. Any
    signed-in caller."""
    rows = await accounts.list_organizations(
        session, principal, after=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1, kind=kind
    )
    return build_page(request, response, [OrganizationRead.model_validate(r) for r in rows], limit)


@router.get(
    "/organizations/{organization_id}",
    response_model=OrganizationRead,
    tags=["organizations"],
    responses=problem_responses(404),
    summary="Read an organization",
)
async def read_organization(
    session: DbSession, principal: CurrentPrincipal, organization_id: uuid.UUID
) -> OrganizationRead:
    """One organization of the directory: name, kind and country. Any signed-in caller; an unknown id is
    404."""
    return OrganizationRead.model_validate(
        await accounts.get_organization(session, principal, organization_id)
    )


# ---- users and API clients -----------------------------------------------------------------------------


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    tags=["users"],
    responses=problem_responses(403, 404, 409),
    summary="Create a user",
)
async def create_user(
    session: DbSession,
    settings: AppSettings,
    principal: CurrentPrincipal,
    body: UserCreate,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create a person's account in an organization, with a role that fits the organization's kind (422
    otherwise) and a password that is not the username. The organization's administrator, or a platform
    administrator (403 otherwise; 404 for an organization the caller may not know of); a username taken is
    409. The password is never returned."""

    async def create() -> UserRead:
        return UserRead.model_validate(await accounts.create_user(session, principal, settings, body))

    return await idempotent(session, principal, idempotency_key, body, resource_type="user", create=create)


@router.get(
    "/users",
    response_model=Page[UserRead],
    tags=["users"],
    responses=problem_responses(403),
    summary="List users",
)
async def list_users(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    role: Annotated[Role | None, Query(description="Only users of this role (`officer`, ...).")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserRead]:
    """An administrator lists the accounts it manages; a supervisor its own organization's active users (to
    assign cases); other roles 403. Keyset-paged, optionally of one `role`."""
    rows = await accounts.list_users(
        session, principal, role=role, after=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1
    )
    return build_page(request, response, [UserRead.model_validate(r) for r in rows], limit)


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    tags=["users"],
    responses=problem_responses(403, 404),
    summary="Read a user",
)
async def read_user(session: DbSession, principal: CurrentPrincipal, user_id: uuid.UUID) -> UserRead:
    """One account, for the administrator who manages it (403 otherwise; 404 for an account of an organization
    the caller may not see). Audited as a read."""
    return UserRead.model_validate(await accounts.get_user(session, principal, user_id))


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientCreated,
    tags=["clients"],
    responses=problem_responses(403, 404),
    summary="Create an API client",
)
async def create_client(
    response: Response, session: DbSession, principal: CurrentPrincipal, body: ClientCreate
) -> ClientCreated:
    """Create an API client for a partner or oversight system (client_credentials grant), with a machine
    caller's role that fits its organization (422 otherwise). The organization's administrator or a
    platform administrator (403 otherwise; 404 for an organization the caller may not know of). The
    `client_secret` is shown once, in this answer (`Cache-Control: no-store`)."""
    client, secret = await accounts.create_client(session, principal, body)
    response.headers["Cache-Control"] = "no-store"
    return ClientCreated(**ClientRead.model_validate(client).model_dump(), client_secret=secret)


@router.get(
    "/clients",
    response_model=Page[ClientRead],
    tags=["clients"],
    responses=problem_responses(403),
    summary="List API clients",
)
async def list_clients(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ClientRead]:
    """The API clients the calling administrator manages, keyset-paged (never their secrets). Administrators
    only (403 otherwise)."""
    rows = await accounts.list_clients(
        session, principal, after=uuid_after(decode_cursor(cursor, 1)), limit=limit + 1
    )
    return build_page(
        request, response, [ClientRead.model_validate(r) for r in rows], limit, lambda c: [str(c.client_id)]
    )


@router.get(
    "/clients/{client_id}",
    response_model=ClientRead,
    tags=["clients"],
    responses=problem_responses(403, 404),
    summary="Read an API client",
)
async def read_client(session: DbSession, principal: CurrentPrincipal, client_id: uuid.UUID) -> ClientRead:
    """One API client, without its secret, for the administrator who manages it (403 otherwise; 404 for one
    the caller may not see). Audited as a read."""
    return ClientRead.model_validate(await accounts.get_client(session, principal, client_id))
