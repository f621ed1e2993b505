#!/usr/bin/env python3
"""Tests of scripts/i18n.py (and of scripts/make_exercises.py's outputs) on small checkouts
in temporary folders: a current translation passes, and each way a translation goes wrong
fails `check` with a message naming the cell and the fix. The exercise tests use a fake
chapter (ch09: one solutions notebook, a src/exercise/x.rs with a few tr! pairs): the Korean
solutions and learner's copy, their code (one set_language line more), the checks' output
lines translated (recursively, a report's parts as a list, the hint from the Korean
`BEGIN SOLUTION` comment), and the learner's copy keeping the outputs of unchanged cells."""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n  # noqa: E402
import make_exercises  # noqa: E402

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


def temp_root(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def checkout(en=EN, tr=GOOD, build=True) -> Path:
    root = temp_root("i18n-test-")
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


# ------------------------------------------------------------------ the exercise notebooks

def code(cid, src, outputs=(), tags=()):
    return {"cell_type": "code", "id": cid, "metadata": {"tags": list(tags)} if tags else {},
            "execution_count": 1 if outputs else None,
            "outputs": [{"name": "stdout", "output_type": "stream", "text": list(outputs)}]
            if outputs else [], "source": src.splitlines(keepends=True)}


PRELUDE_CELL = (':dep dlfs = { path = "../../.." }\nuse dlfs::exercise::prelude::*;\n'
                'let mut progress = Progress::new("ch09", &["Double", "Half"]);')
DOUBLE = ("fn double(x: f64) -> f64 {\n"
          "    // BEGIN SOLUTION multiply it by two\n"
          "    2.0 * x\n"
          "    // END SOLUTION\n"
          "}\n"
          "progress.record(check_double(double));")
HALF = ("fn half(x: f64) -> f64 {\n"
        "    // BEGIN SOLUTION x / 2\n"
        "    x / 2.0\n"
        "    // END SOLUTION\n"
        "}\n"
        "progress.record(check_half(half));")
SOLUTIONS = {
    "cells": [
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["## Double it"]},
        code("p", PRELUDE_CELL),
        code("x", DOUBLE, ["✓ Double: forward on x of shape (2, 3), 3 values, gradient check "
                           "(rel. error 1.0e-9)\n"], tags=["check"]),
        code("h", HALF, ["✗ Half: 3 values: expected 1.5, got 1\n",
                         "  (passed before it: forward on x of shape (2, 3))\n"], tags=["check"]),
        code("d", 'println!("{progress}");',
             ["ch09: 1 of 2 exercises done\n", "  ✓ Double\n", "  ✗ Half\n"]),
    ],
    "metadata": {"dlfs": {"exercise": "solution"}}, "nbformat": 4, "nbformat_minor": 5,
}
SOLUTIONS_KO = {
    "notebook": "exercises/solutions/ch09_solutions.ipynb",
    "cells": {
        "m": {"kind": "markdown", "en": "## Double it", "ko": "## 두 배로"},
        "x": {"kind": "code", "en": DOUBLE,
              "ko": DOUBLE.replace("// BEGIN SOLUTION multiply it by two", "// BEGIN SOLUTION 두 배로 한다")},
        "h": {"kind": "code", "en": HALF, "ko": HALF},  # a formula hint stays as it is
    },
}
# tr! pairs as the Rust sources write them: a `\`-newline continuation, a named, a
# positional and a formatted placeholder, and a message inside another
MESSAGES = r'''
/// A doc comment's example is no entry: `tr!("yours {a}", "입력값 {a}", a = x)`.
macro_rules! tr { ($en:literal, $ko:literal $(, $($args:tt)*)?) => {}; }
fn f() {
    let a = tr!("{exercise}: not done yet: {hint}", "{exercise}: 아직 작성 전: {hint}");
    let b = tr!(
        "{chapter}: {done} of {all} exercises done",
        "{chapter}: 연습 {all}개 중 {done}개 완료"
    );
    let c = tr!("(passed before it: {parts})", "(그 전에 통과한 것: {parts})");
    let d = tr!("forward {on}", "{on} 순전파");
    let e = tr!("on x of shape {}", "x의 모양이 {}일 때", shape);
    let g = tr!("{n} values", "값 {n}개");
    let h = tr!("gradient check (rel. error \
                 {err:.1e})", "기울기 확인 (상대 오차 {err:.1e})");
    let i = tr!("{what}: expected {want}, got {got}", "{what}: {want}이어야 하는데 {got}");
}
'''


