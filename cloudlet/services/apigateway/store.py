"""API Gateway state: every object is a JSON document in one table, mirrored in memory.

An object is `(kind, scope, id) -> document`: REST APIs are kind "api" in scope ""
(their account and region are private fields), an API's resources, deployments,
stages and authorizers are scoped by the API's id, API keys and usage plans by
"account:region", usage plan keys by the plan's id. Documents hold AWS's output shape
plus private fields whose names start with "_" (never sent). A stored document is never
changed in place: updates put a new one. So the data plane can cache what it compiled
from a stage and tell it is still current by identity (`is`), without bookkeeping.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from typing import Any

import orjson

from cloudlet.store import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS apigateway_objects (
        kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (kind, scope, id))""",
)

Doc = dict[str, Any]
_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> float:
    return float(int(time.time()))


def public(doc: Doc) -> Doc:
    """The document without its private fields (shallow: private fields are top-level)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class ApiGatewayStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self._objects: dict[tuple[str, str], dict[str, Doc]] = {}
        # Set by the service: the data plane (execute.Runtime), for the operations that
        # reach into it (FlushStageAuthorizersCache, TestInvokeMethod).
        self.runtime: Callable[[], Any] = lambda: None
        self.load()

    def load(self) -> None:
        self._objects = {}
        for kind, scope, key, data in self.db.all(
            "SELECT kind, scope, id, data FROM apigateway_objects ORDER BY rowid"
        ):
            self._objects.setdefault((kind, scope), {})[key] = orjson.loads(data)

    def get(self, kind: str, scope: str, key: str) -> Doc | None:
        bucket = self._objects.get((kind, scope))
        return None if bucket is None else bucket.get(key)

    def items(self, kind: str, scope: str) -> list[Doc]:
        return list(self._objects.get((kind, scope), {}).values())

    def put(self, kind: str, scope: str, key: str, doc: Doc) -> Doc:
        self.db.execute(
            "INSERT INTO apigateway_objects (kind, scope, id, data) VALUES (?,?,?,?) "
            "ON CONFLICT (kind, scope, id) DO UPDATE SET data = excluded.data",
            (kind, scope, key, orjson.dumps(doc).decode()),
        )
        self._objects.setdefault((kind, scope), {})[key] = doc
        return doc

    def delete(self, kind: str, scope: str, key: str) -> None:
        self.db.execute(
            "DELETE FROM apigateway_objects WHERE kind = ? AND scope = ? AND id = ?",
            (kind, scope, key),
        )
        bucket = self._objects.get((kind, scope))
        if bucket is not None:
            bucket.pop(key, None)

    def drop_scope(self, scope: str) -> None:
        """Every object scoped by `scope` (an API's children, a plan's keys)."""
        self.db.execute("DELETE FROM apigateway_objects WHERE scope = ?", (scope,))
        for kind_scope in [k for k in self._objects if k[1] == scope]:
            del self._objects[kind_scope]

    def unique_id(self, kind: str, scope: str, length: int = 10) -> str:
        while True:
            key = new_id(length)
            if self.get(kind, scope, key) is None:
                return key
