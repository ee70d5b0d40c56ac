#!/bin/sh
# One-time (and once-per-boot) host setup for the Observer sandbox. Run as root:
#
#   sh deploy/podman/setup.sh [ROOTFS_DIR]
#
# 1. Builds the podman backend's skeleton root filesystem (default
#    /var/lib/observer/podman-rootfs, the SANDBOX_PODMAN_ROOTFS default): empty
#    mount points plus a minimal /etc. Each run bind-mounts the host's /usr (and the
#    few /etc paths a runtime needs) read-only on top, so the container runs the same
#    toolchains as the host without ever seeing the host's root. Podman cannot use
#    "/" itself as --rootfs (pivot_root fails).
# 2. On hybrid cgroup v1 hosts, mounts the hugetlb v1 hierarchy, without which crun
#    refuses the layout (needed once per boot; the systemd unit can run this script
#    as ExecStartPre).
# 3. Mounts cgroup2 with "favordynmods" when available: moving a process into a new
#    cgroup otherwise waits for an RCU grace period (~7 ms per run here).
# 4. Imports the skeleton as the image the backend runs (SKELETON_IMAGE, unless
#    SANDBOX_PODMAN_IMAGE names another): `--userns=auto` needs an image, podman
#    cannot remap a `--rootfs` directory. Re-imported only when the skeleton changed.
# 5. Gives rootful podman's `--userns=auto` its pool of host ids: a `containers` entry
#    in /etc/subuid and /etc/subgid. Each run then gets a range of its own, so no two
#    runs share a host uid (keyrings, RLIMIT_NPROC accounting, per-user kernel counters).
#    The pool is the upper half of the 32-bit id space, far from any real account and
#    from the bubblewrap backend's SANDBOX_UID_BASE slots.
# Idempotent.
set -eu

ROOTFS="${1:-/var/lib/observer/podman-rootfs}"
SKELETON_IMAGE=localhost/observer-skeleton:latest  # coding/sandbox/podman.py says the same
HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: run as root" >&2
    exit 1
fi

# --- 1. skeleton root --------------------------------------------------------------
install -d -m 0755 "$ROOTFS"
for dir in usr etc etc/alternatives etc/java-17-openjdk work tmp src build proc dev sys run \
    opt/observer-runtimes/node_modules; do
    install -d -m 0755 "$ROOTFS/$dir"
done
chmod 1777 "$ROOTFS/tmp" "$ROOTFS/work"
# Mirror the host's /bin, /lib... (symlinks into /usr on merged-/usr systems).
for name in bin sbin lib lib64 lib32 libx32; do
    if [ -L "/$name" ]; then
        ln -sfn "$(readlink "/$name")" "$ROOTFS/$name"
    elif [ -d "/$name" ]; then
        install -d -m 0755 "$ROOTFS/$name"
    fi
done
# Podman bind-mounts these itself; the mount points must exist.
for file in etc/hosts etc/hostname etc/resolv.conf etc/ld.so.cache etc/localtime; do
    [ -e "$ROOTFS/$file" ] || : > "$ROOTFS/$file"
done
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:65534:65534:sandbox:/work:/usr/sbin/nologin\n' \
    > "$ROOTFS/etc/passwd"
printf 'root:x:0:\nsandbox:x:65534:\n' > "$ROOTFS/etc/group"
chmod 0644 "$ROOTFS/etc/passwd" "$ROOTFS/etc/group"
echo "skeleton rootfs ready in $ROOTFS"

# --- 2. hugetlb v1 hierarchy on hybrid hosts -------------------------------------------
if [ -d /sys/fs/cgroup/memory ] && ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/mounts; then
    mkdir -p /sys/fs/cgroup/hugetlb 2>/dev/null || true
    if mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null; then
        echo "mounted the hugetlb cgroup v1 hierarchy"
    else
        echo "could not mount the hugetlb hierarchy (podman may refuse to start)" >&2
    fi
fi

# --- 3. favordynmods -------------------------------------------------------------------
CG2="$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
if [ -n "$CG2" ] && ! grep " $CG2 cgroup2 " /proc/mounts | grep -q favordynmods; then
    if mount -o remount,favordynmods "$CG2" 2>/dev/null; then
        echo "cgroup2 at $CG2 remounted with favordynmods"
    else
        echo "kernel without favordynmods: each run pays ~7 ms to join its cgroups" >&2
    fi
fi

# --- 4. the skeleton as an image ------------------------------------------------------
if command -v podman >/dev/null 2>&1; then
    export CONTAINERS_CONF="$HERE/containers.conf"
    TARBALL="$(mktemp /tmp/observer-skeleton.XXXXXX)"
    trap 'rm -f "$TARBALL"' EXIT
    tar -C "$ROOTFS" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$TARBALL" .
    DIGEST="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
    OLD="$(podman image inspect --format '{{.Id}} {{index .Labels "observer.skeleton"}}' \
        "$SKELETON_IMAGE" 2>/dev/null || true)"
    if [ "${OLD#* }" != "$DIGEST" ]; then
        podman import --quiet --change "LABEL=observer.skeleton=$DIGEST" "$TARBALL" "$SKELETON_IMAGE" >/dev/null
        # the previous import, untagged now (kept if a container still uses it)
        [ -z "$OLD" ] || podman rmi "${OLD%% *}" >/dev/null 2>&1 || true
        echo "imported the skeleton as $SKELETON_IMAGE"
    fi
    rm -f "$TARBALL"
fi

# --- 5. id pool of --userns=auto ---------------------------------------------------------
SUBID_START=2147483647
SUBID_COUNT=2147483648
for file in /etc/subuid /etc/subgid; do
    [ -e "$file" ] || install -m 0644 /dev/null "$file"
    if ! grep -q '^containers:' "$file"; then
        echo "containers:$SUBID_START:$SUBID_COUNT" >> "$file"
        echo "added the containers id range to $file"
    fi
done
