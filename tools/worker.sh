#!/usr/bin/env bash
# Load-generator workers on this host for a stack's locust master on another (docs/remote-workers.md).
#
#   tools/worker.sh up --master HOST[:PORT] [--device-host HOST] [--workers N] [--advertise HOST[:PORT]]
#                      [--network NAME] [--group NAME]
#   tools/worker.sh down [--group NAME]
#
# `up` starts N containers of the stormlab-loadgen image, each a locust worker that joins the
# master at HOST:PORT (5557 if no port), sends its clients to the device's links at the device
# host (the master's host by default), and exports its client metrics on its own port from the
# advertised one up (9646, 9647, ...), published on this host and announced to the master, whose
# Prometheus then scrapes them. It returns once every worker has heard from the master.
# The workers stop when the master stops them (the stack goes down), when it has been silent
# for 60 s, or on `down`, which removes every worker of the group (`default`) on this host.
#
# Bad input fails at once, before anything starts: a malformed value (exit 2), or a master or
# device this host cannot connect to, within a few seconds (exit 1).
#
# This script needs bash, coreutils' timeout and Docker; not Compose, nor Python on the host: it
# runs where the stack does not, so it does not source tools/lib.sh (which needs Compose).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE="stormlab-loadgen:${STORMLAB_IMAGE_TAG:-local}"
LABEL=io.stormlab.remote-worker          # its value: the group
CONNECT_TIMEOUT=3                        # seconds per TCP check: a LAN answers in milliseconds
JOIN_TIMEOUT=30                          # seconds for every worker to hear from the master
MAX_WORKERS=64
EXPECTED_MASTER="start the stack on the master's host with its master published for remote workers: \
STORMLAB_REMOTE_WORKERS_ADDRESS=<that host's address> STORMLAB_COMPOSE_FILES=docker-compose.remote-workers.yml \
make up (docs/remote-workers.md)"

log() { printf '\033[1mstormlab:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mstormlab:\033[0m %s\n' "$*" >&2; exit "${EXIT:-1}"; }
bad() { EXIT=2 die "$*"; }   # bad input: nothing was tried

