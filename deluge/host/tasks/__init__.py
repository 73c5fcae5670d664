"""Integration tasks over HTTP (PLATFORM.md 5): `TaskRouter` is a host's `tasks` callable.

    router = TaskRouter(host_http, cliq=CliqConfig.for_dc("eu"), crm=CrmConfig.for_dc("eu"),
                        default_connections={"crm": "zoho_crm"})
    deluge.run(script, host=SimpleNamespace(http=host_http, tasks=router, mail=None))
"""

from deluge.host.tasks.cliq import CLIQ_HOSTS, CliqConfig, CliqProvider
from deluge.host.tasks.crm import CRM_HOSTS, CrmConfig, CrmProvider
from deluge.host.tasks.router import TaskCall, TaskRouter

__all__ = ["CLIQ_HOSTS", "CRM_HOSTS", "CliqConfig", "CliqProvider", "CrmConfig", "CrmProvider", "TaskCall",
           "TaskRouter"]
