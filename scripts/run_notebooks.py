"""Execute evcxr notebooks headlessly and fail loudly.

Run through `scripts/run-notebooks` (which runs setup and uses the repo's .venv).

For each notebook: start the `dlfs-rust` kernel with the notebook's folder as working directory,
run the cells in order, stop at the first failing cell, and write under
`<out>/<notebook-stem>/`: the executed notebook, an HTML export and every figure output
(`cellNNN.svg|png|gif`, NNN = the cell's index in the notebook, 1-based).

What counts as a failure is in scripts/notebook_checks.py (the rules); this file runs the
cells and schedules the notebooks. Output that evcxr sends after a cell ended (it forwards
a cell's stdout and stderr from separate threads) is given to the cell that printed it and
the cell judged again (a line that arrives while the next cell runs is tagged by evcxr
with that cell, and judged there). After the last cell the runner runs one more,
invisible cell that waits half a second and prints a marker on stdout and stderr; the
runner waits for both, so nothing the notebook printed is lost when the kernel shuts down.

When all notebooks run (no names given), notebooks/manifest.txt lists them: a listed
notebook that is missing, or one that is not listed, fails the run.

Two notebooks run at a time by default (`--jobs`), each with its own kernel: a kernel
spends much of a notebook compiling cells and loading rust-analyzer on one core, which
leaves the other core free for the second notebook's training. The outputs are the same as
one at a time (every number in the notebooks is seeded and thread-count independent).

`--update` writes each notebook that passed back to its file with its outputs, the
learner's copies of the exercises included (they show what a fresh run prints), then
rebuilds the Korean notebooks (`scripts/i18n.py build`). The Korean notebooks
(`*.ko.ipynb`) are never run: they carry the English notebooks' outputs.

Prints a table of wall time and peak memory (the kernel's processes; cargo and rustc under it)
per notebook and a last line `notebooks: N passed, M failed`.
Exit status: 0 all passed, 1 some failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import queue
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbclient.client import CellExecutionComplete

from proc_memory import TreeSampler, fmt_bytes
from notebook_checks import (ANSI, CellFailed, check_all_ran, check_cell, image_outputs,
                             is_code_cell, is_learner_copy, manifest_problems, text_of)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "dlfs-rust"  # registered by scripts/setup as "Rust (dlfs)"

MANIFEST = NOTEBOOKS / "manifest.txt"
END_MARKER = "dlfs-runner: end of notebook"
# half a second for output still on its way (a thread of the last cell), then the markers
END_CELL = ('std::thread::sleep(std::time::Duration::from_millis(500)); '
            f'println!("{END_MARKER}"); eprintln!("{END_MARKER}");')


class EvcxrClient(NotebookClient):
    """NotebookClient that keeps evcxr's late output.

    evcxr_jupyter forwards a cell's stdout/stderr lines from separate threads, so on a busy
    machine lines can arrive after the "idle" status that ends the cell, tagged with that
    cell or with the next one. After "idle" we keep reading until the channel has been quiet
    for `grace` seconds; what comes later for an earlier cell is added to that cell and noted
    in `late` (the runner judges the cell again). After the last code cell, `END_CELL` runs:
    once its marker has come back on both streams, every earlier line has too.
    """

    grace = 0.3
    end_timeout = 120.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cells_by_msg: dict[str, tuple[object, int]] = {}
        self.late: list[int] = []  # 0-based indices of cells that got output after they ended
        self.last_code = max((i for i, c in enumerate(self.nb.cells) if is_code_cell(c)),
                             default=-1)

    def _take(self, msg, parent_msg_id, cell, cell_index) -> None:
        """A message that is not the current cell's: give it to the cell it came from."""
        owner = self.cells_by_msg.get(msg["parent_header"].get("msg_id"))
        if owner and msg["msg_type"] in ("stream", "display_data", "execute_result"):
            self.process_message(msg, *owner)
            if owner[1] not in self.late:
                self.late.append(owner[1])

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self.cells_by_msg[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                self._take(msg, parent_msg_id, cell, cell_index)
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                break
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace))
            except queue.Empty:
                break
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                if msg["msg_type"] in ("stream", "display_data", "execute_result"):
                    self.process_message(msg, cell, cell_index)
            else:
                self._take(msg, parent_msg_id, cell, cell_index)
        if cell_index == self.last_code:
            await self._drain(cell, cell_index)

    async def _drain(self, cell, cell_index) -> None:
        """Run END_CELL; everything before its markers belongs to the last cell."""
        end_id = await ensure_async(self.kc.execute(END_CELL, store_history=False))
        seen = {"stdout": False, "stderr": False}
        deadline = time.monotonic() + self.end_timeout
        before = len(cell.outputs)
        while not all(seen.values()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CellFailed(cell_index + 1, "the kernel did not finish the notebook's "
                                 f"output within {self.end_timeout:.0f} s after its last cell",
                                 f"markers seen: {seen}")
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=remaining))
            except queue.Empty:
                continue
            parent = msg["parent_header"].get("msg_id")
            if parent == end_id and msg["msg_type"] == "stream":
                text = text_of(msg["content"].get("text", ""))
                name = msg["content"].get("name")
                if END_MARKER in text:
                    seen[name] = True
                    text = text.replace(END_MARKER + "\n", "").replace(END_MARKER, "")
                if text:
                    msg = dict(msg, content=dict(msg["content"], text=text))
                    self.process_message(msg, cell, cell_index)
            elif parent == end_id and msg["msg_type"] == "error":
                raise CellFailed(cell_index + 1, "the runner's end-of-notebook cell failed",
                                 f"{msg['content'].get('ename')}: {msg['content'].get('evalue')}")
            elif parent != end_id:
                self._take(msg, end_id, cell, cell_index)
        if len(cell.outputs) > before and cell_index not in self.late:
            self.late.append(cell_index)


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
    kernel_peak: int = 0  # bytes: evcxr_jupyter and its code process (proc_memory.py)
    build_peak: int = 0  # bytes: cargo and rustc under the kernel, at one sample


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
        import copy

        from nbconvert import HTMLExporter

        # nbconvert's HTML template has no place for image/gif ("not able to be
        # represented"): give the page's copy of each GIF an <img> of its own
        page = copy.deepcopy(nb)
        for cell in page.cells:
            for out in cell.get("outputs", []):
                gif = out.get("data", {}).get("image/gif")
                if gif is not None and "text/html" not in out["data"]:
                    out["data"]["text/html"] = (
                        f'<img src="data:image/gif;base64,{text_of(gif).strip()}">')
        html, _ = HTMLExporter().from_notebook_node(page)
        (out_dir / f"{stem}.html").write_text(html)
    except Exception as exc:  # an export problem must not hide the run's own result
        print(f"  warning: HTML export of {stem} failed: {exc}", file=sys.stderr)


