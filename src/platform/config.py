"""Settings read from the environment (prefix UKUK_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def to_async_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+asyncpg:// and answer the asyncpg form."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must start with postgresql:// or postgresql+asyncpg://")


def host_of(url: str) -> str:
    """The host of an http(s) URL, lowercased, without port or brackets."""
    return (urlsplit(url).hostname or "").lower()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UKUK_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".ukuk")

    # The scheme://host[:port][/prefix] clients reach the API at: Link headers are built from it plus the
    # request's path and query, never from the request's Host. Unset: the address the server is bound to
    # (development); required in production, where only its host (and allowed_hosts) may be named in Host.
    public_url: str | None = None
    # More hosts a request may name in Host in production (comma-separated; `*.example.org` for subdomains).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Unset: an embedded PostgreSQL is started in data_dir/pg (development only).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "UKUK_DATABASE_URL")
    )
    # Role the API and workers act as (SET ROLE at connect): may INSERT but never UPDATE or DELETE audit rows.
    db_app_role: str | None = "ukuk_app"
    # Connections a process keeps (opened as needed, then kept) and may open beyond them. One past the pool
    # size is closed when it comes back and opened anew next time (a server process started, signed in, its
    # caches warmed): under steady concurrency above the pool size that was one connection per few requests,
    # so the whole budget is kept instead (the same 20 at most as the old 10 + 10).
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    db_idle_in_transaction_timeout_ms: int = Field(default=30_000, ge=100)
    # Client-side limits for a network that stops answering (statement_timeout needs a server that hears):
    # connecting, and any one command; keep the second above the statement timeout.
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    db_command_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # How long a request waits for a pooled connection before it answers 503.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # DATABASE_URL leads to a transaction pooler (PgBouncer, pool_mode = transaction): every engine then
    # prepares statements under unique names and caches none, and sends only the startup parameters a pooler
    # passes on (the timeouts go on the role: docs/scaling.md). The audit sequencer needs a session of its
    # own: it refuses to run unless audit_sequencer_database_url leads to PostgreSQL directly.
    db_transaction_pooler: bool = False

    jwt_private_key: SecretStr | None = None  # PEM, EC P-256; generated into data_dir outside production
    jwt_issuer: str = "ukuk"
    jwt_audience: str = "ukuk-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=300)

    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65_536, ge=8)

    login_failure_window_seconds: int = Field(default=900, ge=1)
    login_max_failures_per_username: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=50, ge=1)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Name and document searches (GET /v1/cases?q= or ?document_number=, GET /v1/cases/{id}/duplicates) per
    # caller per minute, shared by every API process: beyond it 429 + Retry-After.
    search_max_per_minute: int = Field(default=60, ge=1, le=100_000)

    audit_sequencer_enabled: bool = True
    audit_sequencer_interval_seconds: float = Field(default=0.2, gt=0)
    audit_sequencer_batch_size: int = Field(default=1000, ge=1, le=100_000)
    audit_max_unsequenced_seconds: float = Field(default=1.0, gt=0)
    # How often a standby sequencer tries to take the lead (it takes over within this of the leader's end).
    audit_sequencer_retry_seconds: float = Field(default=0.5, gt=0, le=60)
    # Where the sequencer connects (directly, not through a transaction pooler); unset: DATABASE_URL.
    audit_sequencer_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("UKUK_SEQUENCER_DATABASE_URL", "UKUK_AUDIT_SEQUENCER_DATABASE_URL"),
    )
    # PEM Ed25519 private key signing audit checkpoints; generated into data_dir outside production.
    audit_signing_key: SecretStr | None = None

    # Webhooks: URLs resolving to loopback, private or link-local addresses are refused unless allowed.
    webhook_allow_private: bool = False
    webhook_worker_enabled: bool = True
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_response_bytes: int = Field(default=65_536, ge=1024)
    webhook_retry_for_seconds: int = Field(default=24 * 3600, ge=60)
    webhook_lease_seconds: int = Field(default=60, ge=5)
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    webhook_poll_interval_seconds: float = Field(default=0.5, gt=0)

    # Reports read their aggregates from here (a streaming replica) when set; their audit events still go to
    # DATABASE_URL, and each report states how far behind the primary the replica was.
    reports_database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("UKUK_REPORTS_DATABASE_URL", "REPORTS_DATABASE_URL")
    )
    # A pooled connection idle longer than this is pinged before use (a checkout under load pings nothing;
    # a connection found dead mid-request is dropped with the rest of the pool and the request answers 503).
    db_ping_after_idle_seconds: float = Field(default=10.0, ge=0, le=3600)

    # Deadline alerts to the owning consulate: `case.deadline_approaching` this long before a status deadline,
    # `case.overdue` once it passed; the job looks this often.
    alert_deadline_lead_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    alert_interval_seconds: float = Field(default=60.0, gt=0, le=3600)

    # Attachments (evidence): stored encrypted in chunks of this size; one file at most this large, one case's
    # files together at most the total. Uploads stream: the plaintext is never held whole nor spooled to disk.
    attachment_chunk_bytes: int = Field(default=256 * 1024, ge=4096, le=8 * 1024 * 1024)
    attachment_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1, le=4 * 1024 * 1024 * 1024)
    attachment_case_total_bytes: int = Field(default=500 * 1024 * 1024, ge=1, le=64 * 1024 * 1024 * 1024)

    # Reports hide counts below this (and enough others that none can be recovered from the totals).
    report_min_cell: int = Field(default=5, ge=1, le=1000)
    # Differential privacy of reports (docs/oversight.md): each report read spends this epsilon (a monitoring
    # report too, shared among its sections) and may create a row one case alone makes with probability at
    # most delta; an organization's reads spend at most the yearly budget in a calendar year (UTC), then 429.
    report_epsilon: float = Field(default=1.0, ge=1e-3, le=1e9)
    report_delta: float = Field(default=1e-6, gt=0, le=1e-3)
    report_epsilon_per_year: float = Field(default=20.0, gt=0, le=1e15)
    # A case report grouped finer than this is refused (422): it would be mostly hidden cells and megabytes.
    report_max_groups: int = Field(default=10_000, ge=1, le=1_000_000)
    # The HTCDS export: every combination of its quasi-identifiers occurs at least this many times.
    htcds_k: int = Field(default=5, ge=2, le=100)

    # Field encryption (AES-256-GCM): JSON {"key id": "<base64 of 32 bytes>", ...}, the id new values use,
    # and the HMAC key of the document-number blind index. Generated into data_dir outside production.
    field_keys: SecretStr | None = None
    field_key_active: str | None = None
    blind_index_key: SecretStr | None = None
    key_rotation_batch_size: int = Field(default=500, ge=1, le=10_000)

    # Retention: closed cases are anonymised this many days after closing (per kind); a child's case not
    # before every child in it is 18, a case under legal hold never.
    retention_days_abuse: int = Field(default=10 * 365, ge=30)
    retention_days_child_return: int = Field(default=10 * 365, ge=30)
    retention_days_trafficking: int = Field(default=15 * 365, ge=30)
    # Idempotent POSTs replay their first response this long; `ukuk retention run` removes older records.
    idempotency_keep_hours: int = Field(default=24, ge=1)

    log_level: str = "INFO"
    log_json: bool | None = None  # unset: JSON unless standard output is a terminal

    @field_validator("database_url", "audit_sequencer_database_url", "reports_database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        return to_async_url(value) if value else None

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.username is not None
            or parts.query
            or parts.fragment
        ):
            raise ValueError("UKUK_PUBLIC_URL must be http(s)://host[:port][/prefix], without query or user")
        _ = parts.port  # raises ValueError on a port that is not a number or out of range
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    def trusted_hosts(self) -> frozenset[str] | None:
        """The hosts a request may name (production); None: any (development and test)."""
        if not self.is_production:
            return None
        if not self.public_url:
            raise RuntimeError("UKUK_PUBLIC_URL is required in production")
        return frozenset({host_of(self.public_url), *(host.lower() for host in self.allowed_hosts)})

    def retention_days(self, kind: str) -> int:
        return int(getattr(self, f"retention_days_{kind}"))

    @property
    def is_production(self) -> bool:
        return self.env == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_problem(error: ValidationError) -> str:
    """One line per setting out of bounds: the environment variable, the rule it broke and the value it had
    (never the value of a secret), instead of a traceback."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        info = Settings.model_fields.get(field)
        alias = info.validation_alias if info is not None else None
        choices = getattr(alias, "choices", None)
        variable = str(choices[0]) if choices else f"UKUK_{field.upper()}"
        secret = info is not None and "Secret" in str(info.annotation)
        value = "(secret)" if secret else repr(problem.get("input"))
        lines.append(f"setting {variable}={value}: {problem['msg']}")
    return "\n".join(lines)


def setting_bounds(field: str) -> str:
    """The range a setting must lie in, as the README states it ("1 to 200", "at least 100", "above 0"), or
    "" for one without numeric bounds."""
    low = high = ""
    for rule in Settings.model_fields[field].metadata:
        if getattr(rule, "ge", None) is not None:
            low = f"{rule.ge}"
        elif getattr(rule, "gt", None) is not None:
            low = f"above {rule.gt}"
        if getattr(rule, "le", None) is not None:
            high = f"{rule.le}"
    if low and high:
        return f"{low} to {high}" if not low.startswith("above") else f"{low}, at most {high}"
    if low:
        return low if low.startswith("above") else f"at least {low}"
    return f"at most {high}" if high else ""
