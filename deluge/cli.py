"""The `deluge` command line: thin wrappers over the public API (click).

    deluge run FILE [--context JSON] [--json] [--allow CAP]... [--allow-all] [--limit NAME=VALUE]...
               [--connections TOML] [--allow-address ADDR]... [--dc DC] [--record|--replay CASSETTE]
    deluge check FILE... [--json]
    deluge consent FILE [--json]
    deluge grants list [--all] | deluge grants revoke FILE|--all
    deluge parse FILE --json
    deluge compile --python FILE
    deluge doc NAME | deluge doc --list [GROUP]

A FILE of `-` reads standard input. Exit status: 0 on success, 1 when the
script fails (a parse, runtime, budget or consent error), 2 on a usage error.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, NoReturn

import click

import deluge
from deluge.errors import DelugeError, ParseError
from deluge.limits import Limits


def _read(path: str) -> tuple[bytes, str]:
    """The bytes of a script file (or standard input) and the name to show for it."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        with open(path, "rb") as fh:
            return fh.read(), path
    except OSError as exc:
        _usage(f"cannot read {path}: {exc.strerror}")


def _usage(message: str) -> NoReturn:
    click.echo(f"deluge: {message}", err=True)
    sys.exit(2)


def _text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _report(error: DelugeError, data: bytes, name: str) -> None:
    """Prints an error with its excerpt; on a terminal (and without NO_COLOR) the excerpt line is coloured."""
    source = _text(data)
    report = error.format(source, name)
    from deluge.syntax.highlight import colour_excerpt, should_colour

    if should_colour(sys.stderr):
        report = colour_excerpt(report, source, error.line)
    click.echo(report, err=True)


def _limits(values: tuple[str, ...]) -> Limits | None:
    if not values:
        return None
    changes: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            _usage(f"--limit needs NAME=VALUE, not {item!r}")
        changes[key.strip()] = value.strip()
    try:
        return Limits().with_values(changes)
    except ValueError as exc:
        _usage(str(exc))


