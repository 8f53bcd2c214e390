"""Identity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, ConfigDict, Field, StringConstraints, field_validator

from src.platform.schemas import CountryCode, InputModel, Name, OutputModel

OrganizationKind = Literal["ministry", "consulate", "partner", "oversight"]
Role = Literal["admin", "coordinator", "supervisor", "officer", "partner", "auditor"]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


class TokenResponse(OutputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzIn0.c2lnbmF0dXJl",
                    "token_type": "Bearer",
                    "expires_in": 900,
                    "refresh_token": "r1_9mQ2vT8xK4pL7nB3cZ6wE1yH5jF0sD",
                    "scope": "cases:read cases:write referrals:read referrals:write",
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int
    refresh_token: str | None
    scope: str


class Me(OutputModel):
    id: uuid.UUID
    username: str | None
    organization_id: uuid.UUID
    role: Role
    scopes: list[str]


class OrganizationCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Ресурсный центр для мигрантов «Ынтымак»", "kind": "partner", "country": "RU"}
            ]
        }
    )

    name: Name
    kind: OrganizationKind
    country: CountryCode


class OrganizationRead(OutputModel):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    country: str


class UserCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "aigul.toktogulova",
                    "password": "Ала-Тоо-кок-жар-2026",
                    "organization_id": "01938f2e-4a1b-7c3d-8e5f-6a7b8c9d0e1f",
                    "role": "officer",
                }
            ]
        }
    )

    username: Username
    password: Annotated[str, Field(min_length=12, max_length=128)]
    organization_id: uuid.UUID
    role: Role

    @field_validator("password")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(set(value)) < 4:
            raise ValueError("password is too simple")
        return value


class UserRead(OutputModel):
    id: uuid.UUID
    username: str
    organization_id: uuid.UUID
    role: Role
    is_active: bool
    created_at: datetime


class ClientCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "CRM центра «Ынтымак»",
                    "organization_id": "01938f2e-6c3d-7e5f-a071-8c9d0e1f2a3b",
                    "role": "partner",
                }
            ]
        }
    )

    name: Name
    organization_id: uuid.UUID
    role: Role


class ClientRead(OutputModel):
    client_id: uuid.UUID = Field(validation_alias=AliasChoices("client_id", "id"))
    name: str
    organization_id: uuid.UUID
    role: Role
    is_active: bool
    created_at: datetime


class ClientCreated(ClientRead):
    client_secret: str = Field(description="Shown once; only its hash is stored.")
