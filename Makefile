# stormlab: `make help` lists the targets.
SHELL := bash
.DEFAULT_GOAL := help

# Compose v2 where present, else v1. Override with COMPOSE="...".
COMPOSE ?= $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo docker-compose; fi)
export COMPOSE
export COMPOSE_PROJECT_NAME ?= stormlab

# The device between the networks: proxy (proxy/, user space; the default) or kernel (router/,
# the kernel's packet path): `make up DEVICE=kernel` or STORMLAB_DEVICE=kernel. The kernel
# device is docker-compose.kernel.yml over the base file (tools/lib.sh maps it the same way).
# Given, the runner also refuses a running stack with the other device; not given, it runs on
# whichever is up (a run records which).
export STORMLAB_DEVICE ?= $(DEVICE)
ifeq ($(STORMLAB_DEVICE),kernel)
export COMPOSE_FILE ?= docker-compose.yml:docker-compose.kernel.yml
else ifneq ($(filter-out proxy,$(STORMLAB_DEVICE)),)
$(error DEVICE (or STORMLAB_DEVICE) must be proxy or kernel, got '$(STORMLAB_DEVICE)')
endif
# Your own services beside the stack's (docs/own-service.md): STORMLAB_COMPOSE_FILES=a.yml:b.yml
ifneq ($(STORMLAB_COMPOSE_FILES),)
export COMPOSE_FILE := $(or $(COMPOSE_FILE),$(if $(filter kernel,$(STORMLAB_DEVICE)),docker-compose.yml:docker-compose.kernel.yml,docker-compose.yml)):$(STORMLAB_COMPOSE_FILES)
endif

VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help venv images up down ps logs demo reset traffic test test-unit test-kernel test-integration test-experiments cross-check hysteresis map experiment require-exp experiments storm-5x validate fuzz-apis test-debian test-rules lint check-config bench-startup bench-proxy bench-proxy-compare bench-device bench-services bench-clients profile trigger own-service chaos swarm-up swarm-down swarm-config test-swarm worker worker-down bench-workers clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## create the host-side virtualenv (.venv): the project's dependencies and dev extras

# What the host-side tools (the runner, the trigger, the tests, the plots) run on: a
# virtualenv of current PyPI releases, made once (~350 MB; ~20 s on a good connection).
# The dependencies first, their warnings shown; then the project itself, editable and
# alone, with setuptools' one warning about editable installs silenced: that folders in the
# working directory named like the packages take precedence is how this repository runs
# (python -m from its root).
$(VENV)/.installed: pyproject.toml integrations/chaostoolkit/pyproject.toml
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "make: the host-side tools need Python 3.11 or later; python3 is $$(python3 --version 2>&1)" >&2; exit 2; }
	@echo "make: creating $(VENV) (once): the host-side tools' Python packages from PyPI, ~350 MB"
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
		print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	PYTHONWARNINGS=ignore::UserWarning $(PY) -m pip install --quiet --no-deps -e .
	PYTHONWARNINGS=ignore::UserWarning $(PY) -m pip install --quiet --no-deps -e integrations/chaostoolkit
	touch $@

images: ## build every image (offline from Debian packages where no registry is reachable)
	@tools/build-images.sh

up: images ## start the stack and wait until every container is healthy
	@tools/up.sh

down: ## stop the stack; remove its containers, networks and volumes
	$(COMPOSE) down --volumes --remove-orphans --timeout 10

ps: ## show the stack's containers and their health
	$(COMPOSE) ps

logs: ## show recent logs (SERVICE=proxy to pick one, FOLLOW=1 to follow)
	$(COMPOSE) logs --tail=200 $(if $(FOLLOW),--follow) $(SERVICE)

demo: up venv ## the live demo: the retry storm and its remediation, narrated, until Ctrl-C (ONCE=1: one round)
	$(PY) -m experiments demo $(if $(ONCE),--once) $(DEMO_ARGS)

reset: venv ## put the running stack's live settings back to what its files define, saying what changed
	$(PY) -m experiments reset

traffic: up ## steady traffic through the stack for a minute (no storm), with a live summary
	python3 tools/traffic.py

test: lint test-unit test-kernel test-integration test-swarm test-experiments ## everything CI runs: lint, unit, kernel and integration tests, the swarm and the scenario matrix

# Under `make test` two of the matrix's scenarios run on the Swarm stack instead (test-swarm:
# the same definitions, the same verdicts), so each canonical verdict is checked once per run.
test: export SKIP_SCENARIOS = retry-storm retry-budget