def exercise_checkout(messages=MESSAGES, tr=SOLUTIONS_KO, learner_outputs=True) -> Path:
    """A checkout with the ch09 exercise: its solutions, their translation, the English
    learner's copy with the outputs of a run (as the runner's --update writes them), and the
    Korean notebooks built."""
    root = temp_root("i18n-ex-test-")
    (root / "notebooks/i18n/ko").mkdir(parents=True)
    (root / "notebooks/exercises/solutions").mkdir(parents=True)
    (root / "src/exercise").mkdir(parents=True)
    (root / "src/exercise/x.rs").write_text(messages, encoding="utf-8")
    (root / "notebooks/exercises/solutions/ch09_solutions.ipynb").write_text(
        json.dumps(SOLUTIONS, ensure_ascii=False), encoding="utf-8")
    (root / "notebooks/i18n/ko/ch09_solutions.json").write_text(
        json.dumps(tr, ensure_ascii=False), encoding="utf-8")
    quiet(make_exercises.main, ["--root", str(root)])
    if learner_outputs:
        run_learner(root)
    quiet(i18n.main, ["build", "--root", str(root)])
    return root


def run_learner(root: Path) -> None:
    """What a run of the English learner's copy prints, written as --update would."""
    path = root / "notebooks/exercises/ch09_exercises.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    printed = {"x": ["… Double: not done yet: multiply it by two\n"],
               "h": ["… Half: not done yet: x / 2\n"],
               "d": ["ch09: 0 of 2 exercises done\n", "  … Double\n", "  … Half\n"]}
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": printed[cell["id"]]}
                               ] if cell["id"] in printed else []
    path.write_text(i18n.dumps_nb(nb), encoding="utf-8")


def quiet(fn, argv) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = fn(argv)
    return rc, out.getvalue()


def nb_at(root: Path, rel: str) -> dict:
    return json.loads((root / rel).read_text(encoding="utf-8"))


def cell_of(nb: dict, cid: str) -> dict:
    return next(c for c in nb["cells"] if c.get("id") == cid)


def printed(nb: dict, cid: str) -> str:
    return "".join("".join(o["text"]) for o in cell_of(nb, cid)["outputs"])


KO_SOLUTIONS = "notebooks/exercises/solutions/ch09_solutions.ko.ipynb"
KO_LEARNER = "notebooks/exercises/ch09_exercises.ko.ipynb"
EN_LEARNER = "notebooks/exercises/ch09_exercises.ipynb"


def edit_json(root: Path, rel: str, change) -> None:
    nb = nb_at(root, rel)
    change(nb)
    (root / rel).write_text(i18n.dumps_nb(nb), encoding="utf-8")


