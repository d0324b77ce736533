#!/usr/bin/env bash
# The scenario matrix at CI time scale, on a throwaway stack of its own (random loopback
# ports, so it never collides with a stack already running): fails on any unexpected verdict
# or failed hypothesis check. The runner starts the stack and always removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
export COMPOSE_PROJECT_NAME="stormlab-it-matrix-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export STORMLAB_PROXY_ADMIN_PORT= STORMLAB_LOCUST_PORT= STORMLAB_PROMETHEUS_PORT= STORMLAB_GRAFANA_PORT=
started=$SECONDS
status=0
"${PY:-.venv/bin/python}" -m experiments matrix --time-scale "${TIME_SCALE:-0.5}" --no-progress \
    --results "${RESULTS:-results/ci}" "$@" || status=$?
log "scenario matrix finished in $((SECONDS - started)) s (exit $status)"
exit $status
