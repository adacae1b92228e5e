"""Persistence: SQLModel tables, the SQL store, the in-memory store and migrations."""
