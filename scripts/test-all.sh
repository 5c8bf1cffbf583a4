#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests against a real dockerd, a
# real PostgreSQL and a real Chromium (the console's browser tests). Starts or installs
# what is missing first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  # The integration tests build FROM-scratch images around Debian's static busybox.
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
  # The console's browser tests drive Debian's Chromium through its chromedriver.
  dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s chromium-driver >/dev/null 2>&1 || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[test-all] installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
"$ROOT/scripts/ensure-docker.sh"
"$ROOT/scripts/ensure-postgres.sh"

exec ./mvnw -B verify "$@"
