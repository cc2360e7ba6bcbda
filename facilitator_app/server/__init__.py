"""The central server: accounts, cooperatives, assignment-scoped data and the push/pull sync API.

Installed with the `server` extra. Runs on an embedded SQLite file for a pilot, or on PostgreSQL
with several stateless workers in production; the same code and migrations serve both.
"""
