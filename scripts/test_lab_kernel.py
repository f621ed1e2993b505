#!/usr/bin/env python3
"""The learner's kernel as JupyterLab starts it ("Rust (dlfs)", the lab's evcxr config), driven
cell by cell like a learner:

1. the Korean exercise notebooks speak Korean: per chapter, the built
   `chNN_solutions.ko.ipynb`'s first cells (`:dep`, the prelude with `set_language(Lang::Ko)`)
   and one solution cell changed into a usual mistake (ch05: Relu's mask `<`; ch06:
   Momentum's velocity without the learning rate; ch07: the output size without `+ 1`) must
   print the Korean ✗ line that names the mistake, and no English sentence;
2. a panic in the learner's own code prints one line, "panic in this cell: …" ("이 셀의
   코드에서 패닉: …" after set_language(Lang::Ko)), with no backtrace through evcxr even when
   RUST_BACKTRACE=1 is set, and the session's variables are kept;
3. ■ (interrupt) during a long cell ends evcxr's process within seconds: the variables are
   gone ("cannot find value"), a function defined before still works — what the notebooks
   and the README say — and a panic in the new process is still one line.

Needs the kernel installed (scripts/setup). Prints one line per check and "lab kernel: ok".
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# (chapter, the English solution's line, the mistake, a Korean fragment of its message)
MISTAKES = [
    ("ch05", "let mask = x.mapv(|v| v <= 0.0);", "let mask = x.mapv(|v| v < 0.0);",
     "마스크가 x < 0입니다"),
    ("ch06", "*v = alpha * *v - lr * g;", "*v = alpha * *v - g;",
     "속도에 학습률이 빠졌습니다"),
    ("ch07", "(input_size + 2 * pad - filter_size) / stride + 1",
     "(input_size + 2 * pad - filter_size) / stride", "1을 더하세요"),
]
ENGLISH = re.compile(r"\b(the|your|must|expected|should|not|is|are|with|from|missing)\b")


def run(kc, code: str, timeout: float = 900) -> str:
    """Executes `code`; stdout, stderr and errors as text (ANSI colours removed)."""
    msg_id = kc.execute(code)
    out = []
    deadline = time.time() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        t, c = m["msg_type"], m["content"]
        if t == "stream":
            out.append(c["text"])
        elif t == "error":
            out.append(f"ERROR {c['ename']}: {c['evalue']}\n")
        elif t == "status" and c["execution_state"] == "idle":
            break
    # evcxr forwards stderr from a thread: a panic's line may come just after idle
    time.sleep(0.5)
    while True:
        try:
            m = kc.get_iopub_msg(timeout=0.2)
        except Exception:
            break
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
            out.append(m["content"]["text"])
    return ANSI.sub("", "".join(out))


def cells_of(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def main() -> int:
    env = dict(os.environ)
    env.pop("DLFS_EVCXR_CONFIG_DIR", None)  # the lab's configuration, not the runner's
    env["RUST_BACKTRACE"] = "1"              # a learner's shell may have it set
    env["DLFS_PROGRESS_DIR"] = "off"
    problems: list[str] = []

    def expect(ok: bool, what: str, seen: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            problems.append(f"{what}:\n{seen}")

    km, kc = start_new_kernel(kernel_name="dlfs-rust", cwd=str(EXERCISES / "solutions"), env=env)
    try:
        # 1. a wrong implementation per chapter, in the Korean notebook
        for chapter, right, wrong, korean in MISTAKES:
            cells = cells_of(EXERCISES / "solutions" / f"{chapter}_solutions.ko.ipynb")
            for setup in cells[:2]:
                out = run(kc, setup)
                if "ERROR" in out:
                    problems.append(f"{chapter}: setup cell failed: {out}")
            cell = next((c for c in cells if right in c), None)
            if cell is None:
                problems.append(f"{chapter}: no cell with {right!r} in the Korean notebook")
                continue
            out = run(kc, cell.replace(right, wrong))
            line = next((l for l in out.splitlines() if l.startswith("✗")), "")
            expect(korean in line and not ENGLISH.search(line.split(":", 1)[-1]),
                   f"{chapter}: the mistake is named in Korean ({korean})", out)

        # 2. a panic in the learner's own code (in Korean: the Korean notebook's
        # set_language ran above), then in English
        run(kc, "let kept = 7;\nfn still_here() -> i32 { 42 }")
        out = run(kc, "let v: Vec<i32> = Vec::new();\nv[3]")
        expect(out.strip().startswith("이 셀의 코드에서 패닉: index out of bounds")
               and "backtrace" not in out and "evcxr" not in out,
               "a panic is one line, '이 셀의 코드에서 패닉: …', without a backtrace", out)
        run(kc, "set_language(Lang::En);")
        out = run(kc, "let v: Vec<i32> = Vec::new();\nv[3]")
        expect(out.strip().startswith("panic in this cell: index out of bounds")
               and "backtrace" not in out,
               "in English: 'panic in this cell: …'", out)
        out = run(kc, 'println!("{kept}");')
        expect(out.strip() == "7", "the variables survive a panic", out)

        # 3. ■ during a long cell
        msg_id = kc.execute("std::thread::sleep(std::time::Duration::from_secs(60));")
        time.sleep(3)
        start = time.time()
        km.interrupt_kernel()
        while True:
            m = kc.get_iopub_msg(timeout=60)
            if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                break
        took = time.time() - start
        expect(took < 15, f"■ stops the cell within seconds ({took:.1f} s)", "")
        out = run(kc, 'println!("{kept}");')
        expect("cannot find value `kept`" in out, "after ■ the variables are gone", out)
        out = run(kc, 'println!("{}", still_here());')
        expect(out.strip() == "42", "after ■ the functions defined before remain", out)
        # evcxr's new process runs no line of init.evcxr again: the hook comes back with the
        # first cell's library (a constructor among init.evcxr's items)
        out = run(kc, "let v: Vec<i32> = Vec::new();\nv[4]")
        expect(out.strip().startswith("panic in this cell: index out of bounds")
               and "backtrace" not in out,
               "after ■ a panic is still one line", out)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    for p in problems:
        print("lab kernel:", p)
    print("lab kernel:", "FAILED" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
