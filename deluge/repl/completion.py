"""Completion for the REPL: what can follow the text before the cursor.

`suggest(session, text)` is plain Python (the tests call it directly);
`DelugeCompleter` hands its suggestions to prompt-toolkit. What is offered:

- a word: the session's variables and functions, keywords, built-in functions, `zoho`;
- after `.`: the keys of a map the session holds and the methods of the value's Deluge
  type when the session knows the value, every method otherwise, each with its signature;
- after `zoho.`: the namespaces and tasks of the catalog (`zoho.cliq.postToChat`);
- inside `m.get("`: the keys of the map `m`;
- `:` commands, built-in names after `:help`, file names after `:load` and `:context`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from deluge.repl.source import scan

if TYPE_CHECKING:
    from deluge.repl.session import Session

KEYWORDS = (
    "if", "else", "for each", "in", "info", "return", "break", "continue", "try", "catch", "true", "false",
    "null", "invokeurl", "sendmail", "void", "int", "string", "decimal", "bool", "date", "datetime", "map",
    "list", "collection",
)
KEY_METHODS = ("get", "getJSON", "containKey", "containsKey", "remove", "put", "notContains")
UNKNOWN = object()
"""A value the session cannot know before the code runs."""


@attrs.frozen
class Suggestion:
    text: str
    """What replaces the `replace` characters before the cursor."""
    replace: int
    meta: str = ""
    display: str | None = None


def suggest(session: Session, before: str) -> list[Suggestion]:
    """The completions of the text before the cursor, in the order a menu shows them."""
    line_start = before.rfind("\n") + 1
    stripped = before.lstrip()
    if stripped.startswith(":") and "\n" not in stripped:
        command = _command(session, stripped)
        if command is not None:
            return command
        before = stripped.split(None, 1)[1] if " " in stripped else ""
        line_start = 0
    found = scan(before)
    if found.comment:
        return []
    if found.string is not None:
        return list(_in_string(session, before))
    match = re.search(r"\.\s*([A-Za-z_]\w*)?$", before)
    if match is not None and not re.search(r"\d\.$", before[: match.start() + 1]):
        word = match.group(1) or ""
        return list(_after_dot(session, before[: match.start()].rstrip(), word))
    match = re.search(r"[A-Za-z_]\w*$", before[line_start:])
    if match is None:
        return []
    return list(_words(session, match.group()))


# ---------------------------------------------------------------- words


def _words(session: Session, word: str) -> Iterator[Suggestion]:
    from deluge.runtime.values import type_name

    low = word.lower()
    seen: set[str] = set()

    def fits(name: str) -> bool:
        if name.lower() in seen or not name.lower().startswith(low) or name == word:
            return False
        seen.add(name.lower())
        return True

    for name in sorted(session.variables, key=str.lower):
        if fits(name):
            yield Suggestion(name, len(word), f"variable: {type_name(session.variables[name])}")
    yield from _own_functions(session, word, seen)
    for keyword in KEYWORDS:
        if fits(keyword):
            yield Suggestion(keyword, len(word), "keyword")
    if fits("zoho"):
        yield Suggestion("zoho", len(word), "namespace: system variables and tasks")
    for name, meta in _functions():
        if fits(name):
            yield Suggestion(name, len(word), meta)


def _own_functions(session: Session, word: str, seen: set[str]) -> Iterator[Suggestion]:
    """The functions defined in the session, with their headers."""
    from deluge.repl.session import function_header

    for source in session.functions.values():
        header = function_header(source)
        match = re.search(r"([A-Za-z_]\w*)\s*\(", header)
        if match is None:
            continue
        name = match.group(1)
        if name.lower() in seen or not name.lower().startswith(word.lower()) or name == word:
            continue
        seen.add(name.lower())
        yield Suggestion(name, len(word), header)


@functools.cache
def _functions() -> tuple[tuple[str, str], ...]:
    """Every built-in function and value a word can name, with its signature."""
    from deluge import catalog as catalog_module

    cat = catalog_module.load()
    found: dict[str, list[str]] = {}
    for entry in cat.entries:
        if entry.is_function and "." not in entry.name and not entry.unavailable:
            found.setdefault(entry.name, []).append(entry.signature())
    return tuple((name, _join(signatures)) for name, signatures in sorted(found.items(), key=lambda x: x[0].lower()))


def _join(signatures: list[str]) -> str:
    unique = list(dict.fromkeys(signatures))
    return unique[0] + (f"  (+{len(unique) - 1} more)" if len(unique) > 1 else "")


# ---------------------------------------------------------------- after a dot


def _after_dot(session: Session, left: str, word: str) -> Iterator[Suggestion]:
    zoho = re.search(r"(?<![\w.])(zoho(?:\s*\.\s*[A-Za-z_]\w*)*)$", left, re.I)
    if zoho is not None:
        name = re.sub(r"\s+", "", zoho.group(1))
        system = _system_kind(name)
        if system is not None:  # `zoho.currentdate.`: a value of a known type
            yield from _methods(system, word)
        else:
            yield from _namespace(name, word)
        return
    bare = re.search(r"(?<![\w.])(today|now)$", left, re.I)
    if bare is not None and bare.group(1) not in session.variables:
        yield from _methods(_system_kind(bare.group(1).lower()), word)
        return
    if re.search(r"(?<![\w.])(thisapp|standalone)$", left, re.I):
        yield from _own_functions(session, word, set())
        return
    value = _receiver(session, left)
    if value is UNKNOWN:
        yield from _methods(None, word)
        return
    yield from _keys(value, word, quote=False)
    yield from _methods(_kinds(value), word)


def _kinds(value: Any) -> tuple[type, ...]:
    """The Python types a method of this value is looked up under."""
    from deluge.runtime.values import Blank, look_through

    value = look_through(value)
    return (list, dict) if type(value) is Blank else (type(value),)


def _system_kind(name: str) -> tuple[type, ...] | None:
    """The types of a system value (`zoho.currentdate`, `today`), or None when `name` is not one."""
    from deluge import catalog as catalog_module
    from deluge.builtins import registry

    entry = catalog_module.load().system_value(name)
    if entry is None:
        return None
    return registry.KIND_TYPES.get(entry.returns.split("|")[0], ())


def _namespace(prefix: str, word: str) -> Iterator[Suggestion]:
    """The next part of a `zoho.` name: namespaces (`cliq`) and names (`postToChat`)."""
    from deluge import catalog as catalog_module

    cat = catalog_module.load()
    head = prefix.lower() + "."
    parts: dict[str, str] = {}
    for entry in cat.entries:
        name = entry.name
        if not name.lower().startswith(head):
            continue
        rest = name[len(head):]
        part = rest.split(".", 1)[0]
        if not part.lower().startswith(word.lower()) or part == word:
            continue
        if "." in rest:
            parts.setdefault(part, f"namespace: {prefix}.{part}")
        elif part not in parts or parts[part].startswith("namespace"):
            parts[part] = entry.signature()
    for part in sorted(parts, key=str.lower):
        yield Suggestion(part, len(word), parts[part])


_SEGMENT = re.compile(r"""\s*\.\s*([A-Za-z_]\w*)(?:\s*\(\s*("(?:[^"\\]|\\.)*"|-?\d+)?\s*\))?""")
_PATH = re.compile(
    r"""(?<![\w.")\]])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*(?:\s*\(\s*(?:"(?:[^"\\]|\\.)*"|-?\d+)?\s*\))?)*)$""")


