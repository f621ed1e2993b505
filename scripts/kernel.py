#!/usr/bin/env python3
"""Launcher of the `dlfs-rust` ("Rust (dlfs)") Jupyter kernel; kernel.json (written by
scripts/setup) runs it with the venv's Python:

    .venv/bin/python scripts/kernel.py EVCXR_JUPYTER [evcxr_jupyter arguments...]

Gives each kernel a build directory that outlives it. By default evcxr builds every kernel
in a fresh temporary directory, so every kernel start (opening a notebook, "Restart
Kernel") recompiled dlfs and its dependencies: 2.5 minutes before the first cell ran.
Here a kernel takes the first free directory of target/evcxr, target/evcxr-2, ...
target/evcxr-4 (a lock held for the kernel's lifetime keeps two kernels, which would
overwrite each other's generated crate, out of the same one), so a restarted kernel, and
the runs of scripts/run-notebooks, find everything compiled. Each directory takes about
0.4 GB. When all are taken, evcxr's own temporary directory is used.

A second notebook open at the same time gets the next directory; when that one has never
compiled dlfs and another has, the launcher first copies the compiled one's `target/` into
it (`seed`: a fraction of a second, where compiling takes minutes), so the second
notebook's first cell starts from compiled dependencies too. The copy is made to a
temporary name and renamed into place, under this kernel's lock; what the other kernel
compiles meanwhile (its cells' own small crates) cargo rebuilds here if it needs to.
An EVCXR_TMPDIR already set in the environment is used as it is.

The lock is `fcntl.flock` on target/evcxr*/.in-use.lock, the same lock as flock(1) takes
and scripts/run_notebooks.py tests, taken here in Python because macOS has no flock(1). Its
descriptor is left open and inheritable, and the launcher then *replaces itself* with
evcxr_jupyter (os.execv): the kernel is the process that holds the lock, and the lock goes
when the kernel exits, however it exits.

DLFS_FAKE_PLATFORM (tests only) stands in for platform.system().
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOTS = 4
FIRST_SLOT_WAIT = 10.0  # seconds

# glibc's malloc hands every freed multi-megabyte activation back to the kernel and
# page-faults it in again on the next step (a third of a SimpleConvNet step's time): keep
# blocks up to 32 MiB in the heap and up to 256 MiB of freed memory for reuse. The library
# itself changes no allocator setting; this applies to the kernel and the code it runs.
# glibc is Linux's; macOS's allocator has no such setting and needs none set.
GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"


def system() -> str:
    return os.environ.get("DLFS_FAKE_PLATFORM") or platform.system()


def slots(base: Path) -> list[Path]:
    """target/evcxr, target/evcxr-2 ... -4: the order the kernels take them in."""
    return [base] + [Path(f"{base}-{k}") for k in range(2, SLOTS + 1)]


def try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def take_slot(base: Path, first_wait: float = FIRST_SLOT_WAIT) -> tuple[Path, int] | None:
    """The first build directory no kernel holds, and the open descriptor that holds its
    lock now; None when all are taken."""
    for i, d in enumerate(slots(base)):
        d.mkdir(parents=True, exist_ok=True)
        fd = os.open(d / ".in-use.lock", os.O_WRONLY | os.O_CREAT, 0o644)
        # The first directory is worth a short wait: the kernel before this one (the
        # previous notebook of a run, or a restart) may still be shutting down.
        deadline = time.monotonic() + (first_wait if i == 0 else 0.0)
        while True:
            if try_lock(fd):
                return d, fd
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        os.close(fd)
    return None


def is_warm(slot: Path) -> bool:
    """Whether a build directory holds a compiled dlfs (its dependencies came with it)."""
    return any((slot / "target").glob("*/debug/deps/libdlfs-*.rlib"))


def seed(slot: Path, base: Path) -> Path | None:
    """Copy a compiled target/ of another build directory into `slot` (held by the caller)
    when `slot` has none; returns where it came from, or None (nothing to copy, or the copy
    failed: then evcxr compiles, as without it)."""
    if is_warm(slot):
        return None
    src = next((d for d in slots(base) if d != slot and is_warm(d)), None)
    if src is None:
        return None
    tmp = slot / "target.seeding"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src / "target", tmp, symlinks=True)
        shutil.rmtree(slot / "target", ignore_errors=True)
        tmp.rename(slot / "target")
    except OSError as exc:
        print(f"kernel.py: could not copy {src}/target into {slot}: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    return src


def kernel_env(env: dict[str, str], plat: str) -> dict[str, str]:
    """The kernel's environment, from the launcher's."""
    env = dict(env)
    # scripts/run-notebooks asks for its own evcxr configuration (a panic fails the cell);
    # the learner's kernel keeps the one kernel.json names (variables survive a panic).
    if env.get("DLFS_EVCXR_CONFIG_DIR"):
        env["EVCXR_CONFIG_DIR"] = env["DLFS_EVCXR_CONFIG_DIR"]
    if plat == "Linux":
        old = env.get("GLIBC_TUNABLES")
        env["GLIBC_TUNABLES"] = f"{old}:{GLIBC_TUNABLES}" if old else GLIBC_TUNABLES
    return env


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: kernel.py EVCXR_JUPYTER [ARGS...]", file=sys.stderr)
        return 2
    env = kernel_env(os.environ, system())
    if not env.get("EVCXR_TMPDIR"):
        base = Path(env.get("DLFS_EVCXR_DIR") or ROOT / "target" / "evcxr")
        taken = take_slot(base)
        if taken:
            d, fd = taken
            # The lock stays held by this descriptor, across exec, for the kernel's lifetime.
            os.set_inheritable(fd, True)
            env["EVCXR_TMPDIR"] = str(d)
            seed(d, base)
    os.execve(argv[0], argv, env)
    return 127  # not reached: execve raises on failure


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
