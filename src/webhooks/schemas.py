"""Webhook bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from src.platform.schemas import InputModel, OutputModel

EVENTS = (
    "referral.created",
    "referral.accepted",
    "referral.declined",
    "referral.updated",
    "referral.completed",
    "referral.withdrawn",
    "referral.expired",
    "referral.consent_withdrawn",
    "transfer.requested",
    "transfer.declined",
    "case.transferred",
    "case.assigned",
    "case.deadline_approaching",
    "case.overdue",
    "referral.received",
)
Event = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookConfig(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.yntymak.example.org/hooks/ukuk",
                    "events": [
                        "referral.created",
                        "referral.withdrawn",
                        "referral.consent_withdrawn",
                        "referral.expired",
                    ],
                }
            ]
        }
    )

    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    events: Annotated[list[Event], Field(min_length=1, max_length=len(EVENTS))]

    @field_validator("events")
    @classmethod
    def _unique(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            raise ValueError("an event is repeated")
        return events


class WebhookRead(OutputModel):
    organization_id: uuid.UUID
    url: str
    events: list[str]
    is_active: bool
    disabled_reason: str | None = None
    previous_secret_expires_at: datetime | None = None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Shown once: verify `webhook-signature` with it (Standard Webhooks).")


class DeliveryRead(OutputModel):
    id: uuid.UUID
    webhook_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
