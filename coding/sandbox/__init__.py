"""Sandbox backends. Only :mod:`coding.runner` should import from here."""

from __future__ import annotations

import asyncio
import threading
import time

from coding.sandbox.base import Backend, SandboxUnavailable
from coding.sandbox.config import setting

_lock = threading.Lock()
_backends: dict[str, Backend] = {}
_checked: dict[str, tuple[float, bool, str]] = {}
_RECHECK_FAILED_AFTER = 30.0

BACKEND_NAMES = ("bubblewrap", "podman", "docker", "fake", "unsandboxed")


def make_backend(name: str) -> Backend:
    """A new backend instance by name (no availability check)."""
    if name == "bubblewrap":
        from coding.sandbox.bubblewrap import BubblewrapBackend

        return BubblewrapBackend()
    if name == "podman":
        from coding.sandbox.podman import PodmanBackend

        return PodmanBackend()
    if name == "docker":
        from coding.sandbox.docker import DockerBackend

        return DockerBackend()
    if name == "fake":
        from coding.sandbox.fake import FakeBackend

        return FakeBackend()
    if name == "unsandboxed":
        if not setting("SANDBOX_ALLOW_UNSANDBOXED_DEVELOPMENT_ONLY"):
            raise SandboxUnavailable(
                "SANDBOX_BACKEND='unsandboxed' runs student code with the server's "
                "rights; it needs SANDBOX_ALLOW_UNSANDBOXED_DEVELOPMENT_ONLY=True and "
                "must never be used in production"
            )
        from coding.sandbox.unsandboxed import UnsandboxedBackend

        return UnsandboxedBackend()
    raise SandboxUnavailable(
        f"unknown SANDBOX_BACKEND {name!r}; choose one of {', '.join(BACKEND_NAMES)}"
    )


def configured_backend_name() -> str:
    return str(setting("SANDBOX_BACKEND"))


def backend_instance(name: str | None = None) -> Backend:
    """The shared instance of a backend, without checking that it works."""
    name = name or configured_backend_name()
    with _lock:
        backend = _backends.get(name)
        if backend is None:
            backend = _backends[name] = make_backend(name)
        return backend


def check_backend(name: str | None = None, *, fresh: bool = False) -> tuple[Backend, bool, str]:
    """``(backend, available, message)``; a failed check is retried after 30 s."""
    backend = backend_instance(name)
    now = time.monotonic()
    cached = _checked.get(backend.name)
    if cached and not fresh and (cached[1] or now - cached[0] < _RECHECK_FAILED_AFTER):
        return backend, cached[1], cached[2]
    ok, message = backend.check()
    _checked[backend.name] = (now, ok, message)
    return backend, ok, message


def get_backend(name: str | None = None) -> Backend:
    """The configured backend, ready to run; raises :class:`SandboxUnavailable`."""
    backend, ok, message = check_backend(name)
    if not ok:
        raise SandboxUnavailable(message)
    return backend


async def get_backend_async(name: str | None = None) -> Backend:
    """:func:`get_backend` for async code: the first check (which starts a probe
    sandbox, for podman a container) runs in a worker thread, not on the event loop."""
    name = name or configured_backend_name()
    cached = _checked.get(name)
    if cached is not None and cached[1] and name in _backends:
        return _backends[name]
    return await asyncio.to_thread(get_backend, name)


def reset_backends() -> None:
    """Close and forget instances and checks (tests that switch settings call this)."""
    with _lock:
        backends = list(_backends.values())
        _backends.clear()
        _checked.clear()
    for backend in backends:
        backend.close()
