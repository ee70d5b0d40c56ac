"""The browser's frame types and docs/API.md's frame tables, generated from observer.contract.

    python -m observer.contract_render          # rewrite both
    python -m observer.contract_render --check  # exit 1 when either differs (tests/test_contract.py)

The TypeScript file holds the frames' types and, for each socket, the shape of every
frame (field kinds), which the browser checks each frame against before trusting it.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, NewType, NotRequired, Union, get_args, get_origin

from observer import contract

ROOT = Path(__file__).resolve().parent.parent
TS_PATH = ROOT / "frontend" / "src" / "api" / "events.gen.ts"
DOCS_PATH = ROOT / "docs" / "API.md"

# REST objects: the browser's type (in ./types) and how the docs name them.
REST_OBJECTS = {
    "ClassSession": ("ClassSession", "session object"),
    "ParticipantStatus": ("ParticipantStatus", "participant status"),
    "HelpRequest": ("HelpRequest", "help request object"),
    "PushedFile": ("FileItem & { participant_id: string }", "file object + `participant_id`"),
}


def _is_typed_dict(hint: Any) -> bool:
    return isinstance(hint, type) and hasattr(hint, "__required_keys__")


def _strip(hint: Any) -> Any:
    while get_origin(hint) in (NotRequired, Annotated):
        hint = get_args(hint)[0] if get_origin(hint) is NotRequired else hint.__origin__
    return hint


def _one_of(hint: Any) -> tuple[str, ...] | None:
    if get_origin(hint) is NotRequired:
        hint = get_args(hint)[0]
    if get_origin(hint) is Annotated:
        for item in hint.__metadata__:
            if isinstance(item, contract.OneOf):
                return item.values
    return None


def _arms(hint: Any) -> tuple[Any, ...]:
    return get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)


def _doc(definition: type) -> str:
    """The definition's own docstring on one line (not one inherited from dict)."""
    doc = definition.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split()) if doc else ""


def _fields(definition: type) -> list[tuple[str, Any, bool]]:
    """(name, type, required) of a TypedDict, `type` first."""
    required = definition.__required_keys__  # type: ignore[attr-defined]
    return [(name, hint, name in required) for name, hint in contract.hints(definition).items()]


# --- TypeScript -----------------------------------------------------------------------------


def ts_type(hint: Any) -> str:
    values = _one_of(hint)
    if values is not None:
        return " | ".join(json.dumps(v) for v in values)
    hint = _strip(hint)
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return " | ".join(json.dumps(v) for v in args)
    if origin in (Union, types.UnionType):
        return " | ".join(ts_type(arm) for arm in args)
    if origin is list:
        inner = ts_type(args[0])
        return f"({inner})[]" if "|" in inner or "&" in inner else f"{inner}[]"
    if origin is dict:
        return f"Record<string, {ts_type(args[1])}>"
    if isinstance(hint, NewType):
        return REST_OBJECTS[hint.__name__][0]
    if _is_typed_dict(hint):
        return hint.__name__
    return {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}[hint]


def _interface(definition: type) -> str:
    doc = _doc(definition)
    lines = [f"/** {doc} */"] if doc else []
    lines.append(f"export interface {definition.__name__} {{")
    for name, hint, required in _fields(definition):
        lines.append(f"  {name}{'' if required else '?'}: {ts_type(hint)};")
    lines.append("}")
    return "\n".join(lines)


def _held(hint: Any) -> Iterator[Any]:
    """The types a field holds: its union's arms, and a list's items or a dict's values."""
    for arm in _arms(_strip(hint)):
        if get_origin(arm) in (list, dict):
            yield from _held(get_args(arm)[-1])
        else:
            yield arm


def _nested(definition: type, seen: list[type]) -> None:
    for _name, hint, _required in _fields(definition):
        for arm in _held(hint):
            if _is_typed_dict(arm) and arm not in seen:
                _nested(arm, seen)
                seen.append(arm)


def _shape(hint: Any, required: bool) -> str:
    values = _one_of(hint)
    hint = _strip(hint)
    arms = [arm for arm in _arms(hint) if arm is not type(None)]
    nullable = len(arms) < len(_arms(hint))
    (arm,) = arms
    if get_origin(arm) is Literal:
        values = tuple(get_args(arm))
    if get_origin(arm) is list:
        kind = "array"
    elif get_origin(arm) is dict or isinstance(arm, NewType) or _is_typed_dict(arm):
        kind = "object"
    elif arm is bool:
        kind = "boolean"
    elif arm in (int, float):
        kind = "number"
    else:
        kind = "string"
    parts = [f'kind: "{kind}"']
    if nullable:
        parts.append("nullable: true")
    if not required:
        parts.append("optional: true")
    if values is not None:
        parts.append(f"values: [{', '.join(json.dumps(v) for v in values)}]")
    return "{ " + ", ".join(parts) + " }"


