#!/usr/bin/env bash
# Build every stormlab image, online or offline, choosing by itself (the worked example of your
# own service, examples/own-service/, included).
#
#   online   the Dockerfiles start FROM the official images, pulled from a registry.
#   offline  no registry: base images are made here from Debian packages (mmdebstrap, then
#            docker import) and passed to the same Dockerfiles as build arguments.
#            Grafana has no Debian package, so it is not built offline.
#
# STORMLAB_IMAGE_SOURCE=online|offline forces the choice; auto (the default) takes online
# when the official bases are present or can be pulled, else offline.
# STORMLAB_DEBIAN_MIRROR overrides the Debian mirror used offline; STORMLAB_BUILD_TEST_BASE=1
# also builds, at the same time as the others, the base `make test-debian` runs in (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

PYTHON_OFFICIAL=$(official_base services/Dockerfile)
PROMETHEUS_OFFICIAL=$(official_base prometheus/Dockerfile)
PUSHGATEWAY_OFFICIAL=$(official_base pushgateway/Dockerfile)
ROUTER_OFFICIAL=$(official_base router/Dockerfile)
PYTHON_COMPONENTS=(api proxy loadgen)   # dns, kv and monitoring run api's image
# The worked example of your own service (docs/own-service.md): nginx, service `own` of its override.
EXAMPLE_FILES=docker-compose.yml:examples/own-service/docker-compose.own.yml

choose_source() {
    case "${STORMLAB_IMAGE_SOURCE:-auto}" in
        online|offline) echo "$STORMLAB_IMAGE_SOURCE"; return ;;
        auto) ;;
        *) die "STORMLAB_IMAGE_SOURCE must be online, offline or auto, got '${STORMLAB_IMAGE_SOURCE}'" ;;
    esac
    if have_image "$PYTHON_OFFICIAL" && have_image "$PROMETHEUS_OFFICIAL" && have_image "$PUSHGATEWAY_OFFICIAL" \
            && have_image "$ROUTER_OFFICIAL"; then
        echo online; return
    fi
    # Offline bases built earlier mean this machine was found offline before: skip the probe.
    if have_image "$(offline_base_tag python tools/offline/python-base.packages)"; then echo offline; return; fi
    log "probing the registry (docker pull $PYTHON_OFFICIAL)..."
    if timeout "${STORMLAB_PULL_TIMEOUT:-120}" docker pull -q "$PYTHON_OFFICIAL" >/dev/null 2>&1; then
        echo online
    else
        echo offline
    fi
}

# The build's own output only when something was built, or it failed: with nothing changed,
# one line (the legacy builder's ~190 lines of "Using cache" would bury what follows).
# "Something was built" is read off the images themselves: an id that changed.
image_ids() { local c; for c in services proxy loadgen prometheus pushgateway grafana router nginx-example; do
    docker image inspect -f '{{.Id}}' "$(image_name "$c")" 2>/dev/null || echo none; done; }
quiet_build() {
    local output status=0 before
    output=$(mktemp)
    before=$(image_ids)
    "$@" >"$output" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$output" >&2
        rm -f "$output"
        die "the image build failed (exit $status); its output is above"
    fi
    if [ "$(image_ids)" != "$before" ]; then
        grep -vE 'DEPRECATED|legacy builder|BuildKit|docs\.docker\.com/go/buildx|were not consumed' "$output" >&2 || true
        BUILT=yes
    fi
    rm -f "$output"
}

# Both devices are built whichever the stack runs: the base file builds the proxy, the kernel
# file over it the router (it takes the proxy's service name there).
export COMPOSE_FILE=docker-compose.yml
KERNEL_FILES=docker-compose.yml:docker-compose.kernel.yml
source=$(choose_source)
started=$SECONDS
BUILT=no
case "$source" in
    online)
        unset STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_GRAFANA_BASE_IMAGE
        unset STORMLAB_ROUTER_BASE_IMAGE
        unset STORMLAB_NGINX_BASE_IMAGE
        STORMLAB_PIP_INSTALL=true quiet_build $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway grafana
        quiet_build env COMPOSE_FILE="$KERNEL_FILES" $COMPOSE build proxy
        quiet_build env COMPOSE_FILE="$EXAMPLE_FILES" $COMPOSE build own
        ;;
    offline)
        offline=tools/offline
        # CI asks for the unit tests' Debian base too (make test-debian), built beside the others
        # shellcheck disable=SC2046  # no word or one
        build_offline_bases "python=$offline/python-base.packages" \
            "prometheus=$offline/prometheus-base.packages" \
            "router=$offline/python-base.packages,$offline/router-base.packages" \
            "nginx-example=$offline/nginx-example-base.packages" \
            $([ "${STORMLAB_BUILD_TEST_BASE:-}" = 1 ] && echo "pytest=$TEST_BASE_LISTS")
        STORMLAB_PYTHON_BASE_IMAGE=${OFFLINE_BASE[python]}
        STORMLAB_PROMETHEUS_BASE_IMAGE=${OFFLINE_BASE[prometheus]}
        # One Debian base serves both: it holds the prometheus and prometheus-pushgateway packages.
        STORMLAB_PUSHGATEWAY_BASE_IMAGE=$STORMLAB_PROMETHEUS_BASE_IMAGE
        STORMLAB_ROUTER_BASE_IMAGE=${OFFLINE_BASE[router]}
        STORMLAB_NGINX_BASE_IMAGE=${OFFLINE_BASE[nginx-example]}
        export STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_ROUTER_BASE_IMAGE STORMLAB_NGINX_BASE_IMAGE STORMLAB_PIP_INSTALL=false
        quiet_build $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway
        quiet_build env COMPOSE_FILE="$KERNEL_FILES" $COMPOSE build proxy
        quiet_build env COMPOSE_FILE="$EXAMPLE_FILES" $COMPOSE build own
        ;;
esac
without=""
[ "$source" = offline ] && without="; Grafana not built (it needs its official image, and no registry is reachable)"
if [ "$BUILT" = yes ]; then
    log "images built ($source) in $((SECONDS - started)) s$without"
else
    log "images up to date ($source, $((SECONDS - started)) s)$without"
fi
