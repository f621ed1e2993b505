#!/usr/bin/env python3
"""Tests of scripts/i18n.py on a small checkout in a temporary folder: a current
translation passes, and each way a translation goes wrong fails `check` with a message
naming the cell and the fix."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n  # noqa: E402

EN = {
    "cells": [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["## 5.1 Graphs\n", "A graph."]},
        {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1,
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["220\n"]}],
         "source": ["let url = \"http://x\"; // the price\n", "println!(\"{}\", 220);"]},
        {"cell_type": "code", "id": "c2", "metadata": {}, "execution_count": 2, "outputs": [],
         "source": ["let y = 1;"]},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}
GOOD = {
    "notebook": "ch.ipynb",
    "cells": {
        "intro": {"kind": "markdown", "en": "## 5.1 Graphs\nA graph.", "ko": "## 5.1 그래프\n그래프다."},
        "c1": {"kind": "code", "en": "let url = \"http://x\"; // the price\nprintln!(\"{}\", 220);",
               "ko": "let url = \"http://x\"; // 가격\nprintln!(\"{}\", 220);"},
    },
}


def checkout(en=EN, tr=GOOD, build=True) -> Path:
    root = Path(tempfile.mkdtemp(prefix="i18n-test-"))
    (root / "notebooks/i18n/ko").mkdir(parents=True)
    (root / "notebooks/ch.ipynb").write_text(json.dumps(en), encoding="utf-8")
    (root / "notebooks/i18n/ko/ch.json").write_text(json.dumps(tr, ensure_ascii=False), encoding="utf-8")
    if build:
        i18n.main(["build", "--root", str(root)])
    return root


def check(root: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = i18n.main(["check", "--root", str(root)])
    return rc, out.getvalue()


def expect_fail(label: str, root: Path, *words: str) -> None:
    rc, out = check(root)
    assert rc == 1, f"{label}: check passed:\n{out}"
    for w in words:
        assert w in out, f"{label}: {w!r} not in:\n{out}"
    print(f"ok: {label}")


def edited(change) -> dict:
    d = json.loads(json.dumps(GOOD))
    change(d)
    return d


def main() -> int:
    # a current translation passes, and the built notebook keeps the English outputs
    root = checkout()
    rc, out = check(root)
    assert rc == 0, out
    ko = json.loads((root / "notebooks/ch.ko.ipynb").read_text(encoding="utf-8"))
    assert "".join(ko["cells"][0]["source"]) == "## 5.1 그래프\n그래프다."
    assert ko["cells"][1]["outputs"] == EN["cells"][1]["outputs"]
    assert "// 가격" in "".join(ko["cells"][1]["source"])
    print("ok: a current translation passes; outputs are the English ones")

    # the English changed after the translation: stale, with the changed line shown
    en2 = json.loads(json.dumps(EN))
    en2["cells"][0]["source"] = ["## 5.1 Graphs\n", "A computational graph."]
    root = checkout(en=en2, build=False)
    expect_fail("stale markdown", root, "cell 0 (id intro)", "stale", "+A computational graph.")

    # no translation for a cell
    root = checkout(tr=edited(lambda d: d["cells"].pop("c1")))
    expect_fail("missing cell", root, "id c1", "no Korean translation")

    # an empty translation
    root = checkout(tr=edited(lambda d: d["cells"]["intro"].update(ko=" ")))
    expect_fail("empty translation", root, "id intro", "empty")

    # the code of a code cell changed (not only its comment)
    root = checkout(tr=edited(lambda d: d["cells"]["c1"].update(
        ko="let url = \"http://y\"; // 가격\nprintln!(\"{}\", 220);")))
    expect_fail("code changed", root, "id c1", "changed code")

    # a comment removed (the line's code is the same, its comment gone)
    root = checkout(tr=edited(lambda d: d["cells"]["c1"].update(
        ko="let url = \"http://x\";\nprintln!(\"{}\", 220);")))
    expect_fail("comment dropped", root, "id c1", "line 1")

    # a translation of a cell that is no longer there
    root = checkout(tr=edited(lambda d: d["cells"].update(gone={"kind": "markdown", "en": "x", "ko": "y"})))
    expect_fail("deleted cell", root, "gone", "remove it")

    # the built notebook is out of date (the English outputs changed after the build)
    root = checkout()
    en3 = json.loads(json.dumps(EN))
    en3["cells"][1]["outputs"][0]["text"] = ["221\n"]
    (root / "notebooks/ch.ipynb").write_text(json.dumps(en3), encoding="utf-8")
    expect_fail("stale build", root, "notebooks/ch.ko.ipynb", "scripts/i18n.py build")

    # a built notebook never built
    root = checkout(build=False)
    expect_fail("not built", root, "notebooks/ch.ko.ipynb", "missing")

    # update carries a code cell whose code alone changed; one whose comment changed stays stale
    en4 = json.loads(json.dumps(EN))
    en4["cells"][1]["source"] = ["let url = \"http://z\"; // the price\n", "println!(\"{}\", 221);"]
    root = checkout(en=en4, build=False)
    i18n.main(["update", "--root", str(root)])
    i18n.main(["build", "--root", str(root)])
    rc, out = check(root)
    assert rc == 0, out
    tr = json.loads((root / "notebooks/i18n/ko/ch.json").read_text(encoding="utf-8"))
    assert tr["cells"]["c1"]["ko"] == "let url = \"http://z\"; // 가격\nprintln!(\"{}\", 221);", tr
    en4["cells"][1]["source"] = ["let url = \"http://z\"; // the unit price\n", "println!(\"{}\", 221);"]
    root = checkout(en=en4, build=False)
    i18n.main(["update", "--root", str(root)])
    expect_fail("changed comment not carried", root, "id c1", "stale")
    print("ok: update carries code-only changes, not changed comments")

    # `//` inside a string is not a comment; a char literal '"' does not open a string
    assert i18n.split_comment('let u = "a//b"; // c') == ('let u = "a//b"; ', "// c")
    assert i18n.split_comment("let q = '\"'; // c") == ("let q = '\"'; ", "// c")
    assert i18n.split_comment("fn f<'a>(x: &'a str) {} // c")[1] == "// c"
    print("ok: comments found outside strings and char literals")
    print("i18n tests: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
