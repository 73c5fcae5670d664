"""Integration tasks over HTTP: the exact REST request each task makes and what the script sees.

Every test runs a Deluge script through `deluge.run` with `host.tasks` = `TaskRouter` and
`host.http` = the real `HostHttp` (network policy with a fake resolver, a `ConnectionRegistry` of
OAuth2 connections) whose transport is an `httpx.MockTransport`, so the request is checked byte
for byte (method, URL, query, JSON body, the connection's auth header) and the answer is
whatever the test's fake service sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import deluge
from deluge.errors import DelugeRuntimeError
from deluge.host.connections import ConnectionRegistry, OAuth2Connection
from deluge.host.http import HostHttp
from deluge.host.netpolicy import NetworkPolicy, NetworkRefused
from deluge.host.tasks import CliqConfig, CrmConfig, TaskRouter
from deluge.host.tasks.router import covers

TOKENS = {"cliq_system": "sys-token", "cliqconn": "cliq-token", "crm": "crm-token", "zoho_one": "one-token"}
PUBLIC = "93.184.216.34"
POLICY = NetworkPolicy(resolver=lambda host, port: [PUBLIC])
"""Every name resolves to a public-looking address: the policy's checks run, the MockTransport answers."""

Handler = Callable[[httpx.Request], httpx.Response]


def registry() -> ConnectionRegistry:
    return ConnectionRegistry(OAuth2Connection(name=name, service="zohocrm" if name == "crm" else "zohocliq",
                                               access_token=token) for name, token in TOKENS.items())


def host_http(handler: Handler, policy: NetworkPolicy = POLICY) -> HostHttp:
    """The real client: policy checks, connection credentials (`Zoho-oauthtoken`), masking."""
    return HostHttp(policy, registry(), transport=httpx.MockTransport(handler))


class Service:
    """A fake service: records every request, answers with `answer` (204 by default)."""

    def __init__(self, answer: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda request: httpx.Response(204))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answer(request)

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, [str(r.url) for r in self.requests]
        return self.requests[0]


def reply(status: int = 200, body: Any = None, text: str | None = None) -> Handler:
    if text is not None:
        return lambda request: httpx.Response(status, text=text)
    return lambda request: httpx.Response(status, json=body)


def run(script: str, service: Service, **router: Any) -> deluge.Result:
    http = host_http(service)
    host = SimpleNamespace(http=http, tasks=TaskRouter(http, **router), mail=None)
    return deluge.run(script, grant="all", host=host)


def value(script: str, service: Service, **router: Any) -> Any:
    result = run(f"r = {script};\nreturn r;", service, **router)
    assert result.error is None, result.error
    return result.value


def error(script: str, service: Service, **router: Any) -> str:
    result = run(f"r = {script};\nreturn r;", service, **router)
    assert isinstance(result.error, DelugeRuntimeError), result
    return result.error.message


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def auth(request: httpx.Request) -> str:
    return request.headers["authorization"]


# ---------------------------------------------------------------- Cliq messages


def test_post_to_channel_text_becomes_a_text_message() -> None:
    service = Service()
    assert value('zoho.cliq.postToChannel("general", "Hello *team*", "cliqconn")', service) == {"status": "success"}
    request = service.only
    assert request.method == "POST"
    assert str(request.url) == "https://cliq.zoho.com/api/v2/channelsbyname/general/message"
    assert request.headers["content-type"] == "application/json"
    assert body(request) == {"text": "Hello *team*"}
    assert auth(request) == "Zoho-oauthtoken cliq-token"


def test_post_to_channel_map_is_sent_as_is_with_the_system_connection() -> None:
    service = Service(reply(200, {"id": "m1"}))
    script = ('zoho.cliq.postToChannel("general", {"text": "Build", "card": {"title": "CI", "theme": "modern-inline"},'
              ' "buttons": [{"label": "Open", "type": "+", "action": {"type": "open.url", "data": {"web": "https://x"}}}]})')
    assert value(script, service) == {"status": "success"}
    assert body(service.only) == {"text": "Build", "card": {"title": "CI", "theme": "modern-inline"},
                                  "buttons": [{"label": "Open", "type": "+",
                                               "action": {"type": "open.url", "data": {"web": "https://x"}}}]}
    assert auth(service.only) == "Zoho-oauthtoken sys-token"


