"""The schemas of the admin API's document: the contract's own (stormlab_common/contracts/
proxy.py) for what the API takes, and the shapes of what it answers."""

from __future__ import annotations

import copy
from typing import Any

from stormlab_common.config import NAME_SCHEMA
from stormlab_common.contracts import proxy as contract
from stormlab_common.contracts.kernel_device import DEVICE_KINDS
from stormlab_common.model import patch_schema_of, schema_of


def exact_link_schema(cls: type = contract.Link) -> dict[str, Any]:
    """``schema_of(cls)`` (Link or NewLink) with what ``Link.check`` says written into it: a
    client or a generator then knows exactly what the proxy takes. ``parse`` still gives the
    wording of a refusal; tests/unit/test_proxy_openapi.py holds the two in agreement."""
    base = copy.deepcopy(schema_of(cls))
    base["properties"]["upstream"]["pattern"] = contract.EXACT_UPSTREAM_PATTERN
    http, tcp = copy.deepcopy(base), copy.deepcopy(base)
    protocol = base["properties"]["protocol"]
    http["properties"]["protocol"] = {"enum": ["http"], "description": protocol["description"]}
    http["required"] = [*http.get("required", []), "protocol"]
    tcp["properties"]["protocol"] = {**protocol, "enum": ["tcp"]}
    union = tcp["properties"]["faults"]["additionalProperties"]
    union["oneOf"] = [kept for kept in map(_on_connections, union["oneOf"]) if kept is not None]
    union["description"] = "on a tcp link, only faults that act on connections"
    return {"description": base["description"], "anyOf": [tcp, http]}


def _on_connections(variant: dict) -> dict | None:
    """A fault variant narrowed to what acts on connections; None if it never does."""
    kind = variant["properties"]["type"]["enum"][0]
    if kind == "http_error":
        return None
    if kind == "reset":
        variant = copy.deepcopy(variant)
        variant["properties"]["on"] = {**variant["properties"]["on"], "enum": ["connect"]}
    return variant


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, description: str | None = None) -> dict:
    schema = {"type": "object", "additionalProperties": False, "required": sorted(properties),
              "properties": properties}
    return {**schema, "description": description} if description else schema


COUNT = {"type": "integer", "minimum": 0}
NAMES = {"type": "array", "items": NAME_SCHEMA}

ERROR = {"type": "object", "required": ["error"],
         "properties": {"error": {"type": "string", "description": "what is wrong, and what is expected"},
                        "problems": {"type": "array", "items": {"type": "string"},
                                     "description": "one 'path: what is wrong' line per bad key"},
                        "known": {"type": "array", "items": {"type": "string"},
                                  "description": "the names that exist (404)"},
                        "allowed_methods": {"type": "array", "items": {"type": "string"}},
                        "accepted": {"type": "array", "items": {"type": "string"},
                                     "description": "the media types taken (415)"},
                        "max_bytes": {"type": "integer", "description": "the body size limit (413)"}}}

DIRECTION_STATE = _object({"buffered_bytes": COUNT, "forwarded_bytes": COUNT,
                           "bucket_level_bytes": {"type": ["number", "null"],
                                                  "description": "bandwidth tokens; null: unlimited"}})
DEVICE_VIEW = _object({
    "name": NAME_SCHEMA, "config": ref("Device"),
    "effective": {**ref("Device"), "description": "the config with every null burst as the value in force"},
    "state": _object({"active_connections": COUNT, "waiting_connections": COUNT,
                      "upstream": DIRECTION_STATE, "downstream": DIRECTION_STATE}),
    "links": {**NAMES, "description": "the links crossing it"},
}, "a device: its config, the values in force, its live state")
LINK_VIEW = _object({
    "name": NAME_SCHEMA, "config": ref("Link"),
    "state": _object({"listen_port": {"type": "integer", "minimum": 0, "maximum": 65535},
                      "active_connections": COUNT,
                      "connection_attempts": _object({"accepted": COUNT, "refused": COUNT, "reset": COUNT},
                                                     "since the last POST /counters/reset")}),
}, "a link: its config and its live state")
HEALTH = _object({"status": {"enum": ["ok"]}, "kind": {"enum": list(DEVICE_KINDS), "description": (
    "which device answers: proxy (this one) or kernel (router/), with the same API")},
    "devices": COUNT, "links": COUNT})

SLOT = {"type": "array", "description": "[slot start (unix seconds), connections that arrived in it]",
        "prefixItems": [{"type": "number"}, {"type": "integer"}], "minItems": 2, "maxItems": 2}
ARRIVALS = {"type": "object", "required": ["slot_seconds", "since", "until", "device", "slots"],
            "properties": {"slot_seconds": {"type": "number"}, "since": {"type": "number"},
                           "until": {"type": "number"}, "device": {"type": ["string", "null"]},
                           "slots": {"type": "array", "items": SLOT,
                                     "description": "every slot from the one holding since to the last one "
                                                    "starting before until, oldest first, zeros included"}}}


def component_schemas() -> dict[str, dict]:
    fault = copy.deepcopy(schema_of(contract.Link)["properties"]["faults"]["additionalProperties"])
    return {
        "Settings": schema_of(contract.Settings), "SettingsPatch": patch_schema_of(contract.Settings),
        "Device": schema_of(contract.Device), "DevicePatch": patch_schema_of(contract.Device),
        "NewDevice": schema_of(contract.NewDevice),
        "Link": exact_link_schema(contract.Link), "LinkPatch": patch_schema_of(contract.Link),
        "NewLink": exact_link_schema(contract.NewLink), "Fault": fault,
        "DeviceView": DEVICE_VIEW, "LinkView": LINK_VIEW, "Health": HEALTH, "Error": ERROR,
        "Arrivals": ARRIVALS,
    }