def _receiver(session: Session, left: str) -> Any:
    """The value of the expression that ends `left`, when the session can know it without running code."""
    if re.search(r'"(?:[^"\\]|\\.)*"$', left):
        return ""
    match = _PATH.search(left)
    if match is None:
        return UNKNOWN
    name, rest = match.group(1), match.group(2)
    if name not in session.variables:
        return UNKNOWN
    value = session.variables[name]
    for segment in _SEGMENT.finditer(rest):
        value = _step(value, segment.group(1), segment.group(2), "(" in segment.group())
        if value is UNKNOWN:
            break
    return value


def _step(value: Any, name: str, argument: str | None, call: bool) -> Any:
    from deluge.runtime.values import look_through

    value = look_through(value)
    if not call:  # `user.name`: the key of a map
        return value.get(name, UNKNOWN) if isinstance(value, dict) else UNKNOWN
    if name.lower() not in ("get", "getjson") or argument is None:
        return UNKNOWN
    key: Any = _unquote(argument) if argument.startswith('"') else int(argument)
    if isinstance(value, dict):
        return value.get(key, UNKNOWN)
    if isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
        return value[key]
    return UNKNOWN


def _unquote(literal: str) -> str:
    try:
        return str(json.loads(literal))
    except ValueError:
        return literal[1:-1]


def _keys(value: Any, word: str, *, quote: bool) -> Iterator[Suggestion]:
    from deluge.runtime.values import look_through, type_name

    value = look_through(value)
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if not isinstance(key, str) or not key.startswith(word) or (key == word and not quote):
            continue
        if not quote and not re.fullmatch(r"[A-Za-z_]\w*", key):
            continue
        text = key.replace("\\", "\\\\").replace('"', '\\"') + '"' if quote else key
        yield Suggestion(text, len(word), f"key: {type_name(item)}", display=key)


