#!/usr/bin/env bash
# The alert rules (prometheus/rules/, docs/alerts.md), checked with promtool on the host:
# the rule files, the config that loads them, then the rules' unit tests over synthetic series
# (prometheus/rules/tests/). No Docker, no network. PROMTOOL=/path/to/promtool picks one.
set -euo pipefail
cd "$(dirname "$0")/.."

promtool=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$promtool" ] || [ ! -x "$promtool" ]; then
    cat >&2 <<'EOF'
make test-rules: promtool not found (it comes with Prometheus). Install it:
  Debian, Ubuntu:  sudo apt-get install -y --no-install-recommends prometheus
                   (it may start a Prometheus service on port 9090, the stack's own port:
                   sudo systemctl disable --now prometheus)
  elsewhere:       promtool is in every release archive, https://prometheus.io/download/
or point PROMTOOL at one: make test-rules PROMTOOL=/path/to/promtool
EOF
    exit 2
fi

shopt -s nullglob
rules=(prometheus/rules/*.rules.yml)
tests=(prometheus/rules/tests/*.yml)
if [ ${#rules[@]} -eq 0 ] || [ ${#tests[@]} -eq 0 ]; then
    echo "make test-rules: no rule files (prometheus/rules/*.rules.yml) or no tests (prometheus/rules/tests/*.yml)" >&2
    exit 2
fi

echo "$("$promtool" --version 2>&1 | head -n 1)"
"$promtool" check rules "${rules[@]}"
"$promtool" check config prometheus/prometheus.yml
"$promtool" test rules "${tests[@]}"
