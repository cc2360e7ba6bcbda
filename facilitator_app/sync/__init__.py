"""Sync with the cooperative's server: protocol shapes, HTTP client, push/pull engine, credentials."""
