"""De-identification of HTCDS records for pooling: k-anonymity over the quasi-identifiers, generalization
first and suppression second (docs/htcds.md).

Pure functions: a record is a plain dict of HTCDS fields (htcds.py), already stripped of names, documents,
places finer than a country and dates finer than a year. The quasi-identifiers are the victim's age band,
sex, citizenship, the countries of exploitation and recruitment, the type of exploitation and the year of
registration. The whole export is recoded at one level of a fixed ladder (global recoding: one value means
the same in every record); the first level at which at most `MAX_WITHHELD_SHARE` of the records sit in
classes smaller than k is taken (otherwise the first level that withholds fewest: a step that withholds no
fewer records is not worth what it loses), and the records still in such classes are withheld. Every
combination of quasi-identifiers in what is left then occurs at least k times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

UNKNOWN = "Unknown"
# Withheld records are lost to the pool; above this share the next level of generalization is tried.
MAX_WITHHELD_SHARE = 0.05
QUASI_IDENTIFIERS = (
    "ukuk_AgeBand",
    "prs_Gender",
    "prs_Nationality",
    "hte_CountryOfExploitation",
    "hte_CountryOfRecruitment",
    "ukuk_TypeOfExploitation",
    "ukuk_RegistrationYear",
)
# ISO 3166 countries to UN M49 sub-regions, for the countries Ukuk's cases come from and go to; any other
# country generalizes to Unknown (the region cannot be told without a full M49 table).
M49_REGIONS = {
    **dict.fromkeys(("KG", "KZ", "TJ", "TM", "UZ"), "M49:143 Central Asia"),
    **dict.fromkeys(("RU", "BY", "UA", "MD", "PL", "CZ", "SK", "HU", "RO", "BG"), "M49:151 Eastern Europe"),
    **dict.fromkeys(
        ("TR", "AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "LB", "AM", "AZ", "GE", "CY", "IQ", "SY"),
        "M49:145 Western Asia",
    ),
    **dict.fromkeys(("CN", "KR", "JP", "MN", "KP", "HK", "MO", "TW"), "M49:030 Eastern Asia"),
    **dict.fromkeys(("DE", "FR", "AT", "BE", "NL", "LU", "CH", "LI", "MC"), "M49:155 Western Europe"),
    **dict.fromkeys(("GB", "IE", "SE", "NO", "FI", "DK", "EE", "LV", "LT", "IS"), "M49:154 Northern Europe"),
    **dict.fromkeys(
        ("IT", "ES", "PT", "GR", "MT", "SI", "HR", "RS", "ME", "AL", "MK", "BA"), "M49:039 Southern Europe"
    ),
    **dict.fromkeys(("US", "CA"), "M49:021 Northern America"),
}
WIDE_AGE_BANDS = {
    **dict.fromkeys(("0-4", "5-9", "10-14", "15-17"), "0-17"),
    **dict.fromkeys(("18-24", "25-34"), "18-34"),
    **dict.fromkeys(("35-44", "45-54"), "35-54"),
    **dict.fromkeys(("55-64", "65+"), "55+"),
}
YEARS_PER_RANGE = 5


def _wide_age(value: Any) -> Any:
    return WIDE_AGE_BANDS.get(value, UNKNOWN)


def _region(value: Any) -> Any:
    return M49_REGIONS.get(value, UNKNOWN) if value != UNKNOWN else UNKNOWN


def _year_range(value: Any) -> Any:
    if not isinstance(value, str) or not value.isdigit():
        return UNKNOWN
    start = int(value) // YEARS_PER_RANGE * YEARS_PER_RANGE
    return f"{start}-{start + YEARS_PER_RANGE - 1}"


def _one_type(value: Any) -> Any:
    """Several types of exploitation together become `multiple`."""
    return ["multiple"] if isinstance(value, list) and len(value) > 1 else value


def _unknown(value: Any) -> Any:
    return UNKNOWN


# The ladder: each step recodes one quasi-identifier of every record, on top of the steps before it.
Recode = Callable[[Any], Any]
LADDER: tuple[tuple[str, str, Recode], ...] = (
    ("age band to a wide band", "ukuk_AgeBand", _wide_age),
    ("year to a five-year range", "ukuk_RegistrationYear", _year_range),
    ("country of recruitment to its region", "hte_CountryOfRecruitment", _region),
    ("country of exploitation to its region", "hte_CountryOfExploitation", _region),
    ("several types of exploitation to `multiple`", "ukuk_TypeOfExploitation", _one_type),
    ("citizenship to its region", "prs_Nationality", _region),
    ("age band to Unknown", "ukuk_AgeBand", _unknown),
    ("country of recruitment to Unknown", "hte_CountryOfRecruitment", _unknown),
    ("year to Unknown", "ukuk_RegistrationYear", _unknown),
)


def quasi_key(record: dict[str, Any]) -> tuple[str, ...]:
    """The record's equivalence class: its quasi-identifiers as text (a list joined as CSV writes it)."""
    return tuple(
        ";".join(value) if isinstance(value, list) else str(value)
        for value in map(record.get, QUASI_IDENTIFIERS)
    )


def _small(records: Sequence[dict[str, Any]], k: int) -> list[bool]:
    sizes = Counter(map(quasi_key, records))
    return [sizes[quasi_key(record)] < k for record in records]


@dataclass(frozen=True)
class Deidentified:
    records: list[dict[str, Any]]
    generalized: int  # released records with at least one quasi-identifier recoded
    withheld: int  # records left out: still in a class smaller than k at the level taken
    steps: list[str]  # the ladder's steps applied, in order


def deidentify(records: Sequence[dict[str, Any]], k: int) -> Deidentified:
    original = [quasi_key(record) for record in records]
    current = [dict(record) for record in records]
    steps: list[str] = []
    best: tuple[int, list[dict[str, Any]], list[bool], list[str]] | None = None
    for description, field, recode in ((None, None, None), *LADDER):
        if description is not None and field is not None and recode is not None:
            current = [{**record, field: recode(record[field])} for record in current]
            steps.append(description)
        small = _small(current, k)
        if best is None or sum(small) < best[0]:  # a step that withholds no fewer is not worth its loss
            best = (sum(small), current, small, list(steps))
        if sum(small) <= MAX_WITHHELD_SHARE * len(current):
            break
    assert best is not None
    withheld, chosen, hidden, taken = best
    kept = [(record, before) for record, before, out in zip(chosen, original, hidden, strict=True) if not out]
    return Deidentified(
        records=sorted((record for record, _ in kept), key=_order),
        generalized=sum(quasi_key(record) != before for record, before in kept),
        withheld=withheld,
        steps=taken,
    )


def _order(record: dict[str, Any]) -> tuple[str, ...]:
    """Released in the order of their values, never of the cases' creation (which a case list would show)."""
    return tuple(
        ";".join(value) if isinstance(value, list) else str(value) for _, value in sorted(record.items())
    )
