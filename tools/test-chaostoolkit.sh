#!/usr/bin/env bash
# The Chaos Toolkit extension (integrations/chaostoolkit/) for real: `chaos run` of its two
# examples (naive clients: the storm outlives the trigger, the journal deviates; a retry budget:
# it does not) and of two exports (`python -m experiments export --chaostoolkit retry-storm`,
# `... retry-budget`), on a stack that is ALREADY RUNNING; each journal checked by
# integrations/chaostoolkit/check_journal.py (completed, deviated as expected, every probe a number).
#
#   tools/test-chaostoolkit.sh [examples|exports|all]        (default: all; ~1 min a run at 0.5)
#
# The stack's URLs: STORMLAB_PROXY_URL, STORMLAB_LOADGEN_URL, STORMLAB_PROMETHEUS_URL; each one
# not set is read from the running compose project's published ports ($COMPOSE_PROJECT_NAME, as
# tools/test-experiments.sh sets it). STORMLAB_TIME_SCALE (default 0.5) shrinks the timelines as
# the runner's --time-scale; CHAOS_RESULTS (default results/chaostoolkit) keeps the journals.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
PY=${PY:-.venv/bin/python}
CHAOS=${CHAOS:-.venv/bin/chaos}
which=${1:-all}
case "$which" in examples|exports|all) ;; *) die "expected examples, exports or all, got '$which'" ;; esac
[ -x "$CHAOS" ] || die "no $CHAOS: install the extension first (.venv/bin/pip install chaostoolkit -e integrations/chaostoolkit)"
"$PY" -c 'import chaosstormlab' 2>/dev/null \
    || die "chaosstormlab is not installed in $PY's environment: .venv/bin/pip install -e integrations/chaostoolkit"

published() {  # the URL of a container port of the running project, or nothing
    local address
    address=$($COMPOSE port "$1" "$2" 2>/dev/null | tail -1) || return 0
    [ -n "$address" ] && echo "http://${address/0.0.0.0/127.0.0.1}"
}
export STORMLAB_PROXY_URL=${STORMLAB_PROXY_URL:-$(published proxy 8474)}
export STORMLAB_LOADGEN_URL=${STORMLAB_LOADGEN_URL:-$(published loadgen 8089)}
export STORMLAB_PROMETHEUS_URL=${STORMLAB_PROMETHEUS_URL:-$(published prometheus 9090)}
for name in STORMLAB_PROXY_URL STORMLAB_LOADGEN_URL STORMLAB_PROMETHEUS_URL; do
    [ -n "${!name}" ] || die "$name is not set and project '$COMPOSE_PROJECT_NAME' publishes no such port: is the stack up (make up)?"
done
curl -fsS -o /dev/null "$STORMLAB_PROXY_URL/health" \
    || die "the proxy does not answer at $STORMLAB_PROXY_URL/health: is the stack up (make up)?"
export STORMLAB_TIME_SCALE=${STORMLAB_TIME_SCALE:-0.5}
results=${CHAOS_RESULTS:-results/chaostoolkit}
mkdir -p "$results"
log "chaos run against proxy $STORMLAB_PROXY_URL, locust $STORMLAB_LOADGEN_URL, Prometheus $STORMLAB_PROMETHEUS_URL (project $COMPOSE_PROJECT_NAME), time scale $STORMLAB_TIME_SCALE"

experiments=()
if [ "$which" != exports ]; then
    experiments+=(integrations/chaostoolkit/examples/retry-storm-naive.json
                  integrations/chaostoolkit/examples/retry-storm-budget.yaml)
fi
if [ "$which" != examples ]; then
    for scenario in retry-storm retry-budget; do
        "$PY" -m experiments export --chaostoolkit "$scenario" --time-scale "$STORMLAB_TIME_SCALE" \
            --output "$results/export-$scenario.json"
        experiments+=("$results/export-$scenario.json")
    done
fi

status=0
for experiment in "${experiments[@]}"; do
    name=$(basename "${experiment%.*}")
    started=$SECONDS
    # chaos exits 1 when the steady state deviates, which the naive one must: the journal, not
    # the exit status, says whether the run went as expected.
    "$CHAOS" --log-file "$results/$name.log" run --journal-path "$results/$name-journal.json" "$experiment" \
        >"$results/$name.out" 2>&1 || true
    if "$PY" integrations/chaostoolkit/check_journal.py "$results/$name-journal.json"; then
        log "$name: as expected in $((SECONDS - started)) s"
    else
        status=1
        log "$name: NOT as expected after $((SECONDS - started)) s; its log: $results/$name.log (the last lines:)"
        tail -n 15 "$results/$name.out" >&2 || true
    fi
done
[ "$status" -eq 0 ] && log "chaos toolkit: ${#experiments[@]} of ${#experiments[@]} journals as expected"
exit "$status"
