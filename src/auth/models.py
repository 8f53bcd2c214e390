"""Identity tables: organizations, users, API clients, token families, refresh tokens, login failures."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET, UUID
from sqlalchemy.orm import Mapped, mapped_column, validates

from src.auth.confusables import name_keys
from src.platform.ids import uuid7
from src.platform.session import Base, CreatedAt

ORGANIZATION_KINDS = ("ministry", "consulate", "partner", "oversight")
ROLES = ("admin", "coordinator", "supervisor", "officer", "partner", "auditor")


class Organization(CreatedAt, Base):
    __tablename__ = "organization"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    # The name's look-alike keys (src/auth/confusables.py), set with the name: no two organizations share one,
    # so a name that looks like another's is refused, by the database, even when two are created at once.
    # NULL for a row written outside the ORM, or one that 0015 found looking like an older one.
    name_skeleton_upper: Mapped[str | None] = mapped_column(Text)
    name_skeleton_lower: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(f"kind IN {ORGANIZATION_KINDS}", name="kind"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country"),
        Index("uq_organization_lower_name", func.lower(text("name")), unique=True),
        # Over md5: a key can be many times its name (a Hangul syllable is 7 code points), past what a
        # B-tree entry holds.
        Index("uq_organization_name_skeleton_upper", func.md5(text("name_skeleton_upper")), unique=True),
        Index("uq_organization_name_skeleton_lower", func.md5(text("name_skeleton_lower")), unique=True),
    )

    @validates("name")
    def _set_name_keys(self, _key: str, name: str) -> str:
        self.name_skeleton_upper, self.name_skeleton_lower = name_keys(name)
        return name


class User(CreatedAt, Base):
    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), nullable=False)

    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        Index("uq_user_account_lower_username", func.lower(text("username")), unique=True),
    )


class ApiClient(CreatedAt, Base):
    """A machine caller (partner or oversight system) using client_credentials; secret stored as SHA-256."""

    __tablename__ = "api_client"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    secret_hash: Mapped[bytes] = mapped_column(nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), nullable=False)

    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)


class TokenFamily(CreatedAt, Base):
    """A sign-in: its tokens carry its id (`sid`); revoking it ends them all."""

    __tablename__ = "token_family"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_client.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (client_id IS NULL)", name="one_subject"),)


class RefreshToken(CreatedAt, Base):
    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid7)
    family_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("token_family.id"), nullable=False, index=True)
    token_hash: Mapped[bytes] = mapped_column(nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """Failed sign-ins, counted per account key and per IP for throttling; pruned as they age out."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    account_key: Mapped[str] = mapped_column(String(80), nullable=False)
    ip: Mapped[str | None] = mapped_column(INET)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        Index("ix_login_failure_account_key_at", "account_key", "at"),
        Index("ix_login_failure_ip_at", "ip", "at"),
    )
