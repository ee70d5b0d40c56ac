"""Observer's Python unit-test runner (no pytest download): runs one test file's
pytest-style tests, one test per process, started by observer_harness.py.

    python3 -u observer_pyunit.py list FILE      names of the file's test functions
    python3 -u observer_pyunit.py run FILE NAME  run one of them

The test file's source arrives on stdin; results go to fd 3 as JSON lines
({"name"} for list, {"name", "passed", "message"} for run), apart from whatever the
tested code prints. Tests are functions named test*, using plain `assert`; a small
`pytest` stand-in offers `pytest.raises` and `pytest.approx`. The tested code runs in
this process, so it could tamper with this runner: see docs/exercises.md.
"""

import json
import linecache
import math
import os
import sys
import traceback
import types


class _Raises:
    def __init__(self, expected, match=None):
        self.expected, self.match = expected, match

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError(f"DID NOT RAISE {getattr(self.expected, '__name__', self.expected)}")
        if not issubclass(kind, self.expected):
            return False
        if self.match is not None:
            import re

            if not re.search(self.match, str(value)):
                raise AssertionError(f"{kind.__name__}({str(value)!r}) does not match {self.match!r}")
        self.value = value
        return True


class _Approx:
    def __init__(self, expected, rel=1e-6, abs=1e-12):
        self.expected, self.rel, self.abs = expected, rel, abs

    def _close(self, a, b):
        return math.isclose(a, b, rel_tol=self.rel, abs_tol=self.abs)

    def __eq__(self, other):
        if isinstance(self.expected, list | tuple):
            return len(other) == len(self.expected) and all(
                self._close(a, b) for a, b in zip(other, self.expected, strict=True)
            )
        return self._close(other, self.expected)

    def __repr__(self):
        return f"approx({self.expected!r})"


def _pytest_stand_in():
    module = types.ModuleType("pytest")
    module.__dict__.update(raises=_Raises, approx=_Approx)
    return module


def _message(error, file_name):
    """The failing line of the test file, and the error's own text."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == file_name]
    where = f"{file_name}:{frames[-1].lineno}: {frames[-1].line}" if frames else ""
    if isinstance(error, AssertionError):
        text = str(error)
        return f"{where}\n{text}".strip() if text else (where or "assertion failed")
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    inner = traceback.extract_tb(error.__traceback__)[-1]
    origin = f" ({inner.filename.rsplit('/', 1)[-1]}:{inner.lineno})" if inner.filename != file_name else ""
    return f"{where}\n{last}{origin}".strip()


def main():
    mode, file_name = sys.argv[1], sys.argv[2]
    source = sys.stdin.buffer.read().decode("utf-8")
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    report = os.fdopen(os.dup(3), "w")
    os.close(3)
    sys.modules["pytest"] = _pytest_stand_in()
    module = types.ModuleType(file_name.rsplit(".", 1)[0])
    module.__file__ = file_name
    sys.modules[module.__name__] = module
    linecache.cache[file_name] = (len(source), None, source.splitlines(True), file_name)
    exec(compile(source, file_name, "exec"), module.__dict__)
    tests = [name for name, value in vars(module).items() if name.startswith("test") and callable(value)]
    if mode == "list":
        for name in tests:
            report.write(json.dumps({"name": name}) + "\n")
        report.flush()
        return
    name = sys.argv[3]
    try:
        getattr(module, name)()
    except Exception as error:  # noqa: BLE001 -- any error fails the test; the message says which
        outcome = {"name": name, "passed": False, "message": _message(error, file_name)}
    else:
        outcome = {"name": name, "passed": True, "message": ""}
    sys.stdout.flush()
    report.write(json.dumps(outcome) + "\n")
    report.flush()


if __name__ == "__main__":
    main()
