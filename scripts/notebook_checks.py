"""The rules by which the notebook runner judges an executed notebook.

`scripts/run_notebooks.py` executes the cells and schedules the notebooks; this module only
looks at what came back. Every rule has a fixture in tests/notebooks/ that breaks it
(`scripts/test-runner`).

A cell fails when
  - the kernel replies with status "error" or the cell has an error output (evcxr reports
    compile errors this way, and panics under `:preserve_vars_on_panic 0`, the runner's
    evcxr configuration);
  - a stderr stream output contains "panicked at" (a second net for panics);
  - it wrote anything on stderr and is not tagged "allow-stderr": evcxr reports an error returned through `?` at the top level of a
    cell only by printing it on stderr, with the cell's status "ok". Lines that arrive after
    the cell ended count for the cell that printed them;
  - it is a figure cell (tag "figure") and shows no image
    (image/svg+xml, image/png or image/gif), or one that is empty (an SVG with fewer than two
    drawn elements, a PNG of one colour, a zero-sized image) or that is dlfs's error figure
    (`data-dlfs="plot-error"`: the plot builder failed);
  - in an exercise notebook, it prints a line starting with "✗ " (a failed check); in a
    learner's copy (notebook metadata dlfs.exercise == "learner"), a cell tagged "check"
    reports "✓ " or does not report "not done yet".
  - its source has a line `// figure` or `// allow-stderr`: the runner reads cell tags, so
    such a line would silently mean nothing (tag the cell instead);
  - it is tagged "check" and defines nothing (no `struct`, `enum`, `fn`, `impl`, `trait`):
    an exercise's check runs in the cell that defines what it checks, so that a definition
    that does not compile stops its check too, instead of leaving an older definition for
    the check to pass.
A notebook fails when fewer code cells ran than it has (a cell tagged "skip-execution" is
skipped by nbclient: the runner does not allow it). A run of all notebooks fails when one
listed in notebooks/manifest.txt is missing or one is there that is not listed.
"""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

# runner markers written as a line of code instead of a cell tag
MARKER_LINE = re.compile(r"^\s*//\s*(figure|allow-stderr)\s*$", re.MULTILINE)
# a Rust item that a check cell must define (the thing it checks)
DEFINITION = re.compile(r"^\s*(pub\s+)?(struct|enum|fn|impl|trait)\b", re.MULTILINE)
IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/gif": "gif"}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CHECK_FAILED = re.compile(r"^✗ .*$", re.MULTILINE)
CHECK_PASSED = re.compile(r"^✓ .*$", re.MULTILINE)
CHECK_NOT_DONE = re.compile(r"^… .*: not done yet: .*$", re.MULTILINE)
ERROR_FIGURE = 'data-dlfs="plot-error"'
SVG_DRAWN = {"rect", "path", "line", "polyline", "polygon", "circle", "ellipse", "text",
             "image", "use"}


class CellFailed(Exception):
    """A cell broke a rule; raised from the runner's hook to stop at the first failing cell."""

    def __init__(self, cell_number: int, reason: str, detail: str = ""):
        super().__init__(f"cell {cell_number}: {reason}")
        self.cell_number = cell_number
        self.reason = reason
        self.detail = detail


