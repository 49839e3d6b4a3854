"""CPU time and resident memory of the bench's server processes, read from /proc.

Each server runs in its own process group (the supervisor starts it in a new session), so a
process's figures include any children it forks (workers, a multiprocessing pool). The machine's
services the scaled setup uses (PostgreSQL, Redis, RabbitMQ) are not the bench's children: they
are watched by their programs' names (:data:`SERVICES`). A process's figure includes the CPU of
its children that ended (PostgreSQL's backends come and go with connections).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# The scaled setup's services, by the names of their programs (/proc/<pid>/comm).
SERVICES: dict[str, tuple[str, ...]] = {
    "postgresql": ("postgres",),
    "redis": ("redis-server",),
    "rabbitmq": ("beam.smp", "erl_child_setup", "epmd", "inet_gethost"),
}

# A process group's id, or the program names of a service's processes.
Selector = int | tuple[str, ...]


def _processes() -> list[tuple[int, int, str]]:
    """(pid, process group, program name) of every process, from one scan of /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # field 5 of stat: the process group
        found.append((int(entry.name), int(fields[2]), stat[stat.index("(") + 1:stat.rindex(")")]))
    return found


def _chosen(selector: Selector, group: int, name: str) -> bool:
    return group == selector if isinstance(selector, int) else name in selector


def _pids(selector: Selector) -> list[int]:
    return [pid for pid, group, name in _processes() if _chosen(selector, group, name)]


def _cpu_rss(pid: int) -> tuple[float, int]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text()
    except OSError:
        return 0.0, 0
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = sum(int(f) for f in fields[11:15]) / TICKS  # utime, stime, cutime, cstime
    return cpu, int(statm.split()[1]) * PAGE


@dataclass
class Usage:
    cpu: float  # seconds of CPU since the process started
    rss: int  # bytes resident now


def usage(selector: Selector) -> Usage:
    """CPU seconds and RSS of a process group (a server and anything it forked) or a service."""
    return usages({"": selector})[""]


def usages(selectors: dict[str, Selector]) -> dict[str, Usage]:
    """:func:`usage` of each, from one scan of /proc."""
    processes = _processes()
    out = {}
    for key, selector in selectors.items():
        figures = [_cpu_rss(pid) for pid, group, name in processes
                   if _chosen(selector, group, name)]
        out[key] = Usage(sum(c for c, _ in figures), sum(r for _, r in figures))
    return out


class Watch:
    """Samples named process groups during a run: CPU used and the highest RSS seen."""

    def __init__(self, groups: dict[str, Selector]) -> None:
        self.groups = groups
        self.start = usages(groups)
        self.peak = {name: u.rss for name, u in self.start.items()}

    def sample(self) -> None:
        """Blocking (it reads /proc): call it off the event loop that drives the crowd."""
        for name, now in usages(self.groups).items():
            self.peak[name] = max(self.peak[name], now.rss)

    def result(self, seconds: float) -> dict[str, dict[str, float]]:
        """Per process: CPU as a percentage of one core over ``seconds``, peak RSS in MiB."""
        out = {}
        for name, now in usages(self.groups).items():
            self.peak[name] = max(self.peak[name], now.rss)
            out[name] = {
                "cpu_percent": round(100 * (now.cpu - self.start[name].cpu) / max(seconds, 1e-9), 1),
                "rss_mib": round(self.peak[name] / 2**20, 1),
            }
        return out
