"""File names and sizes of participants' documents.

One name rule for every way a file enters (the file API, renames, pushes, starter
files; the browser's dialogs check the same before asking): 1-100 characters that the
sandbox accepts as a file name (ASCII letters, digits, ``_ - + .``, not starting with
``.``, ``-`` or ``+``), and no "..". So every file a student has can be run; a name
refused here gets a sentence saying what to change.
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
    if " " in name:
        raise InvalidFileName("A file name cannot contain spaces: use _ or - instead (my_file.py).")
    if name[0] in ".-+":
        raise InvalidFileName("A file name must start with a letter, a digit or _.")
    odd = next((char for char in name if not (char.isascii() and (char.isalnum() or char in "_-+."))), None)
    if odd is not None:
        raise InvalidFileName(f"A file name can use only letters a-z and A-Z, digits, and _ - + . (not {odd!r}).")
    from coding.runner import valid_file_name

    if not valid_file_name(name):  # the sandbox's own rule, should it ever be narrower than the above
        raise InvalidFileName("This file name cannot be run: use letters, digits, and _ - + . only.")
    return name


def name_problem(name: str) -> str | None:
    """Why `name` is not an acceptable file name (a sentence), or None when it is."""
    try:
        validate_name(name)
    except InvalidFileName as error:
        return str(error)
    return None


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
