#!/usr/bin/env bash
# The stack as a Docker Swarm stack: `make swarm-up` (docs/past-one-machine.md).
#
# On a swarm this Engine manages, or on a single-node swarm it initialises (and labels, so
# swarm/down.sh leaves it again). The stack file is made from the Compose definitions
# (swarm/stack_file.py), deployed under COMPOSE_PROJECT_NAME (default stormlab), and this waits
# until every service has all its tasks running and healthy. Refuses, saying why, on an Engine
# that is a worker node of another swarm, or where the Compose stack of that name runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

stack=$COMPOSE_PROJECT_NAME
[ "${STORMLAB_DEVICE:-proxy}" = kernel ] \
    && die "the kernel device is not supported on Swarm (docs/past-one-machine.md, Limits): run it on Compose, make up DEVICE=kernel"
timeout_seconds=${STORMLAB_UP_TIMEOUT:-180}
python=${PY:-.venv/bin/python}
[ -x "$python" ] || python=python3
INITIALISED_LABEL=stormlab.initialised-swarm  # on the node: this swarm was made by swarm/up.sh

read -r node_state is_manager node_id < <(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}')
case "$node_state $is_manager" in
    "active true") log "deploying on the swarm this Engine manages (node $node_id)" ;;
    "active false")
        managers=$(docker info --format '{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}')
        die "this Engine is a worker node of another swarm (managers: ${managers:-unknown}); a stack is deployed from a manager: run make swarm-up on one of those, or leave that swarm first (docker swarm leave)" ;;
    "inactive "*)
        advertise=${STORMLAB_SWARM_ADVERTISE_ADDR:-127.0.0.1}
        log "no swarm here: initialising a single-node swarm (advertised on $advertise; swarm-down leaves it again)"
        docker swarm init --advertise-addr "$advertise" >/dev/null
        node_id=$(docker info --format '{{.Swarm.NodeID}}')
        docker node update --label-add "$INITIALISED_LABEL=true" "$node_id" >/dev/null ;;
    *) die "this Engine's swarm is '$node_state': neither a manager nor free to initialise one (docker info shows why)" ;;
esac

if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$stack")" ]; then
    die "the Compose stack '$stack' is running here: it publishes the same ports; make down first (or set COMPOSE_PROJECT_NAME and the STORMLAB_*_PORT variables for another)"
fi

services=$($COMPOSE config --services)
if ! have_image "$(image_name grafana)"; then
    services=$(grep -vx grafana <<<"$services")
    log "deploying without Grafana: its image is not built here (no registry to pull its base from)"
fi
for service in $services; do
    image=$($COMPOSE config | "$python" -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["services"][sys.argv[1]].get("image", ""))' "$service")
    [ -n "$image" ] && ! have_image "$image" && die "image $image (service $service) is not built: make images"
done

mkdir -p build/swarm
stack_file=build/swarm/$stack.yml
ulimits=()
# services take ulimits from Engine 23 (API 1.42) on
api=$(docker version --format '{{.Server.APIVersion}}')
[ "$(printf '%s\n' "$api" 1.42 | sort -V | head -1)" = 1.42 ] && ulimits=(--ulimits)
$COMPOSE config | "$python" -m swarm.stack_file "${ulimits[@]}" --only "$(paste -sd, <<<"$services")" >"$stack_file"
if [ ${#ulimits[@]} -eq 0 ]; then
    log "this Engine (API $api) sets no ulimits on services: the proxy gets the daemon's default descriptors"
fi

started_at=$(date +%s)
# --resolve-image never: the images are local (there may be no registry at all)
docker stack deploy --resolve-image never --prune --compose-file "$stack_file" "$stack" 2>&1 >/dev/null \
    | grep -v -e '^Ignoring deprecated options' -e '^expose: ' -e 'detach' -e '^$' >&2 || true
log "Swarm publishes its ports on every address of this node (it cannot bind 127.0.0.1 alone): keep them behind the firewall"

# Every service with all its tasks running (a task with a health check runs once healthy).
started=$SECONDS
while :; do
    pending=() failed=()
    while read -r name replicas; do
        [ "${replicas%%/*}" = "${replicas##*/}" ] || pending+=("$name $replicas")
    done < <(docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Name}} {{.Replicas}}')
    # a task that failed and was replaced: say why, if nothing else is left to wait for
    while read -r task error; do
        [ -n "$error" ] && failed+=("$task: $error")
    done < <(docker stack ps "$stack" --filter desired-state=shutdown --no-trunc --format '{{.Name}} {{.Error}}' 2>/dev/null | sort -u)
    if [ ${#pending[@]} -eq 0 ]; then
        count=$(docker service ls --filter "label=com.docker.stack.namespace=$stack" -q | wc -l)
        log "swarm stack up: all $count services running and healthy $(( $(date +%s) - started_at )) s after the deploy (stack $stack)"
        [ ${#failed[@]} -eq 0 ] || log "tasks replaced on the way: ${failed[*]}"
        exit 0
    fi
    if (( SECONDS - started >= timeout_seconds )); then
        log "not running and healthy after ${timeout_seconds} s: ${pending[*]}"
        for line in "${failed[@]}"; do log "  $line"; done
        for entry in "${pending[@]}"; do  # what the tasks that never came up said last
            docker service logs --tail 5 "${entry%% *}" 2>&1 | sed "s/^/    log: /" >&2 || true
        done
        exit 1
    fi
    sleep 2
done
