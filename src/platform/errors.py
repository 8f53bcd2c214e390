"""Application errors and their rendering as RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from src.platform import messages
from src.platform.i18n import negotiate, problem_title

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://ukuk.dev/problems/"

log = structlog.get_logger("ukuk.errors")

# Work a failed request still records after its transaction rolled back (a denial's audit event,
# a failed login's counter): the request's own writes are gone, these commit on their own.
AfterRollback = Callable[["AsyncSession"], Awaitable[None]]


class ProblemField(BaseModel):
    loc: list[str | int]
    msg: str
    taxonomy: str | None = Field(default=None, description="A value that is not a code of this taxonomy.")
    codes: str | None = Field(default=None, description="Where that taxonomy's codes are listed.")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API answers."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] | None = None


class AppError(Exception):
    status = 500
    code = "internal-error"
    title = "Internal server error"
    default_headers: ClassVar[dict[str, str] | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        after_rollback: Sequence[AfterRollback] = (),
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers if headers is not None else self.default_headers
        self.extra = extra or {}
        self.after_rollback = list(after_rollback)


class BadRequest(AppError):
    status, code, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"
    default_headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer realm="ukuk"'}


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(AppError):
    status, code, title = 422, "validation-error", "Invalid request"

    @classmethod
    def at(cls, loc: Sequence[str], msg: str, detail: str | None = None, **kwargs: Any) -> Unprocessable:
        """A 422 naming the field at fault (`errors: [{loc, msg}]`); `detail` is the message unless given."""
        return cls(detail or msg, extra={"errors": [{"loc": list(loc), "msg": msg}]}, **kwargs)


class PreconditionRequired(AppError):
    status, code, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(AppError):
    status, code, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


def problem_body(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
    **kwargs: Any,
) -> JSONResponse:
    """A problem+json response; with the request, the title, detail and field messages follow its
    Accept-Language (src/platform/messages.py; what the catalogue lacks stays English)."""
    if request is not None:
        accept_language = request.headers.get("accept-language")
        language = negotiate(accept_language)
        title = problem_title(code, title, accept_language)
        detail = messages.translate(detail, language) if detail else detail
        kwargs = _localized_extra(kwargs, language)
        kwargs.setdefault("instance", request.url.path)
        headers = {**(headers or {}), "Content-Language": language}
    return JSONResponse(
        problem_body(status, code, title, detail, **kwargs),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _localized_extra(kwargs: dict[str, Any], language: str) -> dict[str, Any]:
    """An AppError's `extra["errors"]` with each `msg` in `language` (a copy, never the raised error's own
    list); `errors=` is a request validation error's, put into the language where it is built."""
    extra = kwargs.get("extra")
    if language == "en" or not extra:
        return kwargs
    kwargs = dict(kwargs)
    if isinstance(extra.get("errors"), list):
        kwargs["extra"] = {**extra, "errors": _localized_entries(extra["errors"], language)}
    return kwargs


def _localized_entries(entries: list[Any], language: str) -> list[Any]:
    return [
        {**entry, "msg": messages.field_message(entry["msg"], language)}
        if isinstance(entry, dict) and isinstance(entry.get("msg"), str)
        else entry
        for entry in entries
    ]


_VALUE_ERROR_PREFIX = "Value error, "  # pydantic's, before the message of a ValueError a validator raised


def _validation_error_entry(err: Mapping[str, Any], language: str = "en") -> dict[str, Any]:
    msg = str(err.get("msg", ""))
    kind = err.get("type")
    entry: dict[str, Any] = {
        "loc": [str(part) for part in err.get("loc", ())],
        "msg": (
            msg.removeprefix(_VALUE_ERROR_PREFIX)
            if language == "en"
            else messages.field_message(msg, language, str(kind) if kind else None, err.get("ctx"))
        ),
    }
    taxonomy = (err.get("ctx") or {}).get("taxonomy")
    if err.get("type") == "taxonomy_code" and isinstance(taxonomy, str):  # src/cases/values.py
        entry["taxonomy"] = taxonomy
        entry["codes"] = f"/v1/taxonomies/{taxonomy}"
    return entry


