"""IAM state in SQLite: roles, their inline policies and attachments, managed policies
and their versions.

IAM is global: everything is keyed by account, under the one region `GLOBAL_REGION`
whatever region a request was signed for. Names are unique without regard to case
(AWS refuses `MyRole` when `myrole` exists, and finds either by the other spelling), so
rows are keyed by the lower-cased name and keep the name as given.

Not cached in memory: IAM calls are rare and each is one indexed query.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store import Database, Row

GLOBAL_REGION = "us-east-1"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS iam_roles (
        account TEXT NOT NULL, region TEXT NOT NULL, name_key TEXT NOT NULL,
        name TEXT NOT NULL, path TEXT NOT NULL, role_id TEXT NOT NULL, arn TEXT NOT NULL,
        created REAL NOT NULL, trust TEXT NOT NULL, description TEXT,
        max_session INTEGER NOT NULL, boundary TEXT, tags TEXT NOT NULL,
        PRIMARY KEY (account, region, name_key))""",
    """CREATE TABLE IF NOT EXISTS iam_role_policies (
        account TEXT NOT NULL, region TEXT NOT NULL, role_key TEXT NOT NULL,
        name_key TEXT NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL,
        PRIMARY KEY (account, region, role_key, name_key))""",
    # A rowid table: its rowid keeps attachments in the order they were made.
    """CREATE TABLE IF NOT EXISTS iam_attachments (
        account TEXT NOT NULL, region TEXT NOT NULL, role_key TEXT NOT NULL,
        policy_arn TEXT NOT NULL, UNIQUE (account, region, role_key, policy_arn))""",
    "CREATE INDEX IF NOT EXISTS iam_attachments_policy "
    "ON iam_attachments (account, region, policy_arn)",
    """CREATE TABLE IF NOT EXISTS iam_policies (
        account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,
        name_key TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL,
        policy_id TEXT NOT NULL, description TEXT, created REAL NOT NULL,
        updated REAL NOT NULL, default_version INTEGER NOT NULL,
        next_version INTEGER NOT NULL, tags TEXT NOT NULL,
        PRIMARY KEY (account, region, arn), UNIQUE (account, region, name_key))""",
    """CREATE TABLE IF NOT EXISTS iam_policy_versions (
        account TEXT NOT NULL, region TEXT NOT NULL, policy_arn TEXT NOT NULL,
        version INTEGER NOT NULL, document TEXT NOT NULL, created REAL NOT NULL,
        PRIMARY KEY (account, region, policy_arn, version))""",
)

ID_CHARS = string.ascii_uppercase + string.digits


def new_id(prefix: str) -> str:
    """A unique id of IAM's form: a 4-letter type prefix (AROA role, ANPA policy) and
    17 upper-case alphanumerics."""
    return prefix + "".join(secrets.choice(ID_CHARS) for _ in range(17))


@dataclass
class Role:
    account: str
    name: str
    path: str
    role_id: str
    arn: str
    created: float
    trust: str
    description: str | None
    max_session: int
    boundary: str | None
    tags: dict[str, str]


@dataclass
class Policy:
    account: str
    arn: str
    name: str
    path: str
    policy_id: str
    description: str | None
    created: float
    updated: float
    default_version: int
    next_version: int
    tags: dict[str, str]


@dataclass
class PolicyVersion:
    number: int
    document: str
    created: float

    @property
    def version_id(self) -> str:
        return f"v{self.number}"


_ROLE_COLUMNS = (
    "account, name, path, role_id, arn, created, trust, description, max_session, boundary, tags"
)
_POLICY_COLUMNS = (
    "account, arn, name, path, policy_id, description, created, updated, default_version, "
    "next_version, tags"
)
_G = GLOBAL_REGION


def _with_tags(row: Row) -> list[Any]:
    """A row whose last column (tags, JSON) is decoded."""
    return [*row[:-1], orjson.loads(row[-1])]


def _role(row: Row) -> Role:
    return Role(*_with_tags(row))


def _policy(row: Row) -> Policy:
    return Policy(*_with_tags(row))


