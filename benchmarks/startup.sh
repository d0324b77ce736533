#!/usr/bin/env bash
# How long `up` takes to bring every container to healthy, from nothing (no containers,
# no networks), with the images already built. Usage: benchmarks/startup.sh [RUNS]
# Runs in its own Compose project on Docker-chosen ports, so a running stack is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=stormlab-bench
export STORMLAB_PROXY_ADMIN_PORT="" STORMLAB_LOCUST_PORT="" STORMLAB_PROMETHEUS_PORT="" STORMLAB_GRAFANA_PORT="" \
    STORMLAB_PUSHGATEWAY_PORT=""
. tools/lib.sh

runs=${1:-3}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive whole number, got '$runs'"
trap '$COMPOSE down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1' EXIT

now() { python3 -c 'import time; print(time.monotonic())'; }  # CLOCK_MONOTONIC, system-wide
times=()
for run in $(seq "$runs"); do
    $COMPOSE down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1
    started=$(now)
    tools/up.sh >/dev/null 2>&1 || die "run $run: the stack did not become healthy (see make logs)"
    elapsed=$(python3 -c "print($(now) - $started)")
    times+=("$elapsed")
    printf 'run %d: healthy after %.1f s\n' "$run" "$elapsed"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR]=$1} END {
    printf "startup to healthy over %d runs: min %.1f s, median %.1f s, max %.1f s\n", NR, t[1], t[int((NR+1)/2)], t[NR]}'
