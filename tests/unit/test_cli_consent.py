"""`deluge consent`, `deluge grants` and the permission prompt of `deluge run`, through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deluge.cli import main

SCRIPT = '''info "start " + user.get("first_name");
r = getUrl("https://api.example.com/v1/items");
zoho.cliq.postToChannel("general", "done");
info "end";
'''


@pytest.fixture(autouse=True)
def grants_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "grants.sqlite3"
    monkeypatch.setenv("DELUGE_GRANTS_DB", str(path))
    return path


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "weather.dg"
    path.write_text(SCRIPT)
    (tmp_path / "ctx.json").write_text(json.dumps({"user": {"first_name": "Ann"}}))
    return path


@pytest.fixture
def cassette(tmp_path: Path) -> str:
    """The API's answer, recorded: runs that reach the network replay it (no test uses the internet)."""
    path = tmp_path / "api.json"
    exchange = {"request": {"method": "GET", "url": "https://api.example.com/v1/items", "headers": [],
                            "body": {"text": ""}},
                "response": {"status": 200, "headers": ["content-type: application/json"],
                             "body": {"text": '{"items": [1, 2]}'}}}
    path.write_text(json.dumps({"version": 1, "exchanges": [exchange]}))
    return str(path)


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_consent_prints_the_grouped_prompt(script: Path) -> None:
    code, out, _ = invoke("consent", str(script))
    assert code == 0
    assert out.splitlines()[0] == "weather.dg wants to:"
    assert "reads user.first_name" in out and "Zoho Cliq, as you: postToChannel" in out
    assert "api.example.com (line 2)" in out and "60 days" in out


def test_consent_json_is_the_manifest(script: Path) -> None:
    code, out, _ = invoke("consent", "--json", str(script))
    data = json.loads(out)
    assert code == 0
    caps = {c["capability"]: c for c in data["capabilities"]}
    assert set(caps) == {"object:user.first_name", "api:api.example.com", "task:zoho.cliq.postToChannel"}
    assert caps["task:zoho.cliq.postToChannel"] == {"capability": "task:zoho.cliq.postToChannel", "lines": [3],
                                                    "auth": "user", "service": "cliq"}
    assert caps["object:user.first_name"]["category"] == "user"
    assert [p["key"] for p in data["prompt"]] == ["objects", "tasks", "hosts"]


def test_consent_of_a_script_that_does_not_parse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dg"
    bad.write_text("x = ;\n")
    code, _, err = invoke("consent", str(bad))
    assert code == 1 and "parse error" in err


def test_not_interactive_denies_what_is_not_allowed(script: Path) -> None:
    code, out, err = invoke("run", str(script), "--context", str(script.parent / "ctx.json"))
    assert code == 1 and out == "start Ann\n"
    assert "consent error" in err and "api:api.example.com" in err


def test_allow_covers_only_what_it_names(script: Path, cassette: str) -> None:
    ctx = str(script.parent / "ctx.json")
    code, _, err = invoke("run", str(script), "--context", ctx, "--replay", cassette,
                          "--allow", "task:zoho.cliq.postToChannel")
    assert code == 1 and "consent error" in err and "api:api.example.com" in err  # the task only
    code, out, err = invoke("run", str(script), "--context", ctx, "--replay", cassette,
                            "--allow", "api:api.example.com")
    assert code == 1 and out == "start Ann\n" and "consent error" in err and "task:zoho.cliq.postToChannel" in err
    code, out, err = invoke("run", str(script), "--context", ctx, "--replay", cassette, "--allow-all")
    # allowed; the task then needs the Cliq connection, which this host does not have
    assert code == 1 and "consent" not in err and "cliq_system" in err, err


def test_a_bad_capability_is_a_usage_error(script: Path) -> None:
    code, _, err = invoke("run", str(script), "--allow", "network")
    assert code == 2 and "not a capability" in err


def test_asking_no_denies_and_remembers_nothing(script: Path) -> None:
    ctx = str(script.parent / "ctx.json")
    code, _, err = invoke("run", "--ask", str(script), "--context", ctx, stdin="n\n")
    assert "weather.dg wants to:" in err and "Allow? [y/N]" in err
    assert code == 1 and "consent error" in err
    assert invoke("grants", "list")[1] == "no grants\n"


def test_asking_yes_remembers_until_revoked(script: Path, cassette: str) -> None:
    ctx = str(script.parent / "ctx.json")
    code, _, err = invoke("run", "--ask", str(script), "--context", ctx, "--replay", cassette, stdin="y\n")
    assert "Allow? [y/N]" in err and "consent error" not in err
    code, out, _ = invoke("grants", "list")
    assert "[active, until" in out and "api:api.example.com" in out and "task:zoho.cliq.posttochannel" in out
    # the next run does not ask: nothing is missing
    code, _, err = invoke("run", "--ask", str(script), "--context", ctx, "--replay", cassette, stdin="")
    assert "Allow?" not in err and "consent error" not in err
    # a changed script asks only for what is new
    mail = 'sendmail\n[\n\tfrom: zoho.adminuserid\n\tto: "a@b.c"\n\tsubject: "s"\n\tmessage: "m"\n];\n'
    script.write_text(SCRIPT + mail)
    code, _, err = invoke("run", "--ask", str(script), "--context", ctx, stdin="n\n")
    prompt = err.split("Allow?")[0]
    assert code == 1 and "Send email as you" in prompt and "api.example.com" not in prompt
    # revoked: asks again for everything
    script.write_text(SCRIPT)
    assert invoke("grants", "revoke", str(script))[1] == "revoked 1 grant\n"
    _, _, err = invoke("run", "--ask", str(script), "--context", ctx, stdin="n\n")
    assert "api.example.com" in err.split("Allow?")[0]


def test_grants_revoke_needs_a_file_or_all() -> None:
    assert invoke("grants", "revoke")[0] == 2
    assert invoke("grants", "revoke", "--all")[1] == "revoked 0 grants\n"