def run_one(path: Path, args, deadline: float, out_dir: Path) -> tuple[Result, object]:
    result = Result(path=path)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    nb = nbformat.read(path, as_version=4)
    code_cells = sum(1 for c in nb.cells if is_code_cell(c))
    state = {"number": 0, "start": 0.0}
    executed: set[int] = set()
    learner = is_learner_copy(nb)

    client = EvcxrClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.cell_timeout,
        allow_errors=True,  # we judge the outputs ourselves, in on_cell_executed
        record_timing=False,  # keep committed notebooks free of timestamps
        # wait for a cell's output (and the end-of-notebook markers) rather than drop it
        iopub_timeout=int(EvcxrClient.end_timeout) + 30,
        raise_on_iopub_timeout=True,
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

    def kernel_pid():
        km = getattr(client, "km", None)
        return getattr(getattr(km, "provisioner", None), "pid", None) if km else None

    sampler = TreeSampler(kernel_pid)

    def on_cell_executed(cell, cell_index, execute_reply):
        took = time.monotonic() - state["start"]
        sampler.take()  # the kernel is shut down right after the last cell
        result.cells_run += 1
        result.slowest.append((took, cell_index + 1))
        if not args.quiet:
            print(f"  {path.stem}: cell {cell_index + 1} ({result.cells_run}/{code_cells}) "
                  f"{took:.1f}s", flush=True)
        executed.add(cell_index + 1)
        # an earlier cell whose output came late is judged again, with that output
        for k in [k for k in client.late if k != cell_index]:
            check_cell(nb.cells[k], k + 1, None, learner=learner, late=True)
        client.late = [k for k in client.late if k == cell_index]
        check_cell(cell, cell_index + 1, execute_reply, learner=learner,
                   late=cell_index in client.late)

    client.on_cell_start = on_cell_start
    client.on_cell_executed = on_cell_executed

    if args.tmpdir_root:
        # A build dir given on the command line; by default the kernel's launcher
        # (scripts/kernel.py) picks a free one of target/evcxr*, kept between runs, so the
        # library and its dependencies are compiled once, not once per notebook.
        os.environ["EVCXR_TMPDIR"] = str(Path(args.tmpdir_root))

    start = time.monotonic()
    # The kernel's own stdout/stderr (cargo's "Compiling ..." lines) go to a log file.
    kernel_log = open(out_dir / "kernel.log", "w")
    sampler.start()
    try:
        client.execute(cwd=str(path.parent), stdout=kernel_log, stderr=kernel_log)
        check_all_ran(nb, executed)
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
        sampler.stop()
    result.kernel_peak, result.build_peak = sampler.kernel_peak, sampler.build_peak
    result.seconds = time.monotonic() - start
    return result, nb


