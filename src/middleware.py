"""One pure ASGI middleware: request id, body cap, media type, headers, metrics, access log."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.context import request_id_var
from src.errors import PayloadTooLarge, UnsupportedMediaType, problem_body
from src.observability import HTTP_DURATION, HTTP_REQUESTS

log = structlog.get_logger("ukuk.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, form_paths: frozenset[str]):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.form_paths = form_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _REQUEST_ID.match(incoming_id) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_code = 500
        path: str = scope["path"]
        api_path = path.startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                extra = [(b"x-request-id", request_id.encode()), (b"x-content-type-options", b"nosniff")]
                present = {k.lower() for k, _ in message.get("headers", [])}
                if api_path and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))  # every API answer may carry case data
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            checked_receive = await self._check_body(scope, headers, receive, send_with_headers, api_path)
            if checked_receive is not None:
                await self.app(scope, checked_receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.labels(method, template, str(status_code)).inc()
            HTTP_DURATION.labels(method, template).observe(elapsed)
            log.info(
                "request",
                method=method,
                route=template,
                status=status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
            request_id_var.reset(token)

    async def _check_body(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send, api_path: bool
    ) -> Receive | None:
        """Answers the receive to hand on, or None when this middleware already answered (413, 415)."""
        if scope["method"] not in _BODY_METHODS:
            return receive
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length_header is not None:
            if not length_header.isdigit():
                await _problem(send, 400, "bad-request", "Bad request", "Content-Length is not a number.")
                return None
            if int(length_header) > self.max_body_bytes:
                await self._too_large(send)
                return None
        has_body = chunked or (length_header is not None and int(length_header) > 0)
        if api_path and has_body:
            content_type = headers.get("content-type", "")
            is_form_path = scope["path"] in self.form_paths
            acceptable = (
                content_type.lower().startswith(_FORM_TYPES) if is_form_path else _is_json(content_type)
            )
            if not acceptable:
                wanted = "application/x-www-form-urlencoded" if is_form_path else "application/json"
                await _problem(
                    send,
                    415,
                    UnsupportedMediaType.code,
                    UnsupportedMediaType.title,
                    f"Send the body as {wanted}.",
                )
                return None
        if length_header is not None:
            return receive
        # No declared length: read up to the cap, then replay; an oversized stream never reaches a route.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _too_large(self, send: Send) -> None:
        await _problem(
            send,
            413,
            PayloadTooLarge.code,
            PayloadTooLarge.title,
            f"The body exceeds {self.max_body_bytes} bytes.",
        )


async def _problem(send: Send, status: int, code: str, title: str, detail: str) -> None:
    body: dict[str, Any] = problem_body(status, code, title, detail)
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
