"""Alembic migrations shipped inside the package, run programmatically (see server/migrate.py)."""
