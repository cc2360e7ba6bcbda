"""The local SQLite store: schema and migrations, edits with their outbox rows, and queries.

Nothing here imports Qt; the GUI, the CLI, the sync engine and the tests all call `Store`.
"""

from .db import MigrationError, NewerSchemaError, StoreOpenError
from .store import Changes, Store

__all__ = ["Store", "Changes", "StoreOpenError", "NewerSchemaError", "MigrationError"]