def _context(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data, name = _read(path)
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        _usage(f"{name} is not valid JSON: {exc}")
    if not isinstance(value, dict):
        _usage(f"{name} must hold a JSON object (names of the values to bind)")
    return value


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(deluge.__version__, prog_name="deluge")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A sandboxed interpreter for Zoho's Deluge scripting language."""
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            try:
                from deluge.repl import run_repl
            except ImportError:
                click.echo(ctx.get_help())
                return
            run_repl()
        else:
            click.echo(ctx.get_help())


@main.command()
@click.argument("file")
@click.option("--context", "context_file", metavar="JSON_FILE",
              help="A JSON object whose keys are bound as variables (the `zoho` key sets system variables).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--allow", "--grant", "grants", multiple=True, metavar="CAPABILITY",
              help="Allow a capability (api:HOST, task:zoho.x.y, connection:NAME, mail:send; all = --allow-all).")
@click.option("--allow-all", is_flag=True, help="Allow every capability without asking (trusted scripts).")
@click.option("--ask/--no-ask", default=None,
              help="Ask before running for what is not allowed yet (default: only on a terminal).")
@click.option("--grants-db", metavar="PATH", help="The grant store (default: DELUGE_GRANTS_DB or the data folder).")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE", help="Change a limit, e.g. steps=5000.")
@click.option("--connections", metavar="TOML", envvar="DELUGE_CONNECTIONS",
              help="The connections scripts may name (TOML; see samples/connections.example.toml).")
@click.option("--tokens", metavar="JSON", help="Where refreshed OAuth tokens are kept (default: the data folder).")
@click.option("--allow-address", "addresses", multiple=True, metavar="ADDR",
              help="Let requests reach this private address or network (e.g. 127.0.0.1 for a local server).")
@click.option("--dc", metavar="DC", help="Zoho data centre of the Cliq and CRM APIs: com, eu, in, com.au, jp, ca, ...")
@click.option("--record", metavar="CASSETTE", help="Record every HTTP exchange of the run into a cassette file.")
@click.option("--replay", metavar="CASSETTE", help="Answer every HTTP request from a cassette file; no network.")
def run(file: str, context_file: str | None, as_json: bool, grants: tuple[str, ...], allow_all: bool,
        ask: bool | None, grants_db: str | None, limits: tuple[str, ...], connections: str | None,
        tokens: str | None, addresses: tuple[str, ...], dc: str | None, record: str | None,
        replay: str | None) -> None:
    """Run a script and print its info output and returned value.

    Before it runs, the script's network, task, connection and mail uses are compared with
    what is allowed (--allow, earlier answers kept for this file); on a terminal the rest is
    asked for, otherwise it is denied and the run stops with a consent error where the script
    first needs it.
    """
    data, name = _read(file)
    context = _context(context_file)
    from deluge.runtime.program import compile_program

    run_limits = _limits(limits)
    started = time.perf_counter()
    try:
        program = compile_program(data, limits=run_limits, disk_cache=os.environ.get("DELUGE_NO_CACHE") is None)
    except DelugeError as exc:
        result = deluge.Result(error=exc)
    else:
        grant = _run_grant(program, file, grants, allow_all or "all" in grants, ask, grants_db)
        host = _host(connections, tokens, addresses, dc, record, replay)
        try:
            result = program.run(context, grant=grant, limits=run_limits, host=host,
                                 spent=time.perf_counter() - started)
        except (TypeError, ValueError) as exc:  # a context the interpreter cannot take
            _usage(str(exc))
        finally:
            host.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for line in result.output:
            click.echo(line)
        if result.returned is not None:
            click.echo(f"=> {result.returned}")
        if result.error is not None:
            _report(result.error, data, name)
    sys.exit(0 if result.error is None else 1)


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics of every file as one JSON object.")
def check(files: tuple[str, ...], as_json: bool) -> None:
    """Check scripts as Zoho does when saving them; report every error, and warnings.

    Each finding prints (to standard error) as `FILE:LINE:COL: severity: message [code]`,
    an error with its line and a caret; a syntax error prints as `deluge run` shows it.
    Errors stop a save (exit status 1); warnings alone keep the status 0.
    """
    from deluge import catalog
    from deluge.analysis.lint import lint_module

    failed = False
    reports: list[dict[str, Any]] = []
    for file in files:
        data, name = _read(file)
        try:
            module = deluge.parse(data)
        except ParseError as exc:
            failed = True
            if as_json:
                syntax = {"severity": "error", "code": "syntax", "message": exc.message,
                          "line": exc.line, "column": exc.column}
                reports.append({"file": name, "ok": False, "errors": 1, "warnings": 0,
                                "context_names": [], "diagnostics": [syntax]})
            else:
                _report(exc, data, name)
            continue
        result = lint_module(module, catalog.load())
        errors, warnings = len(result.errors), len(result.warnings)
        failed = failed or errors > 0
        if as_json:
            reports.append({"file": name, "ok": errors == 0, "errors": errors, "warnings": warnings,
                            "context_names": sorted(result.free_names),
                            "diagnostics": [d.to_json() for d in result.diagnostics]})
            continue
        source = _text(data)
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.format(source, name), err=True)
        if errors:
            continue
        counted = f", {warnings} warning{'' if warnings == 1 else 's'}" if warnings else ""
        inputs = ", ".join(sorted(result.free_names))
        note = f" (reads from the host's context: {inputs})" if inputs else ""
        click.echo(f"{name}: ok{counted}{note}")
    if as_json:
        total = {"files": reports, "errors": sum(r["errors"] for r in reports),
                 "warnings": sum(r["warnings"] for r in reports)}
        click.echo(json.dumps(total, ensure_ascii=False))
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the syntax tree as JSON.")
def parse(file: str, as_json: bool) -> None:
    """Parse a script (syntax only) and print its syntax tree."""
    data, name = _read(file)
    try:
        module = deluge.parse(data)
    except ParseError as exc:
        _report(exc, data, name)
        sys.exit(1)
    tree = module.to_json()
    if as_json:
        click.echo(json.dumps(tree, ensure_ascii=False, default=str))
    else:
        click.echo(json.dumps(tree, ensure_ascii=False, indent=1, default=str))


