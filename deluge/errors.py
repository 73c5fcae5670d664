"""The errors a script can cause, as one small hierarchy.

    DelugeError                 kind      when
     ├── ParseError            "parse"   before anything runs: syntax, save-time checks
     ├── DelugeRuntimeError    "runtime" a failed operation while running (catchable by try/catch)
     ├── BudgetExceeded        "budget"  a limit was reached (never catchable)
     └── ConsentRequired       "consent" a capability the run was not granted (never catchable)

Every error carries the 1-based `line` and `column` where the script went wrong
(None when unknown), a `message` a Deluge user understands, and, for runtime
errors, the Deluge call stack (`frames`). Misuse of the Python API (a wrong
argument type passed by a host) stays a plain TypeError or ValueError.
"""

from __future__ import annotations


class DelugeError(Exception):
    """Base of every error a script can cause."""

    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        frames: tuple[tuple[str, int], ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.frames = frames

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"Line {self.line}: {self.message}"

    def to_json(self) -> dict[str, object]:
        """The JSON shape the CLI prints: kind, line, column, message."""
        return {"kind": self.kind, "line": self.line, "column": self.column, "message": self.message}

    def excerpt(self, source: str) -> str:
        """The offending source line with a caret under the column (tabs expanded)."""
        if self.line is None:
            return ""
        lines = source.splitlines()
        if not 1 <= self.line <= len(lines):
            return ""
        text = lines[self.line - 1]
        column = self.column or 1
        prefix = text[: column - 1].expandtabs(4)
        shown = text.expandtabs(4)
        return f"{shown}\n{' ' * len(prefix)}^"

    def format(self, source: str | None = None, filename: str | None = None) -> str:
        """A full report: location, kind, message, excerpt and the Deluge call stack."""
        where = filename or "<script>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        out = [f"{where}: {self.kind} error: {self.message}"]
        if source is not None:
            excerpt = self.excerpt(source)
            if excerpt:
                out.append(excerpt)
        for name, line in self.frames[:-1] if len(self.frames) > 1 else ():
            out.append(f"  called from {name} at line {line}")
        return "\n".join(out)


class ParseError(DelugeError):
    """The script cannot run: a syntax error or a save-time check (Zoho's save errors)."""

    kind = "parse"


DelugeSyntaxError = ParseError


class DelugeRuntimeError(DelugeError):
    """An operation failed while the script ran; `try`/`catch` can catch it."""

    kind = "runtime"


class BudgetExceeded(DelugeError):
    """A limit of the run was reached; `limit` names it. Never catchable by the script."""

    kind = "budget"

    def __init__(self, message: str, *, limit: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.limit = limit


class ConsentRequired(DelugeError):
    """The script used a capability its run was not granted; `capability` names it."""

    kind = "consent"

    def __init__(self, message: str, *, capability: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.capability = capability
