# Shared by the shell tools (sourced, not run).

log()  { printf '\033[1mstormlab:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31mstormlab:\033[0m %s\n' "$*" >&2; exit 1; }

# Compose v2 (`docker compose`) where it exists, else v1 (`docker-compose`). The Makefile
# exports COMPOSE; a caller may also set it.
if [ -z "${COMPOSE:-}" ]; then
    if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"
    elif command -v docker-compose >/dev/null 2>&1; then COMPOSE="docker-compose"
    else die "neither 'docker compose' nor 'docker-compose' is installed"; fi
fi
export COMPOSE
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-stormlab}"

# The device between the networks: STORMLAB_DEVICE=proxy (user space, the default) or kernel
# (router/, docker-compose.kernel.yml over the base file: the router takes the proxy's service
# name, so every address stays). The Makefile maps DEVICE= the same way.
case "${STORMLAB_DEVICE:-proxy}" in
    proxy|"") ;;
    kernel) export COMPOSE_FILE="${COMPOSE_FILE:-docker-compose.yml:docker-compose.kernel.yml}" ;;
    *) die "STORMLAB_DEVICE must be proxy or kernel, got '${STORMLAB_DEVICE}'" ;;
esac

# Your own services beside the stack's (docs/own-service.md): STORMLAB_COMPOSE_FILES holds
# Compose files separated by ':', merged over the base file (and the kernel device's) in that
# order, through COMPOSE_FILE, which Compose v1 and v2 both read. A file already there is not
# added twice (a script sourcing this runs another that sources it again).
if [ -n "${STORMLAB_COMPOSE_FILES:-}" ]; then
    files=${COMPOSE_FILE:-docker-compose.yml}
    IFS=: read -ra extra_files <<<"$STORMLAB_COMPOSE_FILES"
    for file in "${extra_files[@]}"; do
        [ -n "$file" ] || continue
        [ -f "$file" ] || die "STORMLAB_COMPOSE_FILES names $file, which is not a file (paths are from the repository's root)"
        case ":$files:" in *":$file:"*) ;; *) files="$files:$file" ;; esac
    done
    export COMPOSE_FILE=$files
    unset files extra_files file
fi

# Images the stack builds are named stormlab-<component>:<tag> (see docker-compose.yml).
image_name() { echo "stormlab-$1:${STORMLAB_IMAGE_TAG:-local}"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The official base image a Dockerfile uses by default: the word after ':-' in its FROM line.
official_base() { sed -n 's/^FROM \${[A-Z_]*:-\(.*\)}$/\1/p' "$1"; }

# Offline base images hold exactly the Debian packages listed in the files given. The tag
# carries a hash of the lists, so editing a list builds a new base.
offline_base_tag() {
    local name=$1; shift
    echo "stormlab-$name-base:bookworm-$(cat "$@" | sha256sum | cut -c1-12)"
}

# Build (once) the base image named $1 from the package lists $2...; print its tag.
build_offline_base() {
    local tag packages workdir
    tag=$(offline_base_tag "$@")
    if have_image "$tag"; then echo "$tag"; return; fi
    command -v mmdebstrap >/dev/null 2>&1 \
        || die "building offline needs mmdebstrap: sudo apt-get install mmdebstrap (or build online)"
    packages=$(cat "${@:2}" | grep -v '^[[:space:]]*#' | xargs | tr ' ' ',')
    log "building $tag from Debian packages: $packages"
    workdir=$(mktemp -d)
    # Through a file, not a pipe: a failed bootstrap must not leave a half-imported image.
    if ! mmdebstrap --quiet --variant=apt --aptopt='APT::Install-Recommends "false"' \
            --include="$packages" bookworm "$workdir/rootfs.tar" \
            "${STORMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2; then
        rm -rf "$workdir"
        die "mmdebstrap failed to build $tag (is the Debian mirror reachable?)"
    fi
    docker import "$workdir/rootfs.tar" "$tag" >/dev/null
    rm -rf "$workdir"
    echo "$tag"
}

# The base tools/test-on-debian.sh runs the unit tests in: the images' packages and pytest's.
TEST_BASE_LISTS=tools/offline/python-base.packages,tools/offline/router-base.packages,tools/offline/pytest-extra.packages

# Build several offline bases at once (each bootstrap waits mostly on the mirror and the disk,
# so together they take little longer than the slowest alone). Each argument is
# "name=list1,list2,...". Sets OFFLINE_BASE[name] to each tag; dies naming the first that failed.
declare -A OFFLINE_BASE
build_offline_bases() {
    local spec name lists out pids=() names=() outs=() i
    for spec in "$@"; do
        name=${spec%%=*} lists=${spec#*=} out=$(mktemp)
        # shellcheck disable=SC2086  # the lists, one word each
        build_offline_base "$name" ${lists//,/ } >"$out" &
        pids+=($!) names+=("$name") outs+=("$out")
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            rm -f "${outs[@]}"
            die "the offline base '${names[$i]}' could not be built (its error is above)"
        fi
        OFFLINE_BASE[${names[$i]}]=$(cat "${outs[$i]}")
    done
    rm -f "${outs[@]}"
}
