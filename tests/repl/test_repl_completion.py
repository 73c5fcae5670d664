"""What Tab offers (`suggest`), and the prompt-toolkit completer over it."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from deluge.repl.completion import make_completer, suggest
from deluge.repl.session import Session


@pytest.fixture(scope="module")
def session() -> Session:
    session = Session()
    session.handle('user = {"first_name": "Ann", "id": 7, "address": {"city": "Pune"}, "two words": 1};')
    session.handle('name = "abc"; count = 5; items = {1, 2}; int twice(int n) { return n * 2; }')
    return session


def texts(session: Session, before: str) -> list[str]:
    return [s.text for s in suggest(session, before)]


def test_a_map_variable_after_a_dot_offers_its_keys_then_map_methods(session: Session) -> None:
    found = suggest(session, "user.")
    names = [s.text for s in found]
    assert names[:3] == ["first_name", "id", "address"]  # keys first ("two words" is no name)
    assert "two words" not in names
    meta = {s.text: s.meta for s in found}
    assert meta["first_name"] == "key: TEXT" and meta["address"] == "key: KEY-VALUE"
    assert meta["get"] == "map.get(key:any) -> any|null  (+1 more)"  # the map form, then collection.get
    assert meta["keys"].startswith("map.keys() -> list")
    assert "put" in names and "containsKey" in names
    # not the methods of other types
    assert "toUpperCase" not in names and "addDay" not in names and "abs" not in names
    assert all(s.replace == 0 for s in found)


def test_a_prefix_after_a_dot(session: Session) -> None:
    found = suggest(session, "user.ke")
    assert [(s.text, s.replace) for s in found] == [("keys", 2)]
    assert texts(session, "user.fi") == ["first_name"]
    assert texts(session, "user.address.") [:1] == ["city"]
    assert texts(session, 'user.get("address").ci') == ["city"]


def test_other_known_types(session: Session) -> None:
    text_methods = {s.text: s.meta for s in suggest(session, "name.to")}
    assert text_methods["toUpperCase"] == "text.toUpperCase() -> text"
    assert text_methods["toList"] == "text.toList(separator:text?) -> list"
    assert "toStartOfMonth" in text_methods  # a text holding a date takes the date methods
    assert "abs" in texts(session, "count.")
    assert "toUpperCase" not in texts(session, "count.")
    assert "add" in texts(session, "items.") and "toUpperCase" not in texts(session, "items.")
    assert texts(session, '"literal".toUpperC') == ["toUpperCase"]
    assert "addDay" in texts(session, "today.")
    assert "addDay" in texts(session, "zoho.currentdate.")
    assert "length" in texts(session, "zoho.loginuser.")


def test_an_unknown_value_offers_every_method_with_its_signature(session: Session) -> None:
    found = suggest(session, "unknown.")
    names = [s.text for s in found]
    assert {"toUpperCase", "keys", "add", "addDay", "abs"} <= set(names)
    assert len(names) == len(set(names))
    assert all("(" in s.meta for s in found)
    assert texts(session, "foo().getJ") == ["getJSON"]


def test_keys_inside_get(session: Session) -> None:
    found = suggest(session, 'user.get("')
    assert [s.text for s in found] == ['first_name"', 'id"', 'address"', 'two words"']
    assert [s.display for s in found][3] == "two words"
    assert texts(session, 'user.get("fi') == ['first_name"']
    assert texts(session, 'user.getJSON("a') == ['address"']
    assert texts(session, 'x = "a text') == []
    assert texts(session, 'nobody.get("') == []


def test_zoho_namespaces(session: Session) -> None:
    top = suggest(session, "zoho.")
    names = [s.text for s in top]
    assert {"cliq", "crm", "encryption", "loginuser", "currentdate"} <= set(names)
    assert {s.text: s.meta for s in top}["cliq"] == "namespace: zoho.cliq"
    cliq = suggest(session, "zoho.cliq.postToC")
    assert [s.text for s in cliq][:2] == ["postToChannel", "postToChannelAsAdmin"]
    assert "postToChat" in [s.text for s in cliq]
    assert all(s.meta.startswith("zoho.cliq.postTo") for s in cliq)
    assert texts(session, "zoho.cl") == ["cliq"]


def test_words(session: Session) -> None:
    found = suggest(session, "x = tw")
    assert [(s.text, s.meta) for s in found] == [("twice", "int twice(int n)")]
    assert texts(session, "us") == ["user"]
    assert suggest(session, "us")[0].meta == "variable: KEY-VALUE"
    assert "for each" in texts(session, "fo")
    assert "ifnull" in texts(session, "info ifn")
    assert texts(session, "zo") == ["zoho"]
    assert texts(session, "") == []
    assert texts(session, "standalone.tw") == ["twice"]


def test_commands(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert texts(session, ":") == [":help", ":type", ":vars", ":reset", ":load", ":context", ":consent", ":limits",
                                   ":time", ":quit"]
    assert texts(session, ":co") == [":context", ":consent"]
    assert texts(session, ":help getJ") == ["getJSON"]
    assert texts(session, ":help tw") == ["twice"]
    assert texts(session, ":type user.fi") == ["first_name"]
    (tmp_path / "script.dg").write_text("x = 1;", encoding="utf-8")
    (tmp_path / "context.json").write_text("{}", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    assert texts(session, ":load ") == ["sub/", "script.dg", "context.json"]
    assert texts(session, ":context ") == ["sub/", "context.json", "script.dg"]
    assert texts(session, f":load {tmp_path}/sc") == ["script.dg"]


def test_the_prompt_toolkit_completer(session: Session) -> None:
    completer = make_completer(session)
    completions = list(completer.get_completions(Document("user.getJ"), CompleteEvent(completion_requested=True)))
    assert [c.text for c in completions] == ["getJSON"]
    assert completions[0].start_position == -4
    assert completions[0].display_meta_text == "map.getJSON(key:any) -> any|null"
