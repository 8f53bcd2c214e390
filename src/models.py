"""Every table's model, imported once so metadata (Alembic, tests) sees the whole schema."""

from src.audit.models import AuditChain, AuditEvent
from src.auth.models import ApiClient, LoginFailure, Organization, RefreshToken, TokenFamily, User
from src.consulates.models import ConsulateJurisdiction
from src.db import Base

__all__ = [
    "ApiClient",
    "AuditChain",
    "AuditEvent",
    "Base",
    "ConsulateJurisdiction",
    "LoginFailure",
    "Organization",
    "RefreshToken",
    "TokenFamily",
    "User",
]
