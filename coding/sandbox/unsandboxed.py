"""DEVELOPMENT ONLY: runs programs as plain host processes with rlimits and nothing else.

Selected by ``SANDBOX_BACKEND = "unsandboxed"`` and refused unless
``SANDBOX_ALLOW_UNSANDBOXED_DEVELOPMENT_ONLY = True``. A student's program can read
and write everything the server can. Useful on a laptop without bubblewrap.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from coding.languages import RUNTIMES_MOUNT
from coding.sandbox import workdir
from coding.sandbox.base import Backend, StepProcess, StepSpec
from coding.sandbox.bubblewrap import base_env
from coding.sandbox.config import setting
from coding.sandbox.processes import ExitInfo
from coding.sandbox.spawn import SpawnedStep, SpawnPlan, rlimits_for

logger = logging.getLogger(__name__)


class UnsandboxedStep(SpawnedStep):
    def __init__(self, plan: SpawnPlan, work_dir: str) -> None:
        self.work_dir = work_dir
        super().__init__(plan)

    async def finish(self, info: ExitInfo) -> tuple[int | None, int | None, str]:
        return info.exit_code, info.signal, ""

    async def cleanup(self) -> None:
        await asyncio.to_thread(workdir.remove_tree, self.work_dir)


class UnsandboxedBackend(Backend):
    name = "unsandboxed"

    def check(self) -> tuple[bool, str]:
        return True, "UNSANDBOXED: student code runs with the server's rights (development only)"

    async def start(self, spec: StepSpec) -> StepProcess:
        logger.warning("running student code WITHOUT a sandbox (development setting)")
        work = workdir.make_private_dir("work-")
        workdir.write_files(work, spec.files)
        runtimes = str(Path(str(setting("SANDBOX_RUNTIMES_DIR"))))
        mapping = {"/work": work, "/build": spec.build_dir or work, RUNTIMES_MOUNT: runtimes}

        def host_path(arg: str) -> str:
            for inside, outside in mapping.items():
                if arg == inside or arg.startswith(inside + "/"):
                    return outside + arg[len(inside):]
            return arg

        env = {key: host_path(value) for key, value in base_env(spec).items()}
        env["HOME"] = env["TMPDIR"] = work
        plan = SpawnPlan(
            argv=[host_path(arg) for arg in spec.argv],
            limits=spec.limits,
            env=env,
            cwd=work,
            rlimits=rlimits_for(spec.limits, address_space=spec.use_address_space_limit, nproc=None),
            tty=spec.tty,
            rows=spec.rows,
            cols=spec.cols,
        )
        try:
            return await UnsandboxedStep(plan, work).launch()
        except BaseException:
            workdir.remove_tree(work)
            raise