def test_post_to_channel_as_bot_and_as_admin() -> None:
    service = Service()
    assert value('zoho.cliq.postToChannelAsBot("alerts", "deploybot", "Deployed", "cliqconn")', service) == \
        {"status": "success"}
    request = service.only
    assert str(request.url) == "https://cliq.zoho.com/api/v2/channelsbyname/alerts/message?bot_unique_name=deploybot"
    assert body(request) == {"text": "Deployed"}
    service = Service()
    value('zoho.cliq.postToChannelAsBot("alerts", "ops bot&x", "hi")', service)
    assert query(service.only) == [("bot_unique_name", "ops bot&x")]
    service = Service()
    value('zoho.cliq.postToChannelAsAdmin("alerts", "Maintenance tonight")', service)
    assert str(service.only.url) == "https://cliq.zoho.com/api/v2/channelsbyname/alerts/message"


@pytest.mark.parametrize(("call", "url"), [
    ('zoho.cliq.postToChat(2230642504416962032, "hi")', "https://cliq.zoho.com/api/v2/chats/2230642504416962032/message"),
    ('zoho.cliq.postToChatAsAdmin("CT_123", "hi")', "https://cliq.zoho.com/api/v2/chats/CT_123/message"),
    ('zoho.cliq.postToUser("ana@example.com", "hi")', "https://cliq.zoho.com/api/v2/buddies/ana@example.com/message"),
    ('zoho.cliq.postToUser("123456789", "hi")', "https://cliq.zoho.com/api/v2/buddies/123456789/message"),
    ('zoho.cliq.postToBot("helper", "hi")', "https://cliq.zoho.com/api/v2/bots/helper/message"),
    ('zoho.cliq.postToBotAsAdmin("helper", "hi")', "https://cliq.zoho.com/api/v2/bots/helper/message"),
])
def test_post_targets(call: str, url: str) -> None:
    service = Service()
    assert value(call, service) == {"status": "success"}
    assert service.only.method == "POST"
    assert str(service.only.url) == url
    assert body(service.only) == {"text": "hi"}


def test_post_to_bot_keeps_userids() -> None:
    service = Service()
    value('zoho.cliq.postToBot("helper", {"text": "Report ready", "userids": "1,2"}, "cliqconn")', service)
    assert body(service.only) == {"text": "Report ready", "userids": "1,2"}


def test_path_values_are_encoded() -> None:
    service = Service()
    value('zoho.cliq.postToChannel("a/b c", "hi")', service)
    assert service.only.url.raw_path == b"/api/v2/channelsbyname/a%2Fb%20c/message"
    assert "must be a non-empty" in error('zoho.cliq.postToChannel("..", "hi")', service)
    assert len(service.requests) == 1


def test_posting_a_file_uploads_it() -> None:
    service = Service()
    assert value('zoho.cliq.postToChat("CT_1", "a,b\\n1,2".toFile("report.csv"), "cliqconn")', service) == \
        {"status": "success"}
    request = service.only
    assert str(request.url) == "https://cliq.zoho.com/api/v2/chats/CT_1/files"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="files"; filename="report.csv"' in request.content
    assert b"a,b\n1,2" in request.content


@pytest.mark.parametrize("message", ['""', "{}", '{"title": "no text"}', "true", "[1, 2]"])
def test_invalid_message_is_a_value_and_sends_nothing(message: str) -> None:
    service = Service()
    result = value(f'zoho.cliq.postToChannel("general", {message})', service)
    assert result["code"] == "invalid_message"
    assert service.requests == []


def test_service_error_comes_back_as_its_map() -> None:
    failure = {"code": "operation_failed",
               "message": "Sorry, we couldn't process your request due to a technical error. Please try again later."}
    assert value('zoho.cliq.postToUser("nobody@example.com", "hi")', Service(reply(400, failure))) == failure


def test_non_json_failure_names_the_status() -> None:
    result = value('zoho.cliq.postToChannel("general", "hi")', Service(reply(502, text="<html>Bad gateway</html>")))
    assert result == {"code": "operation_failed",
                      "message": "The request to cliq.zoho.com failed with HTTP status 502"}


