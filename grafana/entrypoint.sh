#!/bin/sh
# Grafana must never run with its well-known default admin password: take it from
# STORMLAB_GRAFANA_ADMIN_PASSWORD (passed in as GF_SECURITY_ADMIN_PASSWORD), or make a random
# one and print it once. Viewers need no password: anonymous read-only access is on.
set -eu
if [ -z "${GF_SECURITY_ADMIN_PASSWORD:-}" ]; then
    GF_SECURITY_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    export GF_SECURITY_ADMIN_PASSWORD
    echo "stormlab: STORMLAB_GRAFANA_ADMIN_PASSWORD is not set; generated admin password: ${GF_SECURITY_ADMIN_PASSWORD}"
fi
exec /run.sh "$@"
