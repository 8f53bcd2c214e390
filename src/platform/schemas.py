"""Shared schema pieces: strict input models, list pages, dates, country codes, and the value types every
domain's bodies use (codes, texts, past dates, money)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from src.platform import clock

T = TypeVar("T")

# What no field of this API takes: C0 control characters but tab, newline and carriage return, DEL, and UTF-16
# surrogates (a lone `\ud800` decodes from JSON but has no UTF-8 form). PostgreSQL refuses NUL in text (22021)
# and the driver cannot encode a surrogate: refused at the edge, they never reach it.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
CONTROL_CHARACTERS_MESSAGE = (
    "Control characters (but tab, newline, carriage return) and lone surrogates are refused."
)
_MAX_REPORTED = 20


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def contains_control_characters(value: Any) -> bool:
    """Whether decoded JSON (dicts, lists, strings; keys too) holds a refused character anywhere: the quick
    look every body gets (a stack, not recursion: a body nested a thousand deep must not overflow it)."""
    search = CONTROL_CHARACTERS.search
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if search(item):
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and search(key):
                    return True
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def control_character_locations(value: Any) -> Iterator[tuple[str | int, ...]]:
    """Where in decoded JSON a refused character is, in document order (once the quick look found one)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, str):
            if CONTROL_CHARACTERS.search(item):
                yield loc
        elif isinstance(item, dict):
            children: list[tuple[tuple[str | int, ...], Any]] = []
            for key, child in item.items():
                if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                    children.append((loc, key))  # reported at the parent: a key is never echoed
                else:
                    children.append(((*loc, key), child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(((*loc, index), child) for index, child in reversed(list(enumerate(item))))


_REFUSED = PydanticCustomError("control_character", CONTROL_CHARACTERS_MESSAGE)


# True while a model's walked input is validated: the models nested in it need not walk it again.
_walked: ContextVar[bool] = ContextVar("ukuk_input_walked", default=False)


class InputModel(BaseModel):
    """Every request body: unknown fields refused, surrounding whitespace stripped, control characters refused
    in every string at any depth (`dict[str, Any]` details too), each named by its location."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_control_characters(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if not _walked.get() and contains_control_characters(data):
            found = [
                InitErrorDetails(type=_REFUSED, loc=loc, input=None)
                for loc, _ in zip(control_character_locations(data), range(_MAX_REPORTED), strict=False)
            ]
            # Raised inside a validator, pydantic merges these into the request's errors under its location.
            raise ValidationError.from_exception_data(cls.__name__, found)
        token = _walked.set(True)  # the models nested in this input were walked with it
        try:
            return handler(data)
        finally:
            _walked.reset(token)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_8601(value: object) -> object:
    # Pydantic also reads numbers as Unix times (`?created_to=0.5`); the contract says ISO 8601.
    if not isinstance(value, date) and not (isinstance(value, str) and _ISO_DATE.match(value)):
        raise ValueError("an ISO 8601 date-time, like 2026-11-23T00:00:00Z")
    return value


# A day inside Python's date range at each end: 9999-12-31T23:59:59-23:59 parses but is past year 9999 in UTC
# (the driver cannot send it), and a route's `to + 1 day` must not overflow either.
_FIRST_DAY, _LAST_DAY = date(1, 1, 2), date(9999, 12, 30)
_OUT_OF_RANGE = f"a date between {_FIRST_DAY.isoformat()} and {_LAST_DAY.isoformat()}"


def _date_in_range(value: date) -> date:
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise ValueError(_OUT_OF_RANGE)
    return value


def _datetime_in_range(value: datetime) -> datetime:
    try:
        day = (value.astimezone(UTC) if value.tzinfo is not None else value).date()
    except OverflowError as exc:
        raise ValueError(_OUT_OF_RANGE) from exc
    _date_in_range(day)
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_datetime_in_range)]
IsoDate = Annotated[date, BeforeValidator(_iso_8601), AfterValidator(_date_in_range)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2)]
# ISO 3166-2 subdivision code, e.g. RU-SVE, KZ-75.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$", max_length=6)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# ---- value types shared by every domain's bodies: codes, texts, past dates, money ----------------------

# ISO 4217 active codes.
_ISO_4217 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT "
    "LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
    "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP "
    "STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF "
    "XPF YER ZAR ZMW ZWL "
)
CURRENCIES = frozenset(_ISO_4217.split())


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError("not an ISO 4217 currency code")
    return value


Code = Annotated[str, StringConstraints(max_length=40)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
_AMOUNT_TEXT = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")


def _amount_text(value: Any) -> Any:
    """A string amount is plain digits (no exponent, sign or padding past the contract's maxLength)."""
    if isinstance(value, str) and not _AMOUNT_TEXT.fullmatch(value):
        raise ValueError("an amount is digits with at most two decimals, e.g. 1500.50")
    return value


# As a JSON number or a decimal string (exact); the contract bounds both forms, the validator agrees.
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    Field(ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1e12},
                {"type": "string", "pattern": _AMOUNT_TEXT.pattern, "maxLength": 16},
            ]
        },
        mode="validation",
    ),
]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.utcnow().date():
        raise ValueError("date is in the future")
    return value


PastDate = Annotated[date, AfterValidator(_not_future), Field(ge=date(1900, 1, 1))]


class Money(InputModel):
    amount: Amount
    currency: Currency
