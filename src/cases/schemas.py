"""Case request bodies: intake, changes, transitions, assignment, legal hold, notes, links."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from src.cases import examples
from src.cases.values import each_member_of, member_of
from src.platform import clock
from src.platform.schemas import (
    Code,
    CountryCode,
    InputModel,
    LongText,
    Money,
    PastDate,
    RegionCode,
    ShortText,
)

PersonRole = Annotated[Code, member_of("person_role")]
Sex = Annotated[Code, member_of("sex")]
ViolationType = Annotated[Code, member_of("violation_type")]
IntakeChannel = Annotated[Code, member_of("intake_channel")]
ConsentPurpose = Annotated[Code, member_of("consent_purpose")]
ConsentGivenBy = Annotated[Code, member_of("consent_given_by")]
IsicSection = Annotated[Code, member_of("isic_section")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,31}$")]
DocumentType = Literal["passport", "id_card", "birth_certificate", "residence_permit", "other"]
ViolationStatus = Literal["reported", "substantiated", "unsubstantiated"]
CaseKind = Literal["abuse", "child_return", "trafficking"]


class Place(InputModel):
    country: CountryCode
    region: RegionCode | None = None
    city: ShortText | None = None

    @model_validator(mode="after")
    def _region_in_country(self) -> Place:
        if self.region is not None and not self.region.startswith(self.country + "-"):
            raise ValueError("region must be an ISO 3166-2 code of the same country")
        return self


class Document(InputModel):
    type: DocumentType
    number: Annotated[str, StringConstraints(min_length=1, max_length=64)]


# Three parts of at most 60 fit the 200 characters of the derived full_name.
NamePart = Annotated[str, StringConstraints(min_length=1, max_length=60)]
# Roles a legal person may hold (an employer, a recruiting agency): named by `organization_name`.
LEGAL_PERSON_ROLES = frozenset({"employer", "recruiter", "perpetrator"})
# A child found alone, or a recruiter known by a first name only: the surname may be unknown at intake.
SURNAME_MAY_BE_UNKNOWN = frozenset({"child", "perpetrator", "recruiter", "escort"})
_NAME_PARTS_NEEDED = (
    "a person's name is given in parts: family_name and given_name, and patronymic when there is one "
    "(`full_name` is derived for display); an employer or agency takes organization_name instead"
)


class PersonIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.PERSON_IN_EXAMPLES})

    role: PersonRole
    family_name: NamePart | None = Field(
        default=None,
        description="Surname as in the person's documents. May be absent when the patronymic stands in "
        "its place (Azamat Bakyt uulu).",
        examples=["Асанов"],
    )
    given_name: NamePart | None = Field(
        default=None,
        description="The only part of the name a partner's `basic` share may disclose.",
        examples=["Бакыт"],
    )
    patronymic: NamePart | None = Field(
        default=None,
        description="Father's name form: Жумабекович, Бакыт уулу, Bakyt kyzy, Alisher o'g'li.",
        examples=["Жумабекович"],
    )
    organization_name: ShortText | None = Field(
        default=None,
        description="For a legal person (roles employer, recruiter, perpetrator) instead of name parts.",
    )
    birth_date: PastDate | None = None
    sex: Sex | None = None
    citizenship: CountryCode | None = None
    document: Document | None = None
    phone: Phone | None = None
    language: Language | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_whole_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "full_name" in data:
            raise ValueError(_NAME_PARTS_NEEDED)
        return data

    @model_validator(mode="after")
    def _natural_or_legal(self) -> PersonIn:
        parts = (self.family_name, self.given_name, self.patronymic)
        if self.organization_name is not None:
            if self.role not in LEGAL_PERSON_ROLES:
                raise ValueError(f"only an {', '.join(sorted(LEGAL_PERSON_ROLES))} may be an organization")
            if any(p is not None for p in parts):
                raise ValueError("an organization has organization_name and no name parts")
            return self
        if self.given_name is None:
            raise ValueError(_NAME_PARTS_NEEDED)
        if self.family_name is None and self.patronymic is None and self.role not in SURNAME_MAY_BE_UNKNOWN:
            raise ValueError("a person needs a family_name (or a patronymic standing in its place)")
        return self

    @property
    def is_organization(self) -> bool:
        return self.organization_name is not None


class ViolationIn(InputModel):
    type: ViolationType
    indicators: Annotated[list[Code], Field(max_length=20), each_member_of("ilo_indicator")] = []
    started_on: PastDate | None = None
    ended_on: PastDate | None = None
    location: ShortText | None = None
    description: LongText | None = None
    status: ViolationStatus = "reported"
    perpetrator: Annotated[
        int | None, Field(ge=0, le=49, description="Index in `persons` of the perpetrator")
    ] = None

    @model_validator(mode="after")
    def _period(self) -> ViolationIn:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class PersonPatch(InputModel):
    """Parts of a person to correct; the person as corrected must still be a valid `PersonIn`. A name part
    sent as null is removed. Correcting any name part confirms the parts (`name_parts_inferred` false)."""

    model_config = ConfigDict(json_schema_extra={"examples": examples.PERSON_PATCH_EXAMPLES})

    role: PersonRole | None = None
    family_name: NamePart | None = None
    given_name: NamePart | None = None
    patronymic: NamePart | None = None
    organization_name: ShortText | None = None
    birth_date: PastDate | None = None
    sex: Sex | None = None
    citizenship: CountryCode | None = None
    document: Document | None = None
    phone: Phone | None = None
    language: Language | None = None


class ViolationChange(InputModel):
    """A violation added after intake: the perpetrator is named by the person's id in this case."""

    model_config = ConfigDict(json_schema_extra={"examples": examples.VIOLATION_CHANGE_EXAMPLES})

    type: ViolationType
    indicators: Annotated[list[Code], Field(max_length=20), each_member_of("ilo_indicator")] = []
    started_on: PastDate | None = None
    ended_on: PastDate | None = None
    location: ShortText | None = None
    description: LongText | None = None
    status: ViolationStatus = "reported"
    perpetrator_id: uuid.UUID | None = Field(default=None, description="A person of this case")

    @model_validator(mode="after")
    def _period(self) -> ViolationChange:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class ViolationPatch(InputModel):
    """Parts of a violation to correct; the violation as corrected must still be valid."""

    model_config = ConfigDict(json_schema_extra={"examples": examples.VIOLATION_PATCH_EXAMPLES})

    type: ViolationType | None = None
    indicators: Annotated[list[Code], Field(max_length=20), each_member_of("ilo_indicator")] | None = None
    started_on: PastDate | None = None
    ended_on: PastDate | None = None
    location: ShortText | None = None
    description: LongText | None = None
    status: ViolationStatus | None = None
    perpetrator_id: uuid.UUID | None = None


