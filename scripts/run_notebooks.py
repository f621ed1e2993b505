"""Execute evcxr notebooks headlessly and fail loudly.

Run through `scripts/run-notebooks` (which runs setup and uses the repo's .venv).

For each notebook: start the `rust` kernel with the notebook's folder as working directory,
run the cells in order, stop at the first failing cell, and write under
`<out>/<notebook-stem>/`: the executed notebook, an HTML export and every figure output
(`cellNNN.svg|png|gif`, NNN = the cell's index in the notebook, 1-based).

A cell fails when
  - the kernel replies with status "error" or the cell has an error output
    (evcxr reports compile errors this way, and panics under `:preserve_vars_on_panic 0`:
    the panic aborts evcxr's child process, which evcxr reports as an error);
  - a stderr stream output contains "panicked at" (a second net for panics);
  - it wrote anything on stderr and does not opt in with a line `// allow-stderr` (or the
    tag "allow-stderr"): evcxr reports an error returned through `?` at the top level of a
    cell only by printing it on stderr, with the cell's status "ok";
  - it runs past the per-cell timeout or the run's total timeout, or the kernel dies;
  - it is a figure cell and produced no image/svg+xml, image/png or image/gif output.
A figure cell has a line `// figure` in its source (a Rust line comment on its own line)
or the tag "figure" in its metadata.

Prints a table of wall time per notebook and a last line `notebooks: N passed, M failed`.
Exit status: 0 all passed, 1 some failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import queue
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "rust"

FIGURE_LINE = re.compile(r"^\s*//\s*figure\s*$", re.MULTILINE)
ALLOW_STDERR_LINE = re.compile(r"^\s*//\s*allow-stderr\s*$", re.MULTILINE)
IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/gif": "gif"}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class EvcxrClient(NotebookClient):
    """NotebookClient that waits for evcxr's late output.

    evcxr_jupyter forwards a cell's stdout/stderr lines from a separate thread, so on a
    busy machine the last lines can arrive after the "idle" status that ends the cell; a
    plain client drops them (or the kernel tags them with the next cell). After "idle" we
    keep reading until the channel has been quiet for `grace` seconds.
    """

    grace = 0.3

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace))
            except queue.Empty:
                return
            if (msg["parent_header"].get("msg_id") == parent_msg_id
                    and msg["msg_type"] in ("stream", "display_data", "execute_result")):
                self.process_message(msg, cell, cell_index)


class CellFailed(Exception):
    """Raised from the nbclient hook to stop at the first failing cell."""

    def __init__(self, cell_number: int, reason: str, detail: str = ""):
        super().__init__(f"cell {cell_number}: {reason}")
        self.cell_number = cell_number
        self.reason = reason
        self.detail = detail


@dataclass
class Result:
    path: Path
    ok: bool = False
    seconds: float = 0.0
    cells_run: int = 0
    figures: list[Path] = field(default_factory=list)
    failure: str = ""
    detail: str = ""
    slowest: list[tuple[float, int]] = field(default_factory=list)


def text_of(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def is_figure_cell(cell) -> bool:
    return bool(FIGURE_LINE.search(cell.source)) or "figure" in cell.metadata.get("tags", [])


def allows_stderr(cell) -> bool:
    return (bool(ALLOW_STDERR_LINE.search(cell.source))
            or "allow-stderr" in cell.metadata.get("tags", []))


def image_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("display_data", "execute_result"):
            for mime, ext in IMAGE_TYPES.items():
                if mime in out.get("data", {}):
                    yield mime, ext, out["data"][mime]


def panic_lines(stderr: str) -> str:
    """The panic message from evcxr's stderr, without the stack backtrace."""
    start = stderr.find("panicked at")
    text = stderr[stderr.rfind("\n", 0, start) + 1:] if start >= 0 else stderr
    return text.split("stack backtrace:")[0].strip()


