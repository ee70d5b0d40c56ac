"""Observer's grading harness: runs inside the sandbox, next to the student's files.

Protocol (docs/exercises.md): the server writes one JSON document to this process's
stdin and closes it; it holds a random nonce and the cases (argv, stdin, time limit,
output cap), never an expected output. For each case, in order, the harness starts the
student's program as a child with pipes of its own (stdin, stdout, stderr, and for unit
runners a result pipe as fd 3), waits for it or kills it at the time limit, then kills
every process the case left behind and removes the files it made, and writes one line
to its own stdout:  <nonce> <JSON>. The server keeps only lines carrying the nonce.

Why the student cannot forge or peek: all of stdin is read before the first child
starts (nothing is left in the pipe), this process makes itself non-dumpable (its
/proc files, memory and fds are closed to processes of the same uid), children get
no fd of it, and no secret is in its argv, environment or on disk.

Python 3 standard library only; it must also run as the harness of compiled languages,
which exec it from their binary.
"""

import base64
import ctypes
import json
import os
import selectors
import shutil
import signal
import sys
import time

PR_SET_DUMPABLE = 4
READ_CHUNK = 65536
STDERR_CAP = 8192
RESULT_CAP = 1024 * 1024


def protect_self():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def read_config():
    """All of stdin, to its end; then /dev/null in its place, and fd 3 held by /dev/null
    too, so that no pipe made later lands on 0 or 3."""
    data = bytearray()
    while True:
        chunk = os.read(0, READ_CHUNK)
        if not chunk:
            break
        data += chunk
    null = os.open("/dev/null", os.O_RDONLY)
    for fd in (0, 3):
        if fd != null:
            os.dup2(null, fd, inheritable=False)
    if null not in (0, 3):
        os.close(null)
    # Whatever the sandbox's start left open stays out of the children.
    for name in os.listdir("/proc/self/fd"):
        try:
            os.set_inheritable(int(name), False)
        except OSError:
            pass
    return json.loads(bytes(data).decode("utf-8"))


def ancestors():
    """This process and every process above it (bwrap's init, a language's launcher)."""
    keep = {os.getpid()}
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/status") as status:
                ppid = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
        except (OSError, StopIteration, ValueError):
            break
        keep.add(ppid)
        pid = ppid
    keep.add(1)
    return keep