# In parallel, one pytest worker per core (pytest-xdist; UNIT_WORKERS=0: in one process): every
# test owns its sockets (port 0), files (tmp_path) and registries, so none waits on another.
test-unit: venv ## unit tests (no Docker needed; UNIT_WORKERS=n workers, default one per core)
	$(PY) -m pytest tests/unit -n $(or $(UNIT_WORKERS),auto) $(PYTEST_ARGS)

test-kernel: venv ## the kernel device (router/) against the real kernel in network namespaces: root, ip and nft, no Docker
	$(PY) -m pytest tests/kernel $(PYTEST_ARGS)

# The API fuzzing runs here in its short form, 10 examples per operation (STORMLAB_FUZZ_EXAMPLES
# to change it); `make fuzz-apis` runs the components' own settings (50 or 100) for the figures.
test-integration: venv images check-config ## start the real stacks (the proxy's, the kernel device's) in throwaway projects and test them
	STORMLAB_FUZZ_EXAMPLES=$${STORMLAB_FUZZ_EXAMPLES:-10} $(PY) -m pytest tests/integration --durations=12 $(PYTEST_ARGS)

validate: venv ## check scenarios offline against the components' own rules (EXP=name, default all); nothing starts
	$(PY) -m experiments validate $(EXP)

fuzz-apis: venv images ## schemathesis over every HTTP API of a throwaway stack (EXAMPLES=n per operation; figures in results/api-fuzz)
	STORMLAB_FUZZ_EXAMPLES=$(EXAMPLES) $(PY) -m pytest tests/integration/test_api_fuzzing.py -s $(PYTEST_ARGS)

test-debian: ## unit tests again on Debian bookworm's library versions, in a container (needs mmdebstrap)
	tools/test-on-debian.sh $(PYTEST_ARGS)

test-rules: ## the alert rules (prometheus/rules/): promtool check, then their unit tests over synthetic series (promtool on the host)
	@tools/test-rules.sh

lint: venv ## ruff
	$(VENV)/bin/ruff check .

check-config: images ## validate docker-compose.yml (compose config) and prometheus.yml with its rules (promtool)
	$(COMPOSE) config --quiet
	docker run --rm --network none --entrypoint promtool -v "$(CURDIR)/prometheus:/etc/prometheus:ro" \
		stormlab-prometheus:$${STORMLAB_IMAGE_TAG:-local} check config /etc/prometheus/prometheus.yml

bench-startup: images ## measure `up` until healthy, from nothing, RUNS times (default 3)
	benchmarks/startup.sh $(or $(RUNS),3)

bench-proxy: venv ## the proxy's figures: shaping (vs tc tbf), limits, setups and throughput (vs nginx, HAProxy, iperf3), overhead, 8,000 idle connections
	$(PY) -m benchmarks.proxy_bench $(BENCH_ARGS)

bench-proxy-compare: venv ## BASE=rev: that revision's proxy and the working tree's in rounds run in turn (MEASURE=setups|throughput, ROUNDS=4)
	@test -n "$(BASE)" || { echo "bench-proxy-compare: set BASE to a revision, e.g. make bench-proxy-compare BASE=HEAD~1"; exit 2; }
	$(PY) -m benchmarks.proxy_bench.compare --base "$(BASE)" --measure $(or $(MEASURE),setups) --rounds $(or $(ROUNDS),4) $(BENCH_ARGS)

# Root: three network namespaces (clients | device | services) carry both devices' traffic.
bench-device: venv ## the kernel device beside the proxy on one path: shaping, setups, table, latency (root; DEVICE=proxy: the proxy alone)
	$(PY) -m benchmarks.device_bench --devices $(if $(filter proxy,$(DEVICE)),proxy,proxy kernel) $(BENCH_ARGS)

bench-services: venv ## the services' figures: capacity accuracy (W/S under overload) and one replica's overhead
	$(PY) benchmarks/services_capacity.py $(BENCH_ARGS)

bench-clients: venv ## the clients' figures: open-loop fidelity (vs a closed loop), attempts/s per worker, beside FastHttpUser and wrk
	$(PY) -m benchmarks.clients_bench $(BENCH_ARGS)

profile: venv ## pyinstrument profiles of the proxy and a client worker under a storm's load (results/profiles/)
	$(PY) -m benchmarks.profiles $(BENCH_ARGS)

experiment: require-exp venv images ## run one scenario: make experiment EXP=retry-storm [TIME_SCALE=0.5]
	$(PY) -m experiments run $(EXP) --time-scale $(or $(TIME_SCALE),1)

# Before anything is built: a missing EXP is said at once, not after the image build.
require-exp:
	@$(if $(EXP),true,echo 'make experiment: say which scenario, e.g. make experiment EXP=retry-storm (.venv/bin/python -m experiments list lists them)' >&2; exit 2)

