#!/usr/bin/env bash
# Start the stack and wait until every container is healthy. Grafana is left out when its
# image could not be built here (no registry); everything else works without it.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

# The same stack may be up as a Swarm stack (make swarm-up): then it is up, on the same ports.
if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] \
        && [ -n "$(docker service ls -q --filter "label=com.docker.stack.namespace=$COMPOSE_PROJECT_NAME")" ]; then
    log "the stack $COMPOSE_PROJECT_NAME is up as a Swarm stack (make swarm-up): using it; make swarm-down, then make up, to run it on Compose instead"
    exit 0
fi

services=$($COMPOSE config --services)
if ! have_image "$(image_name grafana)"; then
    services=$(grep -vx grafana <<<"$services")
    log "starting without Grafana: its image is not built here (no registry to pull its base from)"
fi
# One load-generator worker per core by default: a worker is one process (locust's gevent), so
# the clients can use the whole machine (STORMLAB_LOADGEN_WORKERS=n to choose).
workers=${STORMLAB_LOADGEN_WORKERS:-$(nproc)}
[[ "$workers" =~ ^[1-9][0-9]*$ ]] \
    || die "STORMLAB_LOADGEN_WORKERS must be a whole number of workers, at least 1 (got '$workers')"
started_at=$(date +%s)
# shellcheck disable=SC2086  # one word per service
$COMPOSE up -d --remove-orphans --scale "loadgen-worker=$workers" $services
# One figure for the whole of it, creating the containers included: wait-healthy counts from here.
tools/wait-healthy.sh "${STORMLAB_UP_TIMEOUT:-90}" "$started_at"