def _shapes(socket: contract.Socket) -> str:
    lines = [f"export const {_shapes_name(socket)}: FrameShapes<{socket.union}> = {{"]
    for frame in socket.frames:
        fields = [(n, h, r) for n, h, r in _fields(frame.definition) if n != "type"]
        body = ", ".join(f"{name}: {_shape(hint, required)}" for name, hint, required in fields)
        for type_name in contract.type_names(frame.definition):
            lines.append(f"  {json.dumps(type_name)}: {{ {body} }},".replace("{  }", "{}"))
    lines.append("};")
    return "\n".join(lines)


def _shapes_name(socket: contract.Socket) -> str:
    return f"{socket.kind.upper()}_FRAME_SHAPES"


def typescript() -> str:
    out = [
        "// Generated by `python -m observer.contract_render` from observer/contract.py: do not edit.",
        "// Every JSON frame the server's sockets send; tests/test_contract.py fails when this file is stale.",
        'import type { ClassSession, FileItem, HelpRequest, ParticipantStatus } from "./types";',
        "",
        "/** What a frame's field holds, checked at run time before a frame is trusted. */",
        "export interface FieldShape {",
        '  kind: "string" | "number" | "boolean" | "object" | "array";',
        "  nullable?: true;",
        "  optional?: true;",
        "  values?: readonly string[];",
        "}",
        "export type FrameShapes<F extends { type: string }> = {",
        '  readonly [T in F["type"]]: Readonly<Record<string, FieldShape>>;',
        "};",
    ]
    written: list[type] = []
    for socket in contract.SOCKETS:
        out += ["", f"// --- {socket.path}"]
        for frame in socket.frames:
            nested: list[type] = []
            _nested(frame.definition, nested)
            for definition in [*nested, frame.definition]:
                if definition not in written:
                    written.append(definition)
                    out += ["", _interface(definition)]
        members = " | ".join(frame.definition.__name__ for frame in socket.frames)
        out += ["", f"export type {socket.union} = {members};", "", _shapes(socket)]
    return "\n".join(out) + "\n"


# --- docs/API.md --------------------------------------------------------------------------------


def docs_type(hint: Any) -> str:
    values = _one_of(hint)
    if values is not None:
        return " \\| ".join(f"`{v}`" for v in values)
    hint = _strip(hint)
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in args)
    if origin in (Union, types.UnionType):
        return " \\| ".join(docs_type(arm) for arm in args)
    if origin is list:
        return f"[{docs_type(args[0])}]"
    if origin is dict:
        return f"{{name: {docs_type(args[1])}}}"
    if isinstance(hint, NewType):
        return REST_OBJECTS[hint.__name__][1]
    if _is_typed_dict(hint):
        return "{" + ", ".join(f"{name}: {docs_type(h)}" for name, h, _required in _fields(hint)) + "}"
    return {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}[hint]


def docs_table(socket: contract.Socket) -> str:
    rows = ["| `type` | fields | to | sent when |", "|---|---|---|---|"]
    for frame in socket.frames:
        type_names = " / ".join(f"`{name}`" for name in contract.type_names(frame.definition))
        fields = ", ".join(
            f"`{name}{'' if required else '?'}`: {docs_type(hint)}"
            for name, hint, required in _fields(frame.definition) if name != "type"
        ) or "—"
        when = _doc(frame.definition)
        rows.append(f"| {type_names} | {fields} | {frame.to} | {when} |")
    return "\n".join(rows)


def _marker(kind: str, end: bool = False) -> str:
    if end:
        return f"<!-- contract:{kind} end -->"
    return f"<!-- contract:{kind} begin: generated from observer/contract.py (python -m observer.contract_render) -->"


def docs(text: str) -> str:
    """docs/API.md with each socket's generated table between its markers."""
    for socket in contract.SOCKETS:
        begin, end = _marker(socket.kind), _marker(socket.kind, end=True)
        found = re.search(re.escape(begin) + r".*?" + re.escape(end), text, re.DOTALL)
        if found is None:
            raise SystemExit(f"docs/API.md has no {begin} ... {end}")
        text = f"{text[:found.start()]}{begin}\n{docs_table(socket)}\n{end}{text[found.end():]}"
    return text


def main(argv: list[str]) -> int:
    wanted = {TS_PATH: typescript(), DOCS_PATH: docs(DOCS_PATH.read_text())}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{os.path.relpath(path, ROOT)} differs from observer/contract.py: "
                  "run python -m observer.contract_render")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path])
        print(f"wrote {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