def _validation_errors(exc: RequestValidationError, language: str = "en") -> list[dict[str, Any]]:
    # Only where and what: never echo the rejected input (it may be personal data).
    return [_validation_error_entry(err, language) for err in exc.errors()]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        headers=exc.headers,
        extra=exc.extra,
        request=request,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        Unprocessable.code,
        Unprocessable.title,
        "The request does not match the schema.",
        errors=_validation_errors(exc, negotiate(request.headers.get("accept-language"))),
        request=request,
    )


_HTTP_CODES = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    known = _HTTP_CODES.get(exc.status_code)
    if known is not None:
        code, title = known.code, known.title
    elif exc.status_code == 405:
        code, title = "method-not-allowed", "Method not allowed"
    else:
        code, title = f"http-{exc.status_code}", "HTTP error"
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(
        exc.status_code,
        code,
        title,
        detail,
        headers=dict(exc.headers) if exc.headers else None,
        request=request,
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity_error", constraint=getattr(getattr(exc, "orig", None), "constraint_name", None))
    return problem_response(
        409,
        Conflict.code,
        Conflict.title,
        "The request conflicts with existing data.",
        request=request,
    )


# SQLSTATE classes that mean "the database cannot serve now", not "this request is wrong".
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, OSError | PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
    return str(sqlstate)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES


# SQLSTATEs of a value the database will not take: a NUL or a character outside the encoding, a number or a
# date-time out of range, text too long, a string that does not read as its type; 22000 is also what asyncpg
# raises when it cannot encode an argument (a number out of its type's range).
_REFUSED_VALUE_SQLSTATES = frozenset({"22000", "22021", "22P05", "22003", "22008", "22001", "22007", "22P02"})


def is_refused_value(exc: BaseException) -> bool:
    """The database (or its driver, encoding an argument) refused a value of the request: the shared input
    types should have refused it first, so this is the backstop that keeps it a 4xx."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in _REFUSED_VALUE_SQLSTATES:
        return True
    # asyncpg's client-side DataError (a ValueError): "invalid input for query argument $1 ... out of range".
    # Through the session the driver's error is the cause of the dialect's; run on the driver, it is `orig`.
    cause = exc.orig if isinstance(exc.orig, ValueError) else getattr(exc.orig, "__cause__", None)
    return isinstance(cause, ValueError) and type(cause).__module__.startswith("asyncpg")


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if is_refused_value(exc):
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
        log.warning("database_refused_value", error_class=type(exc).__name__, sqlstate=sqlstate)
        return problem_response(
            422,
            Unprocessable.code,
            Unprocessable.title,
            "A value of the request is outside what can be stored.",
            request=request,
        )
    if not is_database_unavailable(exc):
        return await _unhandled(request, exc)
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    log.error("database_unavailable", error_class=type(exc).__name__, sqlstate=sqlstate or None)
    detail = (
        "The request ran longer than the database allows (statement timeout); retry later or narrow it."
        if sqlstate == "57014"
        else "The database is unavailable; retry later."
    )
    return problem_response(
        503,
        ServiceUnavailable.code,
        ServiceUnavailable.title,
        detail,
        headers={"Retry-After": "1"},
        request=request,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error_class=type(exc).__name__)
    return problem_response(500, AppError.code, AppError.title, request=request)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    # Raised raw by the driver when it cannot reach the server: refused, timed out, or a socket file missing
    # while PostgreSQL restarts (FileNotFoundError). ConnectionError and TimeoutError are OSErrors too.
    app.add_exception_handler(OSError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(Exception, _unhandled)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem responses a route may answer."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Problem details (RFC 9457)"}
        for status in statuses
    }


def problems_as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare problem responses under `application/problem+json` with their schema (what they are sent as),
    not under `application/json` where FastAPI puts a response model."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values() if isinstance(operation, dict) else ():
                content = response.get("content", {})
                declared = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if PROBLEM_JSON in content and declared.endswith("/Problem"):
                    content[PROBLEM_JSON] = content.pop("application/json")
    return schema
