"""Referral bodies and the consent-scoped case view a recipient gets."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from src.cases.schemas import CaseCreate
from src.cases.values import each_member_of
from src.platform.schemas import Code, InputModel, OutputModel

Urgency = Literal["low", "normal", "high", "emergency"]
Note = Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class ConsentException(InputModel):
    legal_basis: Annotated[str, StringConstraints(min_length=10, max_length=500)] = Field(
        description="Why the referral goes ahead without consent, e.g. the law on a child's best interests."
    )


class ReferralCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to_organization_id": "01938f2e-6c3d-7e5f-a071-8c9d0e1f2a3b",
                    "services": ["legal_aid", "shelter"],
                    "urgency": "high",
                    "reason": "Нужна помощь юриста с иском о зарплате и временное жильё в Москве.",
                    "share": ["basic", "contact", "narrative", "violations"],
                    "evidence": ["0193a1f2-4d5e-7f60-9a7b-8c9d0e1f2a3b"],
                    "due_on": "2027-01-15",
                }
            ]
        }
    )

    to_organization_id: uuid.UUID
    services: Annotated[list[Code], Field(min_length=1, max_length=12), each_member_of("service")]
    urgency: Urgency = "normal"
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    share: Annotated[list[Code], Field(min_length=1, max_length=7), each_member_of("share_group")]
    evidence: Annotated[list[uuid.UUID], Field(max_length=50)] = Field(
        default_factory=list,
        description="Attachments of the case the recipient may list and download while the referral is open "
        "and consent holds (GET /v1/referrals/{id}/attachments).",
    )
    due_on: date | None = None
    consent_exception: ConsentException | None = None


class InboundReferralCreate(CaseCreate):
    """A partner's referral of a new case: an intake routed to the consulate of the subject's citizenship that
    covers `occurred`, plus what the partner asks for."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "abuse",
                    "summary": "Работодатель в Екатеринбурге удерживает паспорт заявителя "
                    "и не платит ему два месяца.",
                    "intake_channel": "partner_referral",
                    "occurred": {"country": "RU", "region": "RU-SVE", "city": "Екатеринбург"},
                    "subject": {
                        "role": "subject",
                        "family_name": "Исаев",
                        "given_name": "Бакыт",
                        "patronymic": "Жумабекович",
                        "birth_date": "1998-06-02",
                        "sex": "male",
                        "citizenship": "KG",
                        "document": {"type": "passport", "number": "AC7654321"},
                        "phone": "+7 922 111-22-33",
                        "language": "ky",
                    },
                    "violations": [
                        {
                            "type": "passport_confiscation",
                            "indicators": ["retention_of_documents"],
                            "location": "г. Екатеринбург, ул. Малышева, д. 36",
                        }
                    ],
                    "consent": {
                        "purposes": ["case_management", "referral", "partner_data_sharing"],
                        "given_by": "self",
                        "given_on": "2026-11-24",
                    },
                    "services": ["documentation", "legal_aid"],
                    "urgency": "high",
                    "reason": "Нужна справка консульства для восстановления паспорта.",
                }
            ]
        }
    )

    intake_channel: Code = "partner_referral"
    services: Annotated[list[Code], Field(min_length=1, max_length=12), each_member_of("service")]
    urgency: Urgency = "normal"
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5000)] | None = None

    @model_validator(mode="after")
    def _inbound_rules(self) -> InboundReferralCreate:
        if self.intake_channel != "partner_referral":
            raise ValueError("an inbound referral's intake_channel is partner_referral")
        if self.owner_organization_id is not None:
            raise ValueError("the owner of an inbound referral is found by routing")
        if self.subject.citizenship is None:
            raise ValueError("the subject's citizenship is needed to route the referral to a consulate")
        return self


class ReferralAction(InputModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Юрист центра «Ынтымак» ведёт дело с 25.11.2026."}]}
    )

    note: Note | None = None


class ReferralUpdateIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "body": "Юрист встретился с Айгүл Токтогуловой; претензия работодателю "
                    "направлена 25.11.2026."
                }
            ]
        }
    )

    body: Note


class SharedPerson(OutputModel):
    given_name: str | None = Field(
        default=None, description="`basic`: the given name as entered (never another part of the name)."
    )
    age_band: str | None = None
    sex: str | None = None
    citizenship: str | None = None
    language: str | None = None
    full_name: str | None = None
    family_name: str | None = None
    patronymic: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    document: dict[str, str] | None = None


class SharedViolation(OutputModel):
    type: str
    indicators: list[str]
    started_on: date | None = None
    ended_on: date | None = None
    description: str | None = None


class SharedCase(OutputModel):
    """What the referral's `share` groups disclose, nothing more (absent fields are omitted)."""

    reference: str
    kind: str
    occurred_country: str
    subject: SharedPerson
    summary: str | None = None
    violations: list[SharedViolation] | None = None
    child_details: dict[str, Any] | None = None


_REFERRAL_EXAMPLE: dict[str, Any] = {
    "id": "0193a2f1-6a7b-7c80-9d9e-0f1a2b3c4d5e",
    "case_id": "0193a1c4-2b3d-7e4f-8a5b-6c7d8e9f0a1b",
    "reference": "ABU-2026-000042",
    "from_organization_id": "01938f2e-4a1b-7c3d-8e5f-6a7b8c9d0e1f",
    "to_organization_id": "01938f2e-6c3d-7e5f-a071-8c9d0e1f2a3b",
    "services": ["legal_aid", "shelter"],
    "urgency": "high",
    "reason": "Нужна помощь юриста с иском о зарплате и временное жильё в Москве.",
    "share": ["basic", "contact", "narrative", "violations"],
    "evidence": ["0193a1f2-4d5e-7f60-9a7b-8c9d0e1f2a3b"],
    "due_on": "2027-01-15",
    "status": "pending",
    "consent_exception": False,
    "created_at": "2026-11-21T15:00:00Z",
    "updated_at": "2026-11-21T15:00:00Z",
    "consent_withdrawn": False,
}


class ReferralRead(OutputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REFERRAL_EXAMPLE]})

    id: uuid.UUID
    case_id: uuid.UUID | None = Field(
        default=None,
        description="Only the sender's own case id (absent for recipients: they work by referral).",
    )
    reference: str | None = Field(
        default=None,
        description="The case's reference, where the referral's case view shows it: to the sender that owns "
        "the case, and to the recipient while the referral is open.",
    )
    from_organization_id: uuid.UUID
    to_organization_id: uuid.UUID
    services: list[str]
    urgency: str
    reason: str
    share: list[str]
    evidence: list[uuid.UUID] = Field(default_factory=list, description="The attachments shared.")
    due_on: date | None = None
    status: str
    status_note: str | None = None
    consent_exception: bool
    created_at: datetime
    updated_at: datetime
    case: SharedCase | None = None
    consent_withdrawn: bool = Field(
        default=False,
        description="The person withdrew consent to refer or share: the recipient sees no case data.",
    )


class ReferralUpdateRead(OutputModel):
    id: uuid.UUID
    author_organization_id: uuid.UUID
    kind: str
    body: str | None = None
    created_at: datetime


class ReferralExport(ReferralRead):
    """A referral in its case's export: `case` is what the other side was shown (see `inbound`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_REFERRAL_EXAMPLE,
                    "inbound": False,
                    "updates": [
                        {
                            "id": "0193a2f1-6a7c-7d90-8eaf-1a2b3c4d5e6f",
                            "author_organization_id": "01938f2e-4a1b-7c3d-8e5f-6a7b8c9d0e1f",
                            "kind": "created",
                            "body": None,
                            "created_at": "2026-11-21T15:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    inbound: bool = Field(description="Sent by a partner: `case` is the snapshot it submitted.")
    updates: list[ReferralUpdateRead]
