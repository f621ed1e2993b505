#!/usr/bin/env python3
"""The macOS branches of the Python scripts, run on Linux with the platform faked:
the kernel launcher (scripts/kernel.py: its build-folder lock without flock(1), no
GLIBC_TUNABLES off Linux), the runner's memory sampling without /proc
(scripts/proc_memory.py: "—"), and MNIST's cache folder (scripts/get_mnist.py).
scripts/setup's macOS branches run in scripts/check_portable.py (DLFS_FAKE_PLATFORM=Darwin).
Run: python3 scripts/test_macos.py"""

import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent


def load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


kernel = load("kernel")
proc_memory = load("proc_memory")
get_mnist = load("get_mnist")


def held_elsewhere(lock: Path) -> bool:
    """Whether another process finds the lock taken."""
    code = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\n"
            "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n"
            "    sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", code, str(lock)]).returncode == 3


class Launcher(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.base = Path(self.tmp.name) / "evcxr"
        self.fds = []

    def tearDown(self):
        for fd in self.fds:
            os.close(fd)
        self.tmp.cleanup()

    def take(self, wait=0.0):
        taken = kernel.take_slot(self.base, first_wait=wait)
        if taken:
            self.fds.append(taken[1])
        return taken

    def test_slots_in_order_then_none(self):
        names = []
        for _ in range(4):
            d, fd = self.take()
            names.append(d.name)
            self.assertTrue(held_elsewhere(d / ".in-use.lock"))
        self.assertEqual(names, ["evcxr", "evcxr-2", "evcxr-3", "evcxr-4"])
        self.assertIsNone(self.take())  # all taken: evcxr's own temporary folder

    def test_a_freed_slot_is_taken_again(self):
        d1, fd1 = self.take()
        self.take()
        os.close(self.fds.pop(0))
        self.assertFalse(held_elsewhere(d1 / ".in-use.lock"))
        d, _ = self.take()
        self.assertEqual(d, d1)

    def test_a_cold_slot_is_seeded_from_a_compiled_one(self):
        # the first kernel (still running: its lock is held) has compiled dlfs; the second
        # gets evcxr-2 with the compiled target/ copied in, the deps and dlfs alike
        d1, _ = self.take()
        deps = d1 / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
        deps.mkdir(parents=True)
        (deps / "libdlfs-abc.rlib").write_bytes(b"dlfs")
        (deps / "libndarray-def.rlib").write_bytes(b"nd")
        d2, _ = self.take()
        self.assertEqual(kernel.seed(d2, self.base), d1)
        copied = d2 / "target" / "x86_64-unknown-linux-gnu" / "debug" / "deps"
        self.assertEqual(sorted(p.name for p in copied.iterdir()),
                         ["libdlfs-abc.rlib", "libndarray-def.rlib"])
        self.assertFalse((d2 / "target.seeding").exists())
        # a compiled slot is left alone, and with nothing compiled anywhere nothing is copied
        self.assertIsNone(kernel.seed(d2, self.base))
        d3, _ = self.take()
        shutil.rmtree(d1 / "target")
        shutil.rmtree(d2 / "target")
        self.assertIsNone(kernel.seed(d3, self.base))
        self.assertFalse((d3 / "target").exists())

    def test_first_slot_is_waited_for(self):
        # another process holds evcxr/ for 0.5 s (a kernel shutting down): the next kernel
        # waits for it instead of moving to evcxr-2
        self.base.mkdir(parents=True)
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import fcntl, sys, time\nf = open(sys.argv[1], 'w')\n"
             "fcntl.flock(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(0.5)",
             str(self.base / ".in-use.lock")], stdout=subprocess.PIPE, text=True)
        self.assertEqual(holder.stdout.readline().strip(), "held")
        t0 = time.monotonic()
        d, _ = self.take(wait=5.0)
        holder.wait()
        holder.stdout.close()
        self.assertEqual(d, self.base)
        self.assertGreater(time.monotonic() - t0, 0.2)

    def test_no_glibc_tunables_on_macos(self):
        env = kernel.kernel_env({"PATH": "/usr/bin"}, "Darwin")
        self.assertNotIn("GLIBC_TUNABLES", env)
        env = kernel.kernel_env({"GLIBC_TUNABLES": "a=1"}, "Darwin")
        self.assertEqual(env["GLIBC_TUNABLES"], "a=1")

    def test_glibc_tunables_on_linux(self):
        env = kernel.kernel_env({}, "Linux")
        self.assertEqual(env["GLIBC_TUNABLES"], kernel.GLIBC_TUNABLES)
        env = kernel.kernel_env({"GLIBC_TUNABLES": "a=1"}, "Linux")
        self.assertEqual(env["GLIBC_TUNABLES"], "a=1:" + kernel.GLIBC_TUNABLES)

    def test_runner_config_dir(self):
        env = kernel.kernel_env({"DLFS_EVCXR_CONFIG_DIR": "/r", "EVCXR_CONFIG_DIR": "/l"}, "Darwin")
        self.assertEqual(env["EVCXR_CONFIG_DIR"], "/r")
        env = kernel.kernel_env({"EVCXR_CONFIG_DIR": "/l"}, "Darwin")
        self.assertEqual(env["EVCXR_CONFIG_DIR"], "/l")

    def test_fake_platform(self):
        with mock.patch.dict(os.environ, {"DLFS_FAKE_PLATFORM": "Darwin"}):
            self.assertEqual(kernel.system(), "Darwin")

    def exec_launcher(self, env_extra, fake_body):
        fake = Path(self.tmp.name) / "evcxr_jupyter"
        fake.write_text("#!/bin/sh\n" + fake_body)
        fake.chmod(0o755)
        env = {"PATH": "/usr/bin:/bin", "DLFS_FAKE_PLATFORM": "Darwin",
               "DLFS_EVCXR_DIR": str(self.base), **env_extra}
        return subprocess.run([sys.executable, str(HERE / "kernel.py"), str(fake), "x"],
                              env=env, capture_output=True, text=True, timeout=60)

    def test_lock_is_held_by_the_kernel_and_released_when_it_exits(self):
        proc = self.exec_launcher({}, 'echo "$EVCXR_TMPDIR ${GLIBC_TUNABLES:-none} $1"\n'
                                      f'"{sys.executable}" -c "import sys; sys.exit(0)"\n'
                                      f'sleep 0.2; echo done\n')
        self.assertEqual(proc.stdout.split(), [str(self.base), "none", "x", "done"], proc.stderr)
        self.assertFalse(held_elsewhere(self.base / ".in-use.lock"))

    def test_lock_is_held_while_the_kernel_runs(self):
        # the fake kernel checks, from a child process, that its own folder is locked
        body = (f'"{sys.executable}" -c "import fcntl, os, sys\n'
                "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
                "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
                "except BlockingIOError:\n    print('held')\n"
                '" "$EVCXR_TMPDIR/.in-use.lock"\n')
        proc = self.exec_launcher({}, body)
        self.assertEqual(proc.stdout.strip(), "held", proc.stderr)

    def test_evcxr_tmpdir_from_the_environment_is_kept(self):
        proc = self.exec_launcher({"EVCXR_TMPDIR": "/given"}, 'echo "$EVCXR_TMPDIR"\n')
        self.assertEqual(proc.stdout.strip(), "/given")
        self.assertFalse(self.base.exists())