def test_script_can_test_the_answer() -> None:
    service = Service(reply(404, {"code": "operation_failed", "message": "no such channel"}))
    result = run('r = zoho.cliq.postToChannel("nope", "hi");\nif (r.get("code") != null) { info "failed: " + '
                 'r.get("message"); }', service)
    assert result.error is None
    assert result.output == ["failed: no such channel"]


# ---------------------------------------------------------------- Cliq databases


RECORD = {"id": "227828000000128010", "name": "Ana", "availability": True, "added_time": "1700000000000",
          "modified_time": "1700000000000"}


def test_create_record() -> None:
    answer = {"status": "SUCCESS", "url": "/api/v2/storages/staff/records", "type": "storagerecord", "data": RECORD}
    service = Service(reply(200, answer))
    assert value('zoho.cliq.createRecord("staff", {"name": "Ana", "availability": true, "age": 31}, "cliqconn")',
                 service) == answer
    request = service.only
    assert request.method == "POST"
    assert str(request.url) == "https://cliq.zoho.com/api/v2/storages/staff/records"
    assert body(request) == {"values": {"name": "Ana", "availability": True, "age": 31}}
    assert auth(request) == "Zoho-oauthtoken cliq-token"


def test_get_records_with_a_query() -> None:
    answer = {"status": "SUCCESS", "url": "/api/v2/storages/staff/records", "type": "storagerecord",
              "list": [RECORD], "next_token": "tok2"}
    service = Service(reply(200, answer))
    script = ('zoho.cliq.getRecords("staff", {"criteria": "availability==true&&name like A*", "limit": 10, '
              '"order_by": "-added_time", "start_token": "tok1"})')
    assert value(script, service) == answer
    request = service.only
    assert request.method == "GET"
    assert request.url.path == "/api/v2/storages/staff/records"
    assert query(request) == [("criteria", "availability==true&&name like A*"), ("limit", "10"),
                              ("order_by", "-added_time"), ("start_token", "tok1")]


def test_get_records_defaults_to_a_limit_of_100() -> None:
    service = Service(reply(200, {"status": "SUCCESS", "list": []}))
    value('zoho.cliq.getRecords("staff", {})', service)
    assert str(service.only.url) == "https://cliq.zoho.com/api/v2/storages/staff/records?limit=100"


def test_get_update_and_delete_by_id() -> None:
    answer = {"status": "SUCCESS", "url": "/api/v2/storages/staff/records/227828000000128010", "data": RECORD}
    service = Service(reply(200, answer))
    assert value('zoho.cliq.getRecordById("staff", 227828000000128010)', service) == answer
    assert service.only.method == "GET"
    assert str(service.only.url) == "https://cliq.zoho.com/api/v2/storages/staff/records/227828000000128010"

    service = Service(reply(200, answer))
    assert value('zoho.cliq.updateRecord("staff", "227828000000128010", {"availability": false})', service) == answer
    assert service.only.method == "PUT"
    assert str(service.only.url) == "https://cliq.zoho.com/api/v2/storages/staff/records/227828000000128010"
    assert body(service.only) == {"values": {"availability": False}}

    service = Service()
    assert value('zoho.cliq.deleteRecord("staff", 227828000000128010, "cliqconn")', service) == {"status": "SUCCESS"}
    assert service.only.method == "DELETE"
    assert str(service.only.url) == "https://cliq.zoho.com/api/v2/storages/staff/records/227828000000128010"


def test_delete_records_by_criteria() -> None:
    service = Service()
    assert value('zoho.cliq.deleteRecords("staff", "availability==false", "cliqconn")', service) == \
        {"status": "SUCCESS"}
    request = service.only
    assert request.method == "DELETE"
    assert request.url.path == "/api/v2/storages/staff/records"
    assert query(request) == [("criteria", "availability==false")]
    assert "criteria must not be empty" in error('zoho.cliq.deleteRecords("staff", " ")', Service())


def test_database_error_is_a_value() -> None:
    failure = {"code": "datastore_not_found", "message": "The database does not exist"}
    assert value('zoho.cliq.deleteRecords("nodb", "a==1")', Service(reply(404, failure))) == failure
    failure = {"code": "datastore_unique_key_violation", "message": "Duplicate value for name"}
    assert value('zoho.cliq.createRecord("staff", {"name": "Ana"})', Service(reply(400, failure))) == failure


