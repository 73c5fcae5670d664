"""End to end: the real `deluge repl` in a pseudo-terminal, typed into as a person would."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

TIMEOUT = 30  # generous: a cold start compiles the grammar and the catalog


def _command() -> tuple[str, list[str]]:
    script = Path(sys.executable).with_name("deluge")
    if script.is_file():
        return str(script), ["repl"]
    return sys.executable, ["-m", "deluge.cli", "repl"]


@pytest.fixture
def repl(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = dict(os.environ)
    env.update({
        "DELUGE_REPL_HISTORY": str(tmp_path / "history"),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # nobody answers the cursor-position question here
        "DELUGE_CACHE_DIR": str(tmp_path / "cache"),
    })
    program, args = _command()
    child = pexpect.spawn(program, args, env=env, cwd=str(tmp_path), encoding="utf-8", timeout=TIMEOUT,
                          dimensions=(40, 120))
    yield child
    if child.isalive():
        child.terminate(force=True)


_ESCAPES = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def see(child, text: str) -> None:  # type: ignore[no-untyped-def]
    """Waits for `text` on the screen, whatever colour and cursor codes the terminal gets between its characters."""
    child.expect(_ESCAPES.join(re.escape(ch) for ch in text))


def type_line(child, text: str) -> None:  # type: ignore[no-untyped-def]
    child.send(text + "\r")  # Enter is a carriage return on a terminal


def test_a_multi_line_for_each_in_a_terminal(repl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    see(repl, "Ctrl-D leaves.")
    see(repl, "deluge> ")
    type_line(repl, 'user = {"name": "Ann", "id": 7};')
    see(repl, "deluge> ")
    type_line(repl, "for each k in user.keys()")
    see(repl, "... ")  # the input continues: the loop has no body yet
    type_line(repl, "{")
    see(repl, "... ")
    type_line(repl, 'info k + "=" + user.get(k);')
    see(repl, "... ")
    type_line(repl, "}")
    see(repl, "name=Ann")
    see(repl, "id=7")
    see(repl, "deluge> ")
    type_line(repl, 'user.get("id") * 6')
    see(repl, "42  : NUMBER")
    see(repl, "deluge> ")
    type_line(repl, "k")  # the loop's variable is a session variable too
    see(repl, "id  : TEXT")
    see(repl, "deluge> ")
    repl.sendcontrol("d")
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0
    history = (tmp_path / "history").read_text(encoding="utf-8")
    assert "+for each k in user.keys()\n+{\n+    info k" in history
