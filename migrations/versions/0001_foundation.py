"""foundation: identity, consulates, audit (append-only, hash-chained)

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Xid8(sa.types.UserDefinedType):  # type: ignore[type-arg]
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "xid8"


APPEND_ONLY = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("txid", Xid8(), server_default=sa.text("pg_current_xact_id()"), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_organization_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=True),
        sa.Column("resource_id", sa.UUID(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column(
            "changed_fields", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_actor_id_at", "audit_event", ["actor_id", "at"], unique=False)
    op.create_index("ix_audit_event_resource_id_at", "audit_event", ["resource_id", "at"], unique=False)
    op.create_index("ix_audit_event_txid_id", "audit_event", ["txid", "id"], unique=False)
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account_key", sa.String(length=80), nullable=False),
        sa.Column("ip", postgresql.INET(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index("ix_login_failure_account_key_at", "login_failure", ["account_key", "at"], unique=False)
    op.create_index("ix_login_failure_ip_at", "login_failure", ["ip", "at"], unique=False)
    op.create_table(
        "organization",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f("ck_organization_country")),
        sa.CheckConstraint(
            "kind IN ('ministry', 'consulate', 'partner', 'oversight')", name=op.f("ck_organization_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
    )
    op.create_index(
        "uq_organization_lower_name", "organization", [sa.literal_column("lower(name)")], unique=True
    )
    op.create_table(
        "api_client",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'supervisor', 'officer', 'partner', 'auditor')",
            name=op.f("ck_api_client_role"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_api_client_organization_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
    )
    op.create_index(op.f("ix_api_client_organization_id"), "api_client", ["organization_id"], unique=False)
    op.create_table(
        "audit_chain",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "chained_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_event.id"], name=op.f("fk_audit_chain_event_id_audit_event")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_chain_event_id")),
    )
    op.create_table(
        "consulate_jurisdiction",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("consulate_id", sa.UUID(), nullable=False),
        sa.Column("sending_country", sa.String(length=2), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.CheckConstraint(
            "region IS NULL OR starts_with(region, country || '-')",
            name=op.f("ck_consulate_jurisdiction_region_in_country"),
        ),
        sa.ForeignKeyConstraint(
            ["consulate_id"],
            ["organization.id"],
            name=op.f("fk_consulate_jurisdiction_consulate_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consulate_jurisdiction")),
    )
    op.create_index(
        op.f("ix_consulate_jurisdiction_consulate_id"),
        "consulate_jurisdiction",
        ["consulate_id"],
        unique=False,
    )
    op.create_index(
        "uq_consulate_jurisdiction_place",
        "consulate_jurisdiction",
        ["sending_country", "country", sa.literal_column("coalesce(region, '')")],
        unique=True,
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'supervisor', 'officer', 'partner', 'auditor')",
            name=op.f("ck_user_account_role"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_user_account_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
    )
    op.create_index(
        op.f("ix_user_account_organization_id"), "user_account", ["organization_id"], unique=False
    )
    op.create_index(
        "uq_user_account_lower_username", "user_account", [sa.literal_column("lower(username)")], unique=True
    )
    op.create_table(
        "token_family",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (client_id IS NULL)", name=op.f("ck_token_family_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_client.id"], name=op.f("fk_token_family_client_id_api_client")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_token_family_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_family")),
    )
    op.create_index(op.f("ix_token_family_client_id"), "token_family", ["client_id"], unique=False)
    op.create_index(op.f("ix_token_family_user_id"), "token_family", ["user_id"], unique=False)
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["token_family.id"], name=op.f("fk_refresh_token_family_id_token_family")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index(op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False)
    # Even a role with UPDATE/DELETE grants (the owner) cannot rewrite the trail without disabling triggers.
    op.execute(APPEND_ONLY)
    for table in ("audit_event", "audit_chain"):
        op.execute(
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_token_family_user_id"), table_name="token_family")
    op.drop_index(op.f("ix_token_family_client_id"), table_name="token_family")
    op.drop_table("token_family")
    op.drop_index("uq_user_account_lower_username", table_name="user_account")
    op.drop_index(op.f("ix_user_account_organization_id"), table_name="user_account")
    op.drop_table("user_account")
    op.drop_index("uq_consulate_jurisdiction_place", table_name="consulate_jurisdiction")
    op.drop_index(op.f("ix_consulate_jurisdiction_consulate_id"), table_name="consulate_jurisdiction")
    op.drop_table("consulate_jurisdiction")
    op.execute("DROP TRIGGER audit_chain_no_truncate ON audit_chain")
    op.drop_table("audit_chain")
    op.drop_index(op.f("ix_api_client_organization_id"), table_name="api_client")
    op.drop_table("api_client")
    op.drop_index("uq_organization_lower_name", table_name="organization")
    op.drop_table("organization")
    op.drop_index("ix_login_failure_ip_at", table_name="login_failure")
    op.drop_index("ix_login_failure_account_key_at", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index("ix_audit_event_txid_id", table_name="audit_event")
    op.drop_index("ix_audit_event_resource_id_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_id_at", table_name="audit_event")
    op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
    op.drop_table("audit_event")
    op.execute("DROP FUNCTION audit_append_only()")
