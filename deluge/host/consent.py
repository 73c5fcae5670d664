"""The grant store: who consented to which capabilities of which component, and until when.

PLATFORM.md section 8 and DESIGN.md "Consent": a grant is (principal, component, capabilities,
granted_at, expires_at = granted_at + 60 days, revoked_at). A run is checked against
`GrantStore.active(...)`, a `deluge.capabilities.Grant`; `GrantStore.missing(...)` is what a
consent prompt must ask for, so a changed script asks only for what is new, and an expired or
revoked grant asks for everything again.

Two scopes: "user" (the principal is a user id, one user's consent never covers another) and
"org" (the principal is an org id; an admin's install-time grant for an extension's component
covers every user of that org).

Storage is SQLite (standard `sqlite3`), a file or ":memory:". History is never deleted: a
re-grant stores a new row holding the union and marks the old one superseded; revocation sets
`revoked_at`. Writers in several threads (one store) or several processes (one file) must not
lose grants, hence WAL, a busy timeout, `BEGIN IMMEDIATE` around every read-modify-write, and a
lock around the shared connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal

import attrs

from deluge.capabilities import Grant, normalize, valid

__all__ = ["SCHEMA_VERSION", "SCOPES", "GrantRecord", "GrantStore", "Scope", "Status"]

Scope = Literal["user", "org"]
Status = Literal["active", "expired", "revoked", "superseded"]
SCOPES: tuple[str, ...] = ("user", "org")
SCHEMA_VERSION = 1
"""`PRAGMA user_version` of the schema this module writes; older files are migrated on open."""

DEFAULT_VALIDITY = timedelta(days=60)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
"""Fixed width, always UTC, so that ISO text compares in SQL the way the datetimes do."""

_SCHEMA_V1 = (
    """
    CREATE TABLE IF NOT EXISTS grants (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        principal     TEXT NOT NULL,
        component     TEXT NOT NULL,
        scope         TEXT NOT NULL CHECK (scope IN ('user', 'org')),
        capabilities  TEXT NOT NULL,
        granted_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        revoked_at    TEXT,
        superseded_by INTEGER REFERENCES grants(id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS grants_key ON grants (principal, component, scope)",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _SCHEMA_V1}
"""Statements that take a store from version `n - 1` to `n`; add `2: (...)` for the next change."""

_COLUMNS = "id, principal, component, scope, capabilities, granted_at, expires_at, revoked_at, superseded_by"
_ACTIVE = "revoked_at IS NULL AND superseded_by IS NULL AND expires_at > ?"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_text(moment: datetime) -> str:
    """Refuses naive datetimes: a grant's expiry must not depend on the server's local zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"consent times must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


@attrs.frozen
class GrantRecord:
    """One stored grant row; rows are never deleted, so these are also the consent history."""

    id: int
    principal: str
    component: str
    scope: str
    capabilities: frozenset[str]
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    superseded: bool = False
    superseded_by: int | None = None
    """The id of the grant that replaced this one (a re-grant stores the union as a new row)."""

    def status(self, now: datetime) -> Status:
        """Revocation and supersession win over expiry: they say why the row stopped counting."""
        if self.revoked_at is not None:
            return "revoked"
        if self.superseded:
            return "superseded"
        if now >= self.expires_at:
            return "expired"
        return "active"

    def is_active(self, now: datetime) -> bool:
        return self.status(now) == "active"

    @property
    def grant(self) -> Grant:
        return Grant(self.capabilities)


def _record(row: tuple[Any, ...]) -> GrantRecord:
    rid, principal, component, scope, caps, granted_at, expires_at, revoked_at, superseded_by = row
    granted = _from_text(granted_at)
    expires = _from_text(expires_at)
    assert granted is not None and expires is not None
    return GrantRecord(
        id=rid,
        principal=principal,
        component=component,
        scope=scope,
        capabilities=frozenset(json.loads(caps)),
        granted_at=granted,
        expires_at=expires,
        revoked_at=_from_text(revoked_at),
        superseded=superseded_by is not None,
        superseded_by=superseded_by,
    )


def _capabilities(values: Iterable[str]) -> frozenset[str]:
    """Normalized, then validated, so that a stored grant compares the way `Grant` checks it.

    Validating the canonical spelling accepts `api:API.Example.com`, which names the same host.
    """
    if isinstance(values, str):  # one capability, not its characters
        values = [values]
    out: set[str] = set()
    for value in values:
        canonical = normalize(value) if isinstance(value, str) else None
        if canonical is None or not valid(canonical):
            raise ValueError(f"invalid capability: {value!r}")
        out.add(canonical)
    return frozenset(out)


def _required(required: Iterable[str] | Any) -> frozenset[str]:
    """Capability strings, or a manifest's `.required` (a `Manifest` also iterates `Use`s, not strings)."""
    if hasattr(required, "required"):
        return frozenset(required.required)
    if isinstance(required, str):
        return frozenset([required])
    return frozenset(required)


def _check_key(principal: str, component: str | None, scope: str) -> None:
    if not isinstance(principal, str) or not principal:
        raise ValueError(f"principal must be a non-empty string, got {principal!r}")
    if component is not None and (not isinstance(component, str) or not component):
        raise ValueError(f"component must be a non-empty string, got {component!r}")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")


class GrantStore:
    """Grants in SQLite; safe to share between threads, and to open one file from several processes."""

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        clock: Callable[[], datetime] | None = None,
        validity: timedelta = DEFAULT_VALIDITY,
        busy_timeout: float = 30.0,
    ) -> None:
        if validity <= timedelta(0):
            raise ValueError(f"validity must be positive, got {validity!r}")
        self._clock = clock or _utc_now
        self.validity = validity
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        # isolation_level=None: no implicit transactions; every write opens its own BEGIN IMMEDIATE.
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._setup(busy_timeout)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    # -- setup ---------------------------------------------------------------------------------

    def _setup(self, busy_timeout: float) -> None:
        """WAL lets readers run beside the one writer; the schema is created (or migrated) under a lock."""
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if self.path != ":memory:":
            deadline = time.monotonic() + busy_timeout
            while True:  # switching to WAL needs a moment alone with the file; retry a first-open race
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            conn.execute("PRAGMA synchronous = NORMAL")  # durable against crashes in WAL mode, not fsync per commit
        with self._write() as cur:
            version = cur.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"grant store {self.path!r} has schema version {version}, newer than {SCHEMA_VERSION}"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step]:
                    cur.execute(statement)
            if version != SCHEMA_VERSION:
                cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the grant store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One read-modify-write: the thread lock, then SQLite's write lock taken up front (no upgrade race)."""
        with self._lock:
            conn = self._connection()
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
            finally:
                cur.close()

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def _now(self) -> datetime:
        now = self._clock()
        _to_text(now)  # rejects a naive clock early
        return now.astimezone(UTC)

    # -- public API ----------------------------------------------------------------------------

    def grant(
        self, principal: str, component: str, capabilities: Iterable[str], *, scope: str = "user"
    ) -> GrantRecord:
        """Records consent; an active grant for the same key is superseded by one holding the union.

        The new row's validity starts now: consenting again (to something new or the same) renews it.
        """
        _check_key(principal, component, scope)
        new = _capabilities(capabilities)
        now = self._now()
        now_text = _to_text(now)
        expires_text = _to_text(now + self.validity)
        with self._write() as cur:
            rows = cur.execute(
                "SELECT id, capabilities FROM grants"
                f" WHERE principal = ? AND component = ? AND scope = ? AND {_ACTIVE}",
                (principal, component, scope, now_text),
            ).fetchall()
            union = set(new)
            for _, caps in rows:
                union.update(json.loads(caps))
            cur.execute(
                "INSERT INTO grants (principal, component, scope, capabilities, granted_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (principal, component, scope, json.dumps(sorted(union)), now_text, expires_text),
            )
            new_id = cur.lastrowid
            cur.executemany(
                "UPDATE grants SET superseded_by = ? WHERE id = ?", [(new_id, old_id) for old_id, _ in rows]
            )
            row = cur.execute(f"SELECT {_COLUMNS} FROM grants WHERE id = ?", (new_id,)).fetchone()
        return _record(row)

    def revoke(self, principal: str, component: str | None = None, *, scope: str = "user") -> int:
        """Ends the principal's active grants now (one component's, or all when `component` is None)."""
        _check_key(principal, component, scope)
        now_text = _to_text(self._now())
        sql = f"UPDATE grants SET revoked_at = ? WHERE principal = ? AND scope = ? AND {_ACTIVE}"
        params: tuple[Any, ...] = (now_text, principal, scope, now_text)
        if component is not None:
            sql += " AND component = ?"
            params += (component,)
        with self._write() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def active(self, principal: str, component: str, *, org: str | None = None) -> Grant:
        """What a run of `component` by `principal` may use: their grant, plus their org's when given."""
        _check_key(principal, component, "user")
        if org is not None:
            _check_key(org, component, "org")
        now_text = _to_text(self._now())
        sql = f"SELECT capabilities FROM grants WHERE component = ? AND {_ACTIVE}"
        sql += " AND ((principal = ? AND scope = 'user')"
        params: tuple[Any, ...] = (component, now_text, principal)
        if org is not None:
            sql += " OR (principal = ? AND scope = 'org')"
            params += (org,)
        sql += ")"
        caps: set[str] = set()
        for (text,) in self._read(sql, params):
            caps.update(json.loads(text))
        return Grant(frozenset(caps))

    def missing(
        self, principal: str, component: str, required: Iterable[str] | Any, *, org: str | None = None
    ) -> frozenset[str]:
        """What the consent prompt must ask for; empty means the run may proceed."""
        return self.active(principal, component, org=org).missing(_required(required))

    def records(self, principal: str | None = None, *, include_inactive: bool = False) -> list[GrantRecord]:
        """Grants in the order they were made (any scope); with `include_inactive`, the whole history."""
        sql = f"SELECT {_COLUMNS} FROM grants"
        clauses: list[str] = []
        params: tuple[Any, ...] = ()
        if principal is not None:
            clauses.append("principal = ?")
            params += (principal,)
        if not include_inactive:
            clauses.append(_ACTIVE)
            params += (_to_text(self._now()),)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id"
        return [_record(row) for row in self._read(sql, params)]

    def close(self) -> None:
        """Idempotent; later calls raise `sqlite3.ProgrammingError`."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> GrantStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
