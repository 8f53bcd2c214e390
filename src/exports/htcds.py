"""A trafficking case as an HTCDS record (the Human Trafficking Case Data Standard, UNMigration/HTCDS), its
data dictionary, and the CSV form. Pure: the case arrives as a `CaseFacts` (repository.py) and leaves as a
flat dict of HTCDS fields with no name, document, phone, exact date or place finer than a country in it.

Field names are the standard's (prefix and name: `prs_Gender`, `vic_MethodsOfControl`); what Ukuk holds and
the standard has no field for is named `ukuk_*`, and `hte_*` (the standard's trafficking events, one per
type) is flattened to one column per event type. docs/htcds.md gives the mapping field by field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from src.cases.rows import age_band
from src.exports.deidentify import UNKNOWN
from src.reports import export

STANDARD = "HTCDS"
STANDARD_SOURCE = "https://github.com/UNMigration/HTCDS (HTCDS Field Reference.md, Field Definitions.md)"
# prs_Gender's value names in the standard.
GENDER = {"female": "Female", "male": "Male", "unknown": UNKNOWN}
# vic_MethodsOfControl's value names; Ukuk's `threatens_family` is a threat (the standard's Threats covers
# "harm or loss on the individual or another").
METHODS_OF_CONTROL = {
    "debt_bondage": "DebtBondage",
    "takes_earnings": "TakesEarnings",
    "restricts_financial_access": "RestrictsFinancialAccess",
    "threats": "Threats",
    "threatens_family": "Threats",
    "threat_of_law_enforcement": "ThreatOfLawEnforcement",
    "psychological_abuse": "PsychologicalAbuse",
    "physical_abuse": "PhysicalAbuse",
    "sexual_abuse": "SexualAbuse",
    "false_promises": "FalsePromises",
    "psychoactive_substances": "PsychoactiveSubstances",
    "restricts_movement": "RestrictsMovement",
    "restricts_medical_care": "RestrictsMedicalCare",
    "excessive_working_hours": "ExcessiveWorkingHours",
    "withholds_necessities": "WithholdsNecessities",
    "withholds_documents": "WithholdsDocuments",
    "other": "Other",
}
# Ukuk's forced begging is the standard's vic_TypeOfLabourExploitation `Begging`; no other type of
# exploitation Ukuk holds names a labour sector or a kind of sexual exploitation.
LABOUR_TYPES = {"forced_begging": "Begging"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    values: str
    source: str
    quasi_identifier: bool = False


DICTIONARY: tuple[Field, ...] = (
    Field(
        "prs_Gender",
        "Picklist",
        "Male, Female, Unknown (the standard's Transgender/NonConforming is not held)",
        "the victim's (the case's subject's) sex",
        True,
    ),
    Field(
        "ukuk_AgeBand",
        "Picklist",
        "0-4, 5-9, 10-14, 15-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+; "
        "generalized: 0-17, 18-34, 35-54, 55+; Unknown",
        "prs_Birthdate as the victim's age when the case was registered, in bands (the date is never "
        "exported)",
        True,
    ),
    Field(
        "prs_Nationality",
        "Picklist",
        "ISO 3166-1 alpha-2; generalized: an M49 sub-region (`M49:143 Central Asia`); Unknown",
        "the victim's citizenship",
        True,
    ),
    Field(
        "hte_CountryOfExploitation",
        "Picklist",
        "ISO 3166-1 alpha-2; generalized: an M49 sub-region; Unknown",
        "hte_Country of the standard's trafficking event of hte_Type Exploitation: the country of the case's "
        "place of exploitation (its region and city are never exported)",
        True,
    ),
    Field(
        "hte_CountryOfRecruitment",
        "Picklist",
        "ISO 3166-1 alpha-2; generalized: an M49 sub-region; Unknown",
        "hte_Country of the trafficking event of hte_Type Recruitment: the country of the place of "
        "recruitment",
        True,
    ),
    Field(
        "ukuk_TypeOfExploitation",
        "Multiselect Picklist",
        "Ukuk's exploitation codes (forced_labour, sexual_exploitation, child_labour, forced_marriage, "
        "servitude, forced_begging, organ_removal, other); generalized: multiple; empty: not recorded",
        "the case's types of exploitation (the standard has no field for the type itself)",
        True,
    ),
    Field(
        "ukuk_RegistrationYear",
        "Text",
        "YYYY; generalized: a five-year range YYYY-YYYY; Unknown",
        "the year the case was registered in Ukuk (UTC)",
        True,
    ),
    Field(
        "vic_MethodsOfControl",
        "Multiselect Picklist",
        ", ".join(sorted(set(METHODS_OF_CONTROL.values()))),
        "the case's means of control",
    ),
    Field(
        "vic_TypeOfLabourExploitation",
        "Multiselect Picklist",
        "Begging (the only value Ukuk can tell)",
        "forced_begging among the types of exploitation",
    ),
    Field(
        "ukuk_RecruiterRelation",
        "Picklist",
        "family, intimate_partner, friend, acquaintance, stranger, unknown; empty: not recorded",
        "the recruiter's relation to the victim (the standard has no field for it)",
    ),
    Field(
        "ukuk_TraffickingStatus",
        "Picklist",
        "possible, actual (identified); cases decided not_a_victim are not exported",
        "the case's trafficking status",
    ),
)
COLUMNS = tuple(field.name for field in DICTIONARY)


@dataclass(frozen=True)
class CaseFacts:
    """What the export reads of one trafficking case: plain values, sealed columns already opened."""

    registered_on: date
    sex: str | None
    birth_date: date | None
    citizenship: str | None
    details: dict[str, Any]


def _country(place: Any) -> str:
    country = place.get("country") if isinstance(place, dict) else None
    return country if isinstance(country, str) and len(country) == 2 else UNKNOWN


def _codes(value: Any) -> list[str]:
    return sorted({code for code in value if isinstance(code, str)}) if isinstance(value, list) else []


def record(case: CaseFacts) -> dict[str, Any]:
    """The case as an HTCDS record before de-identification (values already no finer than the export's)."""
    details = case.details
    exploitation = _codes(details.get("exploitation"))
    means = sorted(
        {
            METHODS_OF_CONTROL[code]
            for code in _codes(details.get("means_of_control"))
            if code in METHODS_OF_CONTROL
        }
    )
    relation = details.get("recruiter_relation")
    return {
        "prs_Gender": GENDER.get(case.sex or "", UNKNOWN),
        "ukuk_AgeBand": age_band(case.birth_date, case.registered_on) or UNKNOWN,
        "prs_Nationality": case.citizenship or UNKNOWN,
        "hte_CountryOfExploitation": _country(details.get("exploitation_place")),
        "hte_CountryOfRecruitment": _country(details.get("recruitment_place")),
        "ukuk_TypeOfExploitation": exploitation,
        "ukuk_RegistrationYear": str(case.registered_on.year),
        "vic_MethodsOfControl": means,
        "vic_TypeOfLabourExploitation": sorted({LABOUR_TYPES[c] for c in exploitation if c in LABOUR_TYPES}),
        "ukuk_RecruiterRelation": relation if isinstance(relation, str) else None,
        "ukuk_TraffickingStatus": details.get("trafficking_status", "possible"),
    }


def dictionary() -> list[dict[str, Any]]:
    return [
        {
            "name": field.name,
            "type": field.type,
            "values": field.values,
            "source": field.source,
            "quasi_identifier": field.quasi_identifier,
        }
        for field in DICTIONARY
    ]


def to_csv(records: Sequence[dict[str, Any]]) -> bytes:
    """RFC 4180 with a BOM (the reports' writer); a multiselect's values joined by `;`."""
    rows = [{name: ";".join(v) if isinstance(v, list) else v for name, v in r.items()} for r in records]
    return export.to_csv(COLUMNS, rows)
