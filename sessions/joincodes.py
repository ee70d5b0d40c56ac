"""Join codes: six characters a class can read off a projector without confusion.

The alphabet leaves out 0/O and 1/I/L. 31**6 is about 887 million codes; with join
attempts rate limited per IP, guessing a live session's code is impractical.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6
CODE_PATTERN = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
# What people type that is not part of the code: spaces, dashes ("ABC-DEF").
_SEPARATORS = re.compile(r"[\s\-_.]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str) -> str:
    """The canonical form of a typed code: upper case, separators dropped."""
    return _SEPARATORS.sub("", raw).upper()


def is_well_formed(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))
