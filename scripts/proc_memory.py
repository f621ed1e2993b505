"""Peak memory of a process tree, sampled from /proc (Linux), for the notebook runner.

The runner's kernel is `evcxr_jupyter`, which runs each notebook's compiled code in a
child process of the same program and compiles cells with cargo and rustc. A `TreeSampler`
thread reads, every `interval` seconds, every process under the kernel's pid:

- `kernel_peak`: the kernel's own processes (named `evcxr*`): the sum of their VmHWM (each
  process's peak resident size, kept by Linux, so a peak between two samples is not
  missed), taken at the sample where that sum is largest;
- `build_peak`: everything else under it (cargo, rustc, the linker): the largest sum of
  their current resident sizes at one sample (these come and go; a short peak can be missed).

Both in bytes; 0 where /proc cannot be read (another OS): the runner then prints "—".
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def _status(pid: int) -> dict[str, str]:
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _kib(value: str) -> int:
    """'1234 kB' -> bytes."""
    try:
        return int(value.split()[0]) * 1024
    except (IndexError, ValueError):
        return 0


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: the ppid follows its ')'
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) > 1:
            kids.setdefault(int(rest[1]), []).append(int(entry.name))
    return kids


def tree(root: int) -> list[int]:
    kids = children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def sample(root: int) -> tuple[int, int]:
    """(sum of VmHWM of the evcxr processes, sum of VmRSS of the others) under root;
    (0, 0) without /proc (macOS): the runner then prints "—"."""
    kernel = build = 0
    if not PROC.is_dir():
        return kernel, build
    for pid in tree(root):
        st = _status(pid)
        if not st:
            continue
        if st.get("Name", "").startswith("evcxr"):
            kernel += _kib(st.get("VmHWM", "0 kB"))
        else:
            build += _kib(st.get("VmRSS", "0 kB"))
    return kernel, build


class TreeSampler(threading.Thread):
    """Samples the tree under `pid_fn()` (None while the kernel has not started) until
    `stop()`."""

    def __init__(self, pid_fn, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid_fn = pid_fn
        self.interval = interval
        self.kernel_peak = 0
        self.build_peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        if not PROC.is_dir():
            return
        while not self._halt.is_set():
            self.take()
            self._halt.wait(self.interval)

    def take(self) -> None:
        try:
            pid = self.pid_fn()
        except Exception:  # the kernel manager is not there yet
            pid = None
        if pid:
            kernel, build = sample(int(pid))
            self.kernel_peak = max(self.kernel_peak, kernel)
            self.build_peak = max(self.build_peak, build)

    def stop(self) -> None:
        self.take()  # the last reading, before the kernel is shut down
        self._halt.set()


def fmt_bytes(n: int) -> str:
    if n <= 0:
        return "—"
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


if __name__ == "__main__":  # a quick look: python3 scripts/proc_memory.py PID
    import sys

    k, b = sample(int(sys.argv[1]) if len(sys.argv) > 1 else os.getpid())
    print(f"kernel {fmt_bytes(k)}, build {fmt_bytes(b)}")
