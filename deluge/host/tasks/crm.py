"""`zoho.crm.*` over Zoho CRM's REST API (PLATFORM.md 5.5), results shaped as Deluge returns them.

getRecords / searchRecords give the list of records (the response's `data`, an empty list
when CRM answers 204 No Content); getRecordById the record map; createRecord / updateRecord the
`details` of the first result (`id`, `Created_Time`/`Modified_Time`, `Created_By`/`Modified_By`)
when it succeeded, else that result (`code`, `details`, `message`, `status`). Anything CRM
refuses comes back as its error map, never as an exception.

Deluge's tasks differ from the REST defaults in one way the host reproduces: a record written
by a task triggers no workflow, approval or blueprint unless the options map says so
(`{"trigger": {"workflow"}}`); REST triggers them all when `trigger` is absent, so the host
sends `"trigger": []` when the script gave none.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

import attrs

from deluge.host.tasks.router import (
    HttpClient,
    TaskCall,
    decoded,
    is_json,
    json_value,
    query_params,
    segment,
    service_error,
    succeeded,
    unexpected,
)
from deluge.runtime.values import DateTime

__all__ = ["CRM_HOSTS", "CrmConfig", "CrmProvider"]

CRM_HOSTS: dict[str, str] = {
    "com": "www.zohoapis.com",
    "eu": "www.zohoapis.eu",
    "in": "www.zohoapis.in",
    "com.au": "www.zohoapis.com.au",
    "com.cn": "www.zohoapis.com.cn",
    "jp": "www.zohoapis.jp",
    "ca": "www.zohoapis.ca",
}
"""The data centres of CRM's v8 "Multi DC" page (US, EU, IN, AU, CN, JP, CA)."""

_DC_ALIASES = {"us": "com", "au": "com.au", "cn": "com.cn", "zohocloud.ca": "ca"}
_DEFAULT_PAGE = 1
_DEFAULT_PER_PAGE = 200


def _base(url: str) -> str:
    return url.rstrip("/")


@attrs.frozen
class CrmConfig:
    """Where the CRM API lives for this host."""

    base_url: str = attrs.field(default="https://www.zohoapis.com/crm/v8", converter=_base)

    @classmethod
    def for_dc(cls, dc: str, version: str = "v8") -> CrmConfig:
        """The configuration for a data centre: `com`, `eu`, `in`, `com.au`, `com.cn`, `jp`, `ca`
        (also `us`, `au`, `cn`, with or without the leading dot)."""
        key = dc.strip().lower().lstrip(".")
        key = _DC_ALIASES.get(key, key)
        if key not in CRM_HOSTS:
            raise ValueError(f"unknown CRM data centre {dc!r}; known: {', '.join(CRM_HOSTS)}")
        return cls(base_url=f"https://{CRM_HOSTS[key]}/crm/{version}")


class CrmProvider:
    """The `zoho.crm.*` tasks of the catalog."""

    service = "crm"
    tasks = frozenset({"getRecords", "getRecordById", "searchRecords", "createRecord", "updateRecord"})

    def __init__(self, http: HttpClient, config: CrmConfig) -> None:
        self.http = http
        self.config = config

    def scopes(self, call: TaskCall) -> tuple[tuple[str, ...], ...]:
        """PLATFORM.md 5.5: the module's operation; a search also needs the search scope."""
        module = call.args[0]
        operation = {"createRecord": "CREATE", "updateRecord": "UPDATE"}.get(call.task, "READ")
        needs: tuple[tuple[str, ...], ...] = ((f"ZohoCRM.modules.{module}.{operation}",),)
        if call.task == "searchRecords":
            needs += (("ZohoSearch.securesearch.READ",),)
        return needs

    def __call__(self, call: TaskCall) -> Any:
        handler = getattr(self, "_" + call.task)
        return handler(call)

    def _url(self, call: TaskCall, module: Any, *rest: str) -> str:
        return "/".join([self.config.base_url, segment(call.name, "module", module), *rest])

    def _send(self, call: TaskCall, method: str, url: str, **kwargs: Any) -> Any:
        return self.http.request(call.ex, method, url, connection=call.connection, **kwargs)

    def _getRecords(self, call: TaskCall) -> Any:
        module, page, per_page, query = call.args
        params = _paging(page, per_page) | query_params(query, skip=("page", "per_page"))
        return _records(self._send(call, "GET", self._url(call, module), params=params))

    def _searchRecords(self, call: TaskCall) -> Any:
        module, criteria, page, per_page, query = call.args
        params = {"criteria": criteria} if criteria else {}
        params |= _paging(page, per_page) | query_params(query, skip=("criteria", "page", "per_page"))
        return _records(self._send(call, "GET", self._url(call, module, "search"), params=params))

    def _getRecordById(self, call: TaskCall) -> Any:
        module, record_id, query = call.args
        url = self._url(call, module, segment(call.name, "record id", record_id))
        response = self._send(call, "GET", url, params=query_params(query) or None)
        records = _records(response)
        if not isinstance(records, list):
            return records
        return records[0] if records and isinstance(records[0], dict) else {}

    def _createRecord(self, call: TaskCall) -> Any:
        module, values, options = call.args
        body = _write_body(call, values, options)
        return _written(self._send(call, "POST", self._url(call, module), json=body))

    def _updateRecord(self, call: TaskCall) -> Any:
        module, record_id, values, options = call.args
        url = self._url(call, module, segment(call.name, "record id", record_id))
        return _written(self._send(call, "PUT", url, json=_write_body(call, values, options)))


def _paging(page: Any, per_page: Any) -> dict[str, str]:
    """Deluge's defaults (page 1, 200 per page), always sent so the request says what it asks for."""
    return {"page": str(_DEFAULT_PAGE if page is None else page),
            "per_page": str(_DEFAULT_PER_PAGE if per_page is None else per_page)}


def _write_body(call: TaskCall, values: Any, options: Any) -> dict[str, Any]:
    """`{"data": [values], "trigger": [...]}` plus the other options (`lar_id`, ...) as given."""
    dates = _crm_dates(getattr(call.ex, "timezone", "UTC"))
    body: dict[str, Any] = {"data": [json_value(values, dates)]}
    extra = json_value(options, dates) if options is not None else {}
    body["trigger"] = extra.pop("trigger", [])
    body.update(extra)
    return body


def _crm_dates(timezone: str) -> Any:
    """CRM reads dates as `yyyy-MM-dd` and date-times as ISO 8601 with an offset; a Deluge
    date-time has no zone and means the run's time zone."""
    try:
        zone: Any = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")

    def dates(value: DateTime) -> str:
        if value.date_only:
            return value.dt.strftime("%Y-%m-%d")
        return value.dt.replace(tzinfo=zone).isoformat(timespec="seconds")

    return dates


def _records(response: Any) -> Any:
    """The `data` list of a read (empty on 204), or the error map."""
    data = decoded(response)
    if not succeeded(response):
        return service_error(response, data)
    if data is None:
        return []
    if not is_json(data) or not isinstance(data, dict) or not isinstance(data.get("data", []), list):
        return unexpected(response)
    return data.get("data", [])


def _written(response: Any) -> Any:
    """The first result of a write: its `details` on success, else the result itself."""
    data = decoded(response)
    results = data.get("data") if isinstance(data, dict) else None
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return service_error(response, data) if not succeeded(response) else unexpected(response)
    first = results[0]
    ok = str(first.get("status", "")).lower() == "success" or first.get("code") == "SUCCESS"
    if ok and isinstance(first.get("details"), dict):
        return first["details"]
    return first
