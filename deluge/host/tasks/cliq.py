"""`zoho.cliq.*` over Cliq's REST API: messages (PLATFORM.md 5.2), databases (5.3, 7), extension
properties (5.4).

Every task is one request through `HostHttp.request` with the call's connection. Messages and
databases use the v2 API under `CliqConfig.base_url`; extension properties exist only in v3
(`/extensions/{id}/properties`, authenticated by the extension's key as well as the connection),
reached on the same host. Results follow PLATFORM.md: a post answers `{"status": "success"}`,
a delete `{"status": "SUCCESS"}`, the other tasks the service's map as it came; any failure is
the service's error map, never an exception.
"""

from __future__ import annotations

from typing import Any

import attrs

from deluge.errors import DelugeRuntimeError
from deluge.host.tasks.router import (
    HttpClient,
    TaskCall,
    decoded,
    is_json,
    json_value,
    query_params,
    query_text,
    segment,
    service_error,
    succeeded,
    unexpected,
)
from deluge.runtime.render import render
from deluge.runtime.values import DFile, look_through

__all__ = ["CLIQ_HOSTS", "CliqConfig", "CliqProvider"]

CLIQ_HOSTS: dict[str, str] = {
    "com": "cliq.zoho.com",
    "eu": "cliq.zoho.eu",
    "in": "cliq.zoho.in",
    "com.au": "cliq.zoho.com.au",
    "com.cn": "cliq.zoho.com.cn",
    "jp": "cliq.zoho.jp",
    "ca": "cliq.zohocloud.ca",
}
"""Cliq's data centres: the six of the v2 API page, plus Canada (v3 introduction)."""

_DC_ALIASES = {"us": "com", "au": "com.au", "cn": "com.cn", "zohocloud.ca": "ca"}


def _base(url: str) -> str:
    return url.rstrip("/")


def _dc(name: str) -> str:
    key = name.strip().lower().lstrip(".")
    key = _DC_ALIASES.get(key, key)
    if key not in CLIQ_HOSTS:
        raise ValueError(f"unknown Cliq data centre {name!r}; known: {', '.join(CLIQ_HOSTS)}")
    return key


@attrs.frozen
class CliqConfig:
    """Where the Cliq API lives for this host, and what the host uses when a script names no connection."""

    base_url: str = attrs.field(default="https://cliq.zoho.com/api/v2", converter=_base)
    system_connection: str = "cliq_system"
    """The host's built-in connection for an omitted Cliq connection (PLATFORM.md 5.1)."""
    extension_id: str | None = None
    """The extension the component belongs to; extension property tasks need it (5.4)."""
    extension_key: str | None = attrs.field(default=None, repr=False)
    """The extension's key, sent as `extension_key` with property requests: a credential."""

    @classmethod
    def for_dc(cls, dc: str, **changes: Any) -> CliqConfig:
        """The configuration for a data centre: `com`, `eu`, `in`, `com.au`, `com.cn`, `jp`, `ca`
        (also `us`, `au`, `cn`, with or without the leading dot)."""
        return cls(base_url=f"https://{CLIQ_HOSTS[_dc(dc)]}/api/v2", **changes)

    @property
    def v3_url(self) -> str:
        """The v3 API on the same host (extension properties have no v2 form)."""
        return self.base_url.rsplit("/", 1)[0] + "/v3"


_POSTS: dict[str, str] = {
    "postToChat": "chats",
    "postToChatAsAdmin": "chats",
    "postToChannel": "channelsbyname",
    "postToChannelAsAdmin": "channelsbyname",
    "postToChannelAsBot": "channelsbyname",
    "postToBot": "bots",
    "postToBotAsAdmin": "bots",
    "postToUser": "buddies",
}
"""Each posting task and the v2 collection it posts into; the AsAdmin forms send the same request
(the sender is whoever the connection belongs to) [choice]."""

_SUCCESS_POST = {"status": "success"}
_SUCCESS_DELETE = {"status": "SUCCESS"}
_MAX_TEXT = 10_000


