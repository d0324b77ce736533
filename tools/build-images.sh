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

source=$(choose_source)
log "building images ($source) with $COMPOSE"
started=$SECONDS
case "$source" in
    online)
        unset STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_GRAFANA_BASE_IMAGE
        STORMLAB_PIP_INSTALL=true $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway grafana
        ;;
    offline)
        STORMLAB_PYTHON_BASE_IMAGE=$(build_offline_base python tools/offline/python-base.packages)
        STORMLAB_PROMETHEUS_BASE_IMAGE=$(build_offline_base prometheus tools/offline/prometheus-base.packages)
        # One Debian base serves both: it holds the prometheus and prometheus-pushgateway packages.
        STORMLAB_PUSHGATEWAY_BASE_IMAGE=$STORMLAB_PROMETHEUS_BASE_IMAGE
        export STORMLAB_PYTHON_BASE_IMAGE STORMLAB_PROMETHEUS_BASE_IMAGE STORMLAB_PUSHGATEWAY_BASE_IMAGE \
            STORMLAB_PIP_INSTALL=false
        $COMPOSE build "${PYTHON_COMPONENTS[@]}" prometheus pushgateway
        log "Grafana not built: it needs its official image, and no registry is reachable here"
        ;;
esac
log "images ready in $((SECONDS - started)) s"
