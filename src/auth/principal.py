"""The authenticated caller, as every service and repository receives it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from src.audit.service import Actor


@dataclass(frozen=True, slots=True)
class Principal:
    id: uuid.UUID
    kind: str  # user | client
    organization_id: uuid.UUID
    organization_kind: str
    role: str
    scopes: frozenset[str]
    session_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(self.kind, self.id, self.organization_id)

    @property
    def is_platform_admin(self) -> bool:
        """A ministry's admin runs the platform: organizations, consulates, all accounts."""
        return self.role == "admin" and self.organization_kind == "ministry"
