"""One small client per component the runner reaches, each its HTTP API in typed calls and
its failures as ``ComponentError`` (experiments/errors.py):

- ``proxy.ProxyClient``: the device's admin API (devices, links, arrivals; docs/proxy.md);
- ``services.ServicesClient``: the services' ``/admin/config`` and dns's memberships, run
  inside their containers (the services' port is not published);
- ``loadgen.LoadgenClient``: the locust master (swarm, stop, stats) and the clients' live
  config and send times (docs/clients.md);
- ``prometheus.PrometheusClient``: instant and range queries;
- ``grafana.GrafanaClient``: annotations.

experiments/lab.py puts them together behind the calls the runner and the actions make.
"""