# ---------------------------------------------------------------- extension properties


EXT = {"cliq": CliqConfig(extension_id="2305843009213699999", extension_key="ext-secret-key")}


def test_set_properties() -> None:
    service = Service(reply(200, {"api_key": "abc", "max_retries": "3"}))
    assert value('zoho.cliq.extension.setProperties({"api_key": "abc", "max_retries": 3}, "cliqconn")', service,
                 **EXT) == {"api_key": "abc", "max_retries": "3"}
    request = service.only
    assert request.method == "PATCH"
    assert request.url.path == "/api/v3/extensions/2305843009213699999/properties"
    assert query(request) == [("extension_key", "ext-secret-key")]
    assert body(request) == {"properties": {"api_key": "abc", "max_retries": "3"}}
    assert auth(request) == "Zoho-oauthtoken cliq-token"


def test_get_and_delete_properties() -> None:
    service = Service(reply(200, {"api_key": "abc"}))
    assert value('zoho.cliq.extension.getProperties({"api_key", "region"})', service, **EXT) == {"api_key": "abc"}
    assert service.only.method == "GET"
    assert query(service.only) == [("keys", "api_key,region"), ("extension_key", "ext-secret-key")]
    service = Service(reply(200, {"api_key": "abc"}))
    value('zoho.cliq.extension.getProperties("api_key")', service, **EXT)
    assert query(service.only)[0] == ("keys", "api_key")
    service = Service()
    assert value('zoho.cliq.extension.deleteProperty("api_key")', service, **EXT) == {"status": "SUCCESS"}
    assert service.only.method == "DELETE"
    assert service.only.url.path == "/api/v3/extensions/2305843009213699999/properties/api_key"


def test_extension_tasks_need_an_extension() -> None:
    service = Service()
    assert "only available in the components of an extension" in \
        error('zoho.cliq.extension.getProperties("api_key")', service)
    assert service.requests == []
    assert TaskRouter(host_http(service), **EXT).secrets() == ("ext-secret-key",)
    assert "ext-secret-key" not in repr(EXT["cliq"])


# ---------------------------------------------------------------- CRM


LEAD = {"id": "4876876000000333001", "Last_Name": "Smith", "Company": "Zylker"}


def test_crm_get_records() -> None:
    service = Service(reply(200, {"data": [LEAD], "info": {"per_page": 10, "more_records": False}}))
    script = 'zoho.crm.getRecords("Leads", 2, 10, {"fields": "Last_Name,Company", "sort_by": "id"}, "crm")'
    assert value(script, service) == [LEAD]
    request = service.only
    assert request.method == "GET"
    assert request.url.path == "/crm/v8/Leads"
    assert request.url.host == "www.zohoapis.com"
    assert query(request) == [("page", "2"), ("per_page", "10"), ("fields", "Last_Name,Company"), ("sort_by", "id")]
    assert auth(request) == "Zoho-oauthtoken crm-token"


def test_crm_get_records_defaults_and_no_content() -> None:
    service = Service()  # CRM answers 204 when the module has no records
    assert value('zoho.crm.getRecords("Deals", "zoho_one")', service) == []
    assert query(service.only) == [("page", "1"), ("per_page", "200")]
    assert auth(service.only) == "Zoho-oauthtoken one-token"


def test_crm_get_record_by_id() -> None:
    service = Service(reply(200, {"data": [LEAD]}))
    assert value('zoho.crm.getRecordById("Leads", 4876876000000333001, {"fields": "Last_Name"}, "crm")',
                 service) == LEAD
    assert str(service.only.url) == "https://www.zohoapis.com/crm/v8/Leads/4876876000000333001?fields=Last_Name"
    service = Service(reply(200, {"data": [LEAD]}))
    value('zoho.crm.getRecordById("Leads", "4876876000000333001", "crm")', service)
    assert str(service.only.url) == "https://www.zohoapis.com/crm/v8/Leads/4876876000000333001"


def test_crm_search_records() -> None:
    service = Service(reply(200, {"data": [LEAD]}))
    script = 'zoho.crm.searchRecords("Leads", "(Company:equals:Zylker)and(Last_Name:starts_with:S)", 1, 50, "crm")'
    assert value(script, service) == [LEAD]
    request = service.only
    assert request.url.path == "/crm/v8/Leads/search"
    assert query(request) == [("criteria", "(Company:equals:Zylker)and(Last_Name:starts_with:S)"), ("page", "1"),
                              ("per_page", "50")]
    assert value('zoho.crm.searchRecords("Leads", "(Company:equals:Nobody)", "crm")', Service()) == []