def _json(tags: dict[str, str]) -> str:
    return orjson.dumps(tags).decode()


class IamStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)

    # -- roles --------------------------------------------------------------------------

    def role(self, account: str, name: str) -> Role | None:
        row = self.db.one(
            f"SELECT {_ROLE_COLUMNS} FROM iam_roles WHERE account = ? AND region = ? "
            "AND name_key = ?",
            (account, _G, name.lower()),
        )
        return None if row is None else _role(row)

    def roles(self, account: str, path_prefix: str = "/") -> list[Role]:
        rows = self.db.all(
            f"SELECT {_ROLE_COLUMNS} FROM iam_roles WHERE account = ? AND region = ? "
            "AND substr(path, 1, ?) = ? ORDER BY name_key",
            (account, _G, len(path_prefix), path_prefix),
        )
        return [_role(row) for row in rows]

    def put_role(self, role: Role) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO iam_roles (account, region, name_key, name, path, role_id, "
            "arn, created, trust, description, max_session, boundary, tags) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                role.account, _G, role.name.lower(), role.name, role.path, role.role_id,
                role.arn, role.created, role.trust, role.description, role.max_session,
                role.boundary, _json(role.tags),
            ),
        )  # fmt: skip

    def delete_role(self, account: str, name: str) -> None:
        self.db.execute(
            "DELETE FROM iam_roles WHERE account = ? AND region = ? AND name_key = ?",
            (account, _G, name.lower()),
        )

    def boundary_count(self, account: str, arn: str) -> int:
        count: int = self.db.scalar(
            "SELECT COUNT(*) FROM iam_roles WHERE account = ? AND region = ? AND boundary = ?",
            (account, _G, arn),
        )
        return count

    # -- inline policies ----------------------------------------------------------------

    def inline_policy(self, account: str, role: str, name: str) -> tuple[str, str] | None:
        row = self.db.one(
            "SELECT name, document FROM iam_role_policies WHERE account = ? AND region = ? "
            "AND role_key = ? AND name_key = ?",
            (account, _G, role.lower(), name.lower()),
        )
        return None if row is None else (row[0], row[1])

    def inline_policies(self, account: str, role: str) -> list[tuple[str, str]]:
        rows = self.db.all(
            "SELECT name, document FROM iam_role_policies WHERE account = ? AND region = ? "
            "AND role_key = ? ORDER BY name_key",
            (account, _G, role.lower()),
        )
        return [(row[0], row[1]) for row in rows]

    def put_inline_policy(self, account: str, role: str, name: str, document: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO iam_role_policies (account, region, role_key, name_key, "
            "name, document) VALUES (?,?,?,?,?,?)",
            (account, _G, role.lower(), name.lower(), name, document),
        )

    def delete_inline_policy(self, account: str, role: str, name: str) -> None:
        self.db.execute(
            "DELETE FROM iam_role_policies WHERE account = ? AND region = ? AND role_key = ? "
            "AND name_key = ?",
            (account, _G, role.lower(), name.lower()),
        )

    # -- attachments --------------------------------------------------------------------

    def attach(self, account: str, role: str, arn: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO iam_attachments (account, region, role_key, policy_arn) "
            "VALUES (?,?,?,?)",
            (account, _G, role.lower(), arn),
        )

    def detach(self, account: str, role: str, arn: str) -> bool:
        changed = self.db.execute(
            "DELETE FROM iam_attachments WHERE account = ? AND region = ? AND role_key = ? "
            "AND policy_arn = ?",
            (account, _G, role.lower(), arn),
        )
        return changed > 0

    def attached(self, account: str, role: str) -> list[str]:
        rows = self.db.all(
            "SELECT policy_arn FROM iam_attachments WHERE account = ? AND region = ? "
            "AND role_key = ? ORDER BY rowid",
            (account, _G, role.lower()),
        )
        return [row[0] for row in rows]

    def attachment_count(self, account: str, arn: str) -> int:
        count: int = self.db.scalar(
            "SELECT COUNT(*) FROM iam_attachments WHERE account = ? AND region = ? "
            "AND policy_arn = ?",
            (account, _G, arn),
        )
        return count

    def attached_arns(self, account: str) -> set[str]:
        """Every policy attached to something in the account."""
        rows = self.db.all(
            "SELECT DISTINCT policy_arn FROM iam_attachments WHERE account = ? AND region = ?",
            (account, _G),
        )
        return {row[0] for row in rows}

    def roles_attached_to(self, account: str, arn: str) -> list[Role]:
        rows = self.db.all(
            f"SELECT {', '.join('r.' + c for c in _ROLE_COLUMNS.split(', '))} "
            "FROM iam_attachments a JOIN iam_roles r ON r.account = a.account "
            "AND r.region = a.region AND r.name_key = a.role_key "
            "WHERE a.account = ? AND a.region = ? AND a.policy_arn = ? ORDER BY r.name_key",
            (account, _G, arn),
        )
        return [_role(row) for row in rows]

    # -- managed policies ---------------------------------------------------------------

    def policy(self, account: str, arn: str) -> Policy | None:
        row = self.db.one(
            f"SELECT {_POLICY_COLUMNS} FROM iam_policies WHERE account = ? AND region = ? "
            "AND arn = ?",
            (account, _G, arn),
        )
        return None if row is None else _policy(row)

    def policy_named(self, account: str, name: str) -> Policy | None:
        row = self.db.one(
            f"SELECT {_POLICY_COLUMNS} FROM iam_policies WHERE account = ? AND region = ? "
            "AND name_key = ?",
            (account, _G, name.lower()),
        )
        return None if row is None else _policy(row)

    def policies(self, account: str) -> list[Policy]:
        rows = self.db.all(
            f"SELECT {_POLICY_COLUMNS} FROM iam_policies WHERE account = ? AND region = ? "
            "ORDER BY name_key",
            (account, _G),
        )
        return [_policy(row) for row in rows]

    def put_policy(self, policy: Policy) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO iam_policies (account, region, arn, name_key, name, path, "
            "policy_id, description, created, updated, default_version, next_version, tags) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                policy.account, _G, policy.arn, policy.name.lower(), policy.name, policy.path,
                policy.policy_id, policy.description, policy.created, policy.updated,
                policy.default_version, policy.next_version, _json(policy.tags),
            ),
        )  # fmt: skip

    def delete_policy(self, account: str, arn: str) -> None:
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM iam_policy_versions WHERE account = ? AND region = ? "
                "AND policy_arn = ?",
                (account, _G, arn),
            )
            self.db.execute(
                "DELETE FROM iam_policies WHERE account = ? AND region = ? AND arn = ?",
                (account, _G, arn),
            )

    # -- policy versions ----------------------------------------------------------------

    def versions(self, account: str, arn: str) -> list[PolicyVersion]:
        """Newest first, as ListPolicyVersions returns them."""
        rows = self.db.all(
            "SELECT version, document, created FROM iam_policy_versions WHERE account = ? "
            "AND region = ? AND policy_arn = ? ORDER BY version DESC",
            (account, _G, arn),
        )
        return [PolicyVersion(*row) for row in rows]

    def version(self, account: str, arn: str, number: int) -> PolicyVersion | None:
        row = self.db.one(
            "SELECT version, document, created FROM iam_policy_versions WHERE account = ? "
            "AND region = ? AND policy_arn = ? AND version = ?",
            (account, _G, arn, number),
        )
        return None if row is None else PolicyVersion(*row)

    def put_version(self, account: str, arn: str, version: PolicyVersion) -> None:
        self.db.execute(
            "INSERT INTO iam_policy_versions (account, region, policy_arn, version, document, "
            "created) VALUES (?,?,?,?,?,?)",
            (account, _G, arn, version.number, version.document, version.created),
        )

    def delete_version(self, account: str, arn: str, number: int) -> None:
        self.db.execute(
            "DELETE FROM iam_policy_versions WHERE account = ? AND region = ? "
            "AND policy_arn = ? AND version = ?",
            (account, _G, arn, number),
        )
