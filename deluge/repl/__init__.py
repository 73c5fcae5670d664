"""The interactive shell: `deluge repl` (and `deluge` alone on a terminal).

    from deluge.repl import Session, run_repl

    session = Session()                    # the state: variables, functions, context, grants
    session.handle('x = 2;').text          # ''
    session.handle('x * 21').text          # '42  : NUMBER'
    run_repl(session)                      # the prompt-toolkit shell over a session

`deluge.repl.session` holds the state and the `:` commands (no terminal code),
`deluge.repl.completion` what Tab offers, `deluge.repl.app` the prompt-toolkit front end.
"""

from __future__ import annotations

from typing import Any

from deluge.repl.session import Reply, Session

__all__ = ["Reply", "Session", "run_repl"]


def run_repl(session: Session | None = None, **options: Any) -> None:
    """Runs the interactive shell until the user leaves (see `deluge.repl.app.run_repl`)."""
    from deluge.repl.app import run_repl as run

    run(session, **options)
