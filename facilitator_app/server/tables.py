"""Every server table, as SQLAlchemy Core `Table`s in one place (Alembic migrations mirror it).

Synced records live in one generic `rows` table keyed by (entity, id): the merge works field by
field on JSON data with a clock per field, so one table serves every entity and a new field in
the domain model needs no server migration. Times are integer milliseconds since the epoch (UTC)
so they compare the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

cooperatives = Table(
    "cooperatives", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_ms", BigInteger, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("cooperative_id", Integer, ForeignKey("cooperatives.id"), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # Bumped whenever the user's assignments change: clients pulling with an older epoch get
    # 409 reset, because rows newly in scope carry versions below their cursor.
    Column("scope_epoch", Integer, nullable=False, default=1),
    Column("created_ms", BigInteger, nullable=False),
    # Bumped by a password change and by disabling: a token is valid only while it carries the
    # user's current generation, so `user enable` does not bring back tokens `disable` stopped.
    Column("credential_generation", Integer, nullable=False, default=1, server_default="1"),
    Column("full_name", String(200), nullable=True),  # shown in reports, prefills the app's profile
    Column("email", String(254), nullable=True),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the token itself is never stored
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("credential_generation", Integer, nullable=False, default=1, server_default="1"),  # the user's, when issued
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False),
    Column("address", String(100), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_login_attempts_user", "username", "at_ms"),
    Index("ix_login_attempts_address", "address", "at_ms"),
)

practices = Table(
    "practices", metadata,
    Column("id", String(200), primary_key=True),
    Column("cooperative_id", Integer, ForeignKey("cooperatives.id"), nullable=False, index=True),
    Column("created_by", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("practice_id", String(200), ForeignKey("practices.id"), primary_key=True),
    Column("assigned_ms", BigInteger, nullable=False),
    Index("ix_assignments_practice", "practice_id"),
)

rows = Table(
    "rows", metadata,
    Column("entity", String(40), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("practice_id", String(200), nullable=False),
    Column("data", Text, nullable=False),     # JSON: the codec record, every field
    Column("clocks", Text, nullable=False),   # JSON: field -> HLC of its current value
    Column("deleted", Boolean, nullable=False, default=False),
    Column("author", String(200), nullable=False),  # the user who created the row
    Column("editors", Text, nullable=False),  # JSON: field -> user who wrote its current value
    Column("sv", BigInteger, nullable=False),  # server version of the last write
    Index("ix_rows_sv", "sv"),
    Index("ix_rows_practice_sv", "practice_id", "sv"),
    Index("ix_rows_entity_practice", "entity", "practice_id"),  # the dashboard's roll-ups
)

# One row (id = 1). Every push transaction bumps it first, so version order is commit order.
counter = Table(
    "counter", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
)

clients = Table(
    "clients", metadata,
    Column("client_id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("last_mutation_id", BigInteger, nullable=False, default=0),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
)

# Append-only: every mutation ever processed, with the value sent, winners, losers and rejects.
mutation_log = Table(
    "mutation_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False),
    Column("mutation_id", BigInteger, nullable=False),
    Column("uuid", String(64), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("sv", BigInteger, nullable=False),
    Column("hlc", String(120), nullable=False),
    Column("clamped_from", String(120), nullable=True),
    Column("entity", String(40), nullable=False),
    Column("row_id", String(200), nullable=False),
    Column("practice_id", String(200), nullable=False),
    Column("args", Text, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("received_ms", BigInteger, nullable=False),
    UniqueConstraint("client_id", "mutation_id", name="uq_mutation_log_client_mutation"),
    Index("ix_mutation_log_row", "entity", "row_id"),
    Index("ix_mutation_log_row_received", "entity", "row_id", "received_ms"),  # a visit's first arrival
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sv", BigInteger, nullable=False),
    Column("mutation_log_id", Integer, nullable=False),
    Column("entity", String(40), nullable=False),
    Column("row_id", String(200), nullable=False),
    Column("practice_id", String(200), nullable=False, index=True),
    Column("field", String(100), nullable=False),
    Column("base_clock", String(120), nullable=True),
    Column("winner_value", Text, nullable=True),
    Column("winner_author", String(200), nullable=False),
    Column("winner_clock", String(120), nullable=False),
    Column("loser_value", Text, nullable=True),
    Column("loser_author", String(200), nullable=False),
    Column("loser_clock", String(120), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

toolkits = Table(
    "toolkits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cooperative_id", Integer, ForeignKey("cooperatives.id"), nullable=False),
    Column("version", String(100), nullable=False),
    Column("document", Text, nullable=False),
    Column("published_ms", BigInteger, nullable=False),
    Column("published_by", String(200), nullable=False),
    UniqueConstraint("cooperative_id", "version", name="uq_toolkits_coop_version"),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("detail", Text, nullable=False),
)

# One row per dashboard sign-in (a browser session). The cookie holds a random value; only its
# SHA-256 is stored. Like a token, a session is valid only while it carries the user's current
# credential generation, and `token revoke` ends it.
dashboard_sessions = Table(
    "dashboard_sessions", metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("credential_generation", Integer, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False, server_default=false()),
    Column("address", String(100), nullable=False),
    Index("ix_dashboard_sessions_user", "user_id"),
)
