#!/usr/bin/env bash
# The scenario matrix at CI time scale, then the dashboards' live check, on a throwaway stack
# of its own (random loopback ports, so it never collides with a stack already running).
#
# 1. start the stack; 2. run every scenario on it (fails on an unexpected verdict; a failed
# hypothesis check or comparison fails it only with --strict, passed through "$@"), then one
# hysteresis loop (fails outside its physics' bounds), a 2 x 2 map (fails when the model
# disagrees) and the Chaos Toolkit examples (fail when a journal is not as expected); 3. check that every Grafana panel's query returns data from the Prometheus that just
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

# SKIP_SCENARIOS: names left out of the matrix (make test runs them on the Swarm stack instead)
scenarios=()
if [ -n "${SKIP_SCENARIOS:-}" ]; then
    read -ra skipped <<<"$SKIP_SCENARIOS"
    while read -r name _; do
        [[ " ${skipped[*]} " == *" $name "* ]] || scenarios+=("$name")
    done < <("$PY" -m experiments list)
    log "matrix without ${skipped[*]} (run on the Swarm stack by make test-swarm)"
fi

started=$SECONDS
tools/up.sh
since=$(date +%s)
status=0
"$PY" -m experiments matrix --no-start --time-scale "${TIME_SCALE:-0.5}" --no-progress \
    --results "${RESULTS:-results/ci}" "${scenarios[@]}" "$@" || status=$?
log "scenario matrix finished in $((SECONDS - started)) s (exit $status)"

# The short form of `make hysteresis`: one loop (fixed, 3 attempts) on a coarser staircase
# (experiments/hysteresis/short/), at the same time scale, on the same stack; it fails when the
# loop falls outside the bounds its physics sets.
loop_started=$SECONDS
loop_status=0
"$PY" -m experiments hysteresis --no-start --time-scale "${TIME_SCALE:-0.5}" --no-progress \
    --results "${RESULTS:-results/ci}" experiments/hysteresis/short/fixed.yaml || loop_status=$?
log "hysteresis loop finished in $((SECONDS - loop_started)) s (exit $loop_status)"
[ "$status" -eq 0 ] && status=$loop_status

# The short form of `make map`: 2 x 2 cells, one seed each; it fails when the model agrees
# with fewer than 90% of the cells off the measured boundary.
map_started=$SECONDS
map_status=0
"$PY" -m experiments map --no-start --time-scale "${TIME_SCALE:-0.5}" --no-progress \
    --results "${RESULTS:-results/ci}" --min-agreement 0.9 ci || map_status=$?
log "metastability map finished in $((SECONDS - map_started)) s (exit $map_status)"
[ "$status" -eq 0 ] && status=$map_status

# The Chaos Toolkit extension (integrations/chaostoolkit/): the real `chaos run` of its two
# examples on the same stack; the storm's journal must deviate, the budget's must not.
ctk_started=$SECONDS
ctk_status=0
STORMLAB_TIME_SCALE="${TIME_SCALE:-0.5}" CHAOS_RESULTS="${RESULTS:-results/ci}/chaostoolkit" PY="$PY" \
    tools/test-chaostoolkit.sh examples || ctk_status=$?
log "chaos toolkit extension finished in $((SECONDS - ctk_started)) s (exit $ctk_status)"
[ "$status" -eq 0 ] && status=$ctk_status

live_status=0
STORMLAB_LIVE_PROJECT=$COMPOSE_PROJECT_NAME STORMLAB_LIVE_SINCE=$since \
    "$PY" -m pytest tests/live ${PYTEST_ARGS:-} || live_status=$?
log "dashboards' live check finished (exit $live_status)"
[ "$status" -ne 0 ] && exit "$status"
exit "$live_status"
