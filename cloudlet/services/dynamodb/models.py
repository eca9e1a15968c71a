"""DynamoDB state in SQLite: tables, items, secondary-index entries, idempotency tokens.

Items live in one WITHOUT ROWID table keyed (table id, hash key, range key), the keys
encoded by `keys.py` so that the B-tree order is DynamoDB's order: a Query is a range
scan at any table size. Each secondary index is a set of rows keyed (table id, index id,
index hash, index range, table hash, table range) pointing back at the item; they are
written in the same transaction as the item. Items are stored with `marshal` (they hold
str, bytes, bool, lists and dicts only: exact, compact and fast both ways).

Table metadata is cached in memory (the database stays the truth; every change goes
through this class and updates both), so a data-plane request costs no metadata query.
"""

from __future__ import annotations

import marshal
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.services.dynamodb.keys import encode_key
from cloudlet.store import Database

SCHEMA = (
    # AUTOINCREMENT: a table id is never reused, so rows of a deleted table that are
    # still being purged can never appear in a new one.
    """CREATE TABLE IF NOT EXISTS dynamodb_tables (
        tid INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT NOT NULL, state TEXT NOT NULL, UNIQUE (account, region, name))""",
    """CREATE TABLE IF NOT EXISTS dynamodb_items (
        tid INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL, size INTEGER NOT NULL,
        item BLOB NOT NULL, PRIMARY KEY (tid, hk, rk)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS dynamodb_index_entries (
        tid INTEGER NOT NULL, idx INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
        thk BLOB NOT NULL, trk BLOB NOT NULL,
        PRIMARY KEY (tid, idx, hk, rk, thk, trk)) WITHOUT ROWID""",
    # Deleted tables whose items are still being removed (in bounded slices, so that
    # deleting a large table does not stall every other request).
    "CREATE TABLE IF NOT EXISTS dynamodb_purges (tid INTEGER PRIMARY KEY)",
    """CREATE TABLE IF NOT EXISTS dynamodb_tokens (
        account TEXT NOT NULL, token TEXT NOT NULL, digest TEXT NOT NULL,
        response BLOB NOT NULL, expires INTEGER NOT NULL,
        PRIMARY KEY (account, token)) WITHOUT ROWID""",
)

Item = dict[str, Any]
Key = tuple[bytes, bytes]

PURGE_SLICE = 20_000
BACKFILL_SLICE = 20_000
"""Items indexed per round when a GSI is added (UpdateTable does the first round)."""
"""Rows of a deleted table removed per round (DeleteTable does the first round)."""
_PURGED = (
    ("dynamodb_index_entries", "idx, hk, rk, thk, trk"),
    ("dynamodb_items", "hk, rk"),
)


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass
class Index:
    name: str
    id: int
    kind: str  # "GSI" | "LSI"
    hash: KeyAttr
    range: KeyAttr | None
    projection: str  # "ALL" | "KEYS_ONLY" | "INCLUDE"
    non_key: tuple[str, ...] = ()
    ready: bool = True  # False while a new GSI is being filled from the table

    def key(self, item: Item) -> Key | None:
        """The item's entry key in this index, or None when the item is not in it
        (sparse index: an index key attribute is missing or of another type)."""
        h = item.get(self.hash.name)
        if h is None or self.hash.type not in h:
            return None
        if self.range is None:
            return encode_key(h), b""
        r = item.get(self.range.name)
        if r is None or self.range.type not in r:
            return None
        return encode_key(h), encode_key(r)