def check_cell(cell, number: int, reply) -> None:
    """Raise CellFailed if this executed cell counts as a failure."""
    outputs = cell.get("outputs", [])
    stderr = ANSI.sub("", "".join(text_of(o.get("text", "")) for o in outputs
                                  if o.get("output_type") == "stream"
                                  and o.get("name") == "stderr"))
    for out in outputs:
        if out.get("output_type") == "error":
            parts = [f"{out.get('ename', '')}: {out.get('evalue', '')}".strip(": ")]
            parts += out.get("traceback", [])
            detail = ANSI.sub("", "\n".join(p for p in parts if p))
            if "panicked at" in stderr:
                # Under `:preserve_vars_on_panic 0` the panic aborts evcxr's child process;
                # the error output only says so, the message is on stderr.
                raise CellFailed(number, "panic", panic_lines(stderr) + "\n" + detail)
            raise CellFailed(number, "error (compile error or evcxr error)", detail)
    if "panicked at" in stderr:
        raise CellFailed(number, "panic (on stderr)", panic_lines(stderr))
    content = (reply or {}).get("content", {})
    if content.get("status") == "error":
        detail = f"{content.get('ename', '')}: {content.get('evalue', '')}"
        raise CellFailed(number, "kernel replied status=error", ANSI.sub("", detail))
    if stderr.strip() and not allows_stderr(cell):
        # evcxr reports an error returned through `?` only by printing it on stderr; the
        # cell's status stays "ok". So stderr output fails a cell unless it opts in.
        raise CellFailed(number, "output on stderr (an error returned by `?`? mark the cell "
                         "`// allow-stderr` if it is meant)", stderr.strip())
    if is_figure_cell(cell) and not any(True for _ in image_outputs(cell)):
        kinds = [f"{o['output_type']}:{o['name']}" if o["output_type"] == "stream"
                 else f"{o['output_type']}:{'+'.join(o.get('data', {}))}" for o in outputs]
        raise CellFailed(number, "figure cell drew no image (expected image/svg+xml, "
                         "image/png or image/gif)", "its outputs: " + (", ".join(kinds) or "none"))


def write_outputs(nb, result: Result, out_dir: Path) -> None:
    """Executed notebook, HTML export and one file per image output, under out_dir."""
    stem = result.path.stem
    nbformat.write(nb, out_dir / f"{stem}.ipynb")
    for number, cell in enumerate(nb.cells, start=1):
        images = list(image_outputs(cell)) if cell.cell_type == "code" else []
        for k, (mime, ext, data) in enumerate(images):
            suffix = "" if k == 0 else f"-{k + 1}"
            path = out_dir / f"cell{number:03d}{suffix}.{ext}"
            if mime == "image/svg+xml":
                path.write_text(text_of(data))
            else:
                path.write_bytes(base64.b64decode(text_of(data)))
            result.figures.append(path)
    try:
        from nbconvert import HTMLExporter

        html, _ = HTMLExporter().from_notebook_node(nb)
        (out_dir / f"{stem}.html").write_text(html)
    except Exception as exc:  # an export problem must not hide the run's own result
        print(f"  warning: HTML export of {stem} failed: {exc}", file=sys.stderr)


def run_one(path: Path, args, deadline: float, out_dir: Path) -> tuple[Result, object]:
    result = Result(path=path)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    nb = nbformat.read(path, as_version=4)
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
    state = {"number": 0, "start": 0.0}

    client = EvcxrClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.cell_timeout,
        allow_errors=True,  # we judge the outputs ourselves, in on_cell_executed
        record_timing=False,  # keep committed notebooks free of timestamps
        resources={"metadata": {"path": str(path.parent)}},
    )

    def on_cell_start(cell, cell_index):
        state["number"] = cell_index + 1
        state["start"] = time.monotonic()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CellFailed(cell_index + 1, "total timeout reached before this cell",
                             f"--total-timeout {args.total_timeout:.0f} s")
        client.timeout = int(max(1, min(args.cell_timeout, remaining)))

    def on_cell_executed(cell, cell_index, execute_reply):
        took = time.monotonic() - state["start"]
        result.cells_run += 1
        result.slowest.append((took, cell_index + 1))
        if not args.quiet:
            print(f"  {path.stem}: cell {cell_index + 1} ({result.cells_run}/{code_cells}) "
                  f"{took:.1f}s", flush=True)
        check_cell(cell, cell_index + 1, execute_reply)

    client.on_cell_start = on_cell_start
    client.on_cell_executed = on_cell_executed

    if args.tmpdir_root:
        # A build dir given on the command line; by default the kernel's launcher
        # (scripts/kernel) picks a free one of target/evcxr*, kept between runs, so the
        # library and its dependencies are compiled once, not once per notebook.
        os.environ["EVCXR_TMPDIR"] = str(Path(args.tmpdir_root))

    start = time.monotonic()
    # The kernel's own stdout/stderr (cargo's "Compiling ..." lines) go to a log file.
    kernel_log = open(out_dir / "kernel.log", "w")
    try:
        client.execute(cwd=str(path.parent), stdout=kernel_log, stderr=kernel_log)
        result.ok = True
    except CellFailed as exc:
        result.failure = f"cell {exc.cell_number}: {exc.reason}"
        result.detail = exc.detail
    except CellTimeoutError as exc:
        result.failure = (f"cell {state['number']}: timeout "
                          f"(limit {client.timeout} s; per cell {args.cell_timeout} s, "
                          f"total {args.total_timeout:.0f} s)")
        result.detail = ANSI.sub("", str(exc))[:2000]
    except DeadKernelError as exc:
        result.failure = f"cell {state['number']}: kernel died"
        result.detail = str(exc)
    except Exception as exc:  # kernel could not start, etc.
        result.failure = f"cell {state['number']}: {type(exc).__name__}"
        result.detail = ANSI.sub("", str(exc))[:4000]
    finally:
        if args.tmpdir_root:
            os.environ.pop("EVCXR_TMPDIR", None)
        kernel_log.close()
    result.seconds = time.monotonic() - start
    return result, nb