def text_of(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_code_cell(cell) -> bool:
    """A cell nbclient sends to the kernel (it skips empty code cells)."""
    return cell.get("cell_type") == "code" and bool(text_of(cell.get("source", "")).strip())


def is_figure_cell(cell) -> bool:
    return "figure" in tags(cell)


def allows_stderr(cell) -> bool:
    return "allow-stderr" in tags(cell)


def check_markers(cell, number: int) -> None:
    """A marker line in the source means nothing to the runner: say so instead of ignoring it."""
    m = MARKER_LINE.search(text_of(cell.source))
    if m:
        raise CellFailed(number, f"the line `{m.group(0).strip()}` is not a cell tag",
                         f'the runner reads cell tags: remove the line and tag the cell "{m.group(1)}"')


def check_defines(cell, number: int) -> None:
    """A check cell defines what it checks (see the module's docs)."""
    if "check" in tags(cell) and not DEFINITION.search(text_of(cell.source)):
        raise CellFailed(number, "check cell defines nothing",
                         "an exercise's check goes at the end of the cell that defines what it "
                         "checks (a struct, fn or impl): in a cell of its own, it would pass an "
                         "older definition when the new one does not compile")


def is_learner_copy(nb) -> bool:
    return nb.metadata.get("dlfs", {}).get("exercise") == "learner"


def image_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("display_data", "execute_result"):
            for mime, ext in IMAGE_TYPES.items():
                if mime in out.get("data", {}):
                    yield mime, ext, out["data"][mime]


def stream_text(cell, name: str) -> str:
    return ANSI.sub("", "".join(text_of(o.get("text", "")) for o in cell.get("outputs", [])
                                if o.get("output_type") == "stream" and o.get("name") == name))


def panic_lines(stderr: str) -> str:
    """The panic message from evcxr's stderr, without the stack backtrace."""
    start = stderr.find("panicked at")
    text = stderr[stderr.rfind("\n", 0, start) + 1:] if start >= 0 else stderr
    return text.split("stack backtrace:")[0].strip()


def svg_problem(svg: str) -> str:
    """Why an SVG is not a figure ("" when it is one)."""
    if ERROR_FIGURE in svg[:200]:
        text = re.sub(r"<[^>]+>", " ", svg)
        return "the figure is dlfs's error figure (the plot builder failed): " + \
            " ".join(text.split())
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        return f"the SVG does not parse ({exc})"
    drawn = sum(1 for el in root.iter() if el.tag.rsplit("}", 1)[-1] in SVG_DRAWN)
    if drawn < 2:
        return (f"the SVG is empty ({drawn} drawn element{'s' if drawn != 1 else ''}; a "
                f"figure has a background and something on it)")
    return ""


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]] | None:
    """Width, height and the set of distinct pixels of an 8-bit PNG (None if another depth
    or interlaced: then only the header is checked)."""
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    header = dict(chunks).get(b"IHDR")
    if header is None or len(header) < 13:
        raise ValueError("no IHDR chunk")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header[:13])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color)
    if depth != 8 or interlace or channels is None:
        return width, height, set()
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    prev, pixels = bytearray(stride), set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                corner = prev[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        pixels.update(bytes(line[i:i + channels]) for i in range(0, stride, channels))
        if len(pixels) > 1:
            return width, height, pixels  # enough to know it is not of one colour
        prev = line
    return width, height, pixels


def png_problem(data: bytes) -> str:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "the PNG has no PNG signature"
    try:
        found = png_pixels(data)
    except (ValueError, zlib.error, struct.error, IndexError) as exc:
        return f"the PNG does not decode ({exc})"
    width, height, pixels = found
    if width == 0 or height == 0:
        return f"the PNG is {width}×{height} pixels"
    if len(pixels) == 1:
        return f"the PNG is empty (all {width}×{height} pixels are {pixels.pop().hex()})"
    return ""


def gif_problem(data: bytes) -> str:
    if not data.startswith((b"GIF87a", b"GIF89a")) or len(data) < 10:
        return "the GIF has no GIF header"
    width, height = struct.unpack("<HH", data[6:10])
    if width == 0 or height == 0:
        return f"the GIF is {width}×{height} pixels"
    if b"\x2c" not in data[10:]:
        return "the GIF has no frame"
    return ""


def image_problem(mime: str, data) -> str:
    """Why an image output is not a figure ("" when it is one)."""
    if mime == "image/svg+xml":
        return svg_problem(text_of(data))
    try:
        raw = base64.b64decode(text_of(data), validate=False)
    except ValueError as exc:
        return f"the {mime} output is not base64 ({exc})"
    return png_problem(raw) if mime == "image/png" else gif_problem(raw)


def check_exercise(cell, number: int, stdout: str, learner: bool) -> None:
    failed = CHECK_FAILED.search(stdout)
    if failed:
        raise CellFailed(number, "exercise check failed", failed.group(0))
    if learner and "check" in tags(cell):
        passed = CHECK_PASSED.search(stdout)
        if passed:
            raise CellFailed(number, "check accepted an unfinished exercise (learner's copy)",
                             passed.group(0))
        if not CHECK_NOT_DONE.search(stdout):
            raise CellFailed(number, "check cell did not report 'not done yet' (learner's copy)",
                             stdout.strip()[-2000:] or "no output")


def check_figures(cell, number: int) -> None:
    images = list(image_outputs(cell))
    for mime, _, data in images:
        problem = image_problem(mime, data)
        if problem:
            raise CellFailed(number, "figure is not a figure", problem)
    if is_figure_cell(cell) and not images:
        kinds = [f"{o['output_type']}:{o['name']}" if o["output_type"] == "stream"
                 else f"{o['output_type']}:{'+'.join(o.get('data', {}))}"
                 for o in cell.get("outputs", [])]
        raise CellFailed(number, "figure cell drew no image (expected image/svg+xml, "
                         "image/png or image/gif)", "its outputs: " + (", ".join(kinds) or "none"))


def check_cell(cell, number: int, reply, learner: bool = False, late: bool = False) -> None:
    """Raise CellFailed if this executed cell counts as a failure. `late`: the cell is judged
    again because output of its arrived after it ended."""
    check_markers(cell, number)
    check_defines(cell, number)
    stderr = stream_text(cell, "stderr")
    for out in cell.get("outputs", []):
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
        when = " (it arrived after the cell ended)" if late else ""
        raise CellFailed(number, f"output on stderr{when} (an error returned by `?`? tag the "
                         "cell allow-stderr if it is meant)", stderr.strip())
    check_exercise(cell, number, stream_text(cell, "stdout"), learner)
    check_figures(cell, number)


def check_all_ran(nb, executed: set[int]) -> None:
    """Every code cell ran (`executed`: 1-based numbers of the cells that did)."""
    for number, cell in enumerate(nb.cells, start=1):
        if is_code_cell(cell) and number not in executed:
            why = (" (it is tagged skip-execution; the runner runs every cell)"
                   if "skip-execution" in tags(cell) else "")
            code = sum(1 for c in nb.cells if is_code_cell(c))
            raise CellFailed(number, f"cell was not executed{why}",
                             f"{len(executed)} of {code} code cells ran")


def manifest_problems(manifest: Path, found: list[Path]) -> tuple[list[Path], list[str]]:
    """The notebooks the manifest lists (paths relative to its folder, one a line, `#`
    comments) and what is wrong: a listed notebook missing, a notebook not listed."""
    base = manifest.parent
    try:
        lines = manifest.read_text().splitlines()
    except OSError as exc:
        return [], [f"cannot read the list of notebooks {manifest}: {exc}"]
    listed = [base / line.strip() for line in lines
              if line.strip() and not line.lstrip().startswith("#")]
    problems = [f"{p.relative_to(base)}: listed in {manifest.name} but missing"
                for p in listed if not p.is_file()]
    known = {p.resolve() for p in listed}
    problems += [f"{p.relative_to(base)}: not listed in {manifest.name} (add it, or remove "
                 f"the notebook)" for p in found if p.resolve() not in known]
    return [p for p in listed if p.is_file()], problems