def exercise_tests() -> None:
    # a current translation passes; the Korean notebooks are what they should be
    root = exercise_checkout()
    rc, out = check(root)
    assert rc == 0, out
    ko = nb_at(root, KO_SOLUTIONS)
    assert "".join(cell_of(ko, "p")["source"]).split("\n")[1:3] == [
        "use dlfs::exercise::prelude::*;", i18n.SET_LANGUAGE], cell_of(ko, "p")["source"]
    # the recursive translation of composed messages: a report's parts as a list, a message
    # inside a message, a positional and a formatted placeholder
    assert printed(ko, "x") == ("✓ Double: x의 모양이 (2, 3)일 때 순전파, 값 3개, 기울기 확인 "
                                "(상대 오차 1.0e-9)\n"), printed(ko, "x")
    assert printed(ko, "h") == ("✗ Half: 값 3개: 1.5이어야 하는데 1\n"
                                "  (그 전에 통과한 것: x의 모양이 (2, 3)일 때 순전파)\n"), printed(ko, "h")
    assert printed(ko, "d") == "ch09: 연습 2개 중 1개 완료\n  ✓ Double\n  ✗ Half\n", printed(ko, "d")
    print("ok: composed check messages translated recursively (parts, nested, placeholders)")
    # the Korean learner's copy: made from the Korean solutions, hints in Korean in the
    # todo!() and in the outputs (from the BEGIN SOLUTION comment of the translation)
    learner = nb_at(root, KO_LEARNER)
    assert learner["metadata"]["dlfs"]["exercise"] == "learner"
    assert 'todo!("두 배로 한다")' in "".join(cell_of(learner, "x")["source"])
    assert i18n.SET_LANGUAGE in "".join(cell_of(learner, "p")["source"])
    assert printed(learner, "x") == "… Double: 아직 작성 전: 두 배로 한다\n", printed(learner, "x")
    assert printed(learner, "h") == "… Half: 아직 작성 전: x / 2\n", printed(learner, "h")
    assert printed(learner, "d") == "ch09: 연습 2개 중 0개 완료\n  … Double\n  … Half\n"
    print("ok: the Korean learner's copy: Korean todo!() hints, its outputs translated")

    # a solutions cell with no translation, and one whose English changed since
    tr = json.loads(json.dumps(SOLUTIONS_KO))
    del tr["cells"]["x"]
    expect_fail("solutions cell untranslated", exercise_checkout(tr=tr),
                "ch09_solutions.ipynb cell 2 (id x)", "no Korean translation")
    tr = json.loads(json.dumps(SOLUTIONS_KO))
    tr["cells"]["x"]["en"] = tr["cells"]["x"]["en"].replace("multiply it by two", "double it")
    expect_fail("solutions cell stale", exercise_checkout(tr=tr),
                "(id x)", "stale", "+    // BEGIN SOLUTION multiply it by two")
    # the BEGIN SOLUTION marker translated, and a hint left in English
    tr = json.loads(json.dumps(SOLUTIONS_KO))
    tr["cells"]["x"]["ko"] = tr["cells"]["x"]["ko"].replace("BEGIN SOLUTION", "풀이 시작")
    expect_fail("marker translated", exercise_checkout(tr=tr), "(id x)", "marker stays English")
    tr = json.loads(json.dumps(SOLUTIONS_KO))
    tr["cells"]["x"]["ko"] = DOUBLE
    expect_fail("hint not translated", exercise_checkout(tr=tr), "(id x)",
                "hint after BEGIN SOLUTION is not translated")

    # the Korean code differs beyond the set_language line: a changed line, the line gone
    root = exercise_checkout()
    edit_json(root, KO_SOLUTIONS, lambda nb: cell_of(nb, "x").update(
        source="".join(cell_of(nb, "x")["source"]).replace("2.0 * x", "3.0 * x")))
    expect_fail("Korean code changed", root, "ch09_solutions.ko.ipynb cell 2 (id x)",
                "code line 3", "3.0 * x")
    root = exercise_checkout()
    edit_json(root, KO_LEARNER, lambda nb: cell_of(nb, "p").update(
        source="".join(cell_of(nb, "p")["source"]).replace(i18n.SET_LANGUAGE + "\n", "")))
    expect_fail("set_language line missing", root, "ch09_exercises.ko.ipynb cell 1 (id p)",
                "code line 3", "set_language(Lang::Ko);")
    root = exercise_checkout()
    edit_json(root, KO_LEARNER, lambda nb: cell_of(nb, "d").update(
        source="set_language(Lang::En);\n" + "".join(cell_of(nb, "d")["source"])))
    expect_fail("another line of code", root, "ch09_exercises.ko.ipynb cell 4 (id d)", "code line 1")

    # an output line no tr! pair translates: the pair taken out of the Rust source
    expect_fail("check line without catalog entry",
                exercise_checkout(messages=MESSAGES.replace('"{n} values"', '"{n} value(s)"')),
                "ch09_solutions.ko.ipynb cell 2 (id x)", "no catalog entry", "✓ Double:")
    # a line an entry translated, with English left in it (a part whose message changed)
    root = exercise_checkout()
    edit_json(root, "notebooks/exercises/solutions/ch09_solutions.ipynb",
              lambda nb: cell_of(nb, "h")["outputs"][0].update(text=[
                  "✗ Half: 3 values: expected 1.5, got 1\n",
                  "  (passed before it: gradient check (relative error 1e-9))\n"]))
    quiet(i18n.main, ["build", "--root", str(root)])
    expect_fail("English left in a translated line", root,
                "ch09_solutions.ko.ipynb cell 3 (id h)", "still English",
                "'gradient check (relative error 1e-9)'")
    # ... and English of the catalog's literal text left in a translated line (here in an
    # exercise's name, which a translation keeps)
    messages, _ = i18n.scan_catalog(root)
    tl = i18n.Translator(messages, {}, frozenset({"gradient check"}))
    ko, why = tl.line("… gradient check: not done yet: x")
    assert ko == "… gradient check: 아직 작성 전: x" and why and "'gradient check'" in why, (ko, why)
    print("ok: English literal text of the catalog left in a line")
    # the learner's copy's Korean outputs are checked too
    root = exercise_checkout()
    edit_json(root, EN_LEARNER, lambda nb: cell_of(nb, "x")["outputs"][0].update(
        text=["… Double: not quite done: multiply it by two\n"]))
    quiet(i18n.main, ["build", "--root", str(root)])
    expect_fail("learner's copy output untranslated", root,
                "ch09_exercises.ko.ipynb cell 2 (id x)", "no catalog entry")
    # a Korean notebook left behind by a change of the English outputs names the cell
    root = exercise_checkout()
    edit_json(root, EN_LEARNER, lambda nb: cell_of(nb, "d")["outputs"][0].update(
        text=["ch09: 1 of 2 exercises done\n"]))
    expect_fail("Korean learner's copy not rebuilt", root, "ch09_exercises.ko.ipynb",
                "cell 4 (id d): its outputs", "scripts/i18n.py build")

    # the learner's copy keeps the outputs of unchanged cells, drops those of changed ones
    root = exercise_checkout()
    before = (root / EN_LEARNER).read_text(encoding="utf-8")
    assert quiet(make_exercises.main, ["--root", str(root)])[0] == 0
    assert (root / EN_LEARNER).read_text(encoding="utf-8") == before, "make-exercises after a run changed the copy"
    assert quiet(make_exercises.main, ["--check", "--root", str(root)])[0] == 0
    src = root / "notebooks/exercises/solutions/ch09_solutions.ipynb"
    sol = json.loads(src.read_text(encoding="utf-8"))
    # inside BEGIN/END SOLUTION: the learner's code is the same, its outputs stay
    cell_of(sol, "h")["source"] = HALF.replace("x / 2.0", "0.5 * x").splitlines(keepends=True)
    # outside: the learner's code changed, its outputs go
    cell_of(sol, "x")["source"] = DOUBLE.replace("progress.record", "let _ = 1;\nprogress.record"
                                                 ).splitlines(keepends=True)
    src.write_text(json.dumps(sol, ensure_ascii=False), encoding="utf-8")
    rc, out = quiet(make_exercises.main, ["--check", "--root", str(root)])
    assert rc == 1 and "ch09_exercises.ipynb is out of date" in out, out
    rc, out = quiet(make_exercises.main, ["--root", str(root)])
    assert rc == 0 and "1 code cells (x) have no outputs" in out, out
    nb = nb_at(root, EN_LEARNER)
    assert cell_of(nb, "x")["outputs"] == [] and cell_of(nb, "x")["execution_count"] is None
    assert printed(nb, "h") == "… Half: not done yet: x / 2\n" and printed(nb, "d").startswith("ch09: 0 of 2")
    assert quiet(make_exercises.main, ["--check", "--root", str(root)])[0] == 0
    # the outputs of a changed cell that stayed: --check fails
    text = (root / EN_LEARNER).read_text(encoding="utf-8")
    (root / EN_LEARNER).write_text(before, encoding="utf-8")
    rc, out = quiet(make_exercises.main, ["--check", "--root", str(root)])
    assert rc == 1, out
    (root / EN_LEARNER).write_text(text, encoding="utf-8")
    # make-exercises leaves the Korean notebooks alone; i18n builds the Korean copy without
    # the dropped outputs
    assert not (root / "notebooks/exercises/ch09_solutions.ko_exercises.ipynb").exists()
    tr = json.loads(json.dumps(SOLUTIONS_KO))
    tr["cells"]["x"] = {"kind": "code", "en": "".join(cell_of(sol, "x")["source"]),
                        "ko": "".join(cell_of(sol, "x")["source"]).replace(
                            "// BEGIN SOLUTION multiply it by two", "// BEGIN SOLUTION 두 배로 한다")}
    tr["cells"]["h"] = {"kind": "code", "en": "".join(cell_of(sol, "h")["source"]),
                        "ko": "".join(cell_of(sol, "h")["source"])}
    (root / "notebooks/i18n/ko/ch09_solutions.json").write_text(json.dumps(tr, ensure_ascii=False), encoding="utf-8")
    quiet(i18n.main, ["build", "--root", str(root)])
    rc, out = check(root)
    assert rc == 0, out
    learner = nb_at(root, KO_LEARNER)
    assert cell_of(learner, "x")["outputs"] == [] and printed(learner, "h") == "… Half: 아직 작성 전: x / 2\n"
    print("ok: the learner's copy keeps unchanged cells' outputs, drops changed ones'; "
          "make-exercises after a run changes nothing")

    # say("English", "한국어") in the notebook's code: its printed line and its figure's
    # sentence come out in Korean; a sentence written in English only fails the check
    root = exercise_checkout()
    svg_en = ('<svg width="640" height="60"><rect/><text x="10" y="35">'
              '(the chart appears here once Double &amp; Half pass)</text>'
              '<text x="5" y="5">\n(the chart appears here once Double &amp; Half pass)\n</text></svg>\n')

    def add_say(nb, call='println!("{}", say("(runs once Double passes)", "(Double이 통과하면 실행된다)"));'):
        nb["cells"].append(code("s", call, ["(runs once Double passes)\n"]))
        nb["cells"].append({"cell_type": "code", "id": "f", "metadata": {}, "execution_count": 9,
                            "outputs": [{"output_type": "display_data", "metadata": {},
                                         "data": {"image/svg+xml": svg_en}}],
                            "source": ['Figure::note(&say("(the chart appears here once Double & Half pass)", '
                                       '"(Double과 Half가 통과하면 여기에 그래프가 나타난다)"))']})
    edit_json(root, "notebooks/exercises/solutions/ch09_solutions.ipynb", add_say)
    quiet(i18n.main, ["build", "--root", str(root)])
    rc, out = check(root)
    assert rc == 0, out
    ko = nb_at(root, KO_SOLUTIONS)
    assert printed(ko, "s") == "(Double이 통과하면 실행된다)\n", printed(ko, "s")
    svg_ko = "".join(cell_of(ko, "f")["outputs"][0]["data"]["image/svg+xml"])
    assert ">(Double과 Half가 통과하면 여기에 그래프가 나타난다)<" in svg_ko, svg_ko
    # plotters writes a title on a line of its own
    assert ">\n(Double과 Half가 통과하면 여기에 그래프가 나타난다)\n<" in svg_ko, svg_ko
    root = exercise_checkout()
    edit_json(root, "notebooks/exercises/solutions/ch09_solutions.ipynb",
              lambda nb: add_say(nb, 'println!("(runs once Double passes)");'))
    quiet(i18n.main, ["build", "--root", str(root)])
    expect_fail("a sentence in English only", root, "(id s), line 1",
                "a sentence for the learner in English only", 'say("English", "한국어")')
    print("ok: say(…) sentences printed and drawn in Korean; one in English only fails")

    # the catalog: doc comments and the macro's definition are no entries; continuations
    messages, bad = i18n.scan_catalog(exercise_checkout())
    assert not bad, bad
    ens = [m.en for m in messages]
    assert "yours {a}" not in ens and "gradient check (rel. error {err:.1e})" in ens, ens
    print("ok: the tr! catalog (continuations, doc comments skipped)")


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
    exercise_tests()
    print("i18n tests: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