class CliqProvider:
    """The `zoho.cliq.*` tasks of the catalog."""

    service = "cliq"
    tasks = frozenset({*_POSTS, "createRecord", "getRecords", "getRecordById", "updateRecord", "deleteRecord",
                       "deleteRecords", "extension.setProperties", "extension.getProperties",
                       "extension.deleteProperty"})

    def __init__(self, http: HttpClient, config: CliqConfig) -> None:
        self.http = http
        self.config = config

    def scopes(self, call: TaskCall) -> tuple[tuple[str, ...], ...]:
        """PLATFORM.md 5.2-5.4 (v2 and v3 names both accepted)."""
        if call.task in _POSTS:
            return (("ZohoCliq.Webhooks.CREATE",),)
        if call.task.startswith("extension."):
            operation = {"extension.setProperties": "UPDATE", "extension.getProperties": "READ",
                         "extension.deleteProperty": "DELETE"}[call.task]
            return (("ZohoCliq.Applications.ALL", f"ZohoCliq.Extensions.{operation}"),)
        operation = {"createRecord": "CREATE", "getRecords": "READ", "getRecordById": "READ",
                     "updateRecord": "UPDATE", "deleteRecord": "DELETE", "deleteRecords": "DELETE"}[call.task]
        return ((f"ZohoCliq.StorageData.{operation}", f"ZohoCliq.DatastoreRecords.{operation}"),)

    def __call__(self, call: TaskCall) -> Any:
        if call.task in _POSTS:
            return self._post(call)
        handler = getattr(self, "_" + call.task.replace("extension.", "ext_"))
        return handler(call)

    def _send(self, call: TaskCall, method: str, url: str, **kwargs: Any) -> Any:
        return self.http.request(call.ex, method, url, connection=call.connection, **kwargs)

    # ------------------------------------------------------------ messages (5.2)

    def _post(self, call: TaskCall) -> Any:
        if call.task == "postToChannelAsBot":
            target, bot, message = call.args
            segment(call.name, "bot name", bot)  # checked like a path value, sent as a query value
            params = {"bot_unique_name": bot}
        else:
            target, message = call.args
            params = {}
        what = {"chats": "chat id", "channelsbyname": "channel name", "bots": "bot name",
                "buddies": "user"}[_POSTS[call.task]]
        base = f"{self.config.base_url}/{_POSTS[call.task]}/{segment(call.name, what, target)}"
        files = _files(message)
        if files is not None:
            response = self._send(call, "POST", base + "/files", params=params or None, files=files)
        else:
            body = _message(message)
            if isinstance(body, str):
                return {"code": "invalid_message", "message": body}
            response = self._send(call, "POST", base + "/message", params=params or None, json=body)
        return dict(_SUCCESS_POST) if succeeded(response) else service_error(response)

    # ------------------------------------------------------------ databases (5.3, 7)

    def _records(self, call: TaskCall, database: Any, record_id: Any = None) -> str:
        url = f"{self.config.base_url}/storages/{segment(call.name, 'database name', database)}/records"
        if record_id is not None:
            url += "/" + segment(call.name, "record id", record_id)
        return url

    def _createRecord(self, call: TaskCall) -> Any:
        database, values = call.args
        response = self._send(call, "POST", self._records(call, database), json={"values": json_value(values)})
        return _as_map(response)

    def _getRecords(self, call: TaskCall) -> Any:
        database, query = call.args
        params = query_params(query)
        params.setdefault("limit", "100")  # Deluge's default; the v2 REST default is 50 (PLATFORM.md 7)
        return _as_map(self._send(call, "GET", self._records(call, database), params=params))

    def _getRecordById(self, call: TaskCall) -> Any:
        database, record_id = call.args
        return _as_map(self._send(call, "GET", self._records(call, database, record_id)))

    def _updateRecord(self, call: TaskCall) -> Any:
        database, record_id, values = call.args
        response = self._send(call, "PUT", self._records(call, database, record_id),
                              json={"values": json_value(values)})
        return _as_map(response)

    def _deleteRecord(self, call: TaskCall) -> Any:
        database, record_id = call.args
        return _deleted(self._send(call, "DELETE", self._records(call, database, record_id)))

    def _deleteRecords(self, call: TaskCall) -> Any:
        database, criteria = call.args
        if not criteria.strip():  # an empty criteria would be "delete everything": not from one typo
            raise DelugeRuntimeError(f"{call.name}: the criteria must not be empty")
        response = self._send(call, "DELETE", self._records(call, database), params={"criteria": criteria})
        return _deleted(response)

    # ------------------------------------------------------------ extension properties (5.4)

    def _extension(self, call: TaskCall, key: str | None = None) -> tuple[str, dict[str, str]]:
        config = self.config
        if not config.extension_id or not config.extension_key:
            raise DelugeRuntimeError(f"{call.name} is only available in the components of an extension")
        url = f"{config.v3_url}/extensions/{segment(call.name, 'extension id', config.extension_id)}/properties"
        if key is not None:
            url += "/" + segment(call.name, "property key", key)
        return url, {"extension_key": config.extension_key}

    def _ext_setProperties(self, call: TaskCall) -> Any:
        (properties,) = call.args
        url, params = self._extension(call)
        values = {k if type(k) is str else render(k): _property_text(v) for k, v in properties.items()}
        return _as_map(self._send(call, "PATCH", url, params=params, json={"properties": values}))

    def _ext_getProperties(self, call: TaskCall) -> Any:
        (keys,) = call.args
        names = [keys] if type(keys) is str else [look_through(k) for k in keys]
        if not names or any(type(k) is not str or not k for k in names):
            raise DelugeRuntimeError(f"{call.name}: the keys must be a TEXT or a LIST of TEXT")
        url, params = self._extension(call)
        params = {"keys": ",".join(names), **params}
        return _as_map(self._send(call, "GET", url, params=params))

    def _ext_deleteProperty(self, call: TaskCall) -> Any:
        (key,) = call.args
        url, params = self._extension(call, key)
        return _deleted(self._send(call, "DELETE", url, params=params))


