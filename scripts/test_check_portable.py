#!/usr/bin/env python3
"""Self-test of scripts/check_portable.py: for every rule a small bad script that the scan
must reject under that rule, and that passes once that rule alone is left out (so the rule,
and no other, is what catches it); a good script full of look-alikes that must pass; bash -n
and checkbashisms on bad ones. Run: python3 scripts/test_check_portable.py"""

import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("check_portable", HERE / "check_portable.py")
cp = importlib.util.module_from_spec(spec)
sys.modules["check_portable"] = cp
spec.loader.exec_module(cp)

BASH = "#!/usr/bin/env bash\nset -euo pipefail\n"

# rule -> a script that breaks it (and only it)
BAD = {
    "flock": 'flock -w 10 9\n',
    "sed-i": "sed -i 's/a/b/' file.txt\n",
    "readlink-f": 'here="$(readlink -f "$0")"\n',
    "stat-c": 'size="$(stat -c %s file)"\n',
    "date-N": 't0="$(date +%s%N)"\n',
    "nproc": 'jobs="$(nproc)"\n',
    "shasum-gnu": 'h="$(sha256sum file | cut -d" " -f1)"\n',
    "timeout": 'timeout 10 cargo build\n',
    "grep-P": "grep -oP '\\d+' file\n",
    "find-printf": "find . -name '*.rs' -printf '%s\\n'\n",
    "mktemp-long": 'tmp="$(mktemp --suffix .json)"\n',
    "assoc-array": 'declare -A seen\nseen[x]=1\n',
    "nameref": 'f() { local -n out=$1; out=2; }\n',
    "declare-g": 'f() { declare -g counter=0; }\n',
    "case-attr": 'declare -l name=ABC\n',
    "case-modify": 'x=ABC\necho "${x,,}"\n',
    "mapfile": 'mapfile -t lines < file\n',
    "pipe-amp": 'cargo build |& tee log\n',
    "case-fallthrough": 'case "$1" in a) echo a ;;& b) echo b ;; esac\n',
    "coproc": 'coproc cat\n',
    "negative-index": 'a=(1 2 3)\necho "${a[-1]}"\n',
    "transform": 'x=1\necho "${x@Q}"\n',
    "wait-n": 'sleep 1 &\nwait -n\n',
    "test-v": 'if [[ -v HOME ]]; then echo set; fi\n',
    "fd-alloc": 'exec {lock}>file.lock\n',
    "append-both": 'echo x &>> log\n',
    "shopt-4": 'shopt -s globstar\nls **/*.rs\n',
    "printf-T": "printf '%(%H:%M)T\\n' -1\n",
    "bash5-vars": 'echo "$EPOCHSECONDS"\n',
    "brace-step": 'for i in {1..10..2}; do echo "$i"; done\n',
    "empty-array-set-u": 'extra=()\n[ "$(id -u)" = 0 ] && extra+=(--allow-root)\n'
                         'jupyter lab "${extra[@]}" "$@"\n',
}

# Look-alikes of every rule that bash 3.2 and BSD tools take as they are.
GOOD = BASH + r'''
# flock, sed -i, readlink -f, nproc, ${x,,}, mapfile: in a comment they are only words
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec cargo mutants --jobs 1 --timeout 300 --output target/mutants 2>/dev/null || true
sed -i.bak 's/a/b/' file.txt && rm -f file.txt.bak
sed -n 's/^evcxr_jupyter v\([^:]*\):$/\1/p' list
h="$(shasum -a 256 file | cut -d' ' -f1)"
n="$(getconf _NPROCESSORS_ONLN)"
t="$(date +%s)"
grep -E '^notebooks: [0-9]+ passed' log | tail -n 1
size="$(wc -c <file)"
tmp="$(mktemp)"
exec 9>"$tmp"
{ echo a; echo b; } >"$tmp"
case "$1" in a) echo a ;; b) echo b ;; esac
declare -a summary
summary+=("one")
printf '%s\n' ${summary[@]+"${summary[@]}"}
extra=()
echo ${extra[@]+"${extra[@]}"} "${#extra[@]}"
tests=(--lib --test meaning)
cargo test "${tests[@]}"
a=(1 2 3)
echo "${a[${#a[@]}-1]}" "${a[0]}" "$((1 + 2))" "${x:-default}" "${x#prefix}" "${x%%.*}"
[ -n "${x+set}" ] && echo set
wait "$!"
for i in {1..3}; do echo "$i"; done
grep -q '^rust-src' <<<"$(echo rust-src)"
cargo build 2>&1 | tee log
echo "exit ${PIPESTATUS[0]} in $SECONDS s, pid $$"
python3 - <<'PY'
import fcntl  # a heredoc is another language: flock, ${x,,} and readlink -f are not scanned here
print("${x,,}", "sed -i", "nproc")
PY
echo "the next line is exempted with a reason"
flock -n 9 || true  # portable: a test of the pragma
'''


