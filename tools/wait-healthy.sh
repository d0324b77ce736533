#!/usr/bin/env bash
# Wait until every container of the compose project runs and is healthy.
# Usage: tools/wait-healthy.sh [TIMEOUT_SECONDS]  (default 90)
# Fails at once when a container exits or turns unhealthy, showing why.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

timeout_seconds=${1:-90}
started=$SECONDS
report_problem() {  # $1 = container id
    docker inspect -f '  {{.Name}}: {{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}' "$1" >&2
    docker inspect -f '{{if .State.Health}}{{range .State.Health.Log}}    check: {{.Output}}{{end}}{{end}}' "$1" \
        | tail -n 3 >&2 || true
    docker logs --tail 15 "$1" 2>&1 | sed 's/^/    log: /' >&2 || true
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
        log "all $(wc -w <<<"$ids") containers healthy after $((SECONDS - started)) s"
        exit 0
    fi
    if (( SECONDS - started >= timeout_seconds )); then
        log "not healthy after ${timeout_seconds} s:"
        for id in "${waiting[@]}"; do report_problem "$id"; done
        exit 1
    fi
    sleep 1
done
