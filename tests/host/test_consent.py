"""The grant store (PLATFORM.md 8): prompts, expiry, revocation, scopes, persistence, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from deluge.capabilities import Grant, normalize
from deluge.host.consent import SCHEMA_VERSION, GrantRecord, GrantStore

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
SCRIPT_V1 = frozenset({"object:user.email", "task:zoho.crm.getRecords", "api:api.example.com"})
STORED_V1 = frozenset(normalize(c) for c in SCRIPT_V1)  # task names are stored in lower case


class Clock:
    """An injected clock the tests move forward instead of sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@attrs.frozen
class FakeManifest:
    """Stands in for `deluge.analysis.manifest.Manifest`: only `.required` matters to the store."""

    required: frozenset[str]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[GrantStore]:
    with GrantStore(clock=clock) as s:
        yield s


def test_first_run_prompts_for_everything(store: GrantStore) -> None:
    assert store.missing("alice", "weather-cmd", SCRIPT_V1) == SCRIPT_V1
    assert store.active("alice", "weather-cmd") == Grant()
    assert store.records() == []


def test_grant_then_nothing_missing(store: GrantStore, clock: Clock) -> None:
    record = store.grant("alice", "weather-cmd", SCRIPT_V1)
    assert record.capabilities == STORED_V1
    assert record.granted_at == T0 and record.expires_at == T0 + timedelta(days=60)
    assert record.scope == "user" and record.revoked_at is None and not record.superseded
    assert record.status(clock()) == "active"
    assert store.missing("alice", "weather-cmd", SCRIPT_V1) == frozenset()
    assert store.missing("alice", "weather-cmd", FakeManifest(SCRIPT_V1)) == frozenset()


def test_day_59_granted_day_61_expired(store: GrantStore, clock: Clock) -> None:
    record = store.grant("alice", "weather-cmd", SCRIPT_V1)
    clock.advance(days=59)
    assert store.missing("alice", "weather-cmd", SCRIPT_V1) == frozenset()
    clock.advance(days=2)
    assert store.missing("alice", "weather-cmd", SCRIPT_V1) == SCRIPT_V1
    assert record.status(clock()) == "expired"
    assert store.records("alice") == []
    assert [r.status(clock()) for r in store.records("alice", include_inactive=True)] == ["expired"]


def test_expiry_is_exact_and_validity_configurable(clock: Clock) -> None:
    with GrantStore(clock=clock, validity=timedelta(hours=1)) as store:
        store.grant("alice", "c", ["mail:send"])
        clock.advance(minutes=59, seconds=59)
        assert store.missing("alice", "c", ["mail:send"]) == frozenset()
        clock.advance(seconds=1)  # now == expires_at: no longer active
        assert store.missing("alice", "c", ["mail:send"]) == {"mail:send"}
    with pytest.raises(ValueError):
        GrantStore(validity=timedelta(0))


def test_regrant_after_expiry_starts_fresh(store: GrantStore, clock: Clock) -> None:
    store.grant("alice", "c", ["mail:send"])
    clock.advance(days=61)
    store.grant("alice", "c", ["connection:crm"])
    assert store.missing("alice", "c", ["mail:send", "connection:crm"]) == {"mail:send"}


def test_revoke_makes_everything_missing_again(store: GrantStore, clock: Clock) -> None:
    store.grant("alice", "weather-cmd", SCRIPT_V1)
    store.grant("alice", "other-cmd", ["mail:send"])
    clock.advance(hours=1)
    assert store.revoke("alice", "weather-cmd") == 1
    assert store.missing("alice", "weather-cmd", SCRIPT_V1) == SCRIPT_V1
    assert store.missing("alice", "other-cmd", ["mail:send"]) == frozenset()
    assert store.revoke("alice", "weather-cmd") == 0  # nothing active left
    (revoked,) = [r for r in store.records("alice", include_inactive=True) if r.component == "weather-cmd"]
    assert revoked.revoked_at == clock() and revoked.status(clock()) == "revoked"
    assert store.revoke("alice") == 1  # every component
    assert store.missing("alice", "other-cmd", ["mail:send"]) == {"mail:send"}
    assert store.revoke("nobody") == 0