class ConsentIn(InputModel):
    purposes: Annotated[
        list[ConsentPurpose], Field(min_length=1, max_length=4), each_member_of("consent_purpose")
    ]
    given_by: ConsentGivenBy
    given_on: PastDate


ConsentMethod = Literal["signed_form", "oral_with_witness", "electronic"]


class ConsentRecordIn(InputModel):
    """Consent given or withdrawn, for each of `purposes`, by whom, when and how."""

    model_config = ConfigDict(json_schema_extra={"examples": examples.CONSENT_RECORD_IN_EXAMPLES})

    action: Literal["given", "withdrawn"]
    purposes: Annotated[
        list[ConsentPurpose], Field(min_length=1, max_length=4), each_member_of("consent_purpose")
    ]
    given_by: ConsentGivenBy = Field(description="Who gave (or withdrew) it: the subject, a guardian, ...")
    on: PastDate = Field(description="When it was given or withdrawn.")
    method: ConsentMethod
    note: ShortText | None = None


class Employer(InputModel):
    name: ShortText | None = None
    sector: IsicSection | None = None


class AbuseDetails(InputModel):
    employer: Employer | None = None
    wages_owed: Money | None = None
    documents_withheld: bool = False


class Placement(InputModel):
    type: Literal["shelter", "foster_family", "hospital", "police", "relatives", "other"]
    name: ShortText | None = None
    since: PastDate | None = None


class Guardian(InputModel):
    full_name: ShortText
    relation: Literal["parent", "grandparent", "sibling", "other_relative", "legal_guardian", "other"]
    phone: Phone | None = None


class ChildReturnDetails(InputModel):
    current_placement: Placement | None = None
    guardian_in_origin: Guardian | None = None
    costs: Money | None = None


