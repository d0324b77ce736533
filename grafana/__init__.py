"""The Grafana dashboards, generated from compact descriptions with the Grafana Foundation SDK
(``python -m grafana.build_dashboards``).

Grafana itself runs from the official image; only ``dashboards/`` and ``provisioning/`` reach
it (mounted by docker-compose.yml). This package is a development tool, not a component.
"""
