"""Every limit a run is held to, with its default, in one object (LANGUAGE.md 8, D10).

A breach of any of them ends the run with a `budget` error naming the limit
(`parse` for the source limits); none can be caught by `try`/`catch`. Hosts
pass their own `Limits` to `run` and `Program.run`; the CLI takes
`--limit NAME=VALUE`.

The defaults of `Limits()` are the spec's *scheduled* column, because a run
through the embedding API or the CLI is not an interactive chat component;
`Limits.interactive()` gives the tighter column that a platform host applies
to handlers (200,000 steps, 15 s). See docs/decisions.md, "Default budget".
"""

from __future__ import annotations

from typing import Any

import attrs

MiB = 1024 * 1024


@attrs.frozen
class Limits:
    """The budget of one run. Every field is a host setting."""

    steps: int = 1_000_000
    """Executed statements and loop iterations (LANGUAGE.md 8, "Counting executed steps")."""
    work: int = 50_000_000
    """Work units charged by built-ins in proportion to what they touch."""
    wall_time: float = 60.0
    """Seconds of wall-clock time for parsing, checking and running."""
    cpu_time: float = 30.0
    """Seconds of CPU time of the run's thread."""
    allocation: int = 4096 * MiB
    """Bytes of values created over the run (cumulative): a character of text counts one
    byte, an element of a list or map 32 (see SECURITY.md for what is charged)."""
    memory: int = 128 * MiB
    """Growth of the process's resident memory during the run, in bytes (sampled every 20 ms)."""
    text_length: int = 5_000_000
    """Characters in one text value (at least 4096: shorter texts are never checked)."""
    collection_size: int = 100_000
    """Elements in one list, map or collection."""
    source_bytes: int = 128 * 1024
    """Bytes of source text."""
    source_nesting: int = 64
    """Nesting of brackets, blocks and runs of unary operators in the source."""
    data_nesting: int = 128
    """Nesting of lists and maps where data is walked (rendering, JSON, copying)."""
    call_depth: int = 64
    """Nested calls of user functions (the 65th fails)."""
    output_lines: int = 1000
    """Lines printed by `info`."""
    output_line_chars: int = 50_000
    """Characters in one `info` line."""
    output_bytes: int = 1 * MiB
    """Bytes printed by `info` in total."""
    http_calls: int = 100
    """`invokeurl`, `getUrl` and `postUrl` calls."""
    task_calls: int = 200
    """Integration task calls (`zoho.*`)."""
    post_calls: int = 50
    """Integration task calls that post or send."""
    response_bytes: int = 5 * MiB
    """Bytes of one HTTP response body, after decompression."""
    http_connect_timeout: float = 5.0
    http_timeout: float = 10.0
    regex_seconds: float = 1.0
    """Wall time of one regular-expression call."""
    regex_pattern_length: int = 1000
    regex_repetition: int = 10_000
    json_bytes: int = 5 * MiB
    """Bytes of JSON text read by toMap, toJSONList and getJSON."""

    @classmethod
    def interactive(cls, **changes: Any) -> Limits:
        """The spec's interactive column: handlers, commands, buttons and forms."""
        base = cls(steps=200_000, work=10_000_000, wall_time=15.0, cpu_time=5.0, allocation=1024 * MiB,
                   http_calls=25, task_calls=50, post_calls=10)
        return attrs.evolve(base, **changes)

    @classmethod
    def scheduled(cls, **changes: Any) -> Limits:
        """The spec's scheduled column: schedulers and other background runs."""
        return attrs.evolve(cls(), **changes)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in attrs.fields(cls)]

    def with_values(self, values: dict[str, str]) -> Limits:
        """A copy with some limits changed from text (`{"steps": "5000"}`); unknown names are refused."""
        changes: dict[str, Any] = {}
        fields = {f.name: f for f in attrs.fields(type(self))}
        for name, text in values.items():
            key = name.replace("-", "_")
            if key not in fields:
                raise ValueError(f"unknown limit {name!r}; known limits: {', '.join(sorted(fields))}")
            kind = type(getattr(self, key))
            try:
                value = kind(text)
            except ValueError:
                raise ValueError(f"limit {name} needs a {kind.__name__}, not {text!r}") from None
            if value <= 0:
                raise ValueError(f"limit {name} must be positive")
            if key == "text_length" and value < 4096:
                raise ValueError("limit text_length must be at least 4096")
            changes[key] = value
        return attrs.evolve(self, **changes)


DEFAULT_LIMITS = Limits()
