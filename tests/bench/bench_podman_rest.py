"""Podman's CLI against its REST API, like for like (used by bench_sandbox.py --podman-rest).

One Python hello-world container with exactly the argv ``coding.sandbox.podman``
builds for a run (outside the runner: no run cgroup, no per-run source directory),
started three ways:

- ``cli``: ``podman run`` with that argv (what the backend does);
- ``cli --remote``: the same argv through ``podman --remote`` to ``podman system
  service`` (the same options, over the REST API);
- ``podman-py``: podman-py's API client posting a libpod spec translated option by
  option from that argv (create, start, wait, logs, delete); an option without a
  translation aborts the benchmark rather than being dropped. The one difference:
  the REST path needs a log file to read the output back (``k8s-file`` instead of
  ``--log-driver none``, where the CLI reads the container's stdout directly).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

Call = Callable[[], Awaitable[None]]
Interleave = Callable[[dict[str, Call], int], Awaitable[dict[str, list[float]]]]
HELLO = b"Hello, world!"


def backend_argv() -> tuple[list[str], str]:
    """The backend's ``podman run`` argv for Python hello world, and its source dir."""
    from coding.languages import LANGUAGES, expand_argv
    from coding.sandbox import backend_instance, workdir
    from coding.sandbox.base import SourceFile, StepSpec
    from coding.sandbox.podman import PodmanBackend
    from coding.sandbox.requests import default_limits

    backend = backend_instance("podman")
    assert isinstance(backend, PodmanBackend)
    lang = LANGUAGES["python"]
    limits = default_limits("python")
    spec = StepSpec(
        argv=expand_argv(lang.run, language=lang, file_names=[lang.entry_name], entry=lang.entry_name,
                         limits=limits),
        files=(SourceFile(lang.entry_name, lang.hello.encode()),), limits=limits, env=dict(lang.env),
    )
    src = workdir.make_private_dir("src-")
    os.chmod(src, 0o755)
    workdir.write_files(src, spec.files)
    return backend.build_argv(spec, name="NAME", src_dir=src, cgroup_parent=None), src


def renamed(argv: list[str]) -> list[str]:
    argv = list(argv)
    argv[argv.index("--name") + 1] = f"observer-bench-{secrets.token_hex(4)}"
    return argv


def spec_from_argv(argv: list[str]) -> dict[str, Any]:
    """The libpod create spec for a ``podman run`` argv, option by option."""
    assert argv[1] == "run", argv
    spec: dict[str, Any] = {"mounts": [], "r_limits": [], "env": {}, "cap_drop": [],
                            "resource_limits": {"memory": {}, "pids": {}, "cpu": {}},
                            "log_configuration": {"driver": "k8s-file"}}
    limits = spec["resource_limits"]
    args = iter(argv[2:])
    for token in args:
        if token == "--rootfs":
            spec["rootfs"], spec["command"] = next(args), list(args)
        elif not token.startswith("-"):  # the image, then the command
            spec["image"], spec["command"] = token, list(args)
        elif token in ("-i", "--rm", "--pull", "--log-driver"):
            # stdin: the CLI's is /dev/null, so not attaching it is the same; --rm: the
            # container is deleted explicitly after reading its log.
            if token in ("--pull", "--log-driver"):
                next(args)
        elif token == "-t":
            spec["terminal"] = True
        elif token in ("--name", "--user", "--hostname"):
            spec[token[2:]] = next(args)
        elif token == "--workdir":
            spec["work_dir"] = next(args)
        elif token == "--cgroup-parent":
            spec["cgroup_parent"] = next(args)
        elif token == "--network":
            spec["netns"] = {"nsmode": next(args)}
        elif token == "--read-only":
            spec["read_only_filesystem"] = True
        elif token == "--read-only-tmpfs=false":
            spec["read_write_tmpfs"] = False
        elif token == "--cap-drop":
            spec["cap_drop"].append(next(args))
        elif token == "--security-opt":
            option = next(args)
            if option == "no-new-privileges":
                spec["no_new_privileges"] = True
            elif option.startswith("seccomp="):
                spec["seccomp_profile_path"] = option.removeprefix("seccomp=")
            elif option.startswith("mask="):
                spec["mask"] = option.removeprefix("mask=").split(":")
            else:
                raise ValueError(f"no REST translation for --security-opt {option}")
        elif token == "--cgroupns":
            spec["cgroupns"] = {"nsmode": next(args)}
        elif token == "--userns":
            mode, _, value = next(args).partition(":")
            spec["userns"] = {"nsmode": mode, "value": value}
        elif token == "--init":
            spec["init"] = True
        elif token == "--no-hosts":
            spec["use_image_hosts"] = True
        elif token == "--unsetenv-all":
            spec["unsetenvall"] = True
        elif token == "--ulimit":
            kind, _, values = next(args).partition("=")
            soft, _, hard = values.partition(":")
            spec["r_limits"].append({"type": kind, "soft": int(soft), "hard": int(hard or soft)})
        elif token == "--memory":
            limits["memory"]["limit"] = int(next(args))
        elif token == "--memory-swap":
            limits["memory"]["swap"] = int(next(args))
        elif token == "--pids-limit":
            limits["pids"]["limit"] = int(next(args))
        elif token == "--cpus":
            limits["cpu"].update(quota=int(float(next(args)) * 100_000), period=100_000)
        elif token == "--shm-size":
            spec["shm_size"] = int(next(args))
        elif token == "--tmpfs":
            destination, _, options = next(args).partition(":")
            spec["mounts"].append({"destination": destination, "type": "tmpfs", "source": "tmpfs",
                                   "options": options.split(",")})
        elif token == "--volume":
            source, destination, options = next(args).split(":")
            spec["mounts"].append({"destination": destination, "type": "bind", "source": source,
                                   "options": ["rbind", *options.split(",")]})
        elif token == "--env":
            key, _, value = next(args).partition("=")
            spec["env"][key] = value
        else:
            raise ValueError(f"no REST translation for {token}")
    return spec