@main.command(name="compile")
@click.argument("file")
@click.option("--python", "show_python", is_flag=True, help="Print the generated Python code for auditing.")
def compile_command(file: str, show_python: bool) -> None:
    """Check and compile a script; with --python, show the Python code it compiles to."""
    data, name = _read(file)
    try:
        program = deluge.compile(data)
    except ParseError as exc:
        _report(exc, data, name)
        sys.exit(1)
    if show_python:
        click.echo(program.python_source())
    else:
        click.echo(f"{name}: compiled")


@main.command()
@click.argument("name", required=False)
@click.option("--list", "list_group", is_flag=True, help="List built-in names (of one group when NAME is given).")
def doc(name: str | None, list_group: bool) -> None:
    """Show the catalog entry of a built-in function, method, task or system variable."""
    from deluge import catalog as catalog_module

    cat = catalog_module.load()
    if list_group:
        groups = cat.groups()
        if name is not None and name.lower() not in {g.lower() for g in groups}:
            _usage(f"unknown group {name!r}; groups: {', '.join(groups)}")
        for group in groups:
            if name is not None and group.lower() != name.lower():
                continue
            names = sorted({e.name for e in cat.entries if e.group == group}, key=str.lower)
            click.echo(f"{group}: {', '.join(names)}")
        return
    if name is None:
        _usage("give a NAME, or --list")
    forms = cat.forms(name)
    if not forms:
        import difflib

        spelled = {x.lower(): x for x in cat.names()}
        close = difflib.get_close_matches(name.lower(), list(spelled), n=3)
        hint = f"; did you mean {', '.join(spelled[c] for c in close)}?" if close else ""
        click.echo(f"deluge: no built-in named {name!r}{hint}", err=True)
        sys.exit(1)
    seen: set[str] = set()
    for entry in forms:
        line = entry.signature()
        if line in seen:
            continue
        seen.add(line)
        click.echo(line)
        if entry.summary:
            click.echo(f"    {entry.summary}")
        if entry.capability:
            click.echo(f"    needs consent: {entry.capability}")
    first = forms[0]
    click.echo(f"group: {first.group}")
    if first.ref:
        click.echo(f"reference: {first.ref}")


@main.command()
@click.option("--context", "context_file", metavar="JSON_FILE",
              help="Bind the keys of a JSON object as variables first (as :context does).")
@click.option("--allow", "--grant", "grants", multiple=True, metavar="CAPABILITY",
              help="Allow a capability without asking (api:HOST, task:zoho.x.y, connection:NAME, mail:send).")
@click.option("--allow-all", is_flag=True, help="Allow every capability without asking.")
@click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE",
              help="Change a limit of each input (the interactive budgets), e.g. steps=5000.")
@click.option("--connections", metavar="TOML", envvar="DELUGE_CONNECTIONS",
              help="The connections scripts may name (TOML; see samples/connections.example.toml).")
@click.option("--allow-address", "addresses", multiple=True, metavar="ADDR",
              help="Let requests reach this private address or network.")
@click.option("--dc", metavar="DC", help="Zoho data centre of the Cliq and CRM APIs: com, eu, in, com.au, jp, ca, ...")
@click.option("--vi", is_flag=True, help="Vi key bindings (Emacs bindings otherwise).")
def repl(context_file: str | None, grants: tuple[str, ...], allow_all: bool, limits: tuple[str, ...],
         connections: str | None, addresses: tuple[str, ...], dc: str | None, vi: bool) -> None:
    """Start the interactive shell: variables persist between inputs, an expression shows its
    value and type, and :help lists the commands. Each input runs within the interactive budgets;
    what an input needs beyond --allow is asked for."""
    from deluge.repl import Session, run_repl

    changes: dict[str, str] = {}
    for item in limits:
        key, sep, value = item.partition("=")
        if not sep:
            _usage(f"--limit needs NAME=VALUE, not {item!r}")
        changes[key.strip()] = value.strip()
    try:
        session_limits = Limits.interactive().with_values(changes)
    except ValueError as exc:
        _usage(str(exc))
    context = _context(context_file)
    host = _host(connections, None, addresses, dc, None, None)
    session = Session(limits=session_limits, grant="all" if allow_all or "all" in grants else list(grants),
                      host=host)
    try:
        if context:
            reply = session.bind(context)
            if reply.text:
                click.echo(reply.text)
        run_repl(session, vi=vi)
    finally:
        host.close()


