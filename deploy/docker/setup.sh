#!/bin/sh
# Host setup for SANDBOX_BACKEND=docker. Run as root, with dockerd running:
#
#   sh deploy/docker/setup.sh [ROOTFS_DIR]
#
# The docker backend runs the podman backend's skeleton root filesystem (empty mount
# points and a minimal /etc; the host's /usr is bind-mounted read-only at each run), so
# this builds it with deploy/podman/setup.sh (idempotent; its podman-only steps are
# skipped without podman) and imports it into Docker as the image the backend runs
# (coding/sandbox/docker.py: SKELETON_IMAGE, unless SANDBOX_DOCKER_IMAGE names another).
# No registry is involved. Re-imported only when the skeleton changed. Idempotent.
set -eu

ROOTFS="${1:-/var/lib/observer/podman-rootfs}"
SKELETON_IMAGE=localhost/observer-skeleton:latest  # coding/sandbox/podman.py says the same
HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: run as root" >&2
    exit 1
fi
command -v docker >/dev/null 2>&1 || { echo "setup.sh: docker is not installed (apt-get install docker.io)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "setup.sh: dockerd is not running" >&2; exit 1; }

sh "$HERE/../podman/setup.sh" "$ROOTFS"

TARBALL="$(mktemp /tmp/observer-skeleton.XXXXXX)"
trap 'rm -f "$TARBALL"' EXIT
tar -C "$ROOTFS" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$TARBALL" .
DIGEST="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
OLD="$(docker image inspect --format '{{index .Config.Labels "observer.skeleton"}}' "$SKELETON_IMAGE" 2>/dev/null || true)"
if [ "$OLD" != "$DIGEST" ]; then
    docker import --change "LABEL observer.skeleton=$DIGEST" "$TARBALL" "$SKELETON_IMAGE" >/dev/null
    docker image prune --force --filter "label=observer.skeleton" >/dev/null 2>&1 || true
    echo "imported the skeleton into docker as $SKELETON_IMAGE"
fi
