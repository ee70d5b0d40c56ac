"""``manage.py sandbox check`` and ``manage.py sandbox run``: the operator's view of
the sandbox, going through exactly the code path a student's run takes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coding import runner
from coding.languages import LANGUAGES
from coding.sandbox import check_backend, configured_backend_name
from coding.sandbox.base import InvalidRun, RunResult, SandboxError, Status
from coding.sandbox.policy import Protection


class Command(BaseCommand):
    help = "Check the sandbox (hello-world in every language) or run files in it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="run hello-world in every language")
        check.add_argument("--language", action="append", choices=sorted(LANGUAGES),
                           help="only these languages (repeatable)")
        run = sub.add_parser("run", help="run files exactly as a student's batch run")
        run.add_argument("--language", required=True, help=", ".join(sorted(LANGUAGES)))
        run.add_argument("--stdin", default="", help="text given to the program's stdin")
        run.add_argument("--root", default=None,
                         help="directory the files' names are relative to (default: the current "
                         "one, or the files' common directory when they are not all inside it)")
        run.add_argument("files", nargs="+",
                         help="source files; the first is the entry point. Each keeps its path "
                         "relative to the root (pkg/util.py), as a student's file would")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_languages(options["language"] or list(LANGUAGES))
        else:
            self.run_files(options["language"], options["files"], options["stdin"], options["root"])

    def check_languages(self, languages: list[str]) -> None:
        name = configured_backend_name()
        protections: list[Protection] = []
        try:
            backend, ok, message = check_backend(name, fresh=True)
            mode = backend.cgroup_mode()
            protections = backend.protections()
        except SandboxError as exc:
            ok, message, mode = False, str(exc), "none"
        self.stdout.write(f"backend: {name}  cgroups: {mode}\n{message}\n")
        self._print_protections(protections)
        if not ok:
            raise CommandError(f"the {name} backend is unavailable: {message}")
        rows = [("language", "status", "wall", "detail")]
        failed = 0
        for language in languages:
            result = asyncio.run(self._hello(language))
            good = result.status == Status.OK and result.stdout.strip() == b"Hello, world!"
            failed += not good
            detail = "" if good else (result.message or result.stderr.decode(errors="replace"))
            rows.append((language, str(result.status), f"{result.wall_ms} ms",
                         detail.strip().splitlines()[-1][:100] if detail.strip() else ""))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]).rstrip())
        degraded = [p.name for p in protections if p.state == "degraded"]
        if degraded:
            self.stderr.write(f"degraded on this host: {', '.join(degraded)} (see above)")
        if failed:
            raise CommandError(f"{failed} language(s) failed on the {name} backend")

    def _print_protections(self, protections: list[Protection]) -> None:
        """Which defences the backend applies here: active, degraded (with why), off."""
        if not protections:
            self.stdout.write("protections: none reported by this backend\n")
            return
        width = max(len(p.name) for p in protections)
        self.stdout.write("protection".ljust(width) + "  state     detail")
        for p in protections:
            self.stdout.write(f"{p.name.ljust(width)}  {p.state.ljust(8)}  {p.detail}".rstrip())
        self.stdout.write("")

    @staticmethod
    def _default_root(paths: list[str]) -> Path:
        cwd = os.getcwd()
        absolute = [os.path.abspath(path) for path in paths]
        if all(os.path.commonpath([cwd, path]) == cwd for path in absolute):
            return Path(cwd)
        return Path(os.path.commonpath([os.path.dirname(path) for path in absolute]))

    @staticmethod
    def _name_in_run(path: Path, base: Path) -> str:
        """The file's name in the run: its path relative to ``base`` (the runner then
        validates it like a student's file name). Lexical, like the shell's paths."""
        absolute = Path(os.path.abspath(path))
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            raise CommandError(f"{path} is not inside {base} (see --root)") from None

    async def _hello(self, language: str) -> RunResult:
        lang = LANGUAGES[language]
        return await runner.run_batch(language=language, files=[(lang.entry_name, lang.hello)])

    def run_files(self, language: str, paths: list[str], stdin: str, root: str | None = None) -> None:
        base = Path(os.path.abspath(root)) if root else self._default_root(paths)
        files: list[tuple[str, bytes]] = []
        for path in paths:
            name = self._name_in_run(Path(path), base)
            try:
                files.append((name, Path(path).read_bytes()))
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = asyncio.run(runner.run_batch(language=language, files=files,
                                                  stdin=stdin.encode()))
        except (InvalidRun, SandboxError) as exc:
            raise CommandError(str(exc)) from exc
        sys.stdout.flush()
        self.stdout.flush()
        sys.stdout.buffer.write(result.stdout)
        if result.stdout and not result.stdout.endswith(b"\n"):
            # The result is always a line of its own: a script reads the last line.
            sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        sys.stderr.buffer.write(result.stderr)
        sys.stderr.buffer.flush()
        self.stdout.write(json.dumps(result.summary()))
        if result.status != Status.OK:
            sys.exit(1)
