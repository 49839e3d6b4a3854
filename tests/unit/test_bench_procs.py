"""bench.procs: the bench finds a server by its process group and a machine's service by the
names of its programs, and counts the CPU of children that ended."""

from __future__ import annotations

import subprocess
import sys

from bench import procs
from tests.stack import wait_until

BURN = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(3 * 10**7))'])"


def test_a_process_group_and_a_program_name_select_the_same_process() -> None:
    server = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        by_group = procs._pids(server.pid)  # noqa: SLF001
        assert by_group == [server.pid]
        assert server.pid in procs._pids(("sleep",))  # noqa: SLF001
        assert procs.usage(server.pid).rss > 0
    finally:
        server.kill()
        server.wait()


def test_the_cpu_of_a_child_that_ended_is_counted() -> None:
    """A parent that waits for a busy child: its own figure holds the child's CPU once the
    child is gone (as PostgreSQL's postmaster does for its backends)."""
    parent = subprocess.Popen([sys.executable, "-c", BURN + "; import time; time.sleep(30)"],
                              start_new_session=True)
    try:
        # until the child ran and ended (the parent then sleeps)
        assert wait_until(lambda: procs._pids(parent.pid) == [parent.pid]  # noqa: SLF001
                          and procs.usage(parent.pid).cpu >= 0.3, timeout=60, every=0.05)
    finally:
        parent.kill()
        parent.wait()
