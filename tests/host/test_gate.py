"""The consent lifecycle through the gate a host puts before runs, and enforcement at the moment of use.

A clock is injected: no test sleeps. The fake host records every request, task and mail it
is asked to perform, so "no side effect happens first" is checked, not assumed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import deluge
from deluge.capabilities import Grant
from deluge.host.consent import GrantStore
from deluge.host.gate import ConsentGate, Decision
from deluge.runtime.program import compile_program

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def days(self, count: float) -> None:
        self.now = T0 + timedelta(days=count)


class RecordingHost:
    """Performs nothing; remembers every side effect it was asked for."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.task_calls: list[str] = []
        self.mails: list[dict[str, Any]] = []
        self.http = self
        self.mail = self

    def invokeurl(self, ex: Any, url: str, method: str, entries: dict[str, Any]) -> Any:
        self.requests.append(url)
        return {"ok": True}

    def send(self, ex: Any, entries: dict[str, Any]) -> None:
        self.mails.append(dict(entries))

    def tasks(self, ex: Any, name: str, args: tuple[Any, ...]) -> Any:
        self.task_calls.append(name)
        return {"code": "success"}


SCRIPT_V1 = '''
name = user.get("first_name");
resp = invokeurl
[
	url: "https://api.weather.example/v1/now?city=" + arguments.get("city")
	type: GET
];
info "Hi " + name;
return {"text": "Weather: " + resp};
'''

SCRIPT_V2 = SCRIPT_V1.replace('info "Hi " + name;', 'info "Hi " + name;\nzoho.cliq.postToChannel("weather", "asked");')


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(clock: Clock) -> ConsentGate:
    return ConsentGate(GrantStore(clock=clock))


CONTEXT = {"user": {"first_name": "Ann"}, "arguments": {"city": "Oslo"}}


def run(gate: ConsentGate, source: str, principal: str = "ann", component: str = "ext/command/weather",
        org: str | None = None) -> tuple[Any, RecordingHost]:
    host = RecordingHost()
    outcome = gate.run(compile_program(source), principal, component, CONTEXT, org=org, host=host)
    return outcome, host


def test_the_whole_lifecycle(gate: ConsentGate, clock: Clock) -> None:
    # first run: a prompt instead of a run, listing objects, the host; nothing happened
    outcome, host = run(gate, SCRIPT_V1)
    assert isinstance(outcome, Decision) and not outcome.allowed
    assert outcome.missing == {"object:user.first_name", "object:arguments.city", "api:api.weather.example"}
    assert [s.key for s in outcome.prompt()] == ["objects", "hosts"]
    assert "api.weather.example" in outcome.prompt_text() and "60 days" in outcome.prompt_text()
    assert host.requests == []
    # the user allows: the next run goes ahead
    gate.accept(outcome)
    result, host = run(gate, SCRIPT_V1)
    assert result.error is None and result.output == ["Hi Ann"]
    assert host.requests == ["https://api.weather.example/v1/now?city=Oslo"]
    # day 59: still granted
    clock.days(59)
    result, _ = run(gate, SCRIPT_V1)
    assert not isinstance(result, Decision) and result.error is None
    # day 61: expired, asks for everything again
    clock.days(61)
    outcome, host = run(gate, SCRIPT_V1)
    assert isinstance(outcome, Decision) and len(outcome.missing) == 3 and host.requests == []
    gate.accept(outcome)
    assert not isinstance(run(gate, SCRIPT_V1)[0], Decision)
    # revoked: asks again
    gate.store.revoke("ann", "ext/command/weather")
    outcome, _ = run(gate, SCRIPT_V1)
    assert isinstance(outcome, Decision) and len(outcome.missing) == 3
    gate.accept(outcome)
    # a changed script asks only for what is new
    outcome, host = run(gate, SCRIPT_V2)
    assert isinstance(outcome, Decision)
    assert outcome.missing == {"task:zoho.cliq.postToChannel"}
    assert [s.key for s in outcome.prompt()] == ["tasks"]
    assert host.task_calls == [] and host.requests == []
    gate.accept(outcome)
    result, host = run(gate, SCRIPT_V2)
    assert result.error is None and host.task_calls == ["zoho.cliq.postToChannel"]
    # the old script is still covered by the wider grant
    assert not isinstance(run(gate, SCRIPT_V1)[0], Decision)


def test_one_users_grant_does_not_cover_another(gate: ConsentGate) -> None:
    gate.accept(gate.check(compile_program(SCRIPT_V1), "ann", "ext/command/weather"))
    assert not isinstance(run(gate, SCRIPT_V1, "ann")[0], Decision)
    assert isinstance(run(gate, SCRIPT_V1, "bob")[0], Decision)


