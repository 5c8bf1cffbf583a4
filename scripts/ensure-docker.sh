#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket, installing and
# starting one (Debian's docker.io) when we are root on an apt-based machine.
# The engine is never pulled from: the tests build every image locally.
set -euo pipefail
log() { echo "[ensure-docker] $*" >&2; }

if docker info >/dev/null 2>&1; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "No Docker engine is reachable and I cannot install one (need root and apt-get)."
    log "Install Docker, start it, and make /var/run/docker.sock readable to this user."
    exit 1
  fi
  log "installing docker.io from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

if [ "$(id -u)" -ne 0 ]; then
  log "dockerd is installed but not running; start it as root (e.g. 'sudo systemctl start docker')."
  exit 1
fi

state_dir=${PORTOLAN_DOCKERD_LOG_DIR:-/var/log}
log "starting dockerd (log: $state_dir/portolan-dockerd.log)"
nohup /usr/sbin/dockerd >"$state_dir/portolan-dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then log "dockerd is up"; exit 0; fi
  sleep 1
done
log "dockerd did not answer within 60 s; see $state_dir/portolan-dockerd.log"
tail -n 30 "$state_dir/portolan-dockerd.log" >&2 || true
exit 1
