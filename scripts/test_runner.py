"""Self-test of the notebook runner on the fixtures in tests/notebooks/.

Each fixture says in its metadata (`dlfs_runner_test`) what the runner must report:
  expect  "pass" or "fail"
  cell    the 1-based cell at which it must fail
  reason  text that must appear in the runner's failure line (why it failed)
  detail  text that must appear in the failure's detail (the kernel's own message)
  no_output  text that must not appear in the failing cell's outputs (e.g. "✓")
  figures for a passing notebook: the figure files it must write
  args    extra runner arguments (e.g. a short --cell-timeout)
Every fixture runs in its own runner process; the exit status must be 0 for "pass" and 1
for "fail". Prints one line per fixture and `runner-selftest: N passed, M failed`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "notebooks"
RUNNER = ROOT / "scripts" / "run_notebooks.py"


def check(path: Path, tmp: Path) -> list[str]:
    """Run the runner on one fixture; return the list of problems (empty = as expected)."""
    expect = json.loads(path.read_text())["metadata"]["dlfs_runner_test"]
    out = tmp / path.stem
    cmd = [sys.executable, str(RUNNER), "--quiet", "--out", str(out), "--tmpdir-root", "",
           *expect.get("args", []), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    problems = []
    summary_file = out / "summary.json"
    if not summary_file.exists():
        return [f"no summary.json (exit {proc.returncode})\n{log}"]
    [result] = json.loads(summary_file.read_text())
    want_ok = expect["expect"] == "pass"
    if proc.returncode != (0 if want_ok else 1):
        problems.append(f"exit status {proc.returncode}, want {0 if want_ok else 1}")
    if result["ok"] != want_ok:
        problems.append(f"runner said ok={result['ok']}, want {want_ok}: {result['failure']}")
    if want_ok:
        if sorted(result["figures"]) != sorted(expect.get("figures", [])):
            problems.append(f"figures {result['figures']}, want {expect.get('figures')}")
        for name in expect.get("figures", []):
            f = out / path.stem / name
            if not f.is_file() or f.stat().st_size == 0:
                problems.append(f"figure file {f} missing or empty")
        for ext in ("ipynb", "html"):
            if not (out / path.stem / f"{path.stem}.{ext}").is_file():
                problems.append(f"no {ext} written")
        html = out / path.stem / f"{path.stem}.html"
        if any(f.endswith(".gif") for f in expect.get("figures", [])) and html.is_file() \
                and "data:image/gif;base64," not in html.read_text():
            problems.append("the HTML page does not show the GIF")
    else:
        prefix = f"cell {expect['cell']}: "
        if not result["failure"].startswith(prefix):
            problems.append(f"failure '{result['failure']}' is not at {prefix!r}")
        if expect["reason"] not in result["failure"]:
            problems.append(f"failure '{result['failure']}' does not say {expect['reason']!r}")
        if expect.get("detail", "") not in result["detail"]:
            problems.append(f"detail does not contain {expect['detail']!r}:\n{result['detail']}")
        if "no_output" in expect:
            executed = out / path.stem / f"{path.stem}.ipynb"
            if not executed.is_file():
                problems.append("no executed notebook written")
            else:
                cell = json.loads(executed.read_text())["cells"][expect["cell"] - 1]
                shown = json.dumps(cell.get("outputs", []), ensure_ascii=False)
                if expect["no_output"] in shown:
                    problems.append(f"cell {expect['cell']} shows {expect['no_output']!r}: {shown}")
        if f"FAILED {path.stem}: {result['failure']}" not in proc.stdout:
            problems.append("the failure is not printed on stdout")
    if problems:
        problems.append("runner output:\n" + log)
    return problems


def show(problems: list[str], ok_line: str, fail_line: str) -> bool:
    """Prints `ok   ok_line`, or `FAIL fail_line` and the problems; whether it was ok."""
    if not problems:
        print(f"ok   {ok_line}")
        return True
    print(f"FAIL {fail_line}")
    for p in problems:
        print("    " + p.replace("\n", "\n    "))
    return False


def main() -> int:
    fixtures = sorted(FIXTURES.glob("*.ipynb"))
    if not fixtures:
        print(f"runner-selftest: no fixtures in {FIXTURES}")
        return 1
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="dlfs-runner-test-") as tmp:
        # Two at a time: much of a fixture's time is kernel start-up and waiting.
        def timed(path):
            start = time.monotonic()
            return check(path, Path(tmp)), time.monotonic() - start

        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(timed, fixtures))
        for path, (problems, took) in zip(fixtures, runs):
            expect = json.loads(path.read_text())["metadata"]["dlfs_runner_test"]
            if expect["expect"] == "pass":
                what = "passes"
            else:
                what = f"fails at cell {expect['cell']} ({expect['reason']})"
            ok = show(problems, f"{path.name}: runner {what} ({took:.1f}s)",
                      f"{path.name}: the runner should say it {what}")
            passed, failed = passed + ok, failed + (not ok)
        for check_one, what in [
            (check_lab_kernel, "the learner's kernel (JupyterLab's configuration) keeps "
                               "variables after a panic"),
            (check_lanes, "--jobs 2: two notebooks side by side, each judged and reported"),
            (check_manifest, "a run of all fails when a listed notebook is missing or one is "
                             "not listed"),
        ]:
            ok = show(check_one(Path(tmp)), what, what)
            passed, failed = passed + ok, failed + (not ok)
    print(f"runner-selftest: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def check_lab_kernel(tmp: Path) -> list[str]:
    """The `dlfs-rust` kernel as JupyterLab starts it (without the runner's configuration): a
    panicking cell prints its message, and the variables of earlier cells are still there."""
    import os
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k != "DLFS_EVCXR_CONFIG_DIR"}
    km, kc = start_new_kernel(kernel_name="dlfs-rust", cwd=str(tmp), env=env)
    problems = []
    try:
        def run(code: str) -> str:
            msg_id = kc.execute(code)
            text = []
            while True:
                msg = kc.get_iopub_msg(timeout=300)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    text.append(content["text"])
                elif kind == "error":
                    text.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(text)

        run("let keep = 42;")
        after_panic = run('panic!("boom");')
        if "boom" not in after_panic:
            problems.append(f"the panic's message was not shown: {after_panic!r}")
        kept = run('println!("kept {keep}");')
        if "kept 42" not in kept:
            problems.append(f"after the panic, `keep` is gone: {kept!r}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return problems


def check_lanes(tmp: Path) -> list[str]:
    """Two fixtures in one run with --jobs 2: each in its own kernel at the same time, with
    its own result, outputs and failure line, and the run fails because one notebook did."""
    good, bad = FIXTURES / "good.ipynb", FIXTURES / "panic.ipynb"
    out = tmp / "lanes"
    cmd = [sys.executable, str(RUNNER), "--quiet", "--jobs", "2", "--out", str(out),
           str(good), str(bad)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    problems = []
    if proc.returncode != 1:
        problems.append(f"exit status {proc.returncode}, want 1")
    if "2 at a time" not in proc.stdout:
        problems.append("the run did not say it ran 2 notebooks at a time")
    try:
        results = {r["notebook"]: r for r in json.loads((out / "summary.json").read_text())}
    except (OSError, ValueError) as exc:
        return problems + [f"no summary.json ({exc})\n{log}"]
    if results.get("good", {}).get("ok") is not True:
        problems.append(f"good: {results.get('good')}")
    elif sorted(results["good"]["figures"]) != ["cell004.svg", "cell005.png", "cell007.gif"]:
        problems.append(f"good: figures {results['good']['figures']}")
    if not results.get("panic", {}).get("failure", "").startswith("cell 2: panic"):
        problems.append(f"panic: {results.get('panic')}")
    for line in ("FAILED panic: cell 2: panic", "notebooks: 1 passed, 1 failed"):
        if line not in proc.stdout:
            problems.append(f"no line {line!r} on stdout")
    if problems:
        problems.append("runner output:\n" + log)
    return problems


def check_manifest(tmp: Path) -> list[str]:
    """A run of all notebooks (no names) against a manifest that lists `good.ipynb` and
    `gone.ipynb`, in a folder that holds `good.ipynb` and `extra.ipynb`: good runs and
    passes, gone and extra each fail the run with a line that says why."""
    import shutil

    folder = tmp / "manifest"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "good.ipynb", folder / "good.ipynb")
    shutil.copy(FIXTURES / "good.ipynb", folder / "sub" / "extra.ipynb")
    (folder / "manifest.txt").write_text("# the notebooks\ngood.ipynb\ngone.ipynb\n")
    out = tmp / "manifest-out"
    cmd = [sys.executable, str(RUNNER), "--quiet", "--jobs", "1", "--out", str(out),
           "--manifest", str(folder / "manifest.txt")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    problems = []
    if proc.returncode != 1:
        problems.append(f"exit status {proc.returncode}, want 1")
    for line in ("run-notebooks: good: ok",
                 "FAILED gone: listed in manifest.txt but missing",
                 "FAILED extra: not listed in manifest.txt",
                 "notebooks: 1 passed, 2 failed"):
        if line not in proc.stdout:
            problems.append(f"no line {line!r} on stdout")
    if problems:
        problems.append("runner output:\n" + proc.stdout + proc.stderr)
    return problems


if __name__ == "__main__":
    sys.exit(main())
