"""Identity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, StringConstraints, field_validator

from src.platform.schemas import CountryCode, InputModel, Name, OutputModel

OrganizationKind = Literal["ministry", "consulate", "partner", "oversight"]
Role = Literal["admin", "coordinator", "supervisor", "officer", "partner", "auditor"]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


class TokenResponse(OutputModel):
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
    name: Name
    kind: OrganizationKind
    country: CountryCode


class OrganizationRead(OutputModel):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    country: str


class UserCreate(InputModel):
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
