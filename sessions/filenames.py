"""File names and sizes of participants' documents.

A name is 1-100 characters with no path separators, no "..", and no control or
invisible formatting characters (they hide what a name really is in a listing).
Content is capped at the sandbox's source limit for the session's language.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator

from django.conf import settings

MAX_NAME_LENGTH = 100
# Control, format (bidi overrides, zero-width), separators, surrogates, private use, unassigned.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
PUSH_COPY_LABEL = "from_teacher"


class InvalidFileName(ValueError):
    """The message is a sentence for the person who typed the name."""


def validate_name(name: str) -> str:
    """Return `name` if it is an acceptable file name, else raise InvalidFileName."""
    if not name or not name.strip():
        raise InvalidFileName("A file name cannot be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidFileName(f"A file name can be at most {MAX_NAME_LENGTH} characters.")
    if name != name.strip():
        raise InvalidFileName("A file name cannot start or end with spaces.")
    if "/" in name or "\\" in name:
        raise InvalidFileName("A file name cannot contain / or \\ (folders are not supported).")
    if ".." in name or name == ".":
        raise InvalidFileName('A file name cannot be "." or contain "..".')
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in name):
        raise InvalidFileName("A file name cannot contain control or invisible characters.")
    return name


def max_content_bytes(language: str) -> int:
    """The sandbox's source limit for `language` (what one run may submit)."""
    from coding.runner import InvalidRun, Limits, default_limits

    try:
        return default_limits(language).source_bytes
    except InvalidRun:
        return Limits().source_bytes


def content_size(content: str) -> int:
    return len(content.encode("utf-8"))


def max_files() -> int:
    return int(settings.CLASSROOM["MAX_FILES_PER_PARTICIPANT"])


def copy_names(name: str, *, compiled_suffixes: tuple[str, ...] = ()) -> Iterator[str]:
    """Names for a pushed file that must not replace `name`: main_from_teacher.py, then
    main_from_teacher_2.py, ... (no spaces: the sandbox refuses them in names). A source
    file of a compiled language gets ".txt" added so the copy is not built with the
    student's program (two Main classes or two main() would break every run)."""
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no extension, or a dot file like ".env"
        stem, dot, suffix = name, "", ""
    extension = f"{dot}{suffix}"
    if compiled_suffixes and name.endswith(compiled_suffixes):
        extension += ".txt"
    for number in itertools.count(1):
        label = PUSH_COPY_LABEL if number == 1 else f"{PUSH_COPY_LABEL}_{number}"
        tail = f"_{label}{extension}"
        if len(tail) >= MAX_NAME_LENGTH:  # an absurdly long extension: drop it
            tail = f"_{label}"
        yield stem[: MAX_NAME_LENGTH - len(tail)] + tail
