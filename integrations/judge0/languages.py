"""Judge0 CE's language ids for the six languages Observer runs, named with the versions
actually installed (asked of the tools once per process)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from coding.languages import LANGUAGES, Language

# Judge0 CE 1.13's ids for these languages (its own names, versions aside).
JUDGE0_IDS: dict[int, str] = {71: "python", 63: "javascript", 74: "typescript", 50: "c", 54: "cpp", 62: "java"}
_NAMES = {"python": "Python", "javascript": "JavaScript (Node.js", "typescript": "TypeScript",
          "c": "C (GCC", "cpp": "C++ (GCC", "java": "Java (OpenJDK"}
_VERSION_COMMANDS: dict[str, tuple[str, ...]] = {
    "python": ("/usr/bin/python3", "--version"),
    "javascript": ("/usr/bin/node", "--version"),
    "c": ("/usr/bin/gcc", "-dumpfullversion"),
    "cpp": ("/usr/bin/g++", "-dumpfullversion"),
    "java": ("/usr/bin/javac", "-version"),
}
_VERSION = re.compile(r"(\d+(?:\.\d+)+)")


@dataclass(frozen=True)
class Judge0Language:
    id: int
    language: Language
    name: str

    def as_dict(self, *, detail: bool = False) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "name": self.name}
        if detail:
            lang = self.language
            data.update({
                "is_archived": False,
                "source_file": lang.entry_name,
                "compile_cmd": " ".join(lang.compile) if lang.compile else None,
                "run_cmd": " ".join(lang.run),
            })
        return data


@functools.cache
def installed_version(name: str) -> str:
    """The tool's version ("3.11.2"), or "" if it cannot say."""
    if name == "typescript":
        try:
            package = Path(settings.BASE_DIR) / "runtimes" / "node_modules" / "typescript" / "package.json"
            return str(json.loads(package.read_text())["version"])
        except (OSError, ValueError, KeyError):
            return ""
    command = _VERSION_COMMANDS.get(name)
    if command is None:
        return ""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    found = _VERSION.search(done.stdout + done.stderr)
    return found.group(1) if found else ""


def _label(name: str) -> str:
    base, version = _NAMES[name], installed_version(name)
    if "(" in base:
        return f"{base} {version})" if version else f"{base})"
    return f"{base} ({version})" if version else base


def all_languages() -> list[Judge0Language]:
    return [Judge0Language(id=id_, language=LANGUAGES[name], name=_label(name))
            for id_, name in sorted(JUDGE0_IDS.items())]


def by_id(language_id: int) -> Judge0Language | None:
    name = JUDGE0_IDS.get(language_id)
    return None if name is None else Judge0Language(id=language_id, language=LANGUAGES[name], name=_label(name))
