"""HTTP API state in SQLite, mirrored in memory.

An API and each of its parts (routes, integrations, authorizers, stages, deployments)
is one JSON document keyed by the model's member names, so an operation's output is the
document itself (keys starting with "_" are ours and never leave the service). Every
write goes through this class and updates both the table and the dicts; the deployed
data plane reads only the dicts. A deployment carries its snapshot (`_snapshot`): the
routes, integrations, authorizers and CORS configuration as they were when it was made.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from cloudlet.store import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS apigatewayv2_apis (
        id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS apigatewayv2_parts (
        api TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (api, kind, id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS apigatewayv2_jwks (
        issuer TEXT PRIMARY KEY, doc TEXT NOT NULL)""",
)

KINDS = ("routes", "integrations", "authorizers", "stages", "deployments")
_ALPHABET = string.ascii_lowercase + string.digits

Doc = dict[str, Any]


def new_id(length: int = 10) -> str:
    """AWS's identifiers: lower-case letters and digits (10 for APIs, 7 for their parts)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(doc: Doc) -> Doc:
    """The document as the API returns it (our private keys removed)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


@dataclass
class Api:
    id: str
    account: str
    region: str
    doc: Doc
    parts: dict[str, dict[str, Doc]] = field(default_factory=lambda: {k: {} for k in KINDS})


class ApiStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self.apis: dict[str, Api] = {}
        self.jwks: dict[str, Doc] = {}
        self.generation = 0
        """Bumped on every write, so the data plane knows its caches may be stale."""
        # Set by the service: forget cached Lambda authorizer results (api id, stage or
        # None for every stage).
        self.forget_authorizer_cache: Callable[[str, str | None], None] = lambda a, s: None
        self.load()

    def load(self) -> None:
        self.apis = {}
        for api_id, account, region, doc in self.db.all(
            "SELECT id, account, region, doc FROM apigatewayv2_apis"
        ):
            self.apis[api_id] = Api(api_id, account, region, orjson.loads(doc))
        for api_id, kind, part_id, doc in self.db.all(
            "SELECT api, kind, id, doc FROM apigatewayv2_parts"
        ):
            api = self.apis.get(api_id)
            if api is not None and kind in api.parts:
                api.parts[kind][part_id] = orjson.loads(doc)
        self.jwks = {
            issuer: orjson.loads(doc)
            for issuer, doc in self.db.all("SELECT issuer, doc FROM apigatewayv2_jwks")
        }
        self.generation += 1

    # -- APIs ---------------------------------------------------------------------------

    def api(self, api_id: str, account: str, region: str) -> Api | None:
        api = self.apis.get(api_id)
        if api is None or api.account != account or api.region != region:
            return None
        return api

    def list_apis(self, account: str, region: str) -> list[Api]:
        found = [a for a in self.apis.values() if a.account == account and a.region == region]
        return sorted(found, key=lambda a: (a.doc.get("CreatedDate", ""), a.id))

    def put_api(self, api: Api) -> None:
        self.db.execute(
            "INSERT INTO apigatewayv2_apis (id, account, region, doc) VALUES (?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            (api.id, api.account, api.region, orjson.dumps(api.doc).decode()),
        )
        self.apis[api.id] = api
        self.generation += 1

    def delete_api(self, api: Api) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM apigatewayv2_parts WHERE api = ?", (api.id,))
            self.db.execute("DELETE FROM apigatewayv2_apis WHERE id = ?", (api.id,))
        self.apis.pop(api.id, None)
        self.generation += 1

    # -- parts --------------------------------------------------------------------------

    def put_part(self, api: Api, kind: str, part_id: str, doc: Doc) -> None:
        self.db.execute(
            "INSERT INTO apigatewayv2_parts (api, kind, id, doc) VALUES (?,?,?,?) "
            "ON CONFLICT (api, kind, id) DO UPDATE SET doc = excluded.doc",
            (api.id, kind, part_id, orjson.dumps(doc).decode()),
        )
        api.parts[kind][part_id] = doc
        self.generation += 1

    def delete_part(self, api: Api, kind: str, part_id: str) -> None:
        self.db.execute(
            "DELETE FROM apigatewayv2_parts WHERE api = ? AND kind = ? AND id = ?",
            (api.id, kind, part_id),
        )
        api.parts[kind].pop(part_id, None)
        self.generation += 1

    # -- JSON Web Key Sets given locally --------------------------------------------------

    def put_jwks(self, issuer: str, jwks: Doc) -> None:
        self.db.execute(
            "INSERT INTO apigatewayv2_jwks (issuer, doc) VALUES (?, ?) "
            "ON CONFLICT (issuer) DO UPDATE SET doc = excluded.doc",
            (issuer, orjson.dumps(jwks).decode()),
        )
        self.jwks[issuer] = jwks

    def delete_jwks(self, issuer: str) -> bool:
        self.db.execute("DELETE FROM apigatewayv2_jwks WHERE issuer = ?", (issuer,))
        return self.jwks.pop(issuer, None) is not None
