"""The terminal front end of the REPL, on prompt-toolkit: editing, keys, history, colours.

Everything a session does lives in `deluge.repl.session`; this module reads the
lines, decides when an input is complete, completes, highlights and prints replies.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, get_common_complete_suffix
from prompt_toolkit.filters import vi_navigation_mode
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import Style

from deluge.repl.completion import suggest
from deluge.repl.session import Reply, Session
from deluge.repl.source import needs_more

STYLE = Style.from_dict({
    "prompt": "ansigreen bold",
    "continuation": "ansibrightblack",
    "output": "",
    "value": "bold",
    "type": "ansicyan",
    "note": "ansibrightblack",
    "error": "ansired",
})
INDENT = "    "


def history_path() -> Path:
    """`DELUGE_REPL_HISTORY`, else `$XDG_DATA_HOME/deluge/repl_history` (or `~/.local/share/...`)."""
    explicit = os.environ.get("DELUGE_REPL_HISTORY")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "deluge" / "repl_history"


def _history() -> History:
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


def _lexer() -> Any:
    """Deluge highlighting when the Pygments lexer is there; None (plain text) otherwise."""
    try:
        from prompt_toolkit.lexers import PygmentsLexer

        from deluge.syntax.highlight import DelugeLexer
    except Exception:  # no lexer (yet), or no Pygments: plain text
        return None
    return PygmentsLexer(DelugeLexer)


class _Completer(Completer):
    """Tab offers everything `suggest` finds; while typing, only what follows a `.`, a `("` or a `:`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Any, complete_event: Any) -> Any:
        before = document.text_before_cursor
        if complete_event.text_inserted and not _pops_up(before):
            return
        for item in suggest(self.session, before):
            yield Completion(item.text, start_position=-item.replace, display=item.display, display_meta=item.meta)


def _pops_up(before: str) -> bool:
    line = before.rsplit("\n", 1)[-1]
    stripped = line.lstrip()
    if stripped.startswith(":") and " " not in stripped:
        return True
    return re.search(r'\.\s*\w*$|\(\s*"[^"]*$', line) is not None


def key_bindings(session: Session) -> KeyBindings:
    """Enter runs a complete input and continues an open one; Alt-Enter runs it as it is."""
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: Any) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:  # Enter picks a completion
            buffer.apply_completion(state.current_completion)
            return
        buffer.cancel_completion()
        text = buffer.text
        # inside a block being edited, Enter opens a line; at the end, on one line or in Vi's
        # normal mode it runs a complete input
        runs = not text[buffer.cursor_position:].strip() or "\n" not in text or vi_navigation_mode()
        if runs and not needs_more(text, session.completeness):
            buffer.validate_and_handle()
            return
        line = buffer.document.current_line_before_cursor
        indent = line[: len(line) - len(line.lstrip())]
        if line.rstrip().endswith(("{", "(", "[")):
            indent += INDENT
        buffer.insert_text("\n" + indent)

    @bindings.add("escape", "enter")
    def _run_now(event: Any) -> None:
        event.current_buffer.validate_and_handle()

    @bindings.add("}", filter=~vi_navigation_mode)
    def _close(event: Any) -> None:
        buffer = event.current_buffer
        line = buffer.document.current_line_before_cursor
        if line and not line.strip():
            buffer.delete_before_cursor(min(len(line), len(INDENT)))
        buffer.insert_text("}")

    @bindings.add("tab")
    def _tab(event: Any) -> None:
        """Indents at the start of a line; completes at once when there is one choice (or a common
        part); otherwise opens the menu, or moves through it."""
        buffer = event.current_buffer
        document = buffer.document
        if not document.current_line_before_cursor.strip():
            buffer.insert_text(INDENT)
            return
        state = buffer.complete_state
        if state is not None and len(state.completions) > 1:
            buffer.complete_next()
            return
        items = list(buffer.completer.get_completions(document, CompleteEvent(completion_requested=True)))
        if not items:
            return
        buffer.cancel_completion()
        if len(items) == 1:
            buffer.apply_completion(items[0])
            return
        common = get_common_complete_suffix(document, items)
        if common:
            buffer.insert_text(common)
        buffer.start_completion(select_first=False)

    return bindings


class Repl:
    """One terminal session: reads inputs until `:quit` or Ctrl-D."""

    def __init__(self, session: Session | None = None, *, input: Any = None, output: Any = None,
                 stdout: TextIO | None = None, history: History | None = None, vi: bool = False) -> None:
        self.session = session or Session()
        if self.session.ask is None:
            self.session.ask = self._ask
        self.input, self.output, self.stdout = input, output, stdout
        self.prompt = PromptSession(
            message=FormattedText([("class:prompt", "deluge> ")]),
            multiline=True,
            prompt_continuation=lambda width, line, wrap: FormattedText(
                [("class:continuation", " " * max(width - 4, 0) + "... ")]),
            key_bindings=key_bindings(self.session),
            completer=_Completer(self.session),
            complete_while_typing=True,
            auto_suggest=AutoSuggestFromHistory(),
            history=history if history is not None else _history(),
            lexer=_lexer(),
            style=STYLE,
            vi_mode=vi,
            enable_history_search=False,
            input=input,
            output=output,
        )

    def run(self) -> None:
        from deluge.runtime.program import VERSION

        self.show(Reply().line(f"Deluge {VERSION} (sandboxed). :help lists the commands; Ctrl-D leaves."))
        while True:
            try:
                text = self.prompt.prompt()
            except KeyboardInterrupt:  # Ctrl-C: forget this input
                continue
            except EOFError:  # Ctrl-D
                break
            reply = self.session.handle(text)
            self.show(reply)
            if reply.quit:
                break

    def show(self, reply: Reply) -> None:
        if not reply.fragments:
            return
        if self.stdout is not None:
            self.stdout.write(reply.text + "\n")
            self.stdout.flush()
            return
        print_formatted_text(FormattedText(reply.fragments), style=STYLE, end="", output=self.output)

    def _ask(self, manifest: Any, missing: frozenset[str]) -> bool:
        """Shows what the input wants that the session does not allow, and asks."""
        from deluge.analysis.prompt import describe

        shown = type(manifest)(tuple(u for u in manifest if u.capability in missing))
        reply = Reply()
        for line in describe(shown, "This input").splitlines():
            reply.line(line)
        self.show(reply)
        try:
            answer = PromptSession(input=self.input, output=self.output).prompt("Allow for this session? [y/N] ")
        except (KeyboardInterrupt, EOFError):
            return False
        return answer.strip().lower() in ("y", "yes")


def run_repl(session: Session | None = None, *, input: Any = None, output: Any = None,
             stdout: TextIO | None = None, history: History | None = None, vi: bool = False) -> None:
    """Runs the interactive shell until the user leaves. `input`/`output` are prompt-toolkit's
    (tests pass a pipe input and a dummy output); `stdout`, when given, receives the replies
    as plain text instead of the terminal."""
    host = None
    if session is None:  # `deluge` alone: the command line's host (the network under its policy)
        try:
            from deluge.host.host import Host

            host = Host.configure()
        except Exception:  # no host: the network and tasks stay out of reach
            host = None
        session = Session(host=host)
    try:
        Repl(session, input=input, output=output, stdout=stdout, history=history, vi=vi).run()
    finally:
        if host is not None:
            host.close()