def resolve(names: list[str]) -> list[Path]:
    if not names:
        found = sorted(NOTEBOOKS.glob("*.ipynb"))
        if not found:
            sys.exit(f"run-notebooks: no notebooks in {NOTEBOOKS}")
        return found
    paths = []
    for name in names:
        p = Path(name)
        if p.is_file():
            paths.append(p.resolve())
            continue
        stem = p.name.removesuffix(".ipynb")
        matches = sorted(NOTEBOOKS.glob(f"{stem}*.ipynb"))
        if len(matches) != 1:
            choices = ", ".join(m.stem for m in sorted(NOTEBOOKS.glob("*.ipynb")))
            print(f"run-notebooks: '{name}' matches {len(matches)} notebooks "
                  f"(have: {choices})", file=sys.stderr)
            sys.exit(2)
        paths.append(matches[0])
    return paths


def fmt_time(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{seconds:.1f}s"


def main() -> int:
    ap = argparse.ArgumentParser(prog="run-notebooks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", metavar="NAME",
                    help="notebook paths or names under notebooks/ (a prefix such as ch05 "
                         "is enough); default: all")
    ap.add_argument("--update", action="store_true",
                    help="write each notebook that passed back to its source file")
    ap.add_argument("--out", default=str(ROOT / "target" / "notebooks"),
                    help="output folder (default: target/notebooks)")
    ap.add_argument("--cell-timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--total-timeout", type=float, default=2700,
                    help="seconds for the whole run")
    ap.add_argument("--tmpdir-root", default="",
                    help="evcxr's build dir for every notebook of this run (default: the "
                         "kernel launcher's choice, the first free one of target/evcxr*)")
    ap.add_argument("--quiet", action="store_true", help="no line per cell")
    ap.add_argument("--kernel", default=KERNEL, help="kernel name (default: rust)")
    args = ap.parse_args()

    paths = resolve(args.names)
    if args.tmpdir_root:
        # Two runs at once would overwrite each other's generated crate in the same dir.
        Path(args.tmpdir_root).mkdir(parents=True, exist_ok=True)
        lock = open(Path(args.tmpdir_root) / ".in-use.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"run-notebooks: another kernel is using {args.tmpdir_root}; waiting",
                  flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
    deadline = time.monotonic() + args.total_timeout
    out_root = Path(args.out)
    results = []
    for path in paths:
        print(f"run-notebooks: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
              flush=True)
        result, nb = run_one(path, args, deadline, out_root / path.stem)
        write_outputs(nb, result, out_root / path.stem)
        if result.ok and args.update:
            nbformat.write(nb, path)
        status = "ok" if result.ok else f"FAILED: {result.failure}"
        print(f"run-notebooks: {path.stem}: {status} ({fmt_time(result.seconds)})", flush=True)
        if not result.ok and result.detail:
            lines = result.detail.strip().splitlines()
            shown = lines[:40] + ([f"... ({len(lines) - 40} more lines)"] if len(lines) > 40 else [])
            print("\n".join("    | " + line for line in shown), flush=True)
            print(f"    (kernel log: {out_root / path.stem / 'kernel.log'})", flush=True)
        results.append(result)

    width = max(len(r.path.stem) for r in results)
    print()
    print(f"{'notebook':<{width}}  {'result':<6}  {'wall time':>9}  {'cells':>5}  {'figures':>7}"
          f"  slowest cells")
    for r in results:
        slow = ", ".join(f"#{n} {fmt_time(t)}" for t, n in sorted(r.slowest, reverse=True)[:3])
        print(f"{r.path.stem:<{width}}  {'ok' if r.ok else 'FAILED':<6}  "
              f"{fmt_time(r.seconds):>9}  {r.cells_run:>5}  {len(r.figures):>7}  {slow}")
    total = sum(r.seconds for r in results)
    print(f"{'total':<{width}}  {'':<6}  {fmt_time(total):>9}")
    print(f"outputs: {out_root}/<notebook>/")
    for r in results:
        if not r.ok:
            print(f"FAILED {r.path.stem}: {r.failure}")
    passed = sum(r.ok for r in results)
    print(f"notebooks: {passed} passed, {len(results) - passed} failed")
    # A machine-readable summary for the self-test and for CI logs.
    summary = out_root / "summary.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    summary.write_text(json.dumps([
        {"notebook": r.path.stem, "ok": r.ok, "seconds": round(r.seconds, 1),
         "cells_run": r.cells_run, "figures": [f.name for f in r.figures],
         "failure": r.failure, "detail": r.detail} for r in results], indent=2))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