def test_changed_script_asks_only_for_new_and_regrant_keeps_old(store: GrantStore, clock: Clock) -> None:
    first = store.grant("alice", "weather-cmd", SCRIPT_V1)
    v2 = FakeManifest(SCRIPT_V1 | {"connection:weather"})
    assert store.missing("alice", "weather-cmd", v2) == {"connection:weather"}
    clock.advance(days=30)
    second = store.grant("alice", "weather-cmd", store.missing("alice", "weather-cmd", v2))
    assert second.capabilities == STORED_V1 | {"connection:weather"}
    assert second.granted_at == clock() and second.expires_at == clock() + timedelta(days=60)
    assert store.missing("alice", "weather-cmd", v2) == frozenset()
    history = store.records("alice", include_inactive=True)
    assert [r.id for r in history] == [first.id, second.id]
    assert history[0].superseded and history[0].superseded_by == second.id and history[0].revoked_at is None
    assert history[0].status(clock()) == "superseded"
    assert store.records("alice") == [second]
    # the renewed grant runs 60 days from the re-grant, the old capabilities included
    clock.advance(days=59)
    assert store.missing("alice", "weather-cmd", v2) == frozenset()


def test_code_change_without_new_requirements_needs_nothing(store: GrantStore) -> None:
    store.grant("alice", "c", SCRIPT_V1)
    assert store.missing("alice", "c", FakeManifest(frozenset({"object:user.email"}))) == frozenset()


def test_org_grant_covers_every_user_of_that_org_only(store: GrantStore) -> None:
    store.grant("org-1", "ext.installation", ["object:user", "object:chat"], scope="org")
    needed = ["object:user.email", "object:chat"]
    assert store.missing("alice", "ext.installation", needed, org="org-1") == frozenset()
    assert store.missing("bob", "ext.installation", needed, org="org-1") == frozenset()
    assert store.missing("alice", "ext.installation", needed, org="org-2") == set(needed)
    assert store.missing("alice", "ext.other", needed, org="org-1") == set(needed)
    assert store.missing("alice", "ext.installation", needed) == set(needed)  # no org given
    # an org id is not a user id: the org grant does not count as a user grant of "org-1"
    assert store.missing("org-1", "ext.installation", needed) == set(needed)


def test_user_and_org_grants_add_up(store: GrantStore) -> None:
    store.grant("org-1", "ext.cmd", ["object:chat"], scope="org")
    store.grant("alice", "ext.cmd", ["mail:send"])
    assert store.active("alice", "ext.cmd", org="org-1") == Grant(frozenset({"object:chat", "mail:send"}))
    assert store.revoke("org-1", scope="org") == 1
    assert store.active("alice", "ext.cmd", org="org-1") == Grant(frozenset({"mail:send"}))


def test_user_grant_does_not_cover_another_user(store: GrantStore) -> None:
    store.grant("alice", "c", SCRIPT_V1)
    assert store.missing("bob", "c", SCRIPT_V1) == SCRIPT_V1
    assert store.revoke("bob", "c") == 0


def test_wildcards(store: GrantStore) -> None:
    store.grant("alice", "c", ["api:*", "connection:github", "task:zoho.crm.*"])
    assert store.missing("alice", "c", ["api:x.com", "api:API.Example.COM:8443"]) == frozenset()
    assert store.missing("alice", "c", ["connection:*"]) == {"connection:*"}
    assert store.missing("alice", "c", ["connection:github", "connection:slack"]) == {"connection:slack"}
    assert store.missing("alice", "c", ["task:zoho.crm.getRecords", "task:zoho.books.getRecords"]) == {
        "task:zoho.books.getRecords"
    }


def test_capabilities_validated_and_normalized(store: GrantStore) -> None:
    for bad in ["nonsense", "api:", "mail:receive", "object:", "task:crm.getRecords", ""]:
        with pytest.raises(ValueError, match="invalid capability"):
            store.grant("alice", "c", ["mail:send", bad])
    assert store.records(include_inactive=True) == []  # nothing half-stored
    record = store.grant("alice", "c", ["api:x.com", "api:X.COM", " task:Zoho.CRM.getRecords "])
    assert record.capabilities == {"api:x.com", "task:zoho.crm.getrecords"}
    assert store.missing("alice", "c", ["task:zoho.crm.getRecords"]) == frozenset()
    single = store.grant("alice", "d", "mail:send")  # one string is one capability
    assert single.capabilities == {"mail:send"}


