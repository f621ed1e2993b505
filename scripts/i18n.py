#!/usr/bin/env python3
"""The Korean notebooks, from one source.

The English notebooks under notebooks/ are the source: they are run, and their code and
outputs are the only ones. A translation file notebooks/i18n/ko/<name>.json holds, per
cell id, the English text it was translated from ("en") and its Korean ("ko"): every
markdown cell, and every code cell with a `//` comment (there "ko" is the same code with
only the comments translated). <name>.ko.ipynb, beside the English notebook (so that its
`:dep dlfs = { path = ".." }` and data paths are the same), is built from the two: the
English notebook with the Korean text put in, outputs and all, so the code and outputs of
the two languages can never differ and nothing is run twice.

    scripts/i18n.py check     fails, naming the cell, when an English cell has no
                              translation, changed since it was translated (stale: the
                              English diff is shown), a code cell's translation changed its
                              code, or a built notebook is not what `build` writes
    scripts/i18n.py build     writes the *.ko.ipynb notebooks (atomically)
    scripts/i18n.py update    adds missing cells to the translation files with an empty
                              "ko"; a code cell whose code alone changed (its English comments
                              are the same) gets the new code with its translated comments;
                              other stale cells keep their old "en" for a translator

`--root DIR` works on another checkout (the tests use a temporary one).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import tempfile
from pathlib import Path

LANG = "ko"


def text_of(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of a Rust line: the comment starts at the first `//` outside a
    string literal (char literals such as '"' are skipped too)."""
    i, n, in_str = 0, len(line), False
    while i < n:
        c = line[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "'" and i + 2 < n and (line[i + 2] == "'" or line[i + 1] == "\\"):
            # a char literal 'x' or '\n' (a lifetime 'a has no closing quote there)
            end = line.find("'", i + 2)
            i = end + 1 if end > 0 else i + 1
            continue
        elif line.startswith("//", i):
            return line[:i], line[i:]
        i += 1
    return line, ""


def needs_translation(cell: dict) -> bool:
    if cell["cell_type"] == "markdown":
        return True
    return cell["cell_type"] == "code" and any(
        split_comment(line)[1] for line in text_of(cell).splitlines())


def code_problem(en: str, ko: str) -> str | None:
    """Why a code cell's translation is not the same code (None when it is)."""
    el, kl = en.splitlines(), ko.splitlines()
    if len(el) != len(kl):
        return f"has {len(kl)} lines, the English {len(el)}"
    for i, (a, b) in enumerate(zip(el, kl), 1):
        ca, ma = split_comment(a)
        cb, mb = split_comment(b)
        if ca != cb or bool(ma) != bool(mb):
            return (f"line {i} changed code, not only its comment:\n"
                    f"      en: {a}\n      ko: {b}")
    return None


def carry_comments(old_en: str, old_ko: str, new_en: str) -> str | None:
    """The new English code with the old translation's comments, when only code changed:
    the English comments, in order, are the same as when it was translated. Else None (a
    translator must look)."""
    def comments(text):
        return [split_comment(line)[1] for line in text.splitlines() if split_comment(line)[1]]
    if comments(old_en) != comments(new_en) or code_problem(old_en, old_ko):
        return None
    ko_comments = iter(comments(old_ko))
    lines = []
    for line in new_en.splitlines():
        code, comment = split_comment(line)
        lines.append(code + next(ko_comments) if comment else line)
    return "\n".join(lines) + ("\n" if new_en.endswith("\n") else "")


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.nb_dir = root / "notebooks"
        self.tr_dir = self.nb_dir / "i18n" / LANG

    def translations(self) -> list[Path]:
        return sorted(self.tr_dir.glob("*.json"))

    def source_of(self, tr_path: Path, tr: dict) -> Path:
        return self.nb_dir / tr["notebook"]

    def built_path(self, tr: dict) -> Path:
        src = self.nb_dir / tr["notebook"]
        return src.with_name(f"{src.stem}.{LANG}.ipynb")

    def built_notebooks(self) -> list[Path]:
        return sorted(p for p in self.nb_dir.rglob(f"*.{LANG}.ipynb")
                      if ".ipynb_checkpoints" not in p.parts)


def load(p: Path):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def dumps_nb(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def problems(repo: Repo, tr_path: Path) -> list[str]:
    """Everything wrong with one translation file against its English notebook."""
    tr = load(tr_path)
    src = repo.source_of(tr_path, tr)
    name = tr_path.name
    if not src.exists():
        return [f"{name}: its English notebook {tr['notebook']} does not exist"]
    nb = load(src)
    cells = tr.get("cells", {})
    out = []
    ids = set()
    for idx, cell in enumerate(nb["cells"]):
        cid = cell.get("id")
        if not needs_translation(cell):
            continue
        ids.add(cid)
        where = f"{tr['notebook']} cell {idx} (id {cid})"
        en = text_of(cell)
        entry = cells.get(cid)
        if entry is None:
            out.append(f"{where}: no Korean translation (run scripts/i18n.py update, then "
                       f"translate its \"ko\" in {tr_path.relative_to(repo.root)})")
            continue
        if not entry.get("ko", "").strip():
            out.append(f"{where}: the Korean translation is empty")
            continue
        if entry.get("en") != en:
            diff = "\n".join(difflib.unified_diff(
                entry.get("en", "").splitlines(), en.splitlines(),
                "translated from", "English now", lineterm="", n=0))
            out.append(f"{where}: stale — the English changed since it was translated; "
                       f"update \"ko\" to match, then copy the new English into \"en\":\n"
                       + "\n".join("      " + l for l in diff.splitlines()))
            continue
        if cell["cell_type"] == "code":
            why = code_problem(en, entry["ko"])
            if why:
                out.append(f"{where}: the Korean code cell {why}")
    for cid in sorted(set(cells) - ids):
        out.append(f"{name}: cell id {cid} is not a translatable cell of {tr['notebook']} "
                   f"(deleted or renamed?): remove it")
    return out


def built(repo: Repo, tr_path: Path) -> tuple[Path, str]:
    """The Korean notebook for one translation file, as text."""
    tr = load(tr_path)
    nb = load(repo.source_of(tr_path, tr))
    cells = tr.get("cells", {})
    for cell in nb["cells"]:
        entry = cells.get(cell.get("id"))
        if entry and entry.get("ko") and entry.get("en") == text_of(cell):
            cell["source"] = entry["ko"].splitlines(keepends=True)
    nb.setdefault("metadata", {})["dlfs_language"] = LANG
    return repo.built_path(tr), dumps_nb(nb)


def cmd_check(repo: Repo) -> int:
    trs = repo.translations()
    if not trs:
        print(f"i18n: no translation files in {repo.tr_dir}")
        return 1
    bad = []
    for p in trs:
        bad += problems(repo, p)
        path, text = built(repo, p)
        rel = path.relative_to(repo.root)
        if not path.exists():
            bad.append(f"{rel}: missing; run scripts/i18n.py build")
        elif path.read_text(encoding="utf-8") != text:
            bad.append(f"{rel}: not what the English notebook and its translation give "
                       f"(the English outputs or text changed); run scripts/i18n.py build")
    built_paths = {repo.built_path(load(p)) for p in trs}
    for extra in repo.built_notebooks():
        if extra not in built_paths:
            bad.append(f"{extra.relative_to(repo.root)}: has no translation file; "
                       f"remove it or add one in notebooks/i18n/{LANG}/")
    for b in bad:
        print("i18n:", b)
    n_cells = sum(len(load(p).get("cells", {})) for p in trs)
    print(f"i18n: {len(trs)} notebooks, {n_cells} translated cells, {len(bad)} problems")
    return 1 if bad else 0


def cmd_build(repo: Repo) -> int:
    for p in repo.translations():
        path, text = built(repo, p)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
            print(f"i18n: wrote {path.relative_to(repo.root)}")
    return 0


def cmd_update(repo: Repo, names: list[str]) -> int:
    for name in names:
        src = repo.nb_dir / name
        nb = load(src)
        tr_path = repo.tr_dir / (Path(name).stem + ".json")
        tr = load(tr_path) if tr_path.exists() else {"notebook": name, "cells": {}}
        cells = tr["cells"]
        added = carried = 0
        for cell in nb["cells"]:
            if not needs_translation(cell):
                continue
            entry, en = cells.get(cell["id"]), text_of(cell)
            if entry is None:
                cells[cell["id"]] = {"kind": cell["cell_type"], "en": en, "ko": ""}
                added += 1
            elif cell["cell_type"] == "code" and entry["en"] != en and entry.get("ko"):
                ko = carry_comments(entry["en"], entry["ko"], en)
                if ko is not None:
                    entry["en"], entry["ko"] = en, ko
                    carried += 1
        write_atomic(tr_path, json.dumps(tr, indent=1, ensure_ascii=False) + "\n")
        print(f"i18n: {tr_path.relative_to(repo.root)}: {added} cells added, {carried} code "
              f"cells whose code alone changed carried over")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["check", "build", "update"])
    ap.add_argument("names", nargs="*", help="update: English notebooks, relative to notebooks/")
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    a = ap.parse_args(argv)
    repo = Repo(Path(a.root))
    if a.command == "check":
        return cmd_check(repo)
    if a.command == "build":
        return cmd_build(repo)
    return cmd_update(repo, a.names or [load(p)["notebook"] for p in repo.translations()])


if __name__ == "__main__":
    sys.exit(main())