chaos: venv ## the Chaos Toolkit extension for real on the running stack: chaos run, journals checked (WHICH=examples|exports|all)
	tools/test-chaostoolkit.sh $(WHICH)

own-service: venv images ## the worked example of your own service: nginx through the storm and the budget (docs/own-service.md)
	STORMLAB_COMPOSE_FILES=$(or $(STORMLAB_COMPOSE_FILES),examples/own-service/docker-compose.own.yml) $(PY) -m experiments matrix examples/own-service/storm.yaml examples/own-service/budget.yaml --time-scale $(or $(TIME_SCALE),1)

experiments: venv images ## the whole scenario matrix at full length, with a summary (~25 min; DEVICE=kernel: on the kernel device)
	$(PY) -m experiments matrix --time-scale $(or $(TIME_SCALE),1)

# The lab at five times its scale (experiments/storm-5x/): 500 setups/s, 250 clients, naive and
# retry-budget three times each, every report with each container's CPU (docs/experiments.md).
storm-5x: venv images ## the 5x storm: retry-storm-5x and retry-budget-5x, RUNS times each (default 3; ~12 min at full length)
	$(PY) -m experiments matrix --runs $(or $(RUNS),3) --time-scale $(or $(TIME_SCALE),1) \
		experiments/storm-5x/retry-storm-5x.yaml experiments/storm-5x/retry-budget-5x.yaml $(EXP_ARGS)

# The same stack as a Docker Swarm stack (swarm/, docs/past-one-machine.md), under
# COMPOSE_PROJECT_NAME: on the swarm this Engine manages, or a single-node swarm it makes and
# swarm-down leaves. The runner and make demo find it (or take --swarm).
swarm-up: venv images ## the stack as a Swarm stack: a single-node swarm if there is none (swarm-down leaves it)
	@PY=$(PY) swarm/up.sh

swarm-down: ## remove the Swarm stack (services, networks, volumes) and a swarm swarm-up made
	@swarm/down.sh

swarm-config: venv ## print the Swarm stack file swarm-up deploys, made from the Compose definitions
	@$(COMPOSE) config | $(PY) -m swarm.stack_file

# Load-generator workers on this host for a stack's master elsewhere (docs/remote-workers.md):
# that stack publishes its master and its device's links with docker-compose.remote-workers.yml.
# DEVICE_HOST, not DEVICE: DEVICE picks this Makefile's device (proxy or kernel).
worker: ## load-generator workers here for a master elsewhere: MASTER=host[:port] [DEVICE_HOST=host] [WORKERS=n] [ADVERTISE=host[:port]]
	@tools/worker.sh up --master "$(MASTER)" $(if $(DEVICE_HOST),--device-host "$(DEVICE_HOST)") $(if $(WORKERS),--workers "$(WORKERS)") $(if $(ADVERTISE),--advertise "$(ADVERTISE)")

# Root: a veth pair and a network namespace stand for another host (docs/remote-workers.md).
bench-workers: venv images ## how the storm grows with workers: 1, 2 here, 1 here + 1 from another host (root; BENCH_ARGS="--seconds 5" to try)
	$(PY) -m benchmarks.workers_bench $(BENCH_ARGS)

worker-down: ## stop and remove the workers `make worker` started on this host
	@tools/worker.sh down

test-swarm: venv images ## the Swarm stack: up, isolation, scraping, retry-storm and retry-budget verdicts, down leaving nothing
	$(PY) -m pytest tests/swarm $(PYTEST_ARGS)

test-experiments: venv images ## the scenario matrix at CI time scale on a throwaway stack, then every dashboard panel checked for data
	PY=$(PY) tools/test-experiments.sh $(EXP_ARGS)

cross-check: venv images ## the matrix on both devices, proxy and kernel, side by side (TIME_SCALE, default 0.5; ~40 min): results/cross-check/cross-check.md
	PY=$(PY) tools/cross-check.sh $(EXP_ARGS)

hysteresis: venv images ## the hysteresis loops (naive, fixed, retry-budget) at full length, one plot each and an overlay (EXP_ARGS="--time-scale 0.5")
	$(PY) -m experiments hysteresis $(EXP_ARGS)

map: venv images ## the metastability map for fixed 3 attempts (MAPS="fixed naive" to compare; EXP_ARGS="--time-scale 0.5")
	$(PY) -m experiments map $(or $(MAPS),fixed) $(EXP_ARGS)

trigger: venv ## the scaling trigger: scale SERVICE (default kv) to REPLICAS (default 2) and announce its membership (JSON=1: as JSON)
	$(PY) -m services.scaling --service $(or $(SERVICE),kv) --replicas $(or $(REPLICAS),2) $(if $(JSON),--json)

clean: down ## stop the stack and remove the virtualenv
	rm -rf $(VENV)
