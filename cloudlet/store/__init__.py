"""Durable state: one SQLite database (WAL) under the data dir, or in memory when ephemeral.

The only package that imports sqlite3. Services declare their tables as DDL and run
their queries through `Database`; they never open connections themselves.
"""

from cloudlet.store.db import Database, Row

__all__ = ["Database", "Row"]
