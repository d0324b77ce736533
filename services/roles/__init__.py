"""Roles: what a replica stands for, chosen by config. Each adds its endpoints and state."""

from services.roles import control_plane, dns, kv, monitoring_ingest

ROLES = {
    "control-plane": control_plane.install,
    "dns": dns.install,
    "kv": kv.install,
    "monitoring-ingest": monitoring_ingest.install,
}
