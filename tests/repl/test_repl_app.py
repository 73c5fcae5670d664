"""The prompt-toolkit shell, driven through a pipe input and a dummy output (keys in, text out)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.history import History, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from deluge.repl import Session
from deluge.repl.app import Repl, history_path

ENTER = "\r"
ALT_ENTER = "\x1b\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
UP = "\x1b[A"
TAB = "\t"


@pytest.fixture(autouse=True)
def _no_real_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DELUGE_REPL_HISTORY", str(tmp_path / "history"))
    yield


def drive(keys: str | list[str], session: Session | None = None, *, history: History | str = "memory",
          vi: bool = False) -> str:
    """Types `keys` into a REPL and returns what it printed (the banner line left out).

    A list of keys is typed one item per prompt, each as its prompt starts (what a person
    does; keys typed ahead reach a prompt before it has loaded its history).
    `history="file"` uses the history file (DELUGE_REPL_HISTORY).
    """
    chunks = [keys] if isinstance(keys, str) else list(keys)
    chunks[-1] += CTRL_C + CTRL_D  # leaves even when the keys did not
    out = io.StringIO()
    with create_pipe_input() as pipe:
        chosen = InMemoryHistory() if history == "memory" else None if history == "file" else history
        repl = Repl(session or Session(), input=pipe, output=DummyOutput(), stdout=out, history=chosen, vi=vi)
        prompt = repl.prompt.prompt

        def prompt_and_type(*args: Any, **kwargs: Any) -> str:
            if chunks:
                chunk = chunks.pop(0)
                return prompt(*args, pre_run=lambda: pipe.send_text(chunk), **kwargs)
            return prompt(*args, **kwargs)

        repl.prompt.prompt = prompt_and_type  # type: ignore[method-assign]
        rescue = threading.Timer(20, lambda: pipe.send_text((CTRL_C + CTRL_D) * 20))  # a stuck test fails
        rescue.start()
        try:
            repl.run()
        finally:
            rescue.cancel()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Deluge ")
    return "\n".join(lines[1:])


def test_multi_line_entry() -> None:
    history = InMemoryHistory()
    keys = ("total = 0;" + ENTER
            + "for each n in {1, 2, 3}" + ENTER  # the list's braces do not end the statement
            + "{" + ENTER
            + "total = total + n;" + ENTER
            + "}" + ENTER
            + "info total;" + ENTER
            + "if (total > 5) {" + ENTER + 'info "big";' + ENTER + "}" + ENTER
            + "else {" + ENTER + 'info "small";' + ENTER + "}" + ENTER
            + "m = {" + ENTER + '"a": 1' + ENTER + "};" + ENTER
            + "x = 1" + ENTER + ";" + ENTER  # a statement waits for its `;`
            + "m" + ENTER
            + CTRL_D)
    assert drive(keys, history=history) == '6\nbig\n{"a":1}  : KEY-VALUE'
    entered = history.get_strings()  # oldest first
    # the editor indents a block and takes the indent back for its `}`
    assert entered[1] == "for each n in {1, 2, 3}\n{\n    total = total + n;\n}"
    assert entered[3] == 'if (total > 5) {\n    info "big";\n}\nelse {\n    info "small";\n}'
    assert entered[5] == "x = 1\n;"


def test_an_error_leaves_the_session_usable() -> None:
    keys = ("a = 10;" + ENTER
            + "b = a / 0;" + ENTER
            + 'info "abc".nope();' + ENTER
            + "a + 1" + ENTER + CTRL_D)
    lines = drive(keys).splitlines()
    assert lines[:3] == ["<input>:1: runtime error: Division by zero", "b = a / 0;", "^"]
    assert lines[3].startswith("<input>:1:12: parse error: Unknown function 'nope'")
    assert lines[4:] == ['info "abc".nope();', "           ^", "11  : NUMBER"]


def test_run_repl_with_a_pipe_and_a_dummy_output() -> None:
    from deluge.repl import run_repl

    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("x = 6;" + ENTER + "x * 7" + ENTER + ":quit" + ENTER)
        run_repl(Session(), input=pipe, output=DummyOutput(), stdout=out, history=InMemoryHistory())
    assert out.getvalue().splitlines()[1:] == ["42  : NUMBER"]


def test_alt_enter_runs_an_input_as_it_is() -> None:
    out = drive("x = 1" + ALT_ENTER + CTRL_D)
    assert "parse error: Expecting ';'" in out


def test_ctrl_c_cancels_the_input_and_ctrl_d_leaves() -> None:
    session = Session()
    out = drive("x = 1" + ENTER + "+ 2" + CTRL_C + "y = 2;" + ENTER + CTRL_D + "z = 3;" + ENTER, session)
    assert out == ""
    assert session.variables == {"y": 2}  # x was cancelled; nothing after Ctrl-D ran


def test_history_is_saved_across_sessions(tmp_path: Path) -> None:
    assert history_path() == tmp_path / "history"
    session = Session()
    drive(["n = 41;" + ENTER, "n = 0;" + ENTER, UP + UP + ENTER, "for each i in {1, 2}\n{\nn = n + i;\n}" + ENTER],
          session, history="file")
    assert session.variables["n"] == 44  # Up twice brought back `n = 41;`, then the loop added 3
    saved = (tmp_path / "history").read_text(encoding="utf-8")
    assert "+n = 41;" in saved and "+for each i in {1, 2}" in saved
    # a new session: the history is still there; Up brings back the multi-line loop, and Enter runs it whole
    session = Session()
    session.handle("n = 1;")
    drive([UP + ENTER], session, history="file")
    assert session.variables["n"] == 4


def test_history_path_defaults_to_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DELUGE_REPL_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history_path() == tmp_path / "data" / "deluge" / "repl_history"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert history_path() == tmp_path / "home" / ".local" / "share" / "deluge" / "repl_history"


def test_tab_completes_variables_keys_and_methods() -> None:
    session = Session()
    session.handle('user = {"first_name": "Ann", "id": 7};')
    keys = ("us" + TAB + ENTER  # -> user
            + "user.fir" + TAB + ENTER  # -> user.first_name
            + 'user.get("i' + TAB + ")" + ENTER  # -> user.get("id")
            + "user.first_name.toUpperC" + TAB + "()" + ENTER
            + "zoho.encr" + TAB + ".base64E" + TAB + '("a")' + ENTER  # zoho namespaces
            + "user.toL" + TAB + ENTER  # a common part only: toList, toLong, ... (then Enter closes the menu)
            + CTRL_D)
    out = drive(keys, session).splitlines()
    assert out[:5] == ['{"first_name":"Ann","id":7}  : KEY-VALUE', "Ann  : TEXT", "7  : NUMBER", "ANN  : TEXT",
                       "YQ==  : TEXT"]


def test_completion_menu_for_a_map_variable_after_a_dot() -> None:
    from prompt_toolkit.application import get_app

    from deluge.repl.app import Repl

    session = Session()
    session.handle('user = {"first_name": "Ann", "id": 7};')
    seen: list[list[str]] = []
    with create_pipe_input() as pipe:
        repl = Repl(session, input=pipe, output=DummyOutput(), stdout=io.StringIO(), history=InMemoryHistory())

        def watch_the_menu() -> None:
            buffer = get_app().current_buffer

            def on_completions(_: object) -> None:
                state = buffer.complete_state
                if state is not None and state.completions and not seen:
                    seen.append([c.text for c in state.completions])
                    pipe.send_text(CTRL_C + CTRL_D)  # the menu is open: leave

            buffer.on_completions_changed += on_completions

        original = repl.prompt.prompt
        repl.prompt.prompt = lambda *a, **k: original(*a, pre_run=watch_the_menu, **k)  # type: ignore[method-assign]
        pipe.send_text("user." + TAB)
        repl.run()
    assert seen, "no completion menu opened"
    menu = seen[-1]
    assert menu[:2] == ["first_name", "id"]
    assert {"get", "keys", "put", "containsKey"} <= set(menu)
    assert "toUpperCase" not in menu


def test_vi_bindings() -> None:
    session = Session()
    # in Vi mode: type, Escape to normal mode, `0x` deletes the first character, Enter runs it
    drive("yy = 3;" + "\x1b" + "0x" + ENTER + CTRL_D, session, vi=True)
    assert session.variables == {"y": 3}


def test_every_command(tmp_path: Path) -> None:
    script = tmp_path / "script.dg"
    script.write_text('greeting = "hi";\nvoid hello(string who) { info greeting2() + " " + who; }\n'
                      'string greeting2() { return "hello"; }\n', encoding="utf-8")
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"user": {"first_name": "Ann"}, "arguments": "a b"}), encoding="utf-8")
    keys = "".join(line + ENTER for line in [
        ":help",
        ":help toUpperCase",
        f":load {script}",
        'hello("Bob");',
        f":context {context}",
        ':type user.get("first_name")',
        ":vars",
        ':time arguments.toList(" ").size()',
        ":limits steps=99",
        ":consent",
        ":reset",
        ":vars",
        ":nope",
        ":quit",
        "info 'never';",
    ])
    out = drive(keys)
    assert ":time CODE" in out and ":consent" in out  # :help
    assert "text.toUpperCase() -> text" in out
    assert f"loaded {script}: variables greeting; functions greeting2, hello" in out
    assert "hello Bob" in out
    assert "bound user, arguments" in out
    assert "\nTEXT\n" in out  # :type
    assert "void hello(string who)" in out  # :vars
    assert "2  : NUMBER\ntime: " in out
    assert "steps = 99" in out
    assert "This session wants to:" in out and "(reads arguments)" in out  # :consent
    assert "the session is empty again\nno variables yet" in out
    assert "unknown command :nope" in out
    assert "never" not in out  # :quit left


def test_consent_is_asked_at_the_prompt() -> None:
    keys = ('r = invokeurl [ url: "https://api.example.com/v1" type: GET ];' + ENTER
            + "n" + ENTER  # deny
            + "1 + 1" + ENTER + CTRL_D)
    out = drive(keys)
    assert "api.example.com" in out
    assert "consent error" in out
    assert out.endswith("2  : NUMBER")
