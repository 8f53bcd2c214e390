"""Keyset pagination: opaque cursors carrying the last row's sort key, and the Link header.

A cursor is `<base64url JSON key>.<base64url MAC>`: HMAC-SHA256 (truncated to 128 bits) over the list it was
issued for (the request path, so a cursor of one list or one case's log is refused by every other) and the
key, with a key derived from the blind-index secret (UKUK_BLIND_INDEX_KEY: every API process shares it, so
a cursor issued by one is read by the others). A cursor this API did not issue answers 422 before its key
is looked at; the routes still check the key's types and ranges (`uuid_after`, `int_after`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar, Token
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Query, Request, Response

from src.crypto import keys
from src.platform.errors import Unprocessable
from src.platform.schemas import Page

T = TypeVar("T")

MAX_LIMIT = 200
INT64_MAX = 2**63 - 1
INVALID_CURSOR = "The cursor is not valid."

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (at most 200).")]
Cursor = Annotated[str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`.")]

_MAC_BYTES = 16
_DOMAIN = b"ukuk/pagination-cursor/v1"
# The list a cursor belongs to: the request's path, set by the request middleware for the whole request.
_list_path: ContextVar[str] = ContextVar("ukuk_cursor_list", default="")


def bind_list(path: str) -> Token[str]:
    """Cursors issued and read until reset belong to this list (the middleware binds each request's path)."""
    return _list_path.set(path)


def unbind_list(token: Token[str]) -> None:
    _list_path.reset(token)


# Derived, never the secret itself: the blind index and the cursors must not share a key.
@lru_cache(maxsize=4)
def _derived_key(secret: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN, hashlib.sha256).digest()


def _mac(payload: bytes) -> bytes:
    key = _derived_key(keys.current().blind_index_key)
    message = _list_path.get().encode("utf-8", "surrogatepass") + b"\x00" + payload
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: list[Any]) -> str:
    payload = json.dumps(key, separators=(",", ":")).encode()
    return f"{_b64encode(payload)}.{_b64encode(_mac(payload))}"


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The key of a cursor this API issued for this list; 422 for anything else."""
    if cursor is None:
        return None
    payload_text, dot, mac_text = cursor.partition(".")
    if not dot or not cursor.isascii():
        raise Unprocessable(INVALID_CURSOR)
    try:
        payload, mac = _b64decode(payload_text), _b64decode(mac_text)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(INVALID_CURSOR) from exc
    # Exactly as issued: base64 that decodes the same but reads differently (unused low bits) is refused too.
    canonical = _b64encode(payload) == payload_text and _b64encode(mac) == mac_text
    if not canonical or not hmac.compare_digest(mac, _mac(payload)):
        raise Unprocessable(INVALID_CURSOR)
    try:
        key = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable(INVALID_CURSOR) from exc
    if not isinstance(key, list) or len(key) != arity:
        raise Unprocessable(INVALID_CURSOR)
    return key


def uuid_after(key: list[Any] | None) -> uuid.UUID | None:
    if key is None:
        return None
    if not isinstance(key[0], str):
        raise Unprocessable(INVALID_CURSOR)
    try:
        return uuid.UUID(key[0])
    except ValueError as exc:
        raise Unprocessable(INVALID_CURSOR) from exc


def int_after(key: list[Any] | None, *, index: int = 0) -> int | None:
    """An integer sort key (a bigint column): not a bool, not negative, within int64."""
    if key is None:
        return None
    value = key[index]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise Unprocessable(INVALID_CURSOR)
    return value


def datetime_after(key: list[Any] | None, *, index: int = 0) -> datetime | None:
    """A timestamp sort key, as `isoformat()` wrote it (with its offset)."""
    if key is None:
        return None
    value = key[index]
    if not isinstance(value, str) or len(value) > 40:
        raise Unprocessable(INVALID_CURSOR)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Unprocessable(INVALID_CURSOR) from exc
    if parsed.tzinfo is None:
        raise Unprocessable(INVALID_CURSOR)
    return parsed


def public_base(request: Request) -> str:
    """scheme://host[:port][/prefix] of links: UKUK_PUBLIC_URL, else the address the server is bound to
    (never the request's Host); empty when neither is known, which leaves links relative."""
    settings = getattr(request.app.state, "settings", None)
    configured: str | None = getattr(settings, "public_url", None)
    if configured:
        return configured
    server = request.scope.get("server")
    if not server or not server[0] or server[0].startswith("/"):  # none, or a Unix socket's path
        return ""
    host, port = server
    scheme = request.scope.get("scheme", "http")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default_port) else f"{scheme}://{host}:{port}"


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is None:
        return
    query = [(name, value) for name, value in request.query_params.multi_items() if name != "cursor"]
    query.append(("cursor", next_cursor))
    path = quote(request.scope["path"], safe="/:@!$&'()*+,;=-._~")
    response.headers["Link"] = f'<{public_base(request)}{path}?{urlencode(query)}>; rel="next"'


def build_page(
    request: Request,
    response: Response,
    rows: Sequence[T],
    limit: int,
    key: Callable[[T], list[Any]] = lambda row: [str(row.id)],  # type: ignore[attr-defined]
) -> Page[T]:
    """`rows` was fetched with limit + 1: the extra row only tells that a next page exists."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(key(items[-1])) if len(rows) > limit and items else None
    set_next_link(request, response, next_cursor)
    # Not Page[T](...): parametrising with a TypeVar builds a new pydantic model class on every call (15% of
    # a list request in the profile). The route's response_model validates and serialises the page anyway.
    return Page.model_construct(items=items, next_cursor=next_cursor)
