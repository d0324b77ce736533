#!/usr/bin/env bash
# The scenario matrix on both devices, side by side (`make cross-check`): the matrix on a
# throwaway stack with the proxy, then on one with the kernel device (docker-compose.kernel.yml),
# then python -m experiments cross-check on the two summaries. Each stack has its own project and
# Docker-chosen loopback ports, and is removed whatever happens. Extra arguments go to both
# matrices (scenario names, --runs 3, ...).
#
#   TIME_SCALE   the matrices' time scale (default 0.5, CI's)
#   RESULTS      where the runs and the side-by-side go (default results/cross-check)
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh
PY=${PY:-.venv/bin/python}
RESULTS=${RESULTS:-results/cross-check}
export STORMLAB_PROXY_ADMIN_PORT= STORMLAB_LOCUST_PORT= STORMLAB_PROMETHEUS_PORT= STORMLAB_GRAFANA_PORT= \
    STORMLAB_PUSHGATEWAY_PORT=
suffix=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')

project_of() { echo "stormlab-xcheck-$1-$suffix"; }
files_of() { if [ "$1" = kernel ]; then echo docker-compose.yml:docker-compose.kernel.yml; else echo docker-compose.yml; fi; }
remove_stacks() {
    for device in proxy kernel; do
        COMPOSE_PROJECT_NAME=$(project_of "$device") COMPOSE_FILE=$(files_of "$device") \
            $COMPOSE down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
    done
}
trap remove_stacks EXIT

status=0
for device in proxy kernel; do
    export COMPOSE_PROJECT_NAME COMPOSE_FILE
    COMPOSE_PROJECT_NAME=$(project_of "$device")
    COMPOSE_FILE=$(files_of "$device")
    started=$SECONDS
    log "the matrix on the $device device ($COMPOSE_PROJECT_NAME)"
    tools/up.sh
    "$PY" -m experiments matrix --no-start --time-scale "${TIME_SCALE:-0.5}" --no-progress \
        --results "$RESULTS/$device" "$@" || status=$?
    $COMPOSE down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
    log "the $device device's matrix finished in $((SECONDS - started)) s"
done
unset COMPOSE_PROJECT_NAME COMPOSE_FILE
latest() { find "$RESULTS/$1" -maxdepth 1 -type d -name 'matrix-*' | sort | tail -1; }
proxy_summary=$(latest proxy) kernel_summary=$(latest kernel)
[ -n "$proxy_summary" ] && [ -n "$kernel_summary" ] || die "a matrix wrote no summary (see above)"
"$PY" -m experiments cross-check "$proxy_summary" "$kernel_summary" --out "$RESULTS"
exit "$status"