def _host(connections: str | None, tokens: str | None, addresses: tuple[str, ...], dc: str | None,
          record: str | None, replay: str | None) -> Any:
    """The host of a command-line run: the real network under the policy, Cliq and CRM tasks."""
    from deluge.host.host import Host
    from deluge.host.local import default_store_path

    if record and replay:
        _usage("--record and --replay exclude each other")
    if connections and tokens is None:
        tokens = str(default_store_path().with_name("tokens.json"))
    try:
        return Host.configure(connections=connections, tokens=tokens, allow=addresses, dc=dc,
                              record=record, replay=replay)
    except (OSError, ValueError) as exc:
        _usage(str(exc))


def _run_grant(program: Any, file: str, allowed: tuple[str, ...], allow_all: bool, ask: bool | None,
               grants_db: str | None) -> Any:
    """The grant `deluge run` gives: --allow, the stored grant of this file, and the user's answer."""
    from deluge.analysis.prompt import describe
    from deluge.capabilities import Grant, valid
    from deluge.host import local

    if allow_all:
        return Grant.everything()
    for capability in allowed:
        if not valid(capability.strip()) and capability != "all":
            _usage(f"{capability!r} is not a capability (api:HOST, task:zoho.x.y, connection:NAME, mail:send)")
    manifest = program.manifest
    if not local.asked_for(manifest):
        return Grant.of(list(allowed))
    interactive = ask if ask is not None else (sys.stdin.isatty() and sys.stderr.isatty())
    store = None if file == "-" else local.open_store(grants_db)

    def confirm(manifest: Any, missing: frozenset[str]) -> bool:
        shown = type(manifest)(tuple(u for u in manifest if u.capability in missing))
        click.echo(describe(shown, f"{os.path.basename(file)}"), err=True)
        return click.confirm("Allow?", default=False, err=True)

    try:
        return local.decide(manifest, allowed=allowed, store=store, component=local.component_of(file),
                            user=local.principal(), ask=confirm if interactive else None)
    finally:
        if store is not None:
            store.close()


@main.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def consent(file: str, as_json: bool) -> None:
    """Show what a script would ask consent for: objects, tasks, websites, connections, mail."""
    from deluge.analysis.manifest import analyze
    from deluge.analysis.prompt import describe, sections

    data, name = _read(file)
    try:
        manifest = analyze(data)
    except DelugeError as exc:
        _report(exc, data, name)
        sys.exit(1)
    if as_json:
        out = manifest.to_json()
        out["prompt"] = [section.to_json() for section in sections(manifest)]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(describe(manifest, os.path.basename(name)))


@main.group()
def grants() -> None:
    """Manage the grants `deluge run` remembers (DELUGE_GRANTS_DB or the data folder)."""


@grants.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Also show expired, revoked and superseded grants.")
@click.option("--grants-db", metavar="PATH", help="The grant store.")
def grants_list(show_all: bool, grants_db: str | None) -> None:
    """List grants: component, status, expiry and capabilities."""
    from datetime import UTC, datetime

    from deluge.host import local

    with local.open_store(grants_db) as store:
        records = store.records(include_inactive=show_all)
    now = datetime.now(UTC)
    if not records:
        click.echo("no grants")
    for record in records:
        status = record.status(now)
        until = record.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"{record.component}  [{status}, until {until}, by {record.principal}]")
        for capability in sorted(record.capabilities):
            click.echo(f"    {capability}")


@grants.command(name="revoke")
@click.argument("file", required=False)
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every grant of this user.")
@click.option("--grants-db", metavar="PATH", help="The grant store.")
def grants_revoke(file: str | None, revoke_all: bool, grants_db: str | None) -> None:
    """Revoke the grant of one script file (or --all); the next run asks again."""
    from deluge.host import local

    if (file is None) == (not revoke_all):
        _usage("give a script FILE or --all")
    with local.open_store(grants_db) as store:
        count = store.revoke(local.principal(), None if revoke_all else local.component_of(file or ""))
    click.echo(f"revoked {count} grant{'s' if count != 1 else ''}")


if __name__ == "__main__":  # pragma: no cover
    main()