class Rules(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def script(self, name: str, text: str) -> Path:
        p = self.dir / name
        p.write_text(text)
        p.chmod(0o755)
        return p

    def test_every_rule_has_a_bad_script(self):
        self.assertEqual(sorted(BAD), sorted(cp.RULE_NAMES))

    def test_each_bad_script_is_caught_by_its_rule_alone(self):
        for rule, body in BAD.items():
            with self.subTest(rule=rule):
                p = self.script(f"bad-{rule}", BASH + body)
                found = {f.rule for f in cp.scan_file(p)}
                self.assertEqual(found, {rule}, f"{rule}: {body!r}")
                without = [n for n in cp.RULE_NAMES if n != rule]
                self.assertEqual(cp.scan_file(p, without), [],
                                 f"with the rule {rule} left out, {body!r} must pass")

    def test_each_finding_names_file_line_and_what_instead(self):
        p = self.script("bad", BASH + "echo ok\n" + BAD["nproc"])
        [f] = cp.scan_file(p)
        text = str(f)
        self.assertIn(f"{p}:4: [nproc]", text)
        self.assertIn("instead: getconf _NPROCESSORS_ONLN", text)

    def test_good_script_passes(self):
        p = self.script("good", GOOD)
        self.assertEqual([str(f) for f in cp.scan_file(p)], [])
        self.assertEqual(cp.syntax_problems([p]), [])

    def test_empty_array_is_fine_without_set_u(self):
        p = self.script("no-set-u", "#!/usr/bin/env bash\n" + BAD["empty-array-set-u"])
        self.assertEqual(cp.scan_file(p), [])

    def test_command_line_fails_and_passes(self):
        bad = self.script("bad", BASH + BAD["fd-alloc"])
        run = lambda *a: subprocess.run([sys.executable, str(HERE / "check_portable.py"), *a],
                                        capture_output=True, text=True)
        proc = run(str(bad))
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn(f"{bad}:3: [fd-alloc]", proc.stdout)
        proc = run("--without", "fd-alloc", str(bad))
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def test_bash_syntax_error(self):
        p = self.script("broken", BASH + "if true; then echo\n")
        [problem] = cp.syntax_problems([p])
        self.assertIn("bash -n", problem)

    def test_sh_script_with_bashisms(self):
        if cp.checkbashisms() is None:
            self.skipTest("checkbashisms not available here")
        bad = self.script("bad-sh", '#!/bin/sh\nif [[ -n "$1" ]]; then echo "$1"; fi\n')
        good = self.script("good-sh", '#!/bin/sh\nset -eu\nif [ -n "${1:-}" ]; then echo "$1"; fi\n')
        [problem] = cp.syntax_problems([bad, good])
        self.assertIn("checkbashisms", problem)
        self.assertIn("bad-sh", problem)
        self.assertNotIn("good-sh", problem)
        self.assertEqual(cp.syntax_problems([good]), [])

    def test_only_shell_scripts_are_scanned(self):
        self.script("a.py", "#!/usr/bin/env python3\nimport fcntl\n")
        self.script("b", "#!/bin/sh\necho\n")
        self.script("c", BASH)
        self.script("notes.txt", "flock\n")
        self.assertEqual([p.name for p in cp.scripts_under(self.dir)], ["b", "c"])

    def test_mac_path_has_no_linux_only_tools(self):
        path = Path(cp.mac_path(self.dir))
        for name in cp.NOT_ON_A_MAC:
            self.assertFalse((path / name).exists(), name)
        self.assertTrue((path / "xcode-select").exists())
        self.assertTrue((path / "bash").exists())


if __name__ == "__main__":
    unittest.main(verbosity=1)
