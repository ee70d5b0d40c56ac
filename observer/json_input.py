"""JSON from clients (request bodies and socket frames), parsed so that no shape of it
can fail later as a server error.

`json.loads` itself raises RecursionError (not ValueError) on input nested about a
thousand levels deep, and code that walks what it returned (serializers, renderers,
error details) can hit the same limit at a lower depth. It also returns lone
surrogates ("\\ud800") as str, which no database and no UTF-8 encoder accepts. So
input nested deeper than MAX_DEPTH, or holding a lone surrogate, is malformed here.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class MalformedJSON(ValueError):
    """Input that is not JSON this server takes; the message says why, for people."""


def loads(text: str | bytes) -> Any:
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedJSON(f"JSON nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedJSON(f"Not valid JSON: {error}") from None
    check(data)
    return data


def check(data: Any) -> None:
    """Raise MalformedJSON if `data` nests deeper than MAX_DEPTH or holds a string that is
    not text (a lone surrogate). Iterative: a deep value cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise MalformedJSON(f"JSON nested more than {MAX_DEPTH} levels deep.")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedJSON("JSON strings must be text: a lone surrogate (\\ud800-\\udfff) is not.") from None


def _refuse_constant(name: str) -> Any:
    raise MalformedJSON(f"{name} is not valid JSON.")