def test_crm_create_record_returns_the_details() -> None:
    details = {"Modified_Time": "2024-05-01T10:00:00+05:30", "Modified_By": {"name": "Ana", "id": "1"},
               "Created_Time": "2024-05-01T10:00:00+05:30", "id": "4876876000000333002",
               "Created_By": {"name": "Ana", "id": "1"}}
    answer = {"data": [{"code": "SUCCESS", "details": details, "message": "record added", "status": "success"}]}
    service = Service(reply(201, answer))
    script = ('zoho.crm.createRecord("Leads", {"Last_Name": "Smith", "Company": "Zylker", "Score": 5, '
              '"Closing_Date": "2024-06-30".toDate(), "Meeting": "2024-06-30 14:30:00".toDateTime()}, '
              '{"trigger": {"workflow"}, "lar_id": "4876876000000402001"}, "crm")')
    assert value(script, service) == details
    request = service.only
    assert request.method == "POST"
    assert str(request.url) == "https://www.zohoapis.com/crm/v8/Leads"
    assert body(request) == {"data": [{"Last_Name": "Smith", "Company": "Zylker", "Score": 5,
                                       "Closing_Date": "2024-06-30", "Meeting": "2024-06-30T14:30:00+00:00"}],
                             "trigger": ["workflow"], "lar_id": "4876876000000402001"}


def test_crm_writes_trigger_nothing_unless_asked() -> None:
    service = Service(reply(201, {"data": [{"code": "SUCCESS", "details": {"id": "9"}, "status": "success"}]}))
    assert value('zoho.crm.createRecord("Leads", {"Last_Name": "Smith"}, "crm")', service) == {"id": "9"}
    assert body(service.only) == {"data": [{"Last_Name": "Smith"}], "trigger": []}


def test_crm_update_record() -> None:
    answer = {"data": [{"code": "SUCCESS", "details": {"id": "4876876000000333001", "Modified_Time": "t"},
                        "message": "record updated", "status": "success"}]}
    service = Service(reply(200, answer))
    assert value('zoho.crm.updateRecord("Leads", "4876876000000333001", {"Company": "Zoho"}, {}, "crm")',
                 service) == {"id": "4876876000000333001", "Modified_Time": "t"}
    request = service.only
    assert request.method == "PUT"
    assert str(request.url) == "https://www.zohoapis.com/crm/v8/Leads/4876876000000333001"
    assert body(request) == {"data": [{"Company": "Zoho"}], "trigger": []}


def test_crm_errors_are_values() -> None:
    module_error = {"code": "INVALID_MODULE", "details": {"resource_path_index": 0},
                    "message": "the module name given seems to be invalid", "status": "error"}
    assert value('zoho.crm.getRecords("Nope", 1, 10, {}, "crm")', Service(reply(400, module_error))) == module_error
    assert value('zoho.crm.getRecordById("Nope", 1, "crm")', Service(reply(400, module_error))) == module_error
    field_error = {"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "Last_Name"},
                   "message": "required field not found", "status": "error"}
    service = Service(reply(400, {"data": [field_error]}))
    assert value('zoho.crm.createRecord("Leads", {"Company": "Zylker"}, "crm")', service) == field_error


def test_crm_timezone_of_the_run_is_the_offset() -> None:
    service = Service(reply(201, {"data": [{"code": "SUCCESS", "details": {"id": "9"}, "status": "success"}]}))
    http = host_http(service)
    result = deluge.run('return zoho.crm.createRecord("Events", {"Start_DateTime": '
                        '"2024-01-15 09:00:00".toDateTime()}, "crm");', grant="all", timezone="Asia/Kolkata",
                        host=SimpleNamespace(http=http, tasks=TaskRouter(http), mail=None))
    assert result.error is None, result.error
    assert body(service.only)["data"] == [{"Start_DateTime": "2024-01-15T09:00:00+05:30"}]


# ---------------------------------------------------------------- connections and providers


