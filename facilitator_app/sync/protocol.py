"""The sync protocol's message shapes, defined once and used by the client and the server.

Replicache-style push/pull (see docs/architecture.md): the client numbers its mutations, the
server stamps every row it writes with a version from one counter, and pulls are incremental by
that version. This module imports neither FastAPI, SQLAlchemy nor requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.kinds import EntityName, Outcome

# 2: next steps are records of their own (entity next_step) and a visit's notes are split in
# practice_notes / private_notes; a protocol-1 app would not understand what it pulls.
# 3: records of the cooperative (tip, tip_mark) and of one person (diary_entry), whose
# practice_id is a scope key ("~coop:<n>", "~user:<n>"), not a practice. A protocol-2 app still
# syncs its practices; it is sent none of these.
PROTOCOL_VERSION = 3
OLDEST_PROTOCOL = 2
SHARED_SCOPES_PROTOCOL = 3  # the first app sent tips, marks and diary entries
MAX_MUTATIONS_PER_PUSH = 500
MAX_PUSH_BYTES = 5 * 1024 * 1024
DEFAULT_PULL_LIMIT = 1000
MAX_PULL_LIMIT = 5000

Role = Literal["facilitator", "supervisor", "admin"]


class Shape(BaseModel):
    """Unknown fields are refused, so a typo in a client or a test fails loudly."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """What the server sends back. A newer server may add fields; an app of this version ignores
    them instead of refusing the whole answer (an app that cannot read the sign-in answer could
    not even be told to update)."""

    model_config = ConfigDict(extra="ignore")


class PutArgs(Shape):
    """Set some fields of one row. `base` holds, per field, the clock of the value the user saw
    (None for a new row); the server records a conflict when it differs from the current one."""

    entity: EntityName
    id: str = Field(min_length=1, max_length=200)
    practice_id: str = Field(min_length=1, max_length=200)
    fields: dict[str, Any]
    base: dict[str, str | None] = Field(default_factory=dict)


class Mutation(Shape):
    id: int = Field(ge=1, description="Client-numbered, strictly increasing per client_id")
    uuid: str = Field(min_length=1, max_length=64)
    name: Literal["put"]
    hlc: str = Field(min_length=1, max_length=120, description="Hybrid logical clock of the edit")
    args: PutArgs


class PushRequest(Shape):
    protocol: int
    client_id: str = Field(min_length=1, max_length=64)
    mutations: list[Mutation]


class MutationResult(Reply):
    id: int
    outcome: Outcome
    reason: str | None = None


class PushResponse(Reply):
    last_mutation_id: int
    server_hlc: str
    results: list[MutationResult]


class PullRequest(Shape):
    protocol: int
    client_id: str = Field(min_length=1, max_length=64)
    cursor: int = Field(ge=0)
    scope_epoch: int | None = None
    limit: int = Field(default=DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT)


class RowChange(Reply):
    """The full current state of one row, with the clock of every field."""

    entity: EntityName
    id: str
    practice_id: str
    version: int
    fields: dict[str, Any]
    clocks: dict[str, str] = Field(description='Field -> clock of its value; "*" is the clock of every field not listed')
    deleted: bool = False
    author: str = ""


class PullResponse(Reply):
    cursor: int
    has_more: bool
    last_mutation_id: int
    server_hlc: str
    scope_epoch: int
    toolkit_version: str | None = None
    changes: list[RowChange]


class ToolkitDocument(Reply):
    version: str
    document: dict[str, Any]


class TokenRequest(Shape):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class UserInfo(Reply):
    name: str
    role: Role
    cooperative: str | None = None
    full_name: str = Field(default="", description="As the data team entered it; prefills the app's profile")
    email: str = ""


class TokenResponse(Reply):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserInfo


ErrorCode = Literal[
    "client_reset", "reset", "protocol_mismatch", "too_large", "invalid", "unauthorized", "forbidden",
    "rate_limited", "not_found", "unavailable", "internal",
]


class ErrorBody(Reply):
    """Every 4xx/5xx body: a machine code and a sentence a person can act on."""

    error: ErrorCode
    message: str
    detail: Any = None


# -- server status and supervisor reports (added with the central server) -------------------

class HealthStatus(Reply):
    status: Literal["ok"]
    database: Literal["ok"]


class VersionInfo(Reply):
    app: str
    protocol: int
    schema_revision: str


# The supervisor report's shape is the roll-up dataclass itself (FastAPI and pydantic accept
# dataclasses), so the numbers the GUI computes and the ones the server sends cannot drift apart.
from ..core.intensity import FacilitatorIntensity, IntensityReport, ModeTotals, PracticeIntensity  # noqa: E402, F401
