#!/usr/bin/env bash
# Run the unit tests on Debian bookworm's library versions (aiohttp 3.8, prometheus-client
# 0.16, locust 2.12, pyroute2 0.7, pytest 7.2), the versions the offline images run, in a
# container with no network. The virtualenv covers current PyPI releases; together they hold the promise
# that the code runs on both. What runs only on the host, from the virtualenv, never in an
# image, is left out: the experiment runner (experiments/: it needs the Docker SDK, matplotlib,
# markdown), the model it imports (model/), the benchmarks, the dashboards' builder, the Chaos
# Toolkit extension, the Swarm stack file and scripts (swarm/) and the docs' checks. Extra
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

image=$(build_offline_base pytest ${TEST_BASE_LISTS//,/ })  # CI built it with the others (make images)
log "unit tests on Debian's versions ($image)"
docker run --rm --network none --user "$(id -u):$(id -g)" \
    -e PYTHONDONTWRITEBYTECODE=1 -e HOME=/tmp -v "$PWD:/src:ro" -w /src "$image" \
    python3 -m pytest tests/unit -p no:cacheprovider -q -n "${UNIT_WORKERS:-auto}" \
    --ignore-glob='tests/unit/test_experiments_*' --ignore-glob='tests/unit/test_model_*' \
    --ignore-glob='tests/unit/test_benchmarks_*' --ignore-glob='tests/unit/test_device_bench*' \
    --ignore-glob='tests/unit/test_grafana_*' --ignore-glob='tests/unit/test_chaostoolkit_*' \
    --ignore-glob='tests/unit/test_docs_*' --ignore-glob='tests/unit/test_swarm_*' "$@"
