"""`run_isolated`: the same results as `deluge.run`, from a child process held to OS limits."""

from __future__ import annotations

import datetime as _dt
import enum
import json
import os
import signal
import threading
import time
from typing import Any

import pytest

import deluge
from deluge import isolated
from deluge.isolated import AnswerError, decode_answer, run_isolated
from deluge.limits import Limits
from deluge.runtime.convert import to_host

resource = pytest.importorskip("resource")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.path.exists("/proc/self/statm"),
                                reason="isolated runs need Linux")



class Size(enum.IntEnum):
    BIG = 7


INVOKE = """info "before";
resp = invokeurl
[
\turl: "https://example.com/api"
\ttype: GET
];
info "after";
"""

# (source, context, grant, limits)
SCRIPTS: list[tuple[str, dict[str, Any] | None, Any, Limits | None]] = [
    ('info "Hello";\nnames = {"Ann", "Ravi"};\nfor each n in names { info "hi " + n; }\nreturn names.size();',
     None, None, None),
    ('info "a";\nreturn {"k": 1, "l": [1, 2.5, true, null], "t": "x\\ny"};', None, None, None),
    ("x = 1;\ninfo x;\ninfo x / 0;\ninfo 2;", None, None, None),
    ("info 1;\ninfo x y;", None, None, None),
    ("info 1;\ninfo missing;", None, None, None),
    ('l = {1,2,3,4,5,6,7,8,9,10};\nfor each a in l { for each b in l { for each c in l { info a; } } }', None, None,
     Limits(steps=200)),
    ("int f(int n) {\n  return f(n + 1);\n}\ninfo f(1);", None, None, None),
    ('try { info 1 / 0; } catch (e) { info "caught " + e; }\nreturn "done";', None, None, None),
    (INVOKE, None, None, None),
    (INVOKE, None, "all", None),
    (INVOKE, None, ["api:example.com"], None),
    ('info name + " has " + items.size();\nreturn {"when": when, "who": name, "day": day};',
     {"name": "Ann", "items": [1, 2, {"k": "v"}], "when": _dt.datetime(2024, 3, 15, 10, 20, 30),
      "day": _dt.date(2024, 1, 2)}, None, None),
    ('info "héllo ✓ 日本";\nreturn "x".repeat(5000);', None, None, None),
    ('t = "ab".repeat(3000);\nt = t + t;', None, None, Limits(text_length=5000)),
    ('for each i in {1,2,3,4,5} { info i; }', None, None, Limits(output_lines=3)),
    ('m = "{\\"a\\": [1, {\\"b\\": 2}]}".toMap();\nreturn m;', None, None, None),
    ("return zoho.loginuser;", {"zoho": {"loginuser": "bob@example.com"}}, None, None),
    ("info zoho.appname;\nreturn zoho.currenttime;",
     {"zoho": {"currenttime": "15-Mar-2019 10:20:30", "appname": "crm"}}, None, None),
    ("return n + 1;", {"n": Size.BIG}, None, None),
    ("return;", None, None, None),
    ("return null;", None, None, None),
]


def _error_shape(error: deluge.DelugeError | None) -> Any:
    if error is None:
        return None
    return (type(error), error.kind, error.message, error.line, error.column, error.frames,
            getattr(error, "limit", None), getattr(error, "capability", None))


@pytest.mark.parametrize("source, context, grant, limits", SCRIPTS)
def test_same_results_as_run(source: str, context: dict[str, Any] | None, grant: Any,
                             limits: Limits | None) -> None:
    expected = deluge.run(source, context, grant=grant, limits=limits)
    got = run_isolated(source, context, grant=grant, limits=limits)
    assert got.output == expected.output
    assert got.returned == expected.returned
    assert _error_shape(got.error) == _error_shape(expected.error)
    assert got.value == (to_host(expected.value) if expected.returned is not None else None)
    assert got.stats.steps == expected.stats.steps
    assert got.stats.work == expected.stats.work


def test_concurrent_runs_keep_their_own_results() -> None:
    results: dict[int, deluge.Result] = {}

    def work(i: int) -> None:
        results[i] = run_isolated(f"for each x in {{1, 2, 3}} {{ info x * {i}; }}\nreturn {i};")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(6):
        assert results[i].output == [str(i), str(2 * i), str(3 * i)]
        assert results[i].value == i


def test_context_the_host_must_fix_raises_like_run() -> None:
    with pytest.raises(TypeError):
        run_isolated("info x;", {"x": object()})
    with pytest.raises(TypeError):
        run_isolated("info x;", {1: 2})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        run_isolated("info x;", {"x": float("nan")})
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    result = run_isolated("info x;", {"x": deep})
    assert isinstance(result.error, deluge.BudgetExceeded) and result.error.limit == "data_nesting"


def _resident() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


MEMORY_BOMB = """
l = list();
for each i in {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20} {
  for each j in {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20} {
    for each k in {1,2,3,4,5,6,7,8,9,10} {
      l.add("abcdefgh".repeat(100000) + i + j + k);
    }
  }
}
info l.size();
"""


