"""One pure ASGI middleware: request id, trusted hosts, control characters in the path and query, body cap,
media type, headers, metrics, access log."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import structlog
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.platform import messages, pagination
from src.platform.context import request_id_var
from src.platform.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType, problem_body
from src.platform.i18n import negotiate, problem_title
from src.platform.observability import HTTP_DURATION, HTTP_REQUESTS
from src.platform.schemas import CONTROL_CHARACTERS_MESSAGE, has_control_characters

log = structlog.get_logger("ukuk.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Probes answer whatever Host the orchestrator sends (a pod address, 127.0.0.1): they build no links.
_ANY_HOST_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def host_allowed(host_header: str | None, trusted: frozenset[str]) -> bool:
    """Host (without its port) is one of `trusted`, or under a `*.domain` of it."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):  # [IPv6]:port
        host = host[1 : host.find("]")] if "]" in host else ""
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not host:
        return False
    return any(
        host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])) for pattern in trusted
    )


def control_character_errors(scope: Scope) -> list[dict[str, Any]]:
    """Where the decoded path or query string holds a refused character (see src/platform/schemas.py)."""
    errors: list[dict[str, Any]] = []
    if has_control_characters(scope["path"]):
        errors.append({"loc": ["path"], "msg": CONTROL_CHARACTERS_MESSAGE})
    # Decoded as Starlette does for request.query_params (percent-decoding as UTF-8, bad bytes replaced).
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if has_control_characters(name):
            errors.append({"loc": ["query"], "msg": CONTROL_CHARACTERS_MESSAGE})  # the name is not echoed
        elif has_control_characters(value):
            errors.append({"loc": ["query", name], "msg": CONTROL_CHARACTERS_MESSAGE})
    return errors


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        form_paths: frozenset[str],
        trusted_hosts: frozenset[str] | None = None,
        streamed_bodies: re.Pattern[str] | None = None,
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.form_paths = form_paths
        # Paths whose route reads the raw body as a stream (an attachment's bytes) and enforces its own
        # size limit and media types: neither capped nor buffered here.
        self.streamed_bodies = streamed_bodies
        self.trusted_hosts = trusted_hosts  # None: any Host (development, test)
        self._templates: dict[Any, str] | None = None  # metrics' route label of non-FastAPI routes

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

        list_token = pagination.bind_list(path)
        try:
            if await self._check_request(scope, headers, send_with_headers):
                checked_receive = await self._check_body(scope, headers, receive, send_with_headers, api_path)
                if checked_receive is not None:
                    await self.app(scope, checked_receive, send_with_headers)
        finally:
            pagination.unbind_list(list_token)
            elapsed = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", None) or self._template_of(scope)
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

    def _template_of(self, scope: Scope) -> str:
        """The path template of a route FastAPI did not name in the scope: a plain Starlette route (/docs,
        /) by its endpoint, a mount (/docs/assets) by its path; else "unmatched" (a 404)."""
        if self._templates is None:
            self._templates = {}
            for route in getattr(scope.get("app"), "routes", ()):
                if isinstance(route, Mount):
                    self._templates[route.path] = f"{route.path}/{{path}}"
                elif getattr(route, "endpoint", None) is not None:
                    self._templates[route.endpoint] = route.path
        endpoint, root_path = scope.get("endpoint"), scope.get("root_path") or ""
        return self._templates.get(endpoint) or self._templates.get(root_path) or "unmatched"

    async def _check_request(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """False when this middleware already answered: an unknown Host (400), a control character in the
        path or query (422), before any route reads them."""
        if (
            self.trusted_hosts is not None
            and scope["path"] not in _ANY_HOST_PATHS
            and not host_allowed(headers.get("host"), self.trusted_hosts)
        ):
            await _problem(
                send,
                400,
                BadRequest.code,
                BadRequest.title,
                "The Host header names no host this API serves.",
                accept_language=headers.get("accept-language"),
            )
            return False
        errors = control_character_errors(scope)
        if errors:
            await _problem(
                send,
                422,
                Unprocessable.code,
                Unprocessable.title,
                "The request does not match the schema.",
                errors=errors,
                accept_language=headers.get("accept-language"),
            )
            return False
        return True

    async def _check_body(
        self, scope: Scope, headers: dict[str, str], receive: Receive, send: Send, api_path: bool
    ) -> Receive | None:
        """Answers the receive to hand on, or None when this middleware already answered (413, 415)."""
        if scope["method"] not in _BODY_METHODS:
            return receive
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length_header is not None and not length_header.isdigit():
            await _problem(
                send,
                400,
                BadRequest.code,
                BadRequest.title,
                "Content-Length is not a number.",
                accept_language=headers.get("accept-language"),
            )
            return None
        if self.streamed_bodies is not None and self.streamed_bodies.fullmatch(scope["path"]):
            return receive
        if length_header is not None and int(length_header) > self.max_body_bytes:
            await self._too_large(send, headers)
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
                    accept_language=headers.get("accept-language"),
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
                await self._too_large(send, headers)
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

    async def _too_large(self, send: Send, headers: dict[str, str]) -> None:
        await _problem(
            send,
            413,
            PayloadTooLarge.code,
            PayloadTooLarge.title,
            f"The body exceeds {self.max_body_bytes} bytes.",
            accept_language=headers.get("accept-language"),
        )


async def _problem(
    send: Send,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    accept_language: str | None = None,
) -> None:
    """A problem answered before any route, its title, detail and field messages in the negotiated language
    (as src/platform/errors.py answers the others)."""
    language = negotiate(accept_language)
    if language != "en":
        title = problem_title(code, title, accept_language)
        detail = messages.translate(detail, language)
        errors = [{**e, "msg": messages.field_message(e["msg"], language)} for e in errors or ()] or errors
    body: dict[str, Any] = problem_body(status, code, title, detail, errors=errors)
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                (b"content-language", language.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
