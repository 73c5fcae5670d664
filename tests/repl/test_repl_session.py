"""The REPL session without a terminal: state, evaluation, errors and the `:` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deluge.limits import Limits
from deluge.repl.session import COMPLETE, INCOMPLETE, INVALID, Session


@pytest.fixture
def session() -> Session:
    return Session()


def test_variables_persist_between_inputs(session: Session) -> None:
    assert session.handle("total = 0;").text == ""
    reply = session.handle("for each n in {1, 2, 3}\n{\n    total = total + n;\n}\ninfo total;")
    assert reply.ok and reply.text == "6"
    assert session.handle("total * 2").text == "12  : NUMBER"
    assert session.variables["total"] == 6 and session.variables["n"] == 3


def test_an_expression_shows_its_value_and_type(session: Session) -> None:
    session.handle('user = {"name": "Ann", "tags": {"a", "b"}};')
    assert session.handle("user").text == '{"name":"Ann","tags":["a","b"]}  : KEY-VALUE'
    assert session.handle('user.get("tags")').text == 'a,b  : LIST'
    assert session.handle('"abc".length()').text == "3  : NUMBER"
    assert session.handle("user;").text == session.handle("user").text  # a name with its `;`
    assert session.handle("1.5 * 2").text == "3.0  : DECIMAL"
    assert session.handle('"x"').text == "x  : TEXT"
    assert session.handle("null").text == "null  : NULL"
    assert session.handle("x = 1; x + 1").text == "2  : NUMBER"  # statements, then an expression
    assert session.handle('"01-Jan-2024".toDate()').text == "01-Jan-2024  : DATE"


def test_a_call_statement_shows_its_value_unless_null(session: Session) -> None:
    session.handle('m = {"a": 1};')
    assert session.handle('m.put("b", 2);').text == ""
    assert session.handle('m.get("b");').text == "2  : NUMBER"
    assert session.variables["m"] == {"a": 1, "b": 2}


def test_info_prints_as_in_a_run(session: Session) -> None:
    reply = session.handle('info "hello"; info {1, 2}; info 3 / 2;')
    assert reply.text == 'hello\n1,2\n1'
    assert all(style == "class:output" for style, _ in reply.fragments)


def test_a_lone_assignment_is_no_comparison(session: Session) -> None:
    # without its `;`, `x = 1` is a statement still being typed, not `x == 1`
    assert session.completeness("x = 1") == INCOMPLETE
    assert not session.is_expression("x = 1")
    assert session.completeness("x == 1") == COMPLETE
    assert session.completeness("x = ;") == INVALID


def test_an_error_leaves_the_session_usable(session: Session) -> None:
    session.handle("a = 1;")
    reply = session.handle("b = 2;\nc = b / 0;\nd = 4;")
    assert not reply.ok
    assert reply.text == "<input>:2: runtime error: Division by zero\nc = b / 0;\n^"
    assert session.variables == {"a": 1, "b": 2}  # what was assigned before the error stays
    assert session.handle("a + b").text == "3  : NUMBER"
    parse = session.handle('info "abc".nope();')
    assert "<input>:1:12: parse error: Unknown function 'nope'" in parse.text
    assert parse.text.splitlines()[1:] == ['info "abc".nope();', "           ^"]
    assert session.handle("undefined_thing").text.startswith("<input>:1:1: parse error: Variable 'undefined_thing'")
    assert session.handle("a").text == "1  : NUMBER"


def test_an_error_in_an_expression_points_at_the_input(session: Session) -> None:
    reply = session.handle('1 + "abc".nope()')
    assert reply.text.splitlines()[0] == "<input>:1:11: parse error: Unknown function 'nope'"
    assert reply.text.splitlines()[1:] == ['1 + "abc".nope()', "          ^"]


def test_a_variable_assigned_in_a_branch_not_taken_keeps_its_value(session: Session) -> None:
    session.handle("x = 5;")
    session.handle("if (false) { x = 99; }")
    assert session.variables["x"] == 5
    session.handle("if (true) { x = null; }")
    assert session.variables["x"] is None


def test_aliases_and_types_survive_between_inputs(session: Session) -> None:
    session.handle("a = {1}; b = a; t = List:String(); t.add(\"x\");")
    session.handle("a.add(2);")
    assert session.handle("b").text == "1,2  : LIST"
    assert "error" not in session.handle('try { q = 1 / 0; } catch (e) { caught = e; }').text
    assert session.handle("caught.message").text.endswith("  : TEXT")
    session.handle("t.add(3);")
    assert session.handle("t.get(1)").text == "3  : TEXT"  # still a typed list: a number added becomes text


def test_functions_persist_and_can_be_redefined(session: Session) -> None:
    assert session.handle("int twice(int n) { return n * 2; }").text == ""
    assert session.handle("twice(21)").text == "42  : NUMBER"
    session.handle("int thrice(int n) { return twice(n) + n; }\ninfo thrice(2);")
    assert session.handle("thrice(3)").text == "9  : NUMBER"
    session.handle("int twice(int n) { return n + n + 1; }")
    assert session.handle("thrice(3)").text == "10  : NUMBER"
    assert session.handle("int bad(int n) { return nope; }").ok is False
    assert "bad" not in session.functions


def test_an_error_inside_a_session_function(session: Session) -> None:
    session.handle("int inverse(int n) { return 1 / n; }")
    reply = session.handle("inverse(0)")
    assert "runtime error: Division by zero" in reply.text
    assert "int inverse(int n) { return 1 / n; }" in reply.text  # the excerpt shows the function's line


def test_budgets_apply_per_input() -> None:
    session = Session(limits=Limits.interactive(steps=200))
    session.handle("n = 0;")
    loop = 'for each i in "".leftpad(60).toList("") { n = n + 1; }'
    assert session.handle(loop).ok
    assert session.handle(loop).ok  # a fresh budget: 300 steps in all would not fit one
    reply = session.handle('for each i in "".leftpad(500).toList("") { n = n + 1; }')
    assert "budget error" in reply.text
    assert 120 < session.variables["n"] < 600
    assert session.handle("n > 0").text == "true  : BOOLEAN"


def test_a_stopped_input_keeps_its_variables() -> None:
    import threading

    session = Session(limits=Limits.interactive(steps=10**9, wall_time=60.0, cpu_time=60.0))
    session.handle("count = 0;")
    timer = threading.Timer(0.2, session.interrupt)
    source = 'big = "".leftpad(5000).toList("");\nfor each a in big { for each b in big { count = count + 1; } }'
    timer.start()
    reply = session.handle(source)
    timer.join()
    assert "Stopped (Ctrl-C)" in reply.text
    assert 0 < session.variables["count"] < 9_000_000


# ---------------------------------------------------------------- commands


def test_help(session: Session) -> None:
    text = session.handle(":help").text
    for command in (":help", ":type", ":vars", ":reset", ":load", ":context", ":consent", ":limits", ":time",
                    ":quit"):
        assert command in text
    entry = session.handle(":help getJSON").text
    assert "map.getJSON(key:any) -> any|null" in entry and "reference:" in entry
    assert "did you mean" in session.handle(":help getJSN").text
    session.handle("int twice(int n) { return n * 2; }")
    assert session.handle(":help twice").text == "int twice(int n)  (defined in this session)"
    assert session.handle(":help :vars").text.startswith(":vars")
    assert session.handle(":h").text == text


def test_type(session: Session) -> None:
    session.handle('m = {"a": 1.5};')
    assert session.handle(":type m").text == "KEY-VALUE"
    assert session.handle(':type m.get("a")').text == "DECIMAL"
    assert session.handle(":type today").text == "DATE"
    assert session.handle(":type x = 1;").ok is False
    assert session.handle(":type").ok is False
    session.handle(":type m.put(\"b\", 1)")
    assert set(session.variables) == {"m"}


def test_vars_and_reset(session: Session) -> None:
    assert session.handle(":vars").text == "no variables yet"
    session.handle('name = "Ann"; n = 7; long = "".leftpad(100);')
    session.handle("void hello(string who) { info \"hi \" + who; }")
    lines = session.handle(":vars").text.splitlines()
    assert lines[0].split() == ["long", "TEXT"] or lines[0].startswith("long  TEXT")
    assert lines[1].split() == ["n", "NUMBER", "7"]
    assert lines[2].split() == ["name", "TEXT", "Ann"]
    assert lines[-2:] == ["functions:", "  void hello(string who)"]
    assert session.handle(":reset").text == "the session is empty again"
    assert session.variables == {} and session.functions == {}
    assert session.handle(":vars").text == "no variables yet"
    assert "not defined" in session.handle("n").text


def test_load(session: Session, tmp_path: Path) -> None:
    script = tmp_path / "script.dg"
    script.write_text("base = 10;\nint add(int a) { return a + base2(); }\nint base2() { return 2; }\n"
                      "info add(base);\n", encoding="utf-8")
    reply = session.handle(f":load {script}")
    assert reply.text == f"12\nloaded {script}: variables base; functions add, base2"
    assert session.handle("add(1)").text == "3  : NUMBER"
    broken = tmp_path / "broken.dg"
    broken.write_text("x = 1;\ny = x / 0;\n", encoding="utf-8")
    failed = session.handle(f":load {broken}")
    assert failed.text.startswith(f"{broken}:2: runtime error: Division by zero")
    assert session.variables["x"] == 1
    assert session.handle(f":load {tmp_path / 'missing.dg'}").text.startswith("cannot read")
    assert session.handle(":load").ok is False


def test_context(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "context.json"
    path.write_text(json.dumps({
        "user": {"first_name": "Ann", "id": "42"},
        "chat": {"id": "CT_1"},
        "arguments": "hello",
        "zoho": {"loginuser": "ann@example.com"},
    }), encoding="utf-8")
    reply = session.handle(f":context {path}")
    assert reply.text == "bound user, chat, arguments\nsystem variables: zoho.loginuser"
    assert session.handle('user.get("first_name")').text == "Ann  : TEXT"
    assert session.handle("zoho.loginuser").text == "ann@example.com  : TEXT"
    assert session.handle("arguments.length()").text == "5  : NUMBER"
    path.write_text("[1, 2]", encoding="utf-8")
    assert "must hold a JSON object" in session.handle(f":context {path}").text
    path.write_text("{nope", encoding="utf-8")
    assert "is not valid JSON" in session.handle(f":context {path}").text


def test_consent_shows_everything_entered(session: Session) -> None:
    assert session.handle(":consent").text == "nothing entered yet"
    session.handle("x = 1;")
    assert "needs no permission" in session.handle(":consent").text
    session.handle('r = invokeurl [ url: "https://api.example.com/v1" type: GET ];')
    session.handle('void notify() { sendmail [ from: zoho.adminuserid to: "a@example.com" subject: "s" '
                   'message: "m" ]; }')
    session.handle('zoho.cliq.postToChat("CT_1", "hi")')
    session.handle("notify();")
    text = session.handle(":consent").text
    assert "api.example.com (input 2)" in text
    assert "Send email as you (in notify())" in text
    assert "postToChat" in text
    assert '  input 2: r = invokeurl [ url: "https://api.example.com/v1" type: GET ];' in text.splitlines()


def test_consent_is_asked_once_per_capability() -> None:
    asked: list[frozenset[str]] = []

    def ask(manifest: object, missing: frozenset[str]) -> bool:
        asked.append(missing)
        return False

    session = Session(ask=ask)
    reply = session.handle('r = invokeurl [ url: "https://api.example.com/v1" type: GET ];')
    assert asked == [frozenset({"api:api.example.com"})]
    assert "consent error" in reply.text
    allowed = Session(ask=lambda manifest, missing: True)
    allowed.handle('x = 1;')
    assert allowed.grant.capabilities == frozenset()
    allowed._consent(allowed_program('r = invokeurl [ url: "https://api.example.com/v1" type: GET ];'))
    assert allowed.grant.allows("api:api.example.com")


def allowed_program(source: str) -> object:
    from deluge.runtime.program import compile_program

    return compile_program(source)


def test_limits(session: Session) -> None:
    text = session.handle(":limits").text
    assert "steps = 200000" in text and "wall_time = 15" in text
    assert "steps = 50" in session.handle(":limits steps=50").text
    assert session.limits.steps == 50
    assert "budget error" in session.handle('for each i in "".leftpad(100).toList("") { j = i; }').text
    assert session.handle(":limits nope=1").ok is False
    assert session.handle(":limits steps").ok is False


def test_time(session: Session) -> None:
    reply = session.handle(":time 6 * 7")
    lines = reply.text.splitlines()
    assert lines[0] == "42  : NUMBER"
    assert lines[1].startswith("time: ") and lines[1].endswith((" steps", " step"))
    assert session.handle(":time x = 3;").ok
    assert session.variables["x"] == 3
    assert session.handle(":time").ok is False


def test_quit_and_unknown_commands(session: Session) -> None:
    assert session.handle(":quit").quit
    assert session.handle(":q").quit
    assert session.handle(":exit").quit
    reply = session.handle(":frobnicate")
    assert not reply.ok and "unknown command :frobnicate" in reply.text
    assert session.handle("   ").text == ""
