"""Finding a writable cgroup layout: v1 (these machines), a delegated v2 subtree
(current VPS distributions, systemd ``Delegate=yes``), or neither (rlimits only, said
so in the health report). :func:`detect` returns the :class:`~coding.sandbox.cgroups.
CgroupManager` that creates run cgroups there."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from coding.sandbox import cgroups
from coding.sandbox.cgroups import V1_CONTROLLERS, V1_REQUIRED, V2_REQUIRED, CgroupManager


def parse_mountinfo(text: str) -> tuple[dict[str, Path], Path | None]:
    """``({v1 controller: mount point}, cgroup2 mount point)`` from mountinfo."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 3:
            continue
        mount_point = Path(fields[4].replace("\\040", " "))
        fstype, super_options = rfields[0], rfields[2].split(",")
        if fstype == "cgroup2" and v2 is None:
            v2 = mount_point
        elif fstype == "cgroup":
            for option in super_options:
                if option in V1_CONTROLLERS and option not in v1:
                    v1[option] = mount_point
    return v1, v2


def own_v2_path(proc_self_cgroup: str) -> str:
    for line in proc_self_cgroup.splitlines():
        if line.startswith("0::"):
            return line[3:].strip() or "/"
    return "/"


def _setup_v1(v1: dict[str, Path], name: str, cpu_quota: float) -> CgroupManager:
    missing = [c for c in V1_REQUIRED if c not in v1]
    if missing:
        raise OSError(f"cgroup v1 controllers not mounted: {', '.join(missing)}")
    parents: dict[str, Path] = {}
    for controller, mount in v1.items():
        parent = mount / name
        try:
            parent.mkdir(exist_ok=True)
            if not os.access(parent, os.W_OK):
                raise PermissionError(f"{parent} is not writable")
        except OSError:
            if controller in V1_REQUIRED:
                raise
            continue
        parents[controller] = parent
    mounts = ", ".join(sorted(parents))
    return CgroupManager("v1", f"cgroup v1 ({mounts})", parents, cpu_quota, dict(v1))


def setup_v2(mount: Path, own_path: str, name: str, configured_parent: str,
             cpu_quota: float) -> CgroupManager:
    """Prepare ``<delegated cgroup>/<name>`` with memory, pids (and cpu) enabled.

    Without SANDBOX_CGROUP_V2_PARENT the server's own cgroup is used; because of the
    "no internal processes" rule the server first moves itself into a ``server``
    leaf so the controllers can be enabled below its cgroup.
    """
    if configured_parent:
        base = Path(configured_parent)
    else:
        base = mount / own_path.lstrip("/")
    available = cgroups._read(base / "cgroup.controllers").split()
    missing = [c for c in V2_REQUIRED if c not in available]
    if missing:
        raise OSError(
            f"cgroup v2 controllers {', '.join(missing)} are not delegated to {base} "
            "(systemd: Delegate=yes in the service unit)"
        )
    wanted = [c for c in ("memory", "pids", "cpu") if c in available]
    enabled = cgroups._read(base / "cgroup.subtree_control").split()
    if any(c not in enabled for c in wanted):
        try:
            cgroups.enable_controllers(base, wanted)
        except OSError:
            if configured_parent:
                raise
            leaf = base / "server"
            leaf.mkdir(exist_ok=True)
            for pid in cgroups._read(base / "cgroup.procs").split():
                with contextlib.suppress(OSError):
                    cgroups._write(leaf / "cgroup.procs", pid)
            cgroups.enable_controllers(base, wanted)
    parent = base / name
    parent.mkdir(exist_ok=True)
    cgroups.enable_controllers(parent, wanted)
    return CgroupManager("v2", f"cgroup v2 ({parent})", {"unified": parent}, cpu_quota,
                         {"unified": mount}, tuple(wanted))


def detect(*, preference: str, name: str, v2_parent: str, cpu_quota: float,
           mountinfo: str | None = None, proc_self_cgroup: str | None = None) -> CgroupManager:
    """The best writable cgroup layout, or mode ``none`` with the reason."""
    if preference == "none":
        return CgroupManager("none", "cgroups disabled by SANDBOX_CGROUP='none'; rlimits only")
    if mountinfo is None:
        mountinfo = cgroups._read(Path("/proc/self/mountinfo"))
    if proc_self_cgroup is None:
        proc_self_cgroup = cgroups._read(Path("/proc/self/cgroup"))
    v1, v2 = parse_mountinfo(mountinfo)
    errors: list[str] = []
    if preference in ("auto", "v1") and v1:
        try:
            return _setup_v1(v1, name, cpu_quota)
        except OSError as exc:
            errors.append(f"v1: {exc}")
    if preference in ("auto", "v2") and v2 is not None:
        try:
            return setup_v2(v2, own_v2_path(proc_self_cgroup), name, v2_parent, cpu_quota)
        except OSError as exc:
            errors.append(f"v2: {exc}")
    reason = "; ".join(errors) or "no cgroup filesystem found"
    return CgroupManager(
        "none",
        f"cgroups unavailable ({reason}): memory and process limits fall back to "
        "rlimits, which are weaker; run the server as root or give it a delegated "
        "cgroup v2 subtree",
    )
