"""Generate the learner's exercise notebooks from the solution sources.

  notebooks/exercises/solutions/chNN_solutions.ipynb  (what CI runs: every check passes)
    -> notebooks/exercises/chNN_exercises.ipynb       (what the learner opens)

In a code cell, the lines from `// BEGIN SOLUTION <hint>` to `// END SOLUTION` become one
`todo!("<hint>")` at the marker's indentation (the nbgrader convention, for Rust), and the
cell's top-level `impl` and `fn` items get `#[allow(unused, unreachable_code)]` (the
skeleton's warnings would otherwise bury a real compile error in evcxr's output). Besides:
outputs are cleared, `:dep dlfs = { path = "../../.." }` becomes `"../.."` (one folder
less deep), the notebook is marked `dlfs.exercise = "learner"` (the runner then demands that
every `check` cell reports "not done yet"), and cells tagged `needs-solution` lose their
`figure` tag (what they draw comes from the learner's finished work).

  scripts/make-exercises          write the learner's copies
  scripts/make-exercises --check  exit 1 if a committed copy differs from what would be written
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "notebooks" / "exercises" / "solutions"
OUT = ROOT / "notebooks" / "exercises"
BEGIN = re.compile(r"^(\s*)//\s*BEGIN SOLUTION\s*(.*)$")
END = re.compile(r"^\s*//\s*END SOLUTION\s*$")


def rust_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stub(source: str, where: str) -> str:
    lines = source.split("\n")
    out, inside = [], False
    for n, line in enumerate(lines, 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                sys.exit(f"{where}, line {n}: BEGIN SOLUTION inside another")
            indent, hint = begin.groups()
            out.append(f"{indent}todo!({rust_string(hint or 'write this part')})")
            inside = True
        elif END.match(line):
            if not inside:
                sys.exit(f"{where}, line {n}: END SOLUTION without BEGIN")
            inside = False
            # a statement unless it ends its block (then it is the block's value)
            rest = [l for l in lines[n:] if l.strip()]
            if rest and not rest[0].lstrip().startswith("}"):
                out[-1] += ";"
        elif not inside:
            out.append(line)
    if inside:
        sys.exit(f"{where}: BEGIN SOLUTION without END")
    return "\n".join(out)


# An unfinished skeleton has unused parameters and code after `todo!()`; evcxr lists those
# warnings, labelled as errors, under any real compile error of the cell, where they bury
# it. The learner's copy allows them on the skeleton's items.
QUIET = "#[allow(unused, unreachable_code)]"


def quiet_skeleton(source: str) -> str:
    out = []
    for line in source.split("\n"):
        if re.match(r"(impl|fn)\b", line):
            out.append(QUIET)
        out.append(line)
    return "\n".join(out)


def learner_copy(nb: dict, name: str) -> dict:
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        stubbed = stub(src, f"{name} cell {i + 1}")
        if stubbed != src:
            stubbed = quiet_skeleton(stubbed)
        src = stubbed
        src = src.replace(':dep dlfs = { path = "../../.." }', ':dep dlfs = { path = "../.." }')
        # as a list of lines, the way nbformat writes it: the copy does not change when the
        # runner rewrites the solution notebook with its outputs
        cell["source"] = src.splitlines(keepends=True)
        cell["outputs"] = []
        cell["execution_count"] = None
        tags = cell.get("metadata", {}).get("tags", [])
        if "needs-solution" in tags:
            cell["metadata"]["tags"] = [t for t in tags if t != "figure"]
    for cell in nb["cells"]:
        if isinstance(cell["source"], str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    nb["metadata"].setdefault("dlfs", {})["exercise"] = "learner"
    return nb


def target(src: Path) -> Path:
    return OUT / (src.stem.removesuffix("_solutions") + "_exercises.ipynb")


def main() -> int:
    check = "--check" in sys.argv[1:]
    sources = sorted(SOLUTIONS.glob("*_solutions.ipynb"))
    if not sources:
        sys.exit(f"make-exercises: no *_solutions.ipynb in {SOLUTIONS}")
    stale = []
    for src in sources:
        # keys sorted, as nbformat writes them: the copy does not depend on how the
        # solution notebook was last written (by hand, or by the runner's --update)
        text = json.dumps(learner_copy(json.loads(src.read_text()), src.name),
                          indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        dst = target(src)
        if check:
            if not dst.exists() or dst.read_text() != text:
                stale.append(dst)
            continue
        tmp = dst.with_suffix(".ipynb.tmp")
        tmp.write_text(text)
        tmp.replace(dst)
        print(f"make-exercises: {dst.relative_to(ROOT)}")
    if stale:
        for dst in stale:
            print(f"make-exercises: {dst.relative_to(ROOT)} is out of date with its solution "
                  f"source; run scripts/make-exercises", file=sys.stderr)
        return 1
    if check:
        print(f"make-exercises: {len(sources)} learner copies up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