def test_memory_bomb_ends_at_the_os_cap_as_a_memory_budget_error() -> None:
    unmetered = Limits(memory=1 << 40, allocation=1 << 50, text_length=10**9, collection_size=10**7,
                       steps=10**9, work=10**12)
    before = _resident()
    outcome = isolated._execute(MEMORY_BOMB, limits=unmetered, memory_bytes=256 * isolated.MiB)
    error = outcome.result.error
    assert isinstance(error, deluge.BudgetExceeded), error
    assert error.limit == "memory"
    assert outcome.max_rss is not None and outcome.max_rss < isolated._server().rss + 300 * isolated.MiB
    assert _resident() - before < 64 * isolated.MiB  # the host never held the bomb
    assert run_isolated("info 1 + 1;").output == ["2"]


HOG = ("l = {1,2,3,4,5,6,7,8,9,10};\nfor each a in l { for each b in l { for each c in l { for each d in l {"
       " for each e in l { for each f in l { for each g in l { for each h in l { x = 1; } } } } } } } }")


def test_cpu_hog_stops_at_its_cpu_time() -> None:
    started = time.monotonic()
    result = run_isolated(HOG, limits=Limits(steps=10**12, cpu_time=0.5))
    assert isinstance(result.error, deluge.BudgetExceeded)
    assert result.error.limit in ("cpu_time", "wall_time")
    assert time.monotonic() - started < 5


def test_long_loop_with_a_big_step_limit_stops_at_its_wall_time() -> None:
    started = time.monotonic()
    result = run_isolated(HOG, limits=Limits(steps=10**12, wall_time=1.0))
    assert isinstance(result.error, deluge.BudgetExceeded)
    assert result.error.limit == "wall_time"
    assert time.monotonic() - started < 1.0 + isolated.WALL_MARGIN + 1.0


def test_a_child_that_does_not_answer_is_killed_at_its_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated, "WALL_MARGIN", 0.2)
    started = time.monotonic()
    outcome = isolated._execute("info 1;", limits=Limits(wall_time=0.3), hook="sleep")
    assert time.monotonic() - started < 2.0
    assert outcome.killed == "wall_time" and outcome.exit_code == -signal.SIGKILL
    error = outcome.result.error
    assert isinstance(error, deluge.BudgetExceeded) and error.limit == "wall_time"


def test_a_child_spinning_past_rlimit_cpu_ends_as_cpu_time() -> None:
    outcome = isolated._execute("info 1;", cpu_seconds=0.5, hook="spin")
    assert outcome.exit_code == -signal.SIGXCPU
    error = outcome.result.error
    assert isinstance(error, deluge.BudgetExceeded) and error.limit == "cpu_time"


def test_a_crashing_child_is_a_runtime_error() -> None:
    outcome = isolated._execute("info 1;", hook="crash")
    error = outcome.result.error
    assert type(error) is deluge.DelugeRuntimeError
    assert "crashed" in error.message and "SIGSEGV" in error.message


def test_garbage_and_floods_from_the_child_are_error_results() -> None:
    garbage = isolated._execute("info 1;", hook="garbage").result.error
    assert type(garbage) is deluge.DelugeRuntimeError and "malformed" in garbage.message
    started = time.monotonic()
    flood = isolated._execute("info 1;", limits=Limits(output_bytes=1000), hook="flood")
    assert time.monotonic() - started < 5
    assert flood.killed == "answer"
    assert type(flood.result.error) is deluge.DelugeRuntimeError and "larger" in flood.result.error.message


def test_the_child_sees_no_environment_and_runs_locked_down(monkeypatch: pytest.MonkeyPatch) -> None:
    isolated.shutdown()  # the next run starts a zygote from this environment
    monkeypatch.setenv("DELUGE_ISOLATION_SECRET", "s3cr3t-token")
    outcome = isolated._execute("info 1;", limits=Limits(cpu_time=2.0), memory_bytes=512 * isolated.MiB,
                                hook="probe")
    probe = outcome.probe
    assert probe["environ"] == {}
    assert "s3cr3t" not in probe["initial_environ"]
    with open(f"/proc/{isolated._server().pid}/environ", "rb") as f:
        assert b"s3cr3t" not in f.read()
    # only stdin/stdout/stderr (/dev/null), the answer pipe, and the probe's own listing of /proc/self/fd
    assert set(probe["fds"]) - {0, 1, 2, probe["res_w"]} <= {3}
    limits = probe["limits"]
    assert limits["RLIMIT_FSIZE"] == [0, 0]
    assert limits["RLIMIT_CORE"] == [0, 0]
    assert limits["RLIMIT_NPROC"] == [0, 0]
    assert limits["RLIMIT_NOFILE"] == [isolated.OPEN_FILES, isolated.OPEN_FILES]
    soft, hard = limits["RLIMIT_CPU"]
    assert 3 <= soft <= 4 and hard == soft + 1  # what compiling used, plus cpu_time + 1 s, rounded up
    address_space = limits["RLIMIT_AS"][0]
    assert address_space == limits["RLIMIT_AS"][1]
    assert 512 * isolated.MiB < address_space < 512 * isolated.MiB + 4 * isolated._server().vm
    assert probe["cwd"] == "/"


