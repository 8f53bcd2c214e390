"""Value types every case-shaped body shares: codes of the case taxonomies, texts, dates, money."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

from src.cases.taxonomies import codes
from src.platform import clock
from src.platform.schemas import InputModel

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


def member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"not a code of {taxonomy}")
        return value

    return AfterValidator(check)


def each_member_of(taxonomy: str) -> Any:
    allowed = codes(taxonomy)

    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"not codes of {taxonomy}: {len(unknown)}")
        if len(set(values)) != len(values):
            raise ValueError("a code is repeated")
        return values

    return AfterValidator(check)


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
