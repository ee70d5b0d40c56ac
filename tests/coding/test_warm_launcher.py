"""The warm sandboxes' launcher (coding/sandbox/launcher.c) refuses every malformed or
hostile request, inside the real sandbox: the run ends as a sandbox error that says
why, nothing is written outside /work, and nothing is left."""

from __future__ import annotations

import resource
import struct
from collections.abc import Callable

import pytest

from coding import runner
from coding.sandbox import warm
from coding.sandbox.base import SourceFile, Status
from coding.sandbox.warm_step import encode_request
from tests.coding.sandbox_support import RunTracker, quick_limits

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]
Encoder = Callable[..., bytes]


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def with_files(*names: str) -> Encoder:
    """The real request, with these (unvalidated) file names instead of the run's."""

    def encode(files: list[SourceFile], argv: list[str], env: dict[str, str], rlimits: list) -> bytes:
        return encode_request([SourceFile(name, b"x") for name in names], argv, env, rlimits)

    return encode


def raw(request: bytes) -> Encoder:
    return lambda *args: request


def no_limits(files: bytes) -> bytes:
    return b"OBL1" + u32(0) + files


def raised_cpu_limit(files: list[SourceFile], argv: list[str], env: dict[str, str], rlimits: list) -> bytes:
    limits = [(which, soft, 10_000 if which == resource.RLIMIT_CPU else hard) for which, soft, hard in rlimits]
    return encode_request(files, argv, env, limits)


def no_equals_sign(files: list[SourceFile], argv: list[str], env: dict[str, str], rlimits: list) -> bytes:
    request = encode_request(files, argv, {}, rlimits)
    return request[:-4] + u32(1) + u32(4) + b"NAME"


@pytest.mark.parametrize(
    ("encoder", "message"),
    [
        (with_files("../evil"), "invalid file name"),
        (with_files("pkg/../../evil"), "invalid file name"),
        (with_files("a//b"), "invalid file name"),
        (with_files("a/./b"), "invalid file name"),
        (with_files("pkg/"), "invalid file name"),
        (with_files("/etc/evil"), "absolute file name"),
        (with_files("main.py", "main.py"), "create main.py: File exists"),
        (with_files("main.py", "main.py/x"), "open directory main.py: Not a directory"),
        (with_files("/".join("d" * 18)), "invalid file name"),
        (raw(no_limits(u32(1) + u32(3) + b"a\0b" + u32(0))), "file name holds a NUL byte"),
        (raw(b"OBL2" + u32(0)), "bad request"),
        (raw(no_limits(u32(1) + u32(7) + b"main")), "truncated request"),
        (raw(no_limits(u32(1_000_000))), "file count too large (1000000 > 256)"),
        (raw(no_limits(u32(1) + u32(1 << 30))), "file name too large (1073741824 > 1024)"),
        (raw(no_limits(u32(0) + u32(0))), "no program"),
        (raw(b"OBL1" + u32(1) + struct.pack("<IQQ", 99, 1, 1)), "rlimit too large (99 > 15)"),
        (raised_cpu_limit, "rlimit 0: Operation not permitted"),
        (no_equals_sign, "invalid variable"),
    ],
)
async def test_it_refuses_a_bad_request_with_a_sandbox_error(
    bwrap: RunTracker, monkeypatch: pytest.MonkeyPatch, encoder: Encoder, message: str
) -> None:
    monkeypatch.setattr(warm, "encode_request", encoder)
    result = await runner.run_batch(language="python", files=[("main.py", "print('ran')\n")],
                                    limits=quick_limits())
    assert bwrap.pooled == [True]
    assert result.status == Status.SANDBOX_ERROR, result
    assert result.message == f"the warm sandbox could not start the program: {message}", result
    assert result.stdout == b""
    bwrap.assert_nothing_left()


async def test_it_writes_subdirectories_and_the_files_exact_bytes(bwrap: RunTracker) -> None:
    blob = bytes(range(256)) * 300  # binary, NUL bytes and more than one read chunk
    files = [("main.py", "import hashlib, os\nprint(oct(os.stat('pkg/deep/data.bin').st_mode),"
              " oct(os.stat('pkg/deep').st_mode), hashlib.sha256(open('pkg/deep/data.bin', 'rb')"
              ".read()).hexdigest())\n"), ("pkg/deep/data.bin", blob)]
    result = await runner.run_batch(language="python", files=files, limits=quick_limits())
    assert bwrap.pooled == [True]
    import hashlib

    assert result.stdout.decode().split() == ["0o100644", "0o40755", hashlib.sha256(blob).hexdigest()]
    bwrap.assert_nothing_left()
