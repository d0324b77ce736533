#!/usr/bin/env bash
# Remove the Swarm stack (`make swarm-down`): its services, and once their tasks are gone its
# networks and volumes; then leave the swarm if swarm/up.sh initialised it and nothing else
# runs on it. Waits until each is really gone (`docker stack rm` returns before), so what
# follows (a Compose stack on the same ports, a check that nothing is left) finds it so.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

stack=$COMPOSE_PROJECT_NAME
timeout_seconds=${STORMLAB_DOWN_TIMEOUT:-90}
INITIALISED_LABEL=stormlab.initialised-swarm
label="label=com.docker.stack.namespace=$stack"

read -r node_state is_manager < <(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')
if [ "$node_state" != active ]; then
    log "no swarm here: nothing to remove"
    exit 0
fi
[ "$is_manager" = true ] || die "this Engine is a worker node: remove the stack from a manager (docker stack rm $stack there)"

# `docker stack rm` removes the services, then tries the networks while their tasks may still
# be stopping (and says it failed); the networks are removed again below, once the tasks are gone.
if [ -n "$(docker service ls -q --filter "$label")" ]; then
    docker stack rm "$stack" >/dev/null 2>&1 || true
fi
started=$SECONDS
left() {  # what of the stack is still here
    echo "$(docker service ls -q --filter "$label")" "$(docker ps -aq --filter "$label")" \
        "$(docker network ls -q --filter "$label")" | xargs
}
while [ -n "$(left)" ]; do
    if [ -z "$(docker service ls -q --filter "$label")$(docker ps -aq --filter "$label")" ]; then
        # shellcheck disable=SC2046  # one word per network
        docker network rm $(docker network ls -q --filter "$label") >/dev/null 2>&1 || true
    fi
    if (( SECONDS - started >= timeout_seconds )); then
        die "stack $stack not gone after ${timeout_seconds} s: $(left)"
    fi
    sleep 1
done
# Named volumes outlive `docker stack rm`; the stack's are labelled with its name.
volumes=$(docker volume ls -q --filter "$label")
# shellcheck disable=SC2086  # one word per volume
[ -z "$volumes" ] || docker volume rm $volumes >/dev/null
log "swarm stack $stack removed (services, containers, networks, volumes)"

node_id=$(docker info --format '{{.Swarm.NodeID}}')
if [ "$(docker node inspect --format "{{index .Spec.Labels \"$INITIALISED_LABEL\"}}" "$node_id")" = true ]; then
    others=$(docker service ls -q | wc -l)
    if [ "$others" -eq 0 ]; then
        docker swarm leave --force >/dev/null
        # the bridge `docker swarm init` made for the tasks' way out outlives the swarm
        docker network rm docker_gwbridge >/dev/null 2>&1 || true
        log "left the single-node swarm make swarm-up had initialised"
    else
        log "the swarm make swarm-up initialised still runs $others other services: left in place"
    fi
fi
