#!/usr/bin/env bash
# The scenario matrix at CI time scale, then the dashboards' live check, on a throwaway stack
# of its own (random loopback ports, so it never collides with a stack already running).
#
# 1. start the stack; 2. run every scenario on it (fails on an unexpected verdict; a failed
# hypothesis check or comparison fails it only with --strict, passed through "$@");
# 3. check that every Grafana panel's query returns data from the Prometheus that just
# recorded the matrix (tests/live); 4. remove the stack, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
export COMPOSE_PROJECT_NAME="stormlab-it-matrix-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export STORMLAB_PROXY_ADMIN_PORT= STORMLAB_LOCUST_PORT= STORMLAB_PROMETHEUS_PORT= STORMLAB_GRAFANA_PORT= \
    STORMLAB_PUSHGATEWAY_PORT=
PY=${PY:-.venv/bin/python}

remove_stack() { $COMPOSE down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true; }
trap remove_stack EXIT

started=$SECONDS
tools/up.sh
since=$(date +%s)
status=0
"$PY" -m experiments matrix --no-start --time-scale "${TIME_SCALE:-0.5}" --no-progress \
    --results "${RESULTS:-results/ci}" "$@" || status=$?
log "scenario matrix finished in $((SECONDS - started)) s (exit $status)"

live_status=0
STORMLAB_LIVE_PROJECT=$COMPOSE_PROJECT_NAME STORMLAB_LIVE_SINCE=$since \
    "$PY" -m pytest tests/live ${PYTEST_ARGS:-} || live_status=$?
log "dashboards' live check finished (exit $live_status)"
[ "$status" -ne 0 ] && exit "$status"
exit "$live_status"
