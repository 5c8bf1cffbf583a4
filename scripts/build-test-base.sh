#!/usr/bin/env bash
# Builds the Debian base image that test and benchmark images start FROM, without a registry:
# debootstrap a minimal bookworm tree and `docker import` it. Does nothing when the image exists,
# so integration tests and CI can call it every time.
#
#   scripts/build-test-base.sh [TAG]      (default TAG: portolan-test/debian:bookworm)
#
# Prints one line saying what it did; on failure, the reason and the end of debootstrap's log.
set -euo pipefail

tag=${1:-portolan-test/debian:bookworm}
mirror=${PORTOLAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { echo "[build-test-base] $*"; }
fail() { echo "[build-test-base] $*" >&2; exit 1; }

if ! docker info >/dev/null 2>&1; then
  fail "no Docker engine answers; run scripts/ensure-docker.sh first."
fi
if docker image inspect "$tag" >/dev/null 2>&1; then
  say "$tag already exists; nothing to do."
  exit 0
fi

# Tests run in parallel (and other people's runs share the engine): serialize on this script's
# own file so two callers do not both spend a minute debootstrapping, and leave no lock file behind.
exec 9<"$0"
flock 9
if docker image inspect "$tag" >/dev/null 2>&1; then
  say "$tag already exists (built by a concurrent run); nothing to do."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  fail "building $tag needs root (debootstrap creates device nodes and chroots); rerun as root or build it once with sudo."
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || fail "debootstrap is missing and there is no apt-get to install it; install debootstrap."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
    || fail "could not install debootstrap with apt-get."
fi

# /var/tmp, not /tmp: /tmp may be a tmpfs (memory) or mounted nodev, and the tree is ~100 MB.
work=$(mktemp -d /var/tmp/portolan-debootstrap.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2 || true
  fail "debootstrap of bookworm from $mirror failed (log above)."
fi
# The import sees the tree as it will be in the image; apt caches left by debootstrap are not wanted.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* 2>/dev/null || true
id=$(tar --numeric-owner -C "$work/root" -c . | docker import - "$tag")
size=$(docker image inspect --format '{{.Size}}' "$tag")
say "built $tag (${id:0:19}, $((size / 1000000)) MB) with debootstrap from $mirror in $(( $(date +%s) - start )) s."
