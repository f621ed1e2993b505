"""Generate the learner's exercise notebooks from the solution sources.

  notebooks/exercises/solutions/chNN_solutions.ipynb  (what CI runs: every check passes)
    -> notebooks/exercises/chNN_exercises.ipynb       (what the learner opens)

In a code cell, the lines from `// BEGIN SOLUTION <hint>` to `// END SOLUTION` become one
`todo!("<hint>")` at the marker's indentation (the nbgrader convention, for Rust), and the
cell's top-level `impl` and `fn` items get `#[allow(unused, unreachable_code)]` (the
skeleton's warnings would otherwise bury a real compile error in evcxr's output). Besides:
`:dep dlfs = { path = "../../.." }` becomes `"../.."` (one folder less deep), the notebook
is marked `dlfs.exercise = "learner"` (the runner then demands that every `check` cell
reports "not done yet"), and cells tagged `needs-solution` lose their `figure` tag (what
they draw comes from the learner's finished work).

Outputs: the committed copies show what a fresh run prints ("… Relu: not done yet: …",
"ch05: 0 of 7 exercises done"); `scripts/run-notebooks --update` writes them. A cell whose
source is the same as in the existing copy keeps its outputs and execution count; a cell
whose source changed (or is new) is cleared (no outputs, execution count null) until the
next `--update`, and `--check` names such cells (a note, not a failure). So writing the
copies again after `--update` changes nothing.

The Korean copies (`chNN_exercises.ko.ipynb`) are written by scripts/i18n.py, with
`learner_copy` applied to the Korean solutions notebook; this script leaves `*.ko.ipynb`
alone.

  scripts/make-exercises          write the learner's copies
  scripts/make-exercises --check  exit 1 if a committed copy's sources or metadata differ from
                                  what would be written (outputs: only kept or cleared)
  --root DIR                      work on another checkout (the tests use a temporary one)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def source_text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def learner_copy(nb: dict, name: str, previous: dict | None = None) -> dict:
    """The learner's copy of solutions notebook `nb`. `previous`: the existing copy, whose
    outputs a cell keeps when its source (and id) are unchanged; every other cell is
    cleared."""
    nb = json.loads(json.dumps(nb))
    kept = {}
    for cell in (previous or {}).get("cells", []):
        if cell.get("cell_type") == "code" and cell.get("id"):
            kept[cell["id"]] = cell
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
        old = kept.get(cell.get("id"))
        if old is not None and source_text(old) == src:
            cell["outputs"] = old.get("outputs", [])
            cell["execution_count"] = old.get("execution_count")
        else:
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
    """chNN_solutions[.ko].ipynb in exercises/solutions/ -> chNN_exercises[.ko].ipynb in
    exercises/."""
    stem = src.name.removesuffix(".ipynb")
    base, dot, lang = stem.partition(".")
    name = base.removesuffix("_solutions") + "_exercises" + (dot + lang) + ".ipynb"
    return src.parent.parent / name


def dumps(nb: dict) -> str:
    # keys sorted, as nbformat writes them: the copy does not depend on how the solution
    # notebook was last written (by hand, or by the runner's --update)
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def cleared_cells(nb: dict) -> list[str]:
    """Ids of the code cells that were cleared (source changed) and not run since."""
    return [c.get("id", "?") for c in nb["cells"] if c["cell_type"] == "code"
            and source_text(c).strip() and c.get("execution_count") is None]


def sources(root: Path) -> list[Path]:
    folder = root / "notebooks" / "exercises" / "solutions"
    # the Korean solutions (chNN_solutions.ko.ipynb) are scripts/i18n.py's
    return sorted(p for p in folder.glob("*_solutions.ipynb") if p.name.count(".") == 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make-exercises", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--root", default=str(ROOT))
    a = ap.parse_args(argv)
    root = Path(a.root)
    found = sources(root)
    if not found:
        sys.exit(f"make-exercises: no *_solutions.ipynb in {root / 'notebooks/exercises/solutions'}")
    stale = []
    for src in found:
        dst = target(src)
        previous = json.loads(dst.read_text(encoding="utf-8")) if dst.exists() else None
        copy = learner_copy(json.loads(src.read_text(encoding="utf-8")), src.name, previous)
        text = dumps(copy)
        cleared = cleared_cells(copy)
        if cleared and previous is not None:
            ids = ", ".join(cleared[:4]) + (f" and {len(cleared) - 4} more" if len(cleared) > 4 else "")
            print(f"make-exercises: note: {dst.relative_to(root)}: {len(cleared)} code cells "
                  f"({ids}) "
                  f"have no outputs (new, or their source changed): run scripts/run-notebooks "
                  f"--update {dst.stem} to record what a fresh run prints", file=sys.stderr)
        if a.check:
            if previous is None or dst.read_text(encoding="utf-8") != text:
                stale.append(dst)
            continue
        if previous is not None and dst.read_text(encoding="utf-8") == text:
            continue
        tmp = dst.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(dst)
        print(f"make-exercises: {dst.relative_to(root)}")
    if stale:
        for dst in stale:
            print(f"make-exercises: {dst.relative_to(root)} is out of date with its solution "
                  f"source; run scripts/make-exercises", file=sys.stderr)
        return 1
    if a.check:
        print(f"make-exercises: {len(found)} learner copies up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