def test_bad_keys_rejected(store: GrantStore) -> None:
    with pytest.raises(ValueError, match="scope"):
        store.grant("alice", "c", ["mail:send"], scope="team")
    with pytest.raises(ValueError, match="principal"):
        store.grant("", "c", ["mail:send"])
    with pytest.raises(ValueError, match="component"):
        store.active("alice", "")


def test_naive_clock_rejected() -> None:
    with GrantStore(clock=lambda: datetime(2024, 1, 1)) as store, pytest.raises(ValueError, match="naive"):
        store.grant("alice", "c", ["mail:send"])


def test_record_status_precedence() -> None:
    base = GrantRecord(1, "a", "c", "user", frozenset(), T0, T0 + timedelta(days=60))
    late = T0 + timedelta(days=90)
    assert base.status(T0) == "active" and base.status(late) == "expired"
    assert attrs.evolve(base, superseded=True).status(late) == "superseded"
    assert attrs.evolve(base, superseded=True, revoked_at=T0).status(T0) == "revoked"


def test_persistence_across_reopen(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "grants.db"
    with GrantStore(path, clock=clock) as store:
        first = store.grant("alice", "c", SCRIPT_V1)
        store.grant("org-1", "c", ["mail:send"], scope="org")
        store.revoke("org-1", scope="org")
    with GrantStore(str(path), clock=clock) as store:
        assert store.missing("alice", "c", SCRIPT_V1) == frozenset()
        assert store.records("alice") == [first]
        assert [r.status(clock()) for r in store.records(include_inactive=True)] == ["active", "revoked"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "grants.db"
    GrantStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer"):
        GrantStore(path)


def test_closed_store_refuses_use() -> None:
    store = GrantStore()
    store.close()
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.active("alice", "c")


def test_threads_sharing_one_store_lose_nothing(tmp_path: Path) -> None:
    with GrantStore(tmp_path / "grants.db") as store:
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                barrier.wait()
                for i in range(50):
                    store.grant(f"user-{t % 2}", f"comp-{t}-{i}", ["mail:send"])
                    store.grant("shared", "comp", [f"connection:t{t}_{i}"])
            except BaseException as error:  # surfaced below; a thread's exception would otherwise vanish
                errors.append(error)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len([r for r in store.records() if r.principal != "shared"]) == 400
        expected = {f"connection:t{t}_{i}" for t in range(8) for i in range(50)}
        assert store.missing("shared", "comp", expected) == frozenset()
        assert len(store.records("shared")) == 1  # every earlier row superseded


def test_separate_store_objects_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "grants.db"
    stores = [GrantStore(path) for _ in range(4)]
    barrier = threading.Barrier(len(stores))

    def work(n: int) -> None:
        barrier.wait()
        for i in range(25):
            stores[n].grant("alice", "c", [f"connection:s{n}_{i}"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {f"connection:s{n}_{i}" for n in range(4) for i in range(25)}
    assert stores[0].active("alice", "c").capabilities == expected
    for store in stores:
        store.close()


def _grant_in_process(path: str, n: int, start: Event) -> None:
    """Runs in a child process: one more writer on the same file, started together with the others."""
    start.wait(30)
    with GrantStore(path) as store:
        for i in range(10):
            store.grant("alice", "shared-cmd", [f"connection:p{n}_{i}", f"api:p{n}.example.com"])


def test_processes_writing_one_file_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "grants.db")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_grant_in_process, args=(path, n, start)) for n in range(4)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    with GrantStore(path) as store:
        granted = store.active("alice", "shared-cmd").capabilities
        expected = {f"connection:p{n}_{i}" for n in range(4) for i in range(10)}
        expected |= {f"api:p{n}.example.com" for n in range(4)}
        assert granted == expected
        history = store.records("alice", include_inactive=True)
        assert len(history) == 40 and sum(not r.superseded for r in history) == 1
