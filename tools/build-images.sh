#!/usr/bin/env bash
# Build every stormlab image, online or offline, choosing by itself.
#
#   online   the Dockerfiles start FROM the official images, pulled from a registry.
#   offline  no registry: base images are made here from Debian packages (mmdebstrap, then
#            docker import) and passed to the same Dockerfiles as build arguments.
#            Grafana has no Debian package, so it is not built offline.
#
# STORMLAB_IMAGE_SOURCE=online|offline forces the choice; auto (the default) takes online
# when the official bases are present or can be pulled, else offline.
# STORMLAB_DEBIAN_MIRROR overrides the Debian mirror used offline.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

PYTHON_OFFICIAL=$(official_base services/Dockerfile)
PROMETHEUS_OFFICIAL=$(official_base prometheus/Dockerfile)
PUSHGATEWAY_OFFICIAL=$(official_base pushgateway/Dockerfile)
PYTHON_COMPONENTS=(api proxy loadgen)   # dns, kv and monitoring run api's image

choose_source() {
    case "${STORMLAB_IMAGE_SOURCE:-auto}" in
        online|offline) echo "$STORMLAB_IMAGE_SOURCE"; return ;;
        auto) ;;
        *) die "STORMLAB_IMAGE_SOURCE must be online, offline or auto, got '${STORMLAB_IMAGE_SOURCE}'" ;;
    esac
    if have_image "$PYTHON_OFFICIAL" && have_image "$PROMETHEUS_OFFICIAL" && have_image "$PUSHGATEWAY_OFFICIAL"; then
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
image_ids() { local c; for c in services proxy loadgen prometheus pushgateway grafana; do
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
        grep -vE 'DEPRECATED|legacy builder|BuildKit|docs\.docker\.com/go/buildx' "$output" >&2 || true
        BUILT=yes
    fi
    rm -f "$output"
}

source=$(choose_source)
started=$SECONDS
BUILT=no
case "$source" in
    online)
        unset STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_GRAFANA_BASE_IMAGE
        STORMLAB_PIP_INSTALL=true quiet_build $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway grafana
        ;;
    offline)
        STORMLAB_PYTHON_BASE_IMAGE=$(build_offline_base python tools/offline/python-base.packages)
        STORMLAB_PROMETHEUS_BASE_IMAGE=$(build_offline_base prometheus tools/offline/prometheus-base.packages)
        # One Debian base serves both: it holds the prometheus and prometheus-pushgateway packages.
        STORMLAB_PUSHGATEWAY_BASE_IMAGE=$STORMLAB_PROMETHEUS_BASE_IMAGE
        export STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_PIP_INSTALL=false
        quiet_build $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway
        ;;
esac
without=""
[ "$source" = offline ] && without="; Grafana not built (it needs its official image, and no registry is reachable)"
if [ "$BUILT" = yes ]; then
    log "images built ($source) in $((SECONDS - started)) s$without"
else
    log "images up to date ($source, $((SECONDS - started)) s)$without"
fi
