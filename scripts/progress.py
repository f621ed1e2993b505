#!/usr/bin/env python3
"""Every chapter's exercises, done or not, like rustlings' list:

    scripts/progress            ch05: 3 of 7 done … one line per exercise (✓ ✗ …)
    scripts/progress --lang ko  the same in Korean (also when DLFS_LANG=ko or LANG=ko_…)

Each check cell of an exercise notebook records its chapter's list in
target/progress/<chapter>.tsv (`dlfs::exercise::Progress::record`; lines
`passed|failed|pending<TAB>exercise`). The exercises of a chapter never opened come from its
learner notebook's `Progress::new("chNN", &[...])`. `--dir DIR` reads another folder (the
tests use one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEW = re.compile(r'Progress::new\("([^"]+)",\s*&\[([^\]]*)\]\)')
MARK = {"passed": "✓", "failed": "✗", "pending": "…"}


def chapters(nb_dir: Path) -> list[tuple[str, list[str]]]:
    """(chapter, exercises) of each learner notebook, in file order."""
    out = []
    for nb in sorted(nb_dir.glob("ch*_exercises.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            m = NEW.search("".join(cell["source"]))
            if m:
                out.append((m.group(1), re.findall(r'"([^"]+)"', m.group(2))))
                break
    return out


def korean(lang: str | None) -> bool:
    if lang:
        return lang.lower().startswith("ko")
    return any(os.environ.get(v, "").lower().startswith("ko") for v in ("DLFS_LANG", "LANG"))


def listing(nb_dir: Path, progress_dir: Path, ko: bool = False) -> str:
    lines = []
    for chapter, exercises in chapters(nb_dir):
        f = progress_dir / f"{chapter}.tsv"
        status = {}
        if f.exists():
            for line in f.read_text(encoding="utf-8").splitlines():
                state, _, name = line.partition("\t")
                if state in MARK:
                    status[name] = state
        done = sum(status.get(e) == "passed" for e in exercises)
        if ko:
            when = (time.strftime(" (마지막 확인 %Y-%m-%d %H:%M)", time.localtime(f.stat().st_mtime))
                    if f.exists() else " (시작 전)")
            lines.append(f"{chapter}: 연습 문제 {len(exercises)}개 중 {done}개 완료{when}")
        else:
            when = (time.strftime(" (last check %Y-%m-%d %H:%M)", time.localtime(f.stat().st_mtime))
                    if f.exists() else " (not started)")
            lines.append(f"{chapter}: {done} of {len(exercises)} exercises done{when}")
        lines += [f"  {MARK[status.get(e, 'pending')]} {e}" for e in exercises]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=str(ROOT / "target" / "progress"))
    ap.add_argument("--notebooks", default=str(ROOT / "notebooks" / "exercises"))
    ap.add_argument("--lang", help="ko for Korean (default: DLFS_LANG, then LANG)")
    a = ap.parse_args(argv)
    text = listing(Path(a.notebooks), Path(a.dir), korean(a.lang))
    if not text:
        print(f"progress: no exercise notebooks in {a.notebooks}", file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