def test_crm_needs_a_connection() -> None:
    service = Service()
    assert "connection required" in error('zoho.crm.getRecords("Leads")', service)
    assert service.requests == []


def test_default_connection_per_service() -> None:
    service = Service(reply(200, {"data": []}))
    assert value('zoho.crm.getRecords("Leads")', service, default_connections={"crm": "zoho_one"}) == []
    assert auth(service.only) == "Zoho-oauthtoken one-token"
    service = Service()
    value('zoho.cliq.postToChannel("general", "hi")', service, default_connections={"cliq": "cliqconn"})
    assert auth(service.only) == "Zoho-oauthtoken cliq-token"
    service = Service()  # an explicit connection beats the default
    value('zoho.cliq.postToChannel("general", "hi", "cliq_system")', service, default_connections={"cliq": "cliqconn"})
    assert auth(service.only) == "Zoho-oauthtoken sys-token"


def test_system_connection_name_is_configurable() -> None:
    service = Service()
    value('zoho.cliq.postToChannel("general", "hi")', service, cliq=CliqConfig(system_connection="zoho_one"))
    assert auth(service.only) == "Zoho-oauthtoken one-token"


def test_unknown_connection_is_a_runtime_error_catchable_by_the_script() -> None:
    service = Service()
    assert error('zoho.cliq.postToChannel("general", "hi", "nosuch")', service) == "connection 'nosuch' not found"
    result = run('try { zoho.crm.getRecords("Leads", 1, 10, {}, "nosuch"); } catch (e) { info "caught"; }', service)
    assert result.error is None and result.output == ["caught"]
    assert service.requests == []


@pytest.mark.parametrize("call", ['zoho.books.getOrganizations("books")',
                                  'zoho.desk.getRecordById(1, "tickets", 2, "desk")'])
def test_other_services_have_no_provider(call: str) -> None:
    assert error(call, Service()) == f"The task {call.split('(')[0]} has no provider in this host"


@pytest.mark.parametrize(("call", "message"), [
    ('zoho.cliq.postToChannel(123, "hi")', "channel_name must be a TEXT, not a NUMBER"),
    ('zoho.cliq.createRecord("staff", "name=Ana")', "values must be a KEY-VALUE, not a TEXT"),
    ('zoho.cliq.getRecordById("staff", true)', "record_id must be a NUMBER or TEXT, not a BOOLEAN"),
    ('zoho.crm.getRecords("Leads", "1", 200, {}, "crm")', "page must be a NUMBER, not a TEXT"),
    ('zoho.crm.createRecord("Leads", {"a": 1}, [1], "crm")', "options must be a KEY-VALUE, not a LIST"),
    ('zoho.cliq.postToChannel("general", "hi", 5)', "connection must be a TEXT, not a NUMBER"),
    ('zoho.cliq.extension.getProperties({1, 2})', "keys must be a TEXT or a LIST of TEXT"),
])
def test_wrong_argument_types(call: str, message: str) -> None:
    service = Service()
    assert message in error(call, service, **EXT)
    assert service.requests == []


def test_transport_failure_is_a_runtime_error_without_secrets() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    message = error('zoho.cliq.extension.getProperties("api_key")', Service(refuse), **EXT)
    assert message.startswith("The request to cliq.zoho.com failed")
    assert "ext-secret-key" not in message

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    assert error('zoho.crm.getRecords("Leads", "crm")', Service(slow)).startswith("The request timed out")


def test_network_policy_applies_to_tasks() -> None:
    """A service name that resolves to a private address is refused before anything is sent."""
    service = Service()
    http = host_http(service, NetworkPolicy(resolver=lambda host, port: ["10.0.0.7"]))
    host = SimpleNamespace(http=http, tasks=TaskRouter(http), mail=None)
    result = deluge.run('return zoho.cliq.postToChannel("general", "hi");', grant="all", host=host)
    assert isinstance(result.error, DelugeRuntimeError)
    assert "refused" in result.error.message and "private" in result.error.message
    assert service.requests == []