def test_without_the_resource_module_it_refuses_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated, "resource", None)
    with pytest.raises(RuntimeError, match="resource"):
        run_isolated("info 1;")


def test_a_killed_zygote_is_replaced() -> None:
    server = isolated._server()
    os.kill(server.pid, signal.SIGKILL)
    server.process.wait()
    assert run_isolated("info 3;").output == ["3"]
    assert isolated._server().pid != server.pid


def test_a_zygote_that_died_unnoticed_is_replaced_on_submit(monkeypatch: pytest.MonkeyPatch) -> None:
    server = isolated._server()
    os.kill(server.pid, signal.SIGKILL)
    time.sleep(0.2)  # dead, but not reaped: poll() would notice, so pretend it did not look
    calls: list[int] = []
    real_alive = isolated._Server.alive

    def alive_once(self: isolated._Server) -> bool:
        calls.append(1)
        return True if len(calls) == 1 else real_alive(self)

    monkeypatch.setattr(isolated._Server, "alive", alive_once)
    assert run_isolated("info 4;").output == ["4"]
    assert isolated._server().pid != server.pid


# ---------------------------------------------------------------- decoding a child's answer

GOOD: dict[str, Any] = {
    "output": ["a", "b"],
    "returned": '{"k":1}',
    "value": {"k": 1},
    "error": None,
    "stats": {"steps": 3, "elapsed": 0.5, "work": 7, "http_calls": 0},
}


def _encode(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_decoding_a_good_answer() -> None:
    result, probe = decode_answer(_encode(GOOD), 1 << 20)
    assert probe is None
    assert result.output == ["a", "b"] and result.returned == '{"k":1}' and result.value == {"k": 1}
    assert result.error is None and result.stats == deluge.Stats(steps=3, elapsed=0.5, work=7)
    for kind, extra, cls in [("parse", {}, deluge.ParseError), ("runtime", {}, deluge.DelugeRuntimeError),
                             ("budget", {"limit": "steps"}, deluge.BudgetExceeded),
                             ("consent", {"capability": "api:x"}, deluge.ConsentRequired)]:
        error = {"kind": kind, "message": "m", "line": 2, "column": 3, "frames": [["f", 1], ["<script>", 2]],
                 **extra}
        result, _ = decode_answer(_encode({**GOOD, "error": error}), 1 << 20)
        assert type(result.error) is cls
        assert (result.error.line, result.error.column, result.error.frames) == (2, 3, (("f", 1), ("<script>", 2)))
    budget = decode_answer(_encode({**GOOD, "error": {"kind": "budget", "message": "m", "limit": "memory"}}),
                           1 << 20)[0].error
    assert isinstance(budget, deluge.BudgetExceeded) and budget.limit == "memory"


@pytest.mark.parametrize("data", [
    b"",
    b"x" * 2000,  # over the cap
    b"\xff\xfe{}",
    b"{not json",
    b"[" * 100_000 + b"]" * 100_000,
    b"[]",
    b"null",
    _encode({**GOOD, "extra": 1}),
    _encode({**GOOD, "output": "a"}),
    _encode({**GOOD, "output": ["a", 1]}),
    _encode({**GOOD, "returned": 5}),
    _encode({**GOOD, "returned": None}),  # a value without a rendering
    _encode({**GOOD, "stats": None}),
    _encode({**GOOD, "stats": {"steps": -1}}),
    _encode({**GOOD, "stats": {"steps": True}}),
    b'{"output": [], "returned": null, "value": null, "error": null, "stats": {"elapsed": NaN}}',
    _encode({**GOOD, "error": "boom"}),
    _encode({**GOOD, "error": {"kind": "python", "message": "m"}}),
    _encode({**GOOD, "error": {"kind": "runtime"}}),
    _encode({**GOOD, "error": {"kind": "runtime", "message": "m", "line": "2"}}),
    _encode({**GOOD, "error": {"kind": "runtime", "message": "m", "line": True}}),
    _encode({**GOOD, "error": {"kind": "runtime", "message": "m", "frames": [["f"]]}}),
    _encode({**GOOD, "error": {"kind": "budget", "message": "m"}}),
    _encode({**GOOD, "error": {"kind": "consent", "message": "m"}}),
])
def test_decoding_refuses_malformed_answers(data: bytes) -> None:
    with pytest.raises(AnswerError):
        decode_answer(data, 1000 if len(data) == 2000 else 1 << 20)


def test_runs_in_a_row_leave_the_host_limits_alone() -> None:
    # (the time per run is measured by benchmarks/isolated_overhead.py, not here)
    run_isolated("info 0;")  # the zygote is up
    for i in range(5):
        assert run_isolated(f"info {i};").output == [str(i)]
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] != 0  # the host's own limits are untouched