usage() {
    sed -n 's/^#   //p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

HOST_PATTERN='^[A-Za-z0-9._-]+$'   # as the loadgen's target URLs take a host (no IPv6)

# Sets HOST and PORT from "HOST[:PORT]" $1 ($2: the port if none is given; $3: what the value is).
split_address() {
    local value=$1 what=$3
    if [[ $value == *:* ]]; then HOST=${value%:*} PORT=${value##*:}; else HOST=$value PORT=$2; fi
    if [[ ! $HOST =~ $HOST_PATTERN ]] || [[ ! $PORT =~ ^[0-9]{1,5}$ ]] || ((10#$PORT < 1 || 10#$PORT > 65535)); then
        bad "$what must be HOST[:PORT] (a host name or IPv4 address, a port 1-65535), got '$value'"
    fi
    PORT=$((10#$PORT))
}

# Succeeds if a TCP connection to $1:$2 opens within CONNECT_TIMEOUT; else prints why it did not.
tcp_open() {
    local out rc
    out=$(timeout "$CONNECT_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>&1) && return 0
    rc=$?
    out=${out%%$'\n'*}   # bash's first line on it: "...: Connection refused", "...: Name or service not known"
    if ((rc == 124)); then echo "no answer within ${CONNECT_TIMEOUT} s"; else echo "${out##*: }"; fi
    return 1
}

# This host's address on the route to $1 (an IPv4 address or a name), if `ip` can tell; else
# nothing. (No `grep -q` or `head` in these pipes: under pipefail, a writer cut short fails them.)
route_source() {
    local address=$1
    [[ $address =~ ^[0-9.]+$ ]] || address=$(getent ahostsv4 "$address" 2>/dev/null | awk 'NR == 1 {print $1}')
    [ -n "$address" ] && command -v ip >/dev/null 2>&1 || return 0
    ip -4 route get "$address" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}'
}

is_local_ipv4() {
    command -v ip >/dev/null 2>&1 && ip -4 -o addr show | awk -v want="$1" '{sub("/.*", "", $4)} $4 == want {found = 1} END {exit !found}'
}

# The device's client-facing link ports: what the workers' targets use (loadgen/config.yml).
link_ports() {
    grep -o 'url: *"http://[^"]*"' "$ROOT/loadgen/config.yml" | sed 's/.*:\([0-9]*\)"$/\1/' | sort -un | xargs
}

group_containers() { docker ps -aq --filter "label=$LABEL=$1"; }

down() {
    local group=$1 ids
    ids=$(group_containers "$group") || die "cannot list this host's containers: is Docker running here?"
    if [ -z "$ids" ]; then log "no workers of group $group on this host"; return 0; fi
    # SIGTERM first: a locust worker then tells its master it quit, instead of going missing
    # shellcheck disable=SC2086  # one id a word
    docker stop --time 10 $ids >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    docker rm -f $ids >/dev/null 2>&1 || true
    local count; count=$(wc -w <<<"$ids")
    log "removed $count worker$( ((count == 1)) || echo s) of group $group"
}

up() {
    local master="" device_host="" workers=1 advertise="" network=bridge group=default
    while (($#)); do
        case $1 in
            --master|--device-host|--workers|--advertise|--network|--group)
                (($# >= 2)) || bad "$1 needs a value"
                case $1 in
                    --master) master=$2 ;; --device-host) device_host=$2 ;; --workers) workers=$2 ;;
                    --advertise) advertise=$2 ;; --network) network=$2 ;; --group) group=$2 ;;
                esac
                shift 2 ;;
            *) bad "unknown argument '$1' (tools/worker.sh with no argument prints the usage)" ;;
        esac
    done
    [ -n "$master" ] || bad "--master (make's MASTER) is required: the stack's host and its master's port, e.g. 192.168.1.20:5557"
    local master_host master_port
    split_address "$master" 5557 "--master (make's MASTER)"
    master_host=$HOST master_port=$PORT
    device_host=${device_host:-$master_host}
    [[ $device_host =~ $HOST_PATTERN ]] \
        || bad "--device-host (make's DEVICE_HOST) must be a host name or IPv4 address (no scheme, port or path), got '$device_host'"
    [[ $workers =~ ^[0-9]+$ ]] && ((10#$workers >= 1 && 10#$workers <= MAX_WORKERS)) \
        || bad "--workers (make's WORKERS) must be a whole number from 1 to $MAX_WORKERS, got '$workers'"
    workers=$((10#$workers))
    [[ $group =~ ^[a-z0-9][a-z0-9_.-]*$ ]] || bad "the group must be lowercase letters, digits, '_', '.', '-', got '$group'"
    [ -n "$network" ] || bad "the network must be a Docker network (bridge, host, container:<name>, ...)"

    local reason
    reason=$(tcp_open "$master_host" "$master_port") \
        || die "no locust master reachable at $master_host:$master_port: a TCP connection from this host failed ($reason). Expected: $EXPECTED_MASTER"
    local port ports
    ports=$(link_ports || true)
    for port in $ports; do
        reason=$(tcp_open "$device_host" "$port") \
            || die "the device is not reachable at $device_host:$port (a link the workers' targets use: $ports): $reason. Expected: the stack's proxy links published there by docker-compose.remote-workers.yml; give --device-host (make's DEVICE_HOST) if this host reaches the device at another address than the master"
    done

    local advertise_host advertise_port
    if [ -z "$advertise" ]; then
        advertise=$(route_source "$master_host" || true)
        [ -n "$advertise" ] || bad "cannot tell this host's address towards the master (no 'ip' command, or no route): give --advertise (make's ADVERTISE), the address the master's host reaches this one at"
    fi
    split_address "$advertise" 9646 "--advertise (make's ADVERTISE)"
    advertise_host=$HOST advertise_port=$PORT
    [[ $advertise_host != 127.* && $advertise_host != localhost ]] \
        || bad "the metrics would be advertised at $advertise_host, which the stack's Prometheus (in a container) cannot reach: give --advertise (make's ADVERTISE), the address the master's host reaches this one at"
    ((advertise_port + workers - 1 <= 65535)) || bad "the advertised port $advertise_port leaves no room for $workers workers' ports"

    docker image inspect "$IMAGE" >/dev/null 2>&1 \
        || die "no image $IMAGE on this host: build it (make images) or bring it from the stack's host (docker save $IMAGE | ssh <this host> docker load)"
    [ -z "$(group_containers "$group")" ] \
        || die "workers of group $group already run on this host (tools/worker.sh down first, or --group another)"

    # Published on the advertised address when it is one of this host's, else (behind a NAT, a
    # name) on every address; not at all when the workers share a network namespace (host,
    # container:...), where each binds its own port.
    local publish_on=0.0.0.0
    is_local_ipv4 "$advertise_host" && publish_on=$advertise_host
    local names=() i metrics_port publish
    for ((i = 0; i < workers; i++)); do
        metrics_port=$((advertise_port + i))
        publish=()
        case $network in host|container:*) ;; *) publish=(-p "$publish_on:$metrics_port:$metrics_port") ;; esac
        names+=("stormlab-worker-$group-$i")
        docker run -d --rm --name "${names[-1]}" --label "$LABEL=$group" --label "io.stormlab.master=$master_host:$master_port" \
            --network "$network" "${publish[@]}" \
            -e STORMLAB_LOADGEN_CONFIG=/app/loadgen/config.yml -e STORMLAB_LOADGEN_METRICS_PORT="$metrics_port" \
            -e STORMLAB_DEVICE_HOST="$device_host" -e STORMLAB_METRICS_ADVERTISE="$advertise_host:$metrics_port" \
            "$IMAGE" -f /app/loadgen/locustfile.py --worker --master-host "$master_host" --master-port "$master_port" \
            >/dev/null || { down "$group"; die "docker could not start worker ${names[-1]} (its error is above)"; }
    done

    # Each worker logs this once the master has answered it (loadgen/worker_announce.py).
    local deadline=$((SECONDS + JOIN_TIMEOUT)) name waiting
    while :; do
        waiting=()
        for name in "${names[@]}"; do
            if ! docker inspect "$name" >/dev/null 2>&1; then
                down "$group"
                die "worker $name stopped before it joined the master (it removes itself); run it in the foreground to see why: the command is in docs/remote-workers.md"
            fi
            docker logs "$name" 2>&1 | grep "joined the master" >/dev/null || waiting+=("$name")
        done
        ((${#waiting[@]})) || break
        if ((SECONDS >= deadline)); then
            docker logs --tail 5 "${waiting[0]}" >&2 2>&1 || true
            down "$group"
            die "${#waiting[@]} of $workers workers did not hear from the master at $master_host:$master_port within ${JOIN_TIMEOUT} s (the last lines of ${waiting[0]}'s log are above): is that the stack's locust master port, published by docker-compose.remote-workers.yml?"
        fi
        sleep 0.5
    done
    local stop="tools/worker.sh down"
    [ "$group" = default ] || stop+=" --group $group"
    log "$workers workers joined the master at $master_host:$master_port, sending to the device at $device_host (links $ports); metrics on $advertise_host:$advertise_port-$((advertise_port + workers - 1)), advertised to the master for its Prometheus. Stop them: $stop"
}

case ${1:-} in
    up) shift; up "$@" ;;
    down)
        shift
        group=default
        if (($#)); then
            [ "$1" = --group ] && (($# == 2)) || bad "usage: tools/worker.sh down [--group NAME]"
            group=$2
        fi
        down "$group" ;;
    *) usage ;;
esac
