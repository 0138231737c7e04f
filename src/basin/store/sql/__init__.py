"""The SQL back end of the metadata store (SQLite by default, PostgreSQL by URL)."""