@functools.cache
def _method_table() -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Every method name with its catalog forms, in alphabetical order."""
    from deluge import catalog as catalog_module

    cat = catalog_module.load()
    forms: dict[str, list[Any]] = {}
    for entry in cat.entries:
        if not entry.is_function and not entry.unavailable:
            forms.setdefault(entry.name, []).append(entry)
    return tuple((name, tuple(entries)) for name, entries in sorted(forms.items(), key=lambda x: x[0].lower()))


def _methods(kinds: tuple[type, ...] | None, word: str) -> Iterator[Suggestion]:
    """The methods of values of these Python types (of every type when None), with their signatures."""
    from deluge.builtins import registry

    if kinds is not None:
        registry.load_all()
    low = word.lower()
    for name, entries in _method_table():
        if not name.lower().startswith(low) or name == word:
            continue
        chosen: Iterable[Any] = entries
        if kinds is not None:
            impls = registry.METHODS.get(name.lower(), {})
            if not any(kind in impls for kind in kinds):
                continue
            fitting = [e for e in entries if any(k in registry.KIND_TYPES.get(e.receiver, ()) for k in kinds)]
            # the most specific form first: `map.get` before `collection.get` before `any.get`
            fitting.sort(key=lambda e: len(registry.KIND_TYPES.get(e.receiver, ())))
            chosen = fitting or entries
        yield Suggestion(name, len(word), _join([e.signature() for e in chosen]))


# ---------------------------------------------------------------- inside a text


def _in_string(session: Session, before: str) -> Iterator[Suggestion]:
    """Inside `m.get("`: the keys of `m`."""
    match = re.search(r'\.\s*([A-Za-z_]\w*)\s*\(\s*"((?:[^"\\]|\\.)*)$', before)
    if match is None or match.group(1).lower() not in {m.lower() for m in KEY_METHODS}:
        return
    value = _receiver(session, before[: match.start()].rstrip())
    if value is UNKNOWN:
        return
    yield from _keys(value, match.group(2), quote=True)


# ---------------------------------------------------------------- commands


def _command(session: Session, text: str) -> list[Suggestion] | None:
    """Completions of a `:` command line; None when the rest of the line is code (`:type`, `:time`)."""
    from deluge.repl.session import ALIASES, COMMANDS, HELP

    match = re.fullmatch(r":(\w*)", text)
    if match is not None:
        word = match.group(1)
        summaries = {usage.split()[0][1:]: summary for usage, summary in HELP}
        return [Suggestion(f":{name}", len(word) + 1, summaries.get(name, "")) for name in COMMANDS
                if name.startswith(word.lower()) and name != word]
    word, _, rest = text[1:].partition(" ")
    word = ALIASES.get(word.lower(), word.lower())
    rest = rest.lstrip()
    if word in ("type", "time"):
        return None
    if word == "help":
        if " " in rest or not rest:
            return []
        own = list(_own_functions(session, rest, set()))
        return own + [Suggestion(name, len(rest), "") for name in _all_names()
                      if name.lower().startswith(rest.lower()) and name != rest]
    if word in ("load", "context"):
        return list(_paths(rest, ".json" if word == "context" else ".dg"))
    return []


@functools.cache
def _all_names() -> tuple[str, ...]:
    from deluge import catalog as catalog_module

    return tuple(catalog_module.load().names())


def _paths(typed: str, extension: str) -> Iterator[Suggestion]:
    """File names that complete `typed` (folders, and files with the extension first)."""
    folder, _, start = typed.rpartition("/")
    where = os.path.expanduser(folder + "/" if folder or typed.startswith("/") else ".")
    try:
        names = sorted(os.listdir(where))
    except OSError:
        return
    found = []
    for name in names:
        if not name.startswith(start) or (name.startswith(".") and not start.startswith(".")):
            continue
        path = os.path.join(where, name)
        if os.path.isdir(path):
            found.append((0, name + "/", "folder"))
        else:
            found.append((1 if name.endswith(extension) else 2, name, "file"))
    for _, name, meta in sorted(found):
        yield Suggestion(name, len(start), meta)


# ---------------------------------------------------------------- prompt-toolkit


def make_completer(session: Session) -> Any:
    """A prompt-toolkit completer over `suggest`."""
    from prompt_toolkit.completion import Completer, Completion

    class DelugeCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterator[Completion]:
            for item in suggest(session, document.text_before_cursor):
                yield Completion(item.text, start_position=-item.replace, display=item.display,
                                 display_meta=item.meta)

    return DelugeCompleter()
