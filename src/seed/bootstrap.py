"""First administrator (CLI `create-admin`), written through the same models and audit as the API."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from src.audit import service as audit
from src.auth.models import Organization, User
from src.auth.passwords import hash_password
from src.auth.schemas import UserCreate
from src.platform.config import Settings
from src.platform.session import create_engine, create_sessionmaker


async def create_admin(
    settings: Settings, *, username: str, password: str, organization: str, country: str
) -> uuid.UUID:
    try:
        UserCreate.model_validate(
            {"username": username, "password": password, "organization_id": uuid.uuid4(), "role": "admin"}
        )
    except ValueError as exc:
        raise ValueError(
            str(exc).splitlines()[0] + ": username 3-64 of a-z 0-9 . _ -, password 12-128"
        ) from exc
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            taken = await session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
            if taken is not None:
                raise ValueError(f"the username {username!r} is taken")
            ministry = await session.scalar(
                select(Organization)
                .where(Organization.kind == "ministry", Organization.country == country)
                .order_by(Organization.created_at)
                .limit(1)
            )
            if ministry is None:
                ministry = Organization(name=organization, kind="ministry", country=country)
                session.add(ministry)
                await session.flush()
                await audit.record(
                    session,
                    audit.SYSTEM,
                    "organization.create",
                    resource_type="organization",
                    resource_id=ministry.id,
                    changed_fields=("name", "kind", "country"),
                )
            user = User(
                username=username,
                password_hash=await hash_password(settings, password),
                organization_id=ministry.id,
                role="admin",
            )
            session.add(user)
            await session.flush()
            await audit.record(
                session,
                audit.SYSTEM,
                "user.create",
                resource_type="user",
                resource_id=user.id,
                changed_fields=("username", "password", "organization_id", "role"),
            )
            return user.id
    finally:
        await engine.dispose()