class BareHttp:
    """A host's own client without HostHttp's error mapping: the router maps what it raises."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def request(self, ex: Any, method: str, url: str, **kwargs: Any) -> Any:
        raise self.failure


@pytest.mark.parametrize(("failure", "message"), [
    (httpx.ConnectError("refused for https://x/?extension_key=k"),
     "zoho.cliq.postToChannel: the request to the service failed (ConnectError)"),
    (httpx.ReadTimeout("slow"), "zoho.cliq.postToChannel: the service did not answer in time"),
    (NetworkRefused("the address 10.0.0.7 of cliq.zoho.com is private"),
     "zoho.cliq.postToChannel: the address 10.0.0.7 of cliq.zoho.com is private"),
])
def test_router_maps_client_failures(failure: Exception, message: str) -> None:
    http = BareHttp(failure)
    result = deluge.run('return zoho.cliq.postToChannel("general", "hi");', grant="all",
                        host=SimpleNamespace(http=http, tasks=TaskRouter(http), mail=None))
    assert isinstance(result.error, DelugeRuntimeError)
    assert result.error.message == message


def test_a_task_needs_only_its_own_grant() -> None:
    """The provider's URL is the host's business: no `api:cliq.zoho.com` grant is asked for (D44)."""
    service = Service()
    http = host_http(service)
    host = SimpleNamespace(http=http, tasks=TaskRouter(http), mail=None)
    script = 'return zoho.cliq.postToChannel("general", "hi", "cliqconn");'
    result = deluge.run(script, grant=["task:zoho.cliq.postToChannel", "connection:cliqconn"], host=host)
    assert result.error is None, result.error
    assert result.value == {"status": "success"}
    denied = deluge.run(script, grant=["task:zoho.cliq.postToChannel"], host=host)
    assert denied.error is not None and denied.error.kind == "consent"
    assert len(service.requests) == 1


# ---------------------------------------------------------------- scopes (PLATFORM.md 5.1)


def scoped_run(script: str, scopes: tuple[str, ...], service: Service) -> Any:
    registry = ConnectionRegistry([OAuth2Connection(name="scoped", service="zohocrm", access_token="scoped-token",
                                                    scopes=scopes)])
    http = HostHttp(POLICY, registry, transport=httpx.MockTransport(service))
    result = deluge.run(f"return {script};", grant="all", host=SimpleNamespace(http=http, tasks=TaskRouter(http)))
    assert result.error is None, result.error
    return result.value


@pytest.mark.parametrize(("script", "scopes"), [
    ('zoho.crm.getRecords("Leads", "scoped")', ("ZohoCRM.modules.ALL",)),
    ('zoho.crm.getRecords("Leads", "scoped")', ("ZohoCRM.modules.leads.READ",)),
    ('zoho.crm.createRecord("Leads", {"Last_Name": "S"}, "scoped")', ("ZohoCRM.modules.Leads.ALL",)),
    ('zoho.crm.searchRecords("Leads", "(a:equals:b)", "scoped")',
     ("ZohoCRM.modules.READ", "ZohoSearch.securesearch.READ")),
    ('zoho.cliq.postToChannel("general", "hi", "scoped")', ("ZohoCliq.Webhooks.CREATE",)),
    ('zoho.cliq.getRecords("staff", {}, "scoped")', ("ZohoCliq.DatastoreRecords.ALL",)),
    ('zoho.cliq.deleteRecord("staff", 1, "scoped")', ("ZohoCliq.StorageData.DELETE",)),
    ('zoho.cliq.postToChannel("general", "hi", "scoped")', ()),  # scopes unknown: the service decides
])
def test_scopes_that_cover_the_task(script: str, scopes: tuple[str, ...]) -> None:
    service = Service(reply(200, {"data": [], "status": "SUCCESS"}))
    value = scoped_run(script, scopes, service)
    assert not (isinstance(value, dict) and value.get("code") == "oauth_scope_mismatch")
    assert len(service.requests) == 1


@pytest.mark.parametrize(("script", "scopes", "missing"), [
    ('zoho.crm.createRecord("Leads", {"Last_Name": "S"}, "scoped")', ("ZohoCRM.modules.Leads.READ",),
     "ZohoCRM.modules.Leads.CREATE"),
    ('zoho.crm.getRecords("Deals", "scoped")', ("ZohoCRM.modules.Leads.ALL", "ZohoCRM.settings.ALL"),
     "ZohoCRM.modules.Deals.READ"),
    ('zoho.crm.searchRecords("Leads", "(a:equals:b)", "scoped")', ("ZohoCRM.modules.ALL",),
     "ZohoSearch.securesearch.READ"),
    ('zoho.cliq.postToChannel("general", "hi", "scoped")', ("ZohoCliq.Channels.ALL",), "ZohoCliq.Webhooks.CREATE"),
    ('zoho.cliq.updateRecord("staff", 1, {}, "scoped")', ("ZohoCliq.StorageData.READ",),
     "ZohoCliq.StorageData.UPDATE or ZohoCliq.DatastoreRecords.UPDATE"),
])
def test_scope_mismatch_is_a_value_and_sends_nothing(script: str, scopes: tuple[str, ...], missing: str) -> None:
    service = Service()
    value = scoped_run(script, scopes, service)
    assert value["code"] == "oauth_scope_mismatch"
    assert missing in value["message"] and "'scoped'" in value["message"]
    assert service.requests == []


def test_scope_coverage_rule() -> None:
    assert covers("ZohoCRM.modules.ALL", "ZohoCRM.modules.Leads.READ")
    assert covers("zohocrm.MODULES.leads.all", "ZohoCRM.modules.Leads.CREATE")
    assert covers("ZohoCRM.modules.READ", "ZohoCRM.modules.Leads.READ")
    assert not covers("ZohoCRM.modules.READ", "ZohoCRM.modules.Leads.CREATE")
    assert not covers("ZohoCRM.modules.Leads.READ", "ZohoCRM.modules.READ")
    assert not covers("ZohoCRM.settings.ALL", "ZohoCRM.modules.Leads.READ")
    assert not covers("ALL", "ZohoCRM.modules.Leads.READ")


# ---------------------------------------------------------------- data centres


@pytest.mark.parametrize(("dc", "host"), [("com", "cliq.zoho.com"), ("us", "cliq.zoho.com"), (".eu", "cliq.zoho.eu"),
                                          ("in", "cliq.zoho.in"), ("com.au", "cliq.zoho.com.au"),
                                          ("AU", "cliq.zoho.com.au"), ("com.cn", "cliq.zoho.com.cn"),
                                          ("jp", "cliq.zoho.jp"), ("ca", "cliq.zohocloud.ca")])
def test_cliq_data_centres(dc: str, host: str) -> None:
    config = CliqConfig.for_dc(dc)
    assert config.base_url == f"https://{host}/api/v2"
    assert config.v3_url == f"https://{host}/api/v3"


@pytest.mark.parametrize(("dc", "host"), [("com", "www.zohoapis.com"), ("eu", "www.zohoapis.eu"),
                                          ("in", "www.zohoapis.in"), (".com.au", "www.zohoapis.com.au"),
                                          ("cn", "www.zohoapis.com.cn"), ("jp", "www.zohoapis.jp"),
                                          ("ca", "www.zohoapis.ca")])
def test_crm_data_centres(dc: str, host: str) -> None:
    assert CrmConfig.for_dc(dc).base_url == f"https://{host}/crm/v8"


def test_unknown_data_centre() -> None:
    with pytest.raises(ValueError, match="unknown Cliq data centre"):
        CliqConfig.for_dc("mars")
    with pytest.raises(ValueError, match="unknown CRM data centre"):
        CrmConfig.for_dc("sa")


def test_requests_go_to_the_configured_data_centre() -> None:
    service = Service(reply(200, {"data": [LEAD]}))
    config = {"cliq": CliqConfig.for_dc("eu", extension_id="77", extension_key="k-eu-1234"),
              "crm": CrmConfig.for_dc("eu"), "default_connections": {"crm": "crm"}}
    value('zoho.cliq.postToChannel("general", "hi")', service, **config)
    value('zoho.crm.getRecordById("Leads", 1)', service, **config)
    value('zoho.cliq.extension.deleteProperty("x")', service, **config)
    assert [str(r.url) for r in service.requests] == [
        "https://cliq.zoho.eu/api/v2/channelsbyname/general/message",
        "https://www.zohoapis.eu/crm/v8/Leads/1",
        "https://cliq.zoho.eu/api/v3/extensions/77/properties/x?extension_key=k-eu-1234",
    ]
    assert CliqConfig(base_url="http://127.0.0.1:8080/api/v2/").base_url == "http://127.0.0.1:8080/api/v2"
