"""Owners for the sweeper suites: a process that died, a living one on this machine, one
on another machine that nobody can tell about without Redis, and this process."""

from __future__ import annotations

import os
import socket

from observer import liveness

HOST = socket.gethostname()
DEAD = f"{HOST}:4194305:deadbeef"  # above the kernel's largest possible pid: no such process
ALIVE = f"{HOST}:{os.getppid()}:cafef00d"  # our parent: a live process on this machine
ELSEWHERE = "another-machine:123:abcdef03"  # without Redis: cannot be told, so left alone
HERE = liveness.PROCESS
LIVING = (ALIVE, ELSEWHERE, HERE)
