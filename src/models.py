"""Every table's model, imported once so metadata (Alembic, tests) sees the whole schema."""

from src.attachments.models import Attachment, AttachmentChunk
from src.audit.models import AuditChain, AuditEvent
from src.auth.models import ApiClient, LoginFailure, Organization, RefreshToken, TokenFamily, User
from src.cases.models import Assignment, Case, Consent, Note, Person, Transition, Violation
from src.consulates.models import ConsulateJurisdiction
from src.platform.idempotency import IdempotencyRecord
from src.platform.session import Base
from src.redress.models import LegalInstrument, RedressAction
from src.referrals.models import Referral, ReferralUpdate
from src.reports.budget import ReportBudget
from src.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiClient",
    "Assignment",
    "Attachment",
    "AttachmentChunk",
    "AuditChain",
    "AuditEvent",
    "Base",
    "Case",
    "Consent",
    "ConsulateJurisdiction",
    "IdempotencyRecord",
    "LegalInstrument",
    "LoginFailure",
    "Note",
    "Organization",
    "Person",
    "RedressAction",
    "Referral",
    "ReferralUpdate",
    "RefreshToken",
    "ReportBudget",
    "TokenFamily",
    "Transition",
    "User",
    "Violation",
    "WebhookDelivery",
    "WebhookEndpoint",
]