# Translated notebooks (`ch05_backpropagation.ko.ipynb`): built from the English ones with
# their outputs by scripts/i18n.py (which checks them), never run themselves.
TRANSLATED_SUFFIXES = (".ko.ipynb",)


def notebooks_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts
                  and not p.name.endswith(TRANSLATED_SUFFIXES))


def all_notebooks() -> list[Path]:
    return notebooks_under(NOTEBOOKS)


def resolve(names: list[str], manifest: Path) -> tuple[list[Path], list[str]]:
    """The notebooks to run, and (for a run of all) what is wrong with the manifest."""
    if not names:
        listed, problems = manifest_problems(manifest, notebooks_under(manifest.parent))
        if not listed and not problems:
            sys.exit(f"run-notebooks: {manifest} lists no notebooks")
        return listed, problems
    paths = []
    for name in names:
        p = Path(name)
        if p.is_file():
            paths.append(p.resolve())
            continue
        stem = p.name.removesuffix(".ipynb")
        # an exact name, else a prefix of a chapter notebook (`ch05`), else of any
        matches = ([m for m in all_notebooks() if m.stem == stem]
                   or sorted(m for m in NOTEBOOKS.glob(f"{stem}*.ipynb")
                             if not m.name.endswith(TRANSLATED_SUFFIXES))
                   or [m for m in all_notebooks() if m.stem.startswith(stem)])
        if len(matches) != 1:
            choices = ", ".join(m.stem for m in all_notebooks())
            print(f"run-notebooks: '{name}' matches {len(matches)} notebooks "
                  f"(have: {choices})", file=sys.stderr)
            sys.exit(2)
        paths.append(matches[0])
    return paths, []


