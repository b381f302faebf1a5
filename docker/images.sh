#!/usr/bin/env bash
# Builds docker/broker.Dockerfile and docker/emulator.Dockerfile, unchanged, with buildah
# where no Docker engine and no registry for base images are at hand (see docs/IMAGES.md):
#   docker/images.sh [base|build|clean]   # default: build (makes the stand-in base first if missing)
# clean: removes the working containers a killed test run left (named proof-ship-*) and their mounts.
# The FROM image, node:20-bookworm-slim, is stood in by a Debian bookworm minbase root file
# system (mmdebstrap) with this machine's Node 20 and npm at the official image's paths and
# user node (uid 1000). It is kept in buildah's storage under a name keyed by the Node and npm
# versions and this recipe, so later runs reuse it. Prints one line per image:
#   built <name> in <s> s, <size>     or     kept <name> (inputs unchanged), <size>
# Environment: IMAGE_TAG (default "local"), BUILDAH_ISOLATION (default chroot: an OCI runtime
# cannot run here), NODE_EXTRA_CA_CERTS (a CA bundle for npm's registry behind a TLS proxy:
# mounted into the build's RUN steps only, never copied into an image).
set -euo pipefail
cd "$(dirname "$0")/.."

export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
tag="${IMAGE_TAG:-local}"
from="node:20-bookworm-slim"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "$tool was not found on PATH: apt-get install -y buildah mmdebstrap" >&2; exit 2; }
done
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
node_version="$(node --version)"
npm_version="$(npm --version)"
[[ "$node_version" == v20.* ]] || { echo "the stand-in for $from needs Node 20, found $node_version" >&2; exit 2; }

# The recipe below is part of the cache key: editing it makes a new stand-in.
recipe_hash="$(sed -n '/^make_base()/,/^}/p' "$0" | sha256sum | cut -c1-12)"
base="localhost/proof-node-standin:${node_version#v}-npm${npm_version}-${recipe_hash}"

make_base() {
  local work
  work="$(mktemp -d)"
  # Like debian:bookworm-slim: no manuals, docs or translations.
  mmdebstrap --quiet --variant=minbase --mode=root \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="mkdir -p \"\$1/usr/local/bin\" \"\$1/usr/local/lib/node_modules\"" \
    --customize-hook="cp -a '$node_bin' \"\$1/usr/local/bin/node\"" \
    --customize-hook="cp -a '$npm_dir' \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$work/rootfs.tar" "$mirror"
  local ctr
  ctr="$(buildah from scratch)"
  buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env "NODE_VERSION=${node_version#v}" --cmd node \
    --label "proof.stand-in-for=$from" "$ctr"
  buildah commit --quiet --rm --format docker "$ctr" "$base" >/dev/null
  rm -rf "$work"
}

ensure_base() {
  if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    local start=$SECONDS
    echo "making the stand-in for $from: $base (Debian bookworm minbase, Node $node_version, npm $npm_version)"
    make_base
    echo "made the stand-in in $((SECONDS - start)) s"
  fi
  buildah tag "$base" "$from"
}

# A digest of everything the Dockerfiles COPY, the Dockerfile and the base: an image whose label
# matches is up to date (buildah's layer cache alone still takes a minute per image here).
inputs_digest() {
  { echo "$base $1"; find "$1" package.json package-lock.json tsconfig.json tsconfig.build.json nest-cli.json \
      apps libs scripts -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16
}

build_image() {
  local dockerfile="$1" name="$2" start=$SECONDS digest
  digest="$(inputs_digest "$dockerfile")"
  if [[ "$(buildah inspect --type image --format '{{index .Docker.Config.Labels "proof.build-inputs"}}' "$name" 2>/dev/null)" == "$digest" ]]; then
    echo "kept $name (inputs unchanged), $(buildah images --format '{{.Size}}' "$name")"
    return
  fi
  local args=(--isolation "$BUILDAH_ISOLATION" --layers --pull=never --format docker --quiet
    --label "proof.build-inputs=$digest" -f "$dockerfile" -t "$name")
  if [[ -n "${NODE_EXTRA_CA_CERTS:-}" ]]; then
    # npm's global config of the stand-in (prefix /usr/local) names the bundle; both are
    # bind mounts of the RUN steps, so no layer holds them.
    args+=(--volume "$NODE_EXTRA_CA_CERTS:/run/build-ca/ca.crt:ro" --volume "$build_npmrc:/usr/local/etc/npmrc:ro")
  fi
  buildah bud "${args[@]}" . >/dev/null
  echo "built $name in $((SECONDS - start)) s, $(buildah images --format '{{.Size}}' "$name")"
}

# Jest runs the image suites in parallel: one build at a time, the others then find it cached.
exec 9>"${TMPDIR:-/tmp}/proof-images.lock"
flock 9

case "${1:-build}" in
  base) ensure_base ;;
  build)
    build_npmrc="$(mktemp)"
    trap 'rm -f "$build_npmrc"' EXIT
    echo "cafile=/run/build-ca/ca.crt" >"$build_npmrc"
    ensure_base
    build_image docker/broker.Dockerfile "localhost/proof-token-broker:$tag"
    build_image docker/emulator.Dockerfile "localhost/proof-emulator:$tag"
    ;;
  clean)
    for ctr in $(buildah containers --format '{{.ContainerName}}' | grep '^proof-ship-' || true); do
      root="$(buildah mount "$ctr")"
      for target in "$root/proc" "$root/dev"; do ! mountpoint -q "$target" || umount --lazy "$target"; done
      buildah umount "$ctr" >/dev/null && buildah rm "$ctr" >/dev/null && echo "removed $ctr"
    done
    ;;
  *) echo "usage: $0 [base|build|clean]" >&2; exit 2 ;;
esac