def kill_leftovers(keep):
    """SIGKILL every other process of the sandbox until none is left (daemons, setsid
    children, forks racing the sweep). The pids cgroup bounds how many there can be."""
    for _ in range(200):
        found = False
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in keep:
                found = True
                try:
                    os.kill(int(name), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if not found:
            return
        time.sleep(0.002)
        reap()


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def clean_files(workdir_before):
    """What one case wrote must not reach the next: /tmp, /dev/shm and new files in the
    work directory go (files the student submitted may have been changed, and stay)."""
    for directory in ("/tmp", "/dev/shm"):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            remove(os.path.join(directory, name))
    for name in os.listdir("."):
        if name not in workdir_before:
            remove(name)


def remove(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def run_child(argv, stdin_bytes, time_limit, output_cap, want_results, env=None):
    """Start argv, feed it stdin_bytes, read stdout up to output_cap (stderr's tail, the
    result pipe), kill it at the time limit. Returns a dict of what happened."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
    result_r = result_w = None
    if want_results:
        # Unit runners report on their fd 3, apart from what the tested code prints.
        result_r, result_w = os.pipe()
        actions.append((os.POSIX_SPAWN_DUP2, result_w, 3))
    child_ends = [fd for fd in (in_r, out_w, err_w, result_w) if fd is not None]
    started = time.monotonic()
    try:
        # Every fd of this process is close-on-exec (see main): the child gets the
        # four above and nothing else.
        pid = os.posix_spawn(
            argv[0],
            argv,
            {**os.environ, **(env or {})},
            file_actions=actions,
            setsid=True,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
        )
    except OSError as error:
        for fd in (in_r, in_w, out_r, out_w, err_r, err_w, result_r, result_w):
            if fd is not None:
                os.close(fd)
        return {"status": "error", "message": f"could not start {argv[0]}: {error.strerror}"}
    for fd in child_ends:
        os.close(fd)
    stdout, stderr, results = bytearray(), bytearray(), bytearray()
    truncated = False
    pending = memoryview(stdin_bytes)
    sel = selectors.DefaultSelector()
    os.set_blocking(in_w, False)
    if pending:
        sel.register(in_w, selectors.EVENT_WRITE, "in")
    else:
        os.close(in_w)
    sel.register(out_r, selectors.EVENT_READ, "out")
    sel.register(err_r, selectors.EVENT_READ, "err")
    if result_r is not None:
        sel.register(result_r, selectors.EVENT_READ, "res")
    # The case ends when the program exits, even if something it started still holds
    # its pipes open (a daemon): a pidfd says when, else a short poll does.
    try:
        exit_fd = os.pidfd_open(pid)
        sel.register(exit_fd, selectors.EVENT_READ, "exit")
        poll = 0.5
    except (AttributeError, OSError):
        exit_fd, poll = None, 0.02
    deadline = started + time_limit
    timed_out = exited = False
    while sel.get_map() and not exited:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        events = sel.select(min(left, poll))
        if exit_fd is None and os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            exited = True
        for key, _ in events:
            if key.data == "exit":
                exited = True
                continue
            if key.data == "in":
                try:
                    pending = pending[os.write(in_w, pending[:READ_CHUNK]) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:  # the program stopped reading: its business
                    pending = pending[:0]
                if not pending:
                    sel.unregister(in_w)
                    os.close(in_w)
                continue
            chunk = os.read(key.fd, READ_CHUNK)
            if not chunk:
                sel.unregister(key.fd)
                os.close(key.fd)
                continue
            if key.data == "out":
                stdout += chunk
                if len(stdout) > output_cap:
                    truncated = True
            elif key.data == "err":
                stderr += chunk
                del stderr[:-STDERR_CAP]
            elif len(results) < RESULT_CAP:
                results += chunk
        if truncated:
            break
    if exited:
        # What it wrote before exiting is still in the pipes: take it, without waiting
        # for the ends a leftover process may hold.
        for key in list(sel.get_map().values()):
            if key.data in ("out", "err", "res"):
                os.set_blocking(key.fd, False)
                try:
                    while True:
                        chunk = os.read(key.fd, READ_CHUNK)
                        if not chunk:
                            break
                        if key.data == "out":
                            stdout += chunk
                            truncated = truncated or len(stdout) > output_cap
                            if truncated:
                                break
                        elif key.data == "err":
                            stderr += chunk
                            del stderr[:-STDERR_CAP]
                        elif len(results) < RESULT_CAP:
                            results += chunk
                except BlockingIOError:
                    pass
    for key in list(sel.get_map().values()):
        sel.unregister(key.fileobj)
        os.close(key.fd)
    sel.close()
    if timed_out or truncated:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    # The child closed its pipes (or was killed): its exit follows at once, unless it
    # closed them on purpose and kept running, which the time limit still bounds.
    status = None
    while status is None:
        waited, status_word = os.waitpid(pid, os.WNOHANG)
        if waited:
            status = status_word
        elif time.monotonic() > deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        else:
            time.sleep(0.002)
    elapsed = int((time.monotonic() - started) * 1000)
    outcome = {
        "ms": elapsed,
        "stdout": base64.b64encode(bytes(stdout[:output_cap])).decode("ascii"),
        "stderr": bytes(stderr).decode("utf-8", "replace"),
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    }
    if want_results:
        outcome["results"] = bytes(results).decode("utf-8", "replace")
    if timed_out:
        outcome["status"] = "timeout"
    elif truncated:
        outcome["status"] = "output-limit"
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        outcome["status"] = "ok"
    else:
        outcome["status"] = "runtime-error"
    return outcome


def parse_lines(text):
    items = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            try:
                items.append(json.loads(line))
            except ValueError:
                pass
    return items


def run_unit(case, keep, workdir_before):
    """One unit-test file: list its tests, then run each in a process of its own, so a
    crash or a hang fails that test alone."""
    source = case.get("source", "").encode("utf-8")
    listing = run_child(case["list_argv"], source, case["time_limit_ms"] / 1000, 65536, True)
    kill_leftovers(keep)
    names = [item.get("name") for item in parse_lines(listing.get("results", ""))]
    names = [name for name in names if isinstance(name, str)][:200]
    if not names:
        message = listing.get("message") or listing.get("stderr") or "no tests found"
        return {"status": "error", "message": message[-2000:], "tests": []}
    tests = []
    for name in names:
        argv = [name if part == "{name}" else part for part in case["run_argv"]]
        outcome = run_child(argv, source, case["time_limit_ms"] / 1000, 65536, True)
        kill_leftovers(keep)
        clean_files(workdir_before)
        reports = [item for item in parse_lines(outcome.get("results", "")) if item.get("name") == name]
        report = reports[-1] if reports else None
        if report is None:
            message = (
                outcome["status"]
                if outcome["status"] != "runtime-error"
                else (
                    f"crashed (signal {outcome['signal']})"
                    if outcome["signal"]
                    else f"exited with code {outcome['exit_code']}"
                )
            )
            tests.append(
                {
                    "name": name,
                    "passed": False,
                    "status": outcome["status"],
                    "message": (message + "\n" + outcome.get("stderr", "")[-1000:]).strip(),
                }
            )
        else:
            passed = bool(report.get("passed")) and outcome["status"] == "ok"
            message = str(report.get("message") or "")[:2000]
            if report.get("passed") and not passed:
                message = outcome["status"]
            failed_check = report.get("passed") is False
            status = "ok" if passed else ("failed" if failed_check or outcome["status"] == "ok" else outcome["status"])
            tests.append({"name": name, "passed": passed, "status": status, "message": message})
    return {"status": "ok", "tests": tests}


def main():
    config = read_config()
    protect_self()
    nonce = config["nonce"]
    keep = ancestors()
    workdir_before = set(os.listdir("."))
    out = sys.stdout
    for case in config["cases"]:
        if case["kind"] == "io":
            frame = run_child(
                case["argv"],
                case["stdin"].encode("utf-8"),
                case["time_limit_ms"] / 1000,
                case["output_cap"],
                False,
                case.get("env"),
            )
        else:
            frame = run_unit(case, keep, workdir_before)
        kill_leftovers(keep)
        clean_files(workdir_before)
        frame["case"] = case["id"]
        out.write(f"\n{nonce} {json.dumps(frame)}\n")
        out.flush()
    out.write(f"\n{nonce} {json.dumps({'done': True})}\n")
    out.flush()


if __name__ == "__main__":
    main()