@dataclass
class Table:
    tid: int
    account: str
    region: str
    name: str
    description: dict[str, Any]
    """The stored part of TableDescription (counts and status are added when described)."""
    tags: dict[str, str] = field(default_factory=dict)
    ttl: dict[str, str] | None = None  # {"AttributeName", "TimeToLiveStatus"}
    next_index: int = 1
    index_ids: dict[str, int] = field(default_factory=dict)
    hash: KeyAttr = KeyAttr("", "S")
    range: KeyAttr | None = None
    indexes: dict[str, Index] = field(default_factory=dict)
    counts: tuple[int, int] | None = None
    """(items, bytes), computed when described and dropped on every write."""
    index_stats: dict[int, tuple[int, int]] = field(default_factory=dict)
    """The same per index id."""
    backfills: dict[str, list[str]] = field(default_factory=dict)
    """GSIs being filled: index name -> the last table key done ([hk hex, rk hex]; [] at
    the start)."""

    def __post_init__(self) -> None:
        self.refresh()

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    @property
    def stream_enabled(self) -> bool:
        spec = self.description.get("StreamSpecification") or {}
        return bool(spec.get("StreamEnabled"))

    def refresh(self) -> None:
        """Derive keys and indexes from the description."""
        desc = self.description
        types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}

        def schema(elements: list[dict[str, str]]) -> tuple[KeyAttr, KeyAttr | None]:
            h = next(e["AttributeName"] for e in elements if e["KeyType"] == "HASH")
            r = next((e["AttributeName"] for e in elements if e["KeyType"] == "RANGE"), None)
            return KeyAttr(h, types[h]), (KeyAttr(r, types[r]) if r is not None else None)

        self.hash, self.range = schema(desc["KeySchema"])
        indexes: dict[str, Index] = {}
        for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for index in desc.get(member, []):
                name = index["IndexName"]
                h, r = schema(index["KeySchema"])
                projection = index["Projection"]
                indexes[name] = Index(
                    name,
                    self.index_ids[name],
                    kind,
                    h,
                    r,
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                    index.get("IndexStatus", "ACTIVE") == "ACTIVE",
                )
        self.indexes = indexes

    def key_names(self) -> tuple[str, ...]:
        return (self.hash.name,) if self.range is None else (self.hash.name, self.range.name)

    def key_of(self, item: Item) -> Key:
        """The item's primary key bytes (the item has been validated)."""
        hk = encode_key(item[self.hash.name])
        if self.range is None:
            return hk, b""
        return hk, encode_key(item[self.range.name])

    def key_item(self, item: Item) -> Item:
        return {name: item[name] for name in self.key_names() if name in item}

    def state(self) -> bytes:
        return orjson.dumps(
            {
                "description": self.description,
                "tags": self.tags,
                "ttl": self.ttl,
                "next_index": self.next_index,
                "index_ids": self.index_ids,
                "backfills": self.backfills,
            }
        )


def _load_item(blob: bytes) -> Item:
    item: Item = marshal.loads(blob)
    return item


class DynamoStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure_schema(SCHEMA)
        self.tables: dict[tuple[str, str, str], Table] = {}
        self.load()

    # -- tables -------------------------------------------------------------------------

    def load(self) -> None:
        self.tables = {}
        for tid, account, region, name, state in self.db.all(
            "SELECT tid, account, region, name, state FROM dynamodb_tables"
        ):
            data = orjson.loads(state)
            table = Table(
                tid,
                account,
                region,
                name,
                data["description"],
                data["tags"],
                data["ttl"],
                data["next_index"],
                data["index_ids"],
                backfills=data.get("backfills", {}),
            )
            self.tables[(account, region, name)] = table

    def table(self, account: str, region: str, name: str) -> Table | None:
        return self.tables.get((account, region, name))

    def all_tables(self) -> list[Table]:
        return list(self.tables.values())

    def add_table(self, table: Table) -> None:
        table.tid = self.db.insert(
            "INSERT INTO dynamodb_tables (account, region, name, state) VALUES (?, ?, ?, ?)",
            (table.account, table.region, table.name, table.state()),
        )
        self.tables[(table.account, table.region, table.name)] = table

    def save_table(self, table: Table) -> None:
        self.db.execute(
            "UPDATE dynamodb_tables SET state = ? WHERE tid = ?", (table.state(), table.tid)
        )

    def drop_table(self, table: Table) -> None:
        """Forget the table now; its items and index entries go in `purge` rounds."""
        with self.db.transaction():
            self.db.execute("DELETE FROM dynamodb_tables WHERE tid = ?", (table.tid,))
            self.db.execute("INSERT OR IGNORE INTO dynamodb_purges VALUES (?)", (table.tid,))
        self.tables.pop((table.account, table.region, table.name), None)
        self.purge(PURGE_SLICE)

    def purge(self, budget: int) -> None:
        """Remove up to about `budget` rows of deleted tables."""
        for (tid,) in self.db.all("SELECT tid FROM dynamodb_purges"):
            for source, columns in _PURGED:
                marks = ", ".join("?" * len(columns.split(",")))
                last = self.db.one(
                    f"SELECT {columns} FROM {source} WHERE tid = ? ORDER BY {columns} "
                    "LIMIT 1 OFFSET ?",
                    (tid, budget - 1),
                )
                if last is not None:  # more than the budget left: one slice, in key order
                    self.db.execute(
                        f"DELETE FROM {source} WHERE tid = ? AND ({columns}) <= ({marks})",
                        (tid, *last),
                    )
                    return
                budget -= self.db.execute(f"DELETE FROM {source} WHERE tid = ?", (tid,))
            self.db.execute("DELETE FROM dynamodb_purges WHERE tid = ?", (tid,))
            if budget <= 0:
                return

    def counts(self, table: Table) -> tuple[int, int]:
        if table.counts is None:
            row = self.db.one(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dynamodb_items WHERE tid = ?",
                (table.tid,),
            )
            assert row is not None
            table.counts = (row[0], row[1])
        return table.counts

    def index_counts(self, table: Table, index: Index) -> tuple[int, int]:
        cached = table.index_stats.get(index.id)
        if cached is not None:
            return cached
        row = self.db.one(
            "SELECT COUNT(*), COALESCE(SUM(i.size), 0) FROM dynamodb_index_entries x "
            "JOIN dynamodb_items i ON i.tid = x.tid AND i.hk = x.thk AND i.rk = x.trk "
            "WHERE x.tid = ? AND x.idx = ?",
            (table.tid, index.id),
        )
        assert row is not None
        table.index_stats[index.id] = (row[0], row[1])
        return row[0], row[1]

    def backfill(self, table: Table, index: Index, budget: int) -> bool:
        """Index up to `budget` more of the table's items for a new GSI; True when the
        whole table is done."""
        mark = table.backfills.get(index.name) or []
        after = (bytes.fromhex(mark[0]), bytes.fromhex(mark[1])) if mark else None
        rows = self.table_range(table, None, None, None, True, after, budget)
        entries = [
            (table.tid, index.id, key[0], key[1], hk, rk)
            for hk, rk, _, item in rows
            if (key := index.key(item)) is not None
        ]
        self.db.executemany(
            "INSERT OR IGNORE INTO dynamodb_index_entries VALUES (?, ?, ?, ?, ?, ?)", entries
        )
        if len(rows) < budget:
            table.backfills.pop(index.name, None)
            return True
        table.backfills[index.name] = [rows[-1][0].hex(), rows[-1][1].hex()]
        return False

    def drop_index(self, table: Table, index_id: int) -> None:
        self.db.execute(
            "DELETE FROM dynamodb_index_entries WHERE tid = ? AND idx = ?", (table.tid, index_id)
        )

    # -- items --------------------------------------------------------------------------

    def get(self, table: Table, key: Key) -> Item | None:
        row = self.db.one(
            "SELECT item FROM dynamodb_items WHERE tid = ? AND hk = ? AND rk = ?",
            (table.tid, key[0], key[1]),
        )
        return None if row is None else _load_item(row[0])

    def put(self, table: Table, key: Key, item: Item, size: int, old: Item | None) -> None:
        """Write `item` (replacing `old`, the current item under `key`, if any) and its
        index entries. Callers run this inside a transaction when it must pair with
        other writes."""
        tid = table.tid
        self.db.execute(
            "INSERT OR REPLACE INTO dynamodb_items (tid, hk, rk, size, item) VALUES (?, ?, ?, ?, ?)",
            (tid, key[0], key[1], size, marshal.dumps(item)),
        )
        for index in table.indexes.values():
            before = index.key(old) if old is not None else None
            after = index.key(item)
            if before == after:
                continue
            if before is not None:
                self._remove_entry(tid, index.id, before, key)
            if after is not None:
                self.db.execute(
                    "INSERT OR IGNORE INTO dynamodb_index_entries VALUES (?, ?, ?, ?, ?, ?)",
                    (tid, index.id, after[0], after[1], key[0], key[1]),
                )
        table.counts = None
        table.index_stats.clear()

    def delete(self, table: Table, key: Key, old: Item) -> None:
        tid = table.tid
        self.db.execute(
            "DELETE FROM dynamodb_items WHERE tid = ? AND hk = ? AND rk = ?",
            (tid, key[0], key[1]),
        )
        for index in table.indexes.values():
            entry = index.key(old)
            if entry is not None:
                self._remove_entry(tid, index.id, entry, key)
        table.counts = None
        table.index_stats.clear()

    def _remove_entry(self, tid: int, idx: int, entry: Key, key: Key) -> None:
        self.db.execute(
            "DELETE FROM dynamodb_index_entries WHERE tid = ? AND idx = ? AND hk = ? "
            "AND rk = ? AND thk = ? AND trk = ?",
            (tid, idx, entry[0], entry[1], key[0], key[1]),
        )

    # -- ranges -------------------------------------------------------------------------

    def table_range(
        self,
        table: Table,
        hk: bytes | None,
        low: tuple[bytes, bool] | None,
        high: tuple[bytes, bool] | None,
        forward: bool,
        after: Key | None,
        limit: int,
    ) -> list[tuple[bytes, bytes, int, Item]]:
        """Up to `limit` items of the table in key order: within one hash key `hk` with
        range key bounds (value, inclusive), or the whole table (Scan) when hk is None;
        strictly after (before, backwards) the key `after`."""
        where = ["tid = ?"]
        params: list[Any] = [table.tid]
        if hk is not None:
            where.append("hk = ?")
            params.append(hk)
            _bounds(where, params, "rk", low, high)
            if after is not None:
                where.append("rk > ?" if forward else "rk < ?")
                params.append(after[1])
        elif after is not None:
            where.append("(hk, rk) > (?, ?)" if forward else "(hk, rk) < (?, ?)")
            params.extend(after)
        order = "ASC" if forward else "DESC"
        sql = (
            f"SELECT hk, rk, size, item FROM dynamodb_items WHERE {' AND '.join(where)} "
            f"ORDER BY hk {order}, rk {order} LIMIT ?"
        )
        params.append(limit)
        return [(h, r, s, _load_item(b)) for h, r, s, b in self.db.all(sql, params)]

    def index_range(
        self,
        table: Table,
        index: Index,
        hk: bytes | None,
        low: tuple[bytes, bool] | None,
        high: tuple[bytes, bool] | None,
        forward: bool,
        after: tuple[bytes, bytes, bytes, bytes] | None,
        limit: int,
    ) -> list[tuple[bytes, bytes, bytes, bytes, int, Item]]:
        """Like table_range, over an index's entries (index hash, index range, table
        hash, table range order), each joined to its item."""
        where = ["x.tid = ?", "x.idx = ?"]
        params: list[Any] = [table.tid, index.id]
        op = ">" if forward else "<"
        if hk is not None:
            where.append("x.hk = ?")
            params.append(hk)
            _bounds(where, params, "x.rk", low, high)
            if after is not None:
                where.append(f"(x.rk, x.thk, x.trk) {op} (?, ?, ?)")
                params.extend(after[1:])
        elif after is not None:
            where.append(f"(x.hk, x.rk, x.thk, x.trk) {op} (?, ?, ?, ?)")
            params.extend(after)
        order = "ASC" if forward else "DESC"
        sql = (
            "SELECT x.hk, x.rk, x.thk, x.trk, i.size, i.item FROM dynamodb_index_entries x "
            "JOIN dynamodb_items i ON i.tid = x.tid AND i.hk = x.thk AND i.rk = x.trk "
            f"WHERE {' AND '.join(where)} "
            f"ORDER BY x.hk {order}, x.rk {order}, x.thk {order}, x.trk {order} LIMIT ?"
        )
        params.append(limit)
        return [
            (a, b, c, d, s, _load_item(blob)) for a, b, c, d, s, blob in self.db.all(sql, params)
        ]

    def expired(
        self, table: Table, attribute: str, now_s: float, after: Key | None, budget: int
    ) -> tuple[list[Item], Key | None]:
        """Items past their TTL among the next `budget` items after `after` (key order),
        and where to continue (None: the pass reached the end of the table). A TTL is a
        number of epoch seconds; like AWS, values more than five years in the past are
        not treated as expiry times."""
        rows = self.table_range(table, None, None, None, True, after, budget)
        found = []
        for _, _, _, item in rows:
            value = item.get(attribute)
            if value is not None and "N" in value and _expired(value["N"], now_s):
                found.append(item)
        resume = (rows[-1][0], rows[-1][1]) if len(rows) == budget else None
        return found, resume

    # -- transaction tokens -------------------------------------------------------------

    def token(self, account: str, token: str, now_ms: int) -> tuple[str, bytes] | None:
        row = self.db.one(
            "SELECT digest, response FROM dynamodb_tokens WHERE account = ? AND token = ? "
            "AND expires > ?",
            (account, token, now_ms),
        )
        return None if row is None else (row[0], row[1])

    def save_token(
        self, account: str, token: str, digest: str, response: bytes, expires: int
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO dynamodb_tokens VALUES (?, ?, ?, ?, ?)",
            (account, token, digest, response, expires),
        )

    def expire_tokens(self, now_ms: int) -> None:
        # Read first: an idle sweep should not open a write transaction every round.
        if self.db.one("SELECT 1 FROM dynamodb_tokens WHERE expires <= ? LIMIT 1", (now_ms,)):
            self.db.execute("DELETE FROM dynamodb_tokens WHERE expires <= ?", (now_ms,))


_FIVE_YEARS = 5 * 365 * 24 * 3600


def _expired(number: str, now_s: float) -> bool:
    try:
        at = float(number)  # an epoch time: float is exact enough to compare with now
    except ValueError:
        return False
    return now_s - _FIVE_YEARS <= at < now_s


def _bounds(
    where: list[str],
    params: list[Any],
    column: str,
    low: tuple[bytes, bool] | None,
    high: tuple[bytes, bool] | None,
) -> None:
    if low is not None:
        where.append(f"{column} >= ?" if low[1] else f"{column} > ?")
        params.append(low[0])
    if high is not None:
        where.append(f"{column} <= ?" if high[1] else f"{column} < ?")
        params.append(high[0])
