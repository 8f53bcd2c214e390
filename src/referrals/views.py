"""The consent-scoped case view: pure rules of what each `share` group discloses."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from src.cases.rows import age_band
from src.referrals.schemas import SharedCase, SharedPerson, SharedViolation

if TYPE_CHECKING:
    from src.cases.models import Case
    from src.cases.rows import PersonRow, ViolationRow

ALL_GROUPS = frozenset(
    {"basic", "identity", "contact", "document", "narrative", "violations", "child_details"}
)


def shared_case(
    case: Case,
    persons: Sequence[PersonRow],
    violations: Sequence[ViolationRow],
    share: Collection[str],
    today: date,
) -> SharedCase:
    groups = set(share)
    subject = persons[0]
    person: dict[str, Any] = {}
    if "basic" in groups:
        person.update(
            # From the field only, never a word of another part; not at all while the parts are a migration's
            # guess (an officer has not checked which word is the given name).
            given_name=None if subject.name_parts_inferred else subject.given_name,
            age_band=age_band(subject.birth_date, today),
            sex=subject.sex,
            citizenship=subject.citizenship,
            language=subject.language,
        )
    if "identity" in groups:
        person.update(
            full_name=subject.full_name,
            family_name=subject.family_name,
            given_name=subject.given_name,
            patronymic=subject.patronymic,
            birth_date=subject.birth_date,
        )
    if "contact" in groups:
        person.update(phone=subject.phone)
    if "document" in groups and subject.document_type and subject.document_number:
        person.update(document={"type": subject.document_type, "number": subject.document_number})
    view = SharedCase(
        reference=case.reference,
        kind=case.kind,
        occurred_country=case.occurred_country,
        subject=SharedPerson(**person),
    )
    if "narrative" in groups:
        view.summary = case.summary
    if "violations" in groups:
        view.violations = [
            SharedViolation(
                type=v.type,
                indicators=list(v.indicators),
                started_on=v.started_on,
                ended_on=v.ended_on,
                description=v.description if "narrative" in groups else None,
            )
            for v in violations
        ]
    if "child_details" in groups and case.kind == "child_return":
        view.child_details = dict(case.details)
    return view