class ReflectionPeriod(InputModel):
    start_on: date
    end_on: date | None = None

    @model_validator(mode="after")
    def _order(self) -> ReflectionPeriod:
        if self.end_on is not None and self.end_on < self.start_on:
            raise ValueError("end_on is before start_on")
        return self


class TraffickingDetails(InputModel):
    trafficking_status: Annotated[Code, member_of("trafficking_status")] = "possible"
    decided_by: Annotated[Code, member_of("trafficking_decided_by")] | None = None
    exploitation: Annotated[list[Code], Field(max_length=8), each_member_of("exploitation")] = []
    means_of_control: Annotated[list[Code], Field(max_length=17), each_member_of("means_of_control")] = []
    recruiter_relation: Annotated[Code, member_of("recruiter_relation")] | None = None
    recruitment_place: Place | None = None
    exploitation_place: Place | None = None
    reflection_period: ReflectionPeriod | None = None


DETAILS_BY_KIND: dict[str, type[InputModel]] = {
    "abuse": AbuseDetails,
    "child_return": ChildReturnDetails,
    "trafficking": TraffickingDetails,
}
CHILD_CONSENT = frozenset({"parent_or_guardian", "best_interests_authority"})


def is_minor(birth_date: date | None, today: date) -> bool:
    if birth_date is None:
        return False
    return (
        today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    ) < 18


class CaseCreate(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.CASE_CREATE_EXAMPLES})

    kind: CaseKind
    summary: LongText
    intake_channel: IntakeChannel
    occurred: Place
    subject: PersonIn
    persons: Annotated[list[PersonIn], Field(max_length=50)] = []
    violations: Annotated[list[ViolationIn], Field(max_length=100)] = []
    consent: ConsentIn | None = None
    details: dict[str, Any] = {}
    owner_organization_id: uuid.UUID | None = Field(
        default=None, description="Ministry callers only: the consulate that owns the case (default: routed)."
    )

    @model_validator(mode="after")
    def _rules_of_the_kind(self) -> CaseCreate:
        self.details = DETAILS_BY_KIND[self.kind].model_validate(self.details).model_dump(mode="json")
        for violation in self.violations:
            if violation.perpetrator is not None and violation.perpetrator >= len(self.persons):
                raise ValueError("violation perpetrator points past the persons list")
        if self.subject.is_organization:
            raise ValueError("the subject of a case is a natural person, with name parts")
        child = self.kind == "child_return" or is_minor(self.subject.birth_date, clock.utcnow().date())
        if self.kind == "child_return" and self.subject.role != "child":
            raise ValueError("a child_return case's subject has the role 'child'")
        if child and self.consent is not None and self.consent.given_by not in CHILD_CONSENT:
            raise ValueError(
                "a child's consent is given by a parent or guardian, or a best-interests authority"
            )
        return self


class CasePatch(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.CASE_PATCH_EXAMPLES})

    summary: LongText | None = None
    intake_channel: IntakeChannel | None = None
    occurred: Place | None = None
    details: dict[str, Any] | None = None


class TransitionIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.TRANSITION_IN_EXAMPLES})

    to: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class LegalHoldIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.LEGAL_HOLD_IN_EXAMPLES})

    hold: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        default=None, description="The legal basis (court order, pending claim); required to place a hold."
    )

    @model_validator(mode="after")
    def _reason_with_hold(self) -> LegalHoldIn:
        if self.hold and not self.reason:
            raise ValueError("a legal hold needs a reason")
        return self


class AssignIn(InputModel):
    # No `{"assignee_id": null}` (unassign) example: FastAPI drops nulls from the spec it serves.
    model_config = ConfigDict(json_schema_extra={"examples": examples.ASSIGN_IN_EXAMPLES})

    assignee_id: uuid.UUID | None


class NoteIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.NOTE_IN_EXAMPLES})

    body: LongText


LinkType = Literal["duplicate", "related", "sibling", "same_perpetrator"]


class LinkIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.LINK_IN_EXAMPLES})

    case_id: uuid.UUID = Field(description="The other case.")
    type: LinkType


class TransferIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.TRANSFER_IN_EXAMPLES})

    to_organization_id: uuid.UUID = Field(description="Another consulate of the same state.")
    reason: LongText


class TransferDecisionIn(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": examples.TRANSFER_DECISION_IN_EXAMPLES})

    note: ShortText | None = None
