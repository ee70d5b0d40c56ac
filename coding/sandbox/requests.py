"""What a run request becomes before it reaches a backend: validated source files and
the limits of each step, layered from defaults, settings and the language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from coding.languages import COMPILE_LIMITS, Language, get_language
from coding.sandbox.base import InvalidRun, Limits, SourceFile
from coding.sandbox.config import setting

FileInput = Sequence[tuple[str, str | bytes]]

_NAME_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+\-]{0,99}$")
MAX_FILES = 64
MAX_DEPTH = 4
# A program's command-line arguments: well inside what exec and the warm launcher take
# (256 arguments with the language's own, 64 KiB each), and no NUL (exec cannot pass it).
MAX_ARGS = 64
MAX_ARG_CHARS = 4096
MAX_ARGS_CHARS = 16 * 1024


def valid_file_name(part: str) -> bool:
    """Whether one part of a file's path (a file or folder name) may enter a sandbox."""
    return _NAME_PART.fullmatch(part) is not None and part not in (".", "..")


def _limit_fields() -> set[str]:
    return {f.name for f in dataclasses.fields(Limits)}


def _apply(limits: Limits, overrides: object, where: str) -> Limits:
    if not overrides:
        return limits
    if not isinstance(overrides, dict):
        raise InvalidRun(f"{where} must be a dict of Limits fields")
    unknown = set(overrides) - _limit_fields()
    if unknown:
        raise InvalidRun(f"{where} has unknown limit names: {', '.join(sorted(unknown))}")
    return dataclasses.replace(limits, **overrides)


def default_limits(language: str, *, interactive: bool = False) -> Limits:
    """Run-step limits: defaults < SANDBOX_LIMITS < the language's overrides <
    SANDBOX_LANGUAGE_LIMITS[language] (< SANDBOX_INTERACTIVE_LIMITS if interactive)."""
    lang = get_language(language)
    limits = _apply(Limits(), setting("SANDBOX_LIMITS"), "SANDBOX_LIMITS")
    limits = _apply(limits, dict(lang.limits), f"{lang.name} limits")
    per_language = setting("SANDBOX_LANGUAGE_LIMITS") or {}
    limits = _apply(limits, per_language.get(lang.name), f"SANDBOX_LANGUAGE_LIMITS[{lang.name}]")
    if interactive:
        limits = _apply(
            limits, setting("SANDBOX_INTERACTIVE_LIMITS"), "SANDBOX_INTERACTIVE_LIMITS"
        )
    return limits


def compile_limits(language: str) -> Limits:
    """Compile-step limits: the run limits, the compile defaults, the language's
    compile overrides, then SANDBOX_COMPILE_LIMITS."""
    lang = get_language(language)
    limits = _apply(default_limits(lang.name), dict(COMPILE_LIMITS), "compile limits")
    limits = _apply(limits, dict(lang.compile_limits), f"{lang.name} compile limits")
    return _apply(limits, setting("SANDBOX_COMPILE_LIMITS"), "SANDBOX_COMPILE_LIMITS")


def check_args(args: Sequence[str]) -> tuple[str, ...]:
    """The program's arguments as given (each one argv entry, never a shell's words), or
    InvalidRun past the bounds."""
    if isinstance(args, str) or not all(isinstance(arg, str) for arg in args):
        raise InvalidRun("arguments must be a list of strings")
    if len(args) > MAX_ARGS:
        raise InvalidRun(f"too many arguments ({len(args)} > {MAX_ARGS})")
    if any(len(arg) > MAX_ARG_CHARS for arg in args):
        raise InvalidRun(f"an argument is longer than {MAX_ARG_CHARS} characters")
    if sum(len(arg) for arg in args) > MAX_ARGS_CHARS:
        raise InvalidRun(f"the arguments are longer than {MAX_ARGS_CHARS} characters together")
    if any("\0" in arg for arg in args):
        raise InvalidRun("an argument contains a NUL character")
    return tuple(args)


def prepare_sources(
    files: FileInput, entry: str | None, language: Language, limits: Limits
) -> tuple[SourceFile, ...]:
    """Validate names and sizes; the entry file comes first."""
    if not files:
        raise InvalidRun("no files to run")
    if len(files) > MAX_FILES:
        raise InvalidRun(f"too many files ({len(files)} > {MAX_FILES})")
    sources: list[SourceFile] = []
    seen: set[str] = set()
    total = 0
    for name, content in files:
        parts = PurePosixPath(name).parts if name else ()
        if (
            not parts
            or len(parts) > MAX_DEPTH
            or name != "/".join(parts)
            or not all(valid_file_name(p) for p in parts)
        ):
            raise InvalidRun(f"invalid file name {name!r}")
        if name in seen:
            raise InvalidRun(f"duplicate file name {name!r}")
        seen.add(name)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        total += len(data)
        sources.append(SourceFile(name=name, content=data))
    if total > limits.source_bytes:
        raise InvalidRun(f"source too large ({total} bytes > {limits.source_bytes})")
    entry = entry or sources[0].name
    if entry not in seen:
        raise InvalidRun(f"entry file {entry!r} is not among the files")
    if language.compile is not None and not entry.endswith(language.source_suffixes):
        raise InvalidRun(
            f"{language.label} entry file must end with {' or '.join(language.source_suffixes)}"
        )
    sources.sort(key=lambda f: f.name != entry)
    return tuple(sources)