def test_an_org_grant_covers_every_member(gate: ConsentGate, clock: Clock) -> None:
    gate.grant_org("acme", "ext/command/weather", compile_program(SCRIPT_V1))
    for member in ("ann", "bob", "carol"):
        result, host = run(gate, SCRIPT_V1, member, org="acme")
        assert not isinstance(result, Decision) and result.error is None, member
        assert host.requests
    assert isinstance(run(gate, SCRIPT_V1, "dave", org="globex")[0], Decision)
    assert isinstance(run(gate, SCRIPT_V1, "ann")[0], Decision)  # not as a member of acme
    clock.days(61)
    assert isinstance(run(gate, SCRIPT_V1, "ann", org="acme")[0], Decision)


def test_a_script_without_capabilities_runs_without_a_prompt(gate: ConsentGate) -> None:
    result, _ = run(gate, 'info "plain";\nreturn 1 + 1;')
    assert not isinstance(result, Decision) and result.output == ["plain"]


def test_objects_without_personal_data_need_no_grant(gate: ConsentGate) -> None:
    decision = gate.check("info event;\ninfo newuser;", "ann", "ext/widget")
    assert decision.allowed and decision.manifest.capabilities == {"object:event", "object:newuser"}


# ---------------------------------------------------------------- enforcement at the moment of use

def enforce(source: str, grant: Any, context: dict[str, Any]) -> tuple[Any, RecordingHost]:
    host = RecordingHost()
    return compile_program(source).run(context, grant=grant, host=host), host


def test_a_url_from_the_context_is_checked_when_used() -> None:
    source = 'info "before";\nresp = invokeurl\n[\n\turl: address\n\ttype: GET\n];\ninfo "after";\n'
    manifest = compile_program(source).manifest
    assert manifest.capabilities == {"api:*"}  # the analyzer cannot see the host
    # the user granted the hosts they saw on an earlier prompt, not any website
    result, host = enforce(source, Grant(frozenset(["api:good.example"])), {"address": "https://evil.example/x"})
    assert result.error is not None and result.error.kind == "consent"
    assert result.error.capability == "api:evil.example" and result.error.line == 2  # type: ignore[attr-defined]
    assert result.output == ["before"] and host.requests == []
    result, host = enforce(source, Grant(frozenset(["api:good.example"])), {"address": "https://good.example/x"})
    assert result.error is None and host.requests == ["https://good.example/x"]


def test_a_connection_named_by_the_context_needs_its_own_grant() -> None:
    source = 'r = zoho.crm.getRecords("Leads", 1, 10, conn);\n'
    assert compile_program(source).manifest.capabilities == {"task:zoho.crm.getRecords", "connection:*"}
    grant = Grant(frozenset(["task:zoho.crm.getRecords", "connection:crm_main"]))
    result, host = enforce(source, grant, {"conn": "crm_other"})
    assert result.error is not None and result.error.kind == "consent" and host.task_calls == []
    assert result.error.capability == "connection:crm_other"  # type: ignore[attr-defined]
    result, host = enforce(source, grant, {"conn": "crm_main"})
    assert result.error is None and host.task_calls == ["zoho.crm.getRecords"]


def test_invokeurl_with_a_connection_checks_host_then_connection_before_sending() -> None:
    source = 'r = invokeurl\n[\n\turl: base + "/user"\n\ttype: GET\n\tconnection: conn\n];\n'
    grant = Grant(frozenset(["api:*", "connection:github"]))
    result, host = enforce(source, grant, {"base": "https://api.github.com", "conn": "gitlab"})
    assert result.error is not None and result.error.kind == "consent" and host.requests == []
    result, host = enforce(source, grant, {"base": "https://api.github.com", "conn": "github"})
    assert result.error is None and host.requests == ["https://api.github.com/user"]


def test_mail_is_refused_before_anything_is_sent() -> None:
    source = 'sendmail\n[\n\tfrom: zoho.adminuserid\n\tto: to_address\n\tsubject: "s"\n\tmessage: "m"\n];\n'
    result, host = enforce(source, Grant(frozenset(["api:*"])), {"to_address": "a@example.com"})
    assert result.error is not None and result.error.kind == "consent" and host.mails == []
    result, host = enforce(source, Grant(frozenset(["mail:send"])), {"to_address": "a@example.com"})
    assert result.error is None and len(host.mails) == 1


def test_consent_errors_cannot_be_caught() -> None:
    source = 'try\n{\n\tr = getUrl(target);\n}\ncatch (e)\n{\n\tinfo "caught";\n}\ninfo "after";\n'
    result, host = enforce(source, None, {"target": "https://a.example/"})
    assert result.error is not None and result.error.kind == "consent"
    assert result.output == [] and host.requests == []


@pytest.mark.parametrize("grant", [None, [], "all", ["api:a.example"], Grant(frozenset(["api:a.example"]))])
def test_run_accepts_every_kind_of_grant(grant: Any) -> None:
    result = deluge.run('r = getUrl("https://a.example/");', grant=grant, host=RecordingHost())
    if grant in (None, []):
        assert result.error is not None and result.error.kind == "consent"
    else:
        assert result.error is None
