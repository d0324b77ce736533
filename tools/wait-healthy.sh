#!/usr/bin/env bash
# Wait until every container of the compose project runs and is healthy.
# Usage: tools/wait-healthy.sh [TIMEOUT_SECONDS] [STARTED_AT]  (default 90; STARTED_AT: the Unix
# time the containers were started, default now)
# Fails at once when a container exits or turns unhealthy, showing why. On success it says, in
# one line, how many containers are healthy, which (by compose service, the way `make ps` and
# the README count them), and how long after STARTED_AT: one figure, from `up` to healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

timeout_seconds=${1:-90}
started_at=${2:-$(date +%s)}
started=$SECONDS
report_problem() {  # $1 = container id
    docker inspect -f '  {{.Name}}: {{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}' "$1" >&2
    docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}    check: {{.Output}}{{end}}{{end}}' "$1" \
        | tail -n 3 >&2 || true
    docker logs --tail 15 "$1" 2>&1 | sed 's/^/    log: /' >&2 || true
}
services_of() {  # the containers' compose services, in the order given, "name xN" for N replicas
    # shellcheck disable=SC2086  # one word per id
    docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' $1 \
        | awk '{ if (!($0 in n)) order[++k] = $0; n[$0]++ }
               END { for (i = 1; i <= k; i++) printf "%s%s%s", (i > 1 ? ", " : ""), order[i], (n[order[i]] > 1 ? " x" n[order[i]] : "") }'
}

while :; do
    ids=$($COMPOSE ps -q)
    [ -n "$ids" ] || die "no containers in project $COMPOSE_PROJECT_NAME: did 'up' run?"
    waiting=() broken=()
    for id in $ids; do
        state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
        case "$state" in
            "running healthy"|"running none") ;;
            "running unhealthy"|exited*|dead*) broken+=("$id") ;;
            *) waiting+=("$id") ;;
        esac
    done
    if [ ${#broken[@]} -gt 0 ]; then
        log "containers failed:"
        for id in "${broken[@]}"; do report_problem "$id"; done
        exit 1
    fi
    if [ ${#waiting[@]} -eq 0 ]; then
        log "stack up: all $(wc -w <<<"$ids") containers healthy $(( $(date +%s) - started_at )) s after the start ($(services_of "$ids"); project $COMPOSE_PROJECT_NAME)"
        exit 0
    fi
    if (( SECONDS - started >= timeout_seconds )); then
        log "not healthy after ${timeout_seconds} s:"
        for id in "${waiting[@]}"; do report_problem "$id"; done
        exit 1
    fi
    sleep 1
done
