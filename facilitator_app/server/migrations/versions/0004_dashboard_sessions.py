"""Dashboard: server-side sign-in sessions, and the indexes its roll-ups read through.

`dashboard_sessions` holds one row per browser sign-in: the cookie's SHA-256 (never the cookie
itself), the user's credential generation when it was issued (a password change or disable
ends it, like an API token), its CSRF token and its expiry. Three indexes serve the dashboard's
queries: rows of one entity at the practices of a cooperative, a visit's first arrival in the
mutation log (log timeliness) without reading the log's rows, and the next steps of a visit
(an expression index on the step's `visit_id` inside its JSON, one spelling per database).

Revision ID: 0004_dashboard_sessions
Revises: 0003_next_steps
Create Date: 2026-12-10
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_dashboard_sessions"
down_revision = "0003_next_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("credential_generation", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("address", sa.String(100), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_user", "dashboard_sessions", ["user_id"])
    op.create_index("ix_rows_entity_practice", "rows", ["entity", "practice_id"])
    op.create_index("ix_mutation_log_row_received", "mutation_log", ["entity", "row_id", "received_ms"])
    # A next step's visit, read out of its JSON (a visit's next-step count without reading every step).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_rows_step_visit ON rows (((data::jsonb) ->> 'visit_id'))"
                   " WHERE entity = 'next_step'")
    else:
        op.execute("CREATE INDEX ix_rows_step_visit ON rows (json_extract(data, '$.visit_id'))"
                   " WHERE entity = 'next_step'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_rows_step_visit")
    op.drop_index("ix_mutation_log_row_received", table_name="mutation_log")
    op.drop_index("ix_rows_entity_practice", table_name="rows")
    op.drop_index("ix_dashboard_sessions_user", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
