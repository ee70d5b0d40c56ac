"""Placeholder until the real backend lands (issue 3)."""

from __future__ import annotations

from coding.sandbox.base import Backend, SandboxUnavailable, StepProcess, StepSpec


class UnsandboxedBackend(Backend):
    name = "unsandboxed"

    def check(self) -> tuple[bool, str]:
        return False, "the unsandboxed backend is not implemented yet"

    async def start(self, spec: StepSpec) -> StepProcess:
        raise SandboxUnavailable("the unsandboxed backend is not implemented yet")
