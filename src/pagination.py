"""Keyset pagination: opaque cursors carrying the last row's sort key, and the Link header."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

from src.errors import Unprocessable
from src.schemas import Page

T = TypeVar("T")

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (at most 200).")]
Cursor = Annotated[str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`.")]


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not valid.") from exc
    if not isinstance(key, list) or len(key) != arity:
        raise Unprocessable("The cursor is not valid.")
    return key


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'


def uuid_after(key: list[Any] | None) -> uuid.UUID | None:
    if key is None:
        return None
    try:
        return uuid.UUID(str(key[0]))
    except ValueError as exc:
        raise Unprocessable("The cursor is not valid.") from exc


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