class MemoryWithoutProc(unittest.TestCase):
    def test_no_proc_gives_dash(self):
        with mock.patch.object(proc_memory, "PROC", Path("/nonexistent-proc")):
            self.assertEqual(proc_memory.sample(os.getpid()), (0, 0))
            sampler = proc_memory.TreeSampler(lambda: os.getpid(), interval=0.01)
            sampler.start()
            sampler.take()  # the runner calls it after each cell: must not raise
            sampler.stop()
            sampler.join(1)
            self.assertEqual((sampler.kernel_peak, sampler.build_peak), (0, 0))
            self.assertEqual(proc_memory.fmt_bytes(sampler.kernel_peak), "—")

    @unittest.skipUnless(Path("/proc/self/status").exists(), "Linux only")
    def test_with_proc_it_measures(self):
        kernel_peak, build_peak = proc_memory.sample(os.getpid())
        self.assertGreater(kernel_peak + build_peak, 0)


class MnistCache(unittest.TestCase):
    def test_macos_cache_folder(self):
        with mock.patch.object(get_mnist.platform, "system", return_value="Darwin"):
            self.assertEqual(get_mnist.default_dest(),
                             Path.home() / "Library" / "Caches" / "dlfs" / "mnist")

    def test_linux_cache_folder(self):
        with mock.patch.object(get_mnist.platform, "system", return_value="Linux"), \
                mock.patch.dict(os.environ, {"XDG_CACHE_HOME": "/x/cache"}):
            self.assertEqual(get_mnist.default_dest(), Path("/x/cache/dlfs/mnist"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