@contextlib.contextmanager
def podman_service() -> Iterator[str]:
    from coding.sandbox.podman import podman_env

    directory = tempfile.mkdtemp(prefix="bench-podman-")
    socket_path = Path(directory) / "podman.sock"
    service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
                               env=podman_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if socket_path.exists():
                break
            time.sleep(0.05)
        yield f"unix://{socket_path}"
    finally:
        service.terminate()
        service.wait()
        shutil.rmtree(directory, ignore_errors=True)


def run_cli(argv: list[str]) -> None:
    from coding.sandbox.podman import podman_env

    done = subprocess.run(renamed(argv), env=podman_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, check=False)
    if done.returncode != 0 or HELLO not in done.stdout:
        raise RuntimeError(f"podman CLI: {done.returncode} {(done.stdout + done.stderr)[-300:]!r}")


def run_rest(client: Any, argv: list[str]) -> None:
    response = client.api.post("/containers/create", data=json.dumps(spec_from_argv(renamed(argv))),
                               headers={"content-type": "application/json"})
    if response.status_code >= 300:
        raise RuntimeError(f"podman-py create: {response.status_code} {response.text[-300:]}")
    container = response.json()["Id"]
    try:
        client.api.post(f"/containers/{container}/start").raise_for_status()
        client.api.post(f"/containers/{container}/wait", params={"condition": "exited"}).raise_for_status()
        logs = client.api.get(f"/containers/{container}/logs", params={"stdout": True, "stderr": True})
        if HELLO not in logs.content:
            raise RuntimeError(f"podman-py: unexpected output {logs.content[-300:]!r}")
    finally:
        client.api.delete(f"/containers/{container}", params={"force": True})


async def compare(runs: int, interleaved: Interleave) -> dict[str, list[float]]:
    from podman import PodmanClient

    from coding.sandbox import workdir

    argv, src = backend_argv()
    try:
        with podman_service() as url:
            client = PodmanClient(base_url=url)
            remote = [argv[0], "--remote", "--url", url, *argv[1:]]

            async def cli() -> None:
                run_cli(argv)

            async def cli_remote() -> None:
                run_cli(remote)

            async def podman_py() -> None:
                run_rest(client, argv)

            return await interleaved({"cli": cli, "cli --remote (REST)": cli_remote,
                                      "podman-py (REST)": podman_py}, runs)
    finally:
        workdir.remove_tree(src)