def _property_text(value: Any) -> str:
    """Property values are text; anything else is stored as its rendering (PLATFORM.md 5.4)."""
    value = look_through(value)
    return value if type(value) is str else query_text(value) if type(value) is bool else render(value)


def _message(message: Any) -> dict[str, Any] | str:
    """The JSON body of a post, or the reason the message is invalid (PLATFORM.md 4.2, 5.2)."""
    message = look_through(message)
    if type(message) is str:
        body: dict[str, Any] = {"text": message}
    elif isinstance(message, dict):
        body = json_value(message)
    elif type(message) in (int, float):
        body = {"text": render(message)}
    else:
        return "The message must be a text, a message map, a file or a list of files"
    text = body.get("text")
    if text is not None and (type(text) is not str or len(text) > _MAX_TEXT):
        return f"The message text must be a TEXT of at most {_MAX_TEXT} characters"
    if not (text or body.get("card") or body.get("slides")):
        return "The message needs a non-empty text, a card or slides"
    return body


def _files(message: Any) -> list[tuple[str, tuple[str, bytes, str]]] | None:
    """Multipart parts when the message is a file or a non-empty list of files only."""
    message = look_through(message)
    items = [message] if type(message) is DFile else message if isinstance(message, list) else None
    if not items or any(type(look_through(f)) is not DFile for f in items):
        return None
    return [("files", (f.name or "file", bytes(f.content), f.content_type)) for f in map(look_through, items)]


def _as_map(response: Any) -> Any:
    """The service's JSON map on success (as the Deluge task returns it), else its error map."""
    data = decoded(response)
    if not succeeded(response):
        return service_error(response, data)
    if data is None:
        return dict(_SUCCESS_DELETE) if int(response.status) == 204 else unexpected(response)
    if not is_json(data) or not isinstance(data, dict):
        return unexpected(response)
    return data


def _deleted(response: Any) -> Any:
    """A delete answers 204 (or a JSON map, returned as it came); both are success."""
    data = decoded(response)
    if not succeeded(response):
        return service_error(response, data)
    if isinstance(data, dict) and data:
        return data
    return dict(_SUCCESS_DELETE)