def fmt_time(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{seconds:.1f}s"


def evcxr_slots() -> list[Path]:
    """The kernel launcher's build directories, in the order it takes them (scripts/kernel.py)."""
    base = Path(os.environ.get("DLFS_EVCXR_DIR") or ROOT / "target" / "evcxr")
    return [base] + [Path(f"{base}-{k}") for k in range(2, 5)]


def is_free(slot: Path) -> bool:
    """Whether no kernel holds the build directory (the launcher locks it for a kernel's life)."""
    try:
        with open(slot / ".in-use.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
        return True
    except FileNotFoundError:
        return True
    except BlockingIOError:
        return False


def is_warm(slot: Path) -> bool:
    """Whether a build directory holds a compiled dlfs (its dependencies came with it)."""
    return any((slot / "target").glob("*/debug/deps/libdlfs-*.rlib"))


def copy_slot(src: Path, dst: Path) -> bool:
    """Copy a warm build directory over an unused cold one (copy, then rename into place)."""
    dst.mkdir(parents=True, exist_ok=True)
    lock = open(dst / ".in-use.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a kernel is using it
    tmp = dst.with_name(dst.name + ".copying")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(src, tmp, symlinks=True,
                        ignore=shutil.ignore_patterns(".in-use.lock"))
        old = dst.with_name(dst.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        dst.rename(old)
        tmp.rename(dst)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        print(f"run-notebooks: could not copy {src} to {dst}: {exc}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    finally:
        lock.close()
    return True


def plan_jobs(args, paths: list[Path]) -> tuple[int, list[Path], bool]:
    """How many notebooks run at once: --jobs N as given; by default 2 on a machine with 2+
    cores, but one at a time when the kernels would first have to compile dlfs and its
    dependencies (a first run; then `cold` is true): two kernels compiling at once are
    slower than one after the other. A compiled build directory is copied (once) into a
    second, empty one. Also returns the build directories the lanes' kernels use, one per
    lane."""
    asked = args.jobs > 0
    jobs = args.jobs if asked else min(2, os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1 or args.tmpdir_root:
        return 1, [], False
    # the directories this run's kernels will get: the first free ones (a JupyterLab kernel
    # may hold one)
    slots = [s for s in evcxr_slots() if is_free(s)][:jobs]
    if len(slots) < jobs:
        return 1, [], False
    warm = [s for s in slots if is_warm(s)]
    if not warm:
        if asked:
            return jobs, slots, False
        return 1, [], True
    for slot in slots:
        if slot not in warm:
            t0 = time.monotonic()
            print(f"run-notebooks: copying the compiled {rel(warm[0])} to {rel(slot)}, so that "
                  f"{jobs} kernels start compiled (once)", flush=True)
            if copy_slot(warm[0], slot):
                print(f"run-notebooks: copied in {fmt_time(time.monotonic() - t0)}", flush=True)
            elif not asked:
                return 1, [], False
    return jobs, slots, False


def warm_up_choice(paths: list[Path], out_root: Path) -> Path:
    """The notebook to run alone while the kernels' build directory is compiled: the
    shortest by the last run's times, else the last one given (a learner's copy, in the
    default order: those are short)."""
    try:
        last = {r["notebook"]: r["seconds"]
                for r in json.loads((out_root / "summary.json").read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        last = {}
    known = [p for p in paths if p.stem in last]
    return min(known, key=lambda p: last[p.stem]) if known else paths[-1]


def rel(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def report_one(result: Result, out_dir: Path) -> None:
    status = "ok" if result.ok else f"FAILED: {result.failure}"
    lines = [f"run-notebooks: {result.path.stem}: {status} ({fmt_time(result.seconds)})"]
    if not result.ok and result.detail:
        detail = result.detail.strip().splitlines()
        shown = detail[:40] + ([f"... ({len(detail) - 40} more lines)"]
                               if len(detail) > 40 else [])
        lines += ["    | " + line for line in shown]
        lines.append(f"    (kernel log: {out_dir / 'kernel.log'})")
    print("\n".join(lines), flush=True)


def run_sequential(args, paths: list[Path], deadline: float, out_root: Path) -> list[Result]:
    results = []
    for path in paths:
        print(f"run-notebooks: {rel(path)}", flush=True)
        result, nb = run_one(path, args, deadline, out_root / path.stem)
        write_outputs(nb, result, out_root / path.stem)
        if result.ok and args.update:
            # a learner's copy too: it shows what a fresh run prints ("… Relu: not done
            # yet: …"); scripts/make-exercises keeps a cell's outputs while its source is
            # the same, and clears them when it changed
            nbformat.write(nb, path)
        report_one(result, out_root / path.stem)
        results.append(result)
    return results


def run_lanes(args, paths: list[Path], slots: list[Path], deadline: float,
              out_root: Path) -> list[Result]:
    """Each notebook in its own runner process (`--jobs 1`), one per lane and build directory
    in `slots` at a time, longest first (by the last run's times), their lines passed
    through as they come."""
    jobs = len(slots)
    import subprocess
    import tempfile
    import threading

    last = {}
    try:
        last = {r["notebook"]: r["seconds"]
                for r in json.loads((out_root / "summary.json").read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    # unknown notebooks first (they may be long), then the longest
    todo = sorted(paths, key=lambda p: -last.get(p.stem, float("inf")))
    print(f"run-notebooks: {len(paths)} notebooks, {jobs} at a time (--jobs 1: one at a "
          f"time): {', '.join(p.stem for p in todo)}", flush=True)
    results: dict[Path, Result] = {}
    pending = list(todo)
    lock = threading.Lock()
    tmp = Path(tempfile.mkdtemp(prefix="run-notebooks-"))

    def lane(slot: Path):
        while True:
            with lock:
                if not pending:
                    return
                path = pending.pop(0)
            summary = tmp / f"{path.stem}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--jobs", "1", "--lane",
                   "--summary-file", str(summary), "--out", str(out_root),
                   "--tmpdir-root", str(slot),
                   "--cell-timeout", str(args.cell_timeout),
                   "--total-timeout", str(max(1.0, deadline - time.monotonic())),
                   "--kernel", args.kernel, *(["--update"] if args.update else []),
                   *(["--quiet"] if args.quiet else []), str(path)]
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, bufsize=1)
            for line in proc.stdout:
                with lock:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            proc.wait()
            try:
                [r] = json.loads(summary.read_text())
                result = Result(path=path, ok=r["ok"], seconds=r["seconds"],
                                cells_run=r["cells_run"],
                                figures=[out_root / path.stem / f for f in r["figures"]],
                                failure=r["failure"], detail=r["detail"],
                                slowest=[tuple(x) for x in r.get("slowest", [])],
                                kernel_peak=r.get("kernel_peak_bytes", 0),
                                build_peak=r.get("build_peak_bytes", 0))
            except (OSError, ValueError, KeyError) as exc:
                result = Result(path=path, seconds=time.monotonic() - t0,
                                failure=f"runner process exited with {proc.returncode} "
                                        f"and no summary ({exc})")
            with lock:
                results[path] = result

    threads = [threading.Thread(target=lane, args=(slot,)) for slot in slots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shutil.rmtree(tmp, ignore_errors=True)
    return [results[p] for p in paths]


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
    ap.add_argument("--jobs", "-j", type=int, default=0,
                    help="notebooks run at the same time, each with its own kernel (default: "
                         "2 on a machine with 2 or more cores; while the kernels' build "
                         "directories are not compiled yet, one notebook runs alone first)")
    ap.add_argument("--tmpdir-root", default="",
                    help="evcxr's build dir for every notebook of this run (default: the "
                         "kernel launcher's choice, the first free one of target/evcxr*); "
                         "implies --jobs 1")
    ap.add_argument("--quiet", action="store_true", help="no line per cell")
    ap.add_argument("--kernel", default=KERNEL, help="kernel name (default: dlfs-rust)")
    ap.add_argument("--manifest", default=str(MANIFEST),
                    help="the list of notebooks a run of all must find (default: "
                         "notebooks/manifest.txt)")
    # internal: one lane of a --jobs run (a notebook's lines and status only; summary file)
    ap.add_argument("--lane", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--summary-file", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    # The runner's evcxr configuration (scripts/setup writes it; scripts/kernel.py uses it):
    # a panic fails its cell at once. The learner's JupyterLab kernel keeps its own, under
    # which a panic only prints and the session's variables survive.
    os.environ.setdefault("DLFS_EVCXR_CONFIG_DIR", str(ROOT / ".cache" / "evcxr-runner"))
    # No progress lines (elapsed and remaining time) in the saved outputs: they differ from
    # run to run, and a re-run notebook must come out the same. JupyterLab shows them.
    os.environ["DLFS_PROGRESS"] = "0"
    # Every notebook runs from its start, and a learner's checkpoints are theirs: the
    # Trainer keeps this run's checkpoints in a folder of the runner's own
    # (DLFS_CHECKPOINT_DIR), emptied first, so a run the learner stopped (under
    # target/checkpoints/) is neither gone on from nor removed.
    runner_checkpoints = ROOT / "target" / "notebook-checkpoints"
    shutil.rmtree(runner_checkpoints, ignore_errors=True)
    os.environ["DLFS_CHECKPOINT_DIR"] = str(runner_checkpoints)
    # The exercise checks' progress lists (scripts/progress) are the learner's: running the
    # solutions must not mark their exercises done.
    os.environ["DLFS_PROGRESS_DIR"] = "off"

    paths, listing = resolve(args.names, Path(args.manifest))
    paths = list(dict.fromkeys(paths))  # each notebook once
    for problem in listing:
        print(f"run-notebooks: {problem}", flush=True)
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
    start = time.monotonic()
    deadline = start + args.total_timeout
    out_root = Path(args.out)
    jobs, slots, cold = (1, [], False) if args.lane else plan_jobs(args, paths)
    if cold and len(paths) > 2:
        # compile once, with one notebook, then run the rest two at a time
        first = warm_up_choice(paths, out_root)
        print(f"run-notebooks: the kernels' build directories are not compiled yet: running "
              f"{first.stem} alone first (its kernel compiles dlfs and its dependencies), "
              f"then the others two at a time", flush=True)
        done = {first: run_sequential(args, [first], deadline, out_root)[0]}
        rest = [p for p in paths if p != first]
        jobs, slots, _ = plan_jobs(args, rest)
        more = (run_lanes(args, rest, slots, deadline, out_root) if jobs > 1
                else run_sequential(args, rest, deadline, out_root))
        done.update(zip(rest, more))
        results = [done[p] for p in paths]
    elif cold:
        print("run-notebooks: the kernels' build directories are not compiled yet: running "
              "one notebook at a time (the next run takes two at a time)", flush=True)
        results = run_sequential(args, paths, deadline, out_root)
    elif jobs > 1:
        results = run_lanes(args, paths, slots, deadline, out_root)
    else:
        results = run_sequential(args, paths, deadline, out_root)
    wall = time.monotonic() - start
    if args.update and not args.lane:
        # the translated notebooks carry the English outputs (the exercise notebooks' with
        # the checks' messages translated): rebuild them from the new ones
        import subprocess
        subprocess.run([sys.executable, str(Path(__file__).with_name("i18n.py")), "build"],
                       check=False)
    for problem in listing:  # a notebook missing from, or missing in, the manifest
        name = problem.split(":", 1)[0]
        results.append(Result(path=Path(name), failure=problem.split(": ", 1)[1]))

    summary = Path(args.summary_file) if args.summary_file else out_root / "summary.json"
    summary.parent.mkdir(parents=True, exist_ok=True)
    # A machine-readable summary for the self-test, CI logs and the next run's order.
    summary.write_text(json.dumps([
        {"notebook": r.path.stem, "ok": r.ok, "seconds": round(r.seconds, 1),
         "cells_run": r.cells_run, "figures": [f.name for f in r.figures],
         "failure": r.failure, "detail": r.detail,
         "slowest": sorted(r.slowest, reverse=True)[:3],
         "kernel_peak_bytes": r.kernel_peak, "build_peak_bytes": r.build_peak}
        for r in results], indent=2))
    passed = sum(r.ok for r in results)
    if args.lane:
        return 0 if passed == len(results) else 1

    width = max(len(r.path.stem) for r in results)
    print()
    print(f"{'notebook':<{width}}  {'result':<6}  {'wall time':>9}  {'cells':>5}  {'figures':>7}"
          f"  {'kernel peak':>11}  {'rustc peak':>10}  slowest cells")
    for r in results:
        slow = ", ".join(f"#{n} {fmt_time(t)}" for t, n in sorted(r.slowest, reverse=True)[:3])
        print(f"{r.path.stem:<{width}}  {'ok' if r.ok else 'FAILED':<6}  "
              f"{fmt_time(r.seconds):>9}  {r.cells_run:>5}  {len(r.figures):>7}  "
              f"{fmt_bytes(r.kernel_peak):>11}  {fmt_bytes(r.build_peak):>10}  {slow}")
    how = f" ({jobs} notebooks at a time)" if jobs > 1 else ""
    print(f"{'total':<{width}}  {'':<6}  {fmt_time(wall):>9}{how}")
    print(f"outputs: {out_root}/<notebook>/")
    for r in results:
        if not r.ok:
            print(f"FAILED {r.path.stem}: {r.failure}")
    print(f"notebooks: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
