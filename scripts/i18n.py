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

The exercises. For a translated solutions notebook (exercises/solutions/chNN_solutions.ipynb;
the `// BEGIN SOLUTION` / `// END SOLUTION` markers stay English, the hint after BEGIN is
translated) `build` writes two notebooks:
  exercises/solutions/chNN_solutions.ko.ipynb  the Korean solutions, whose code cell with
        `use dlfs::exercise::prelude::*;` has one line more right after it,
        `set_language(Lang::Ko); // 확인 메시지를 한국어로` (the checks then speak Korean);
  exercises/chNN_exercises.ko.ipynb  the Korean learner's copy: make_exercises.learner_copy
        of the Korean solutions (so its todo!() hints are Korean).
Their outputs are the English notebook's (solutions) and the English learner's copy's, cell
by cell, with the checks' lines translated: a catalog of the `tr!("english", "한국어", …)`
pairs in src/exercise/*.rs, src/gradient.rs and src/lang.rs, each English a pattern (its
placeholders captures), the Korean filled with the captures, each capture translated in
turn; a report's parts (", ") piece by piece; a `not done yet` hint by the Korean of its
`BEGIN SOLUTION` comment (see Translator). What the cells' own code prints stays English.

    scripts/i18n.py check     fails, naming the cell, when an English cell has no
                              translation, changed since it was translated (stale: the
                              English diff is shown), a code cell's translation changed its
                              code, a BEGIN/END SOLUTION marker or (with English words) its
                              hint was left as it was; when an output line of a Korean exercise
                              notebook is untranslated (Translator.line says when); when a
                              Korean exercise notebook's code is not the English code plus the
                              set_language line; or when a built notebook is not what `build`
                              writes (the first differing cell named)
    scripts/i18n.py build     writes the *.ko.ipynb notebooks (atomically)
    scripts/i18n.py update    adds missing cells to the translation files with an empty
                              "ko"; a code cell whose code alone changed (its English comments
                              are the same) gets the new code with its translated comments;
                              other stale cells keep their old "en" for a translator

`--root DIR` works on another checkout (the tests use a temporary one). The runner
(scripts/run_notebooks.py) never runs a *.ko.ipynb; its `--update` runs `build` at the end.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_exercises  # noqa: E402  (the learner's copy: the same transformation)

LANG = "ko"
# The exercise notebooks' one line of code that the English has not, right after the prelude
PRELUDE = "use dlfs::exercise::prelude::*;"
SET_LANGUAGE = "set_language(Lang::Ko); // 확인 메시지를 한국어로"
MARKER = re.compile(r"^//\s*(BEGIN|END) SOLUTION\b")


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
        marker_en, marker_ko = MARKER.match(ma), MARKER.match(mb)
        if bool(marker_en) != bool(marker_ko) or (
                marker_en and marker_en.group(1) != marker_ko.group(1)):
            return (f"line {i}: the `// BEGIN SOLUTION` / `// END SOLUTION` marker stays "
                    f"English (only the hint after BEGIN SOLUTION is translated):\n"
                    f"      en: {a}\n      ko: {b}")
    return None


def hint_problem(en: str, ko: str) -> str | None:
    """A `// BEGIN SOLUTION <hint>` whose hint the translation left in English (the same
    text, with a run of two or more English words: a formula alone may stay as it is)."""
    for i, (a, b) in enumerate(zip(en.splitlines(), ko.splitlines()), 1):
        ma, mb = make_exercises.BEGIN.match(a), make_exercises.BEGIN.match(b)
        if ma and mb and ma.group(2) == mb.group(2) and ENGLISH_RUN.search(ma.group(2)):
            return (f"line {i}: the hint after BEGIN SOLUTION is not translated (the "
                    f"learner's todo!() shows it):\n      {a.strip()}")
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


# ---------------------------------------------------------------------------------------
# The checks' messages: a catalog of the `tr!("english", "한국어", ...)` pairs in the Rust
# sources, used to translate the outputs of the Korean exercise notebooks.

MESSAGE_SOURCES = ("src/exercise/*.rs", "src/gradient.rs", "src/lang.rs")
RUST_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
RAW_STRING = re.compile(r'r(#*)"')
TR_CALL = re.compile(r"\btr!\s*\(")
# a run of two or more English words in a message's literal text
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*)+")
# the marks that start a check's line (src/exercise/mod.rs: Report and Progress)
MARKS = ("✓", "✗", "…")
# The language-neutral frame the checks write around their messages (Report's and
# Progress's Display in src/exercise/mod.rs, not tr!): a mark, the exercise's name (kept as
# it is: it names a class or a function) and a message, which must be in the catalog.
FRAMES = (
    re.compile(r"(?:✓|✗) (?P<name>[^:]+): (?P<msg>.+)"),  # ✓ Relu: <parts>, ✗ Relu: <why>
    re.compile(r"… (?P<msg>.+)"),  # … Relu: not done yet: <hint>
    re.compile(r"(?:✓|✗|…) (?P<name>[^:]+)"),  # Progress's list: ✓ Relu
)


def rust_string(text: str, i: int) -> tuple[str, int] | None:
    """The value of the Rust string literal (plain or raw) at text[i], and where it ends."""
    raw = RAW_STRING.match(text, i)
    if raw:
        close = '"' + raw.group(1)
        end = text.find(close, raw.end())
        return (text[raw.end():end], end + len(close)) if end >= 0 else None
    if not text.startswith('"', i):
        return None
    out, j = [], i + 1
    while j < len(text):
        c = text[j]
        if c == '"':
            return "".join(out), j + 1
        if c != "\\":
            out.append(c)
            j += 1
            continue
        nxt = text[j + 1:j + 2]
        if nxt in ("\n", "\r"):  # a continuation: the line break and the next line's indent go
            j += 1
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
        elif nxt == "u":  # \u{1F980}
            close = text.index("}", j)
            out.append(chr(int(text[j + 3:close], 16)))
            j = close + 1
        elif nxt == "x":
            out.append(chr(int(text[j + 2:j + 4], 16)))
            j += 4
        else:
            out.append(RUST_ESCAPES.get(nxt, nxt))
            j += 2
    return None


def format_parts(fmt: str) -> list:
    """A Rust format string as literal text (str) and placeholders (Arg): `{{`/`}}` are
    braces, `{name}`/`{name:spec}` named, `{0}` by index, `{}`/`{:?}` the next positional."""
    parts, lit, i, auto = [], [], 0, 0
    while i < len(fmt):
        if fmt.startswith("{{", i) or fmt.startswith("}}", i):
            lit.append(fmt[i])
            i += 2
        elif fmt[i] == "{":
            close = fmt.find("}", i)
            if close < 0:
                raise ValueError("a `{` without `}`")
            name = fmt[i + 1:close].split(":", 1)[0].strip()
            if not name:
                key, auto = auto, auto + 1
            else:
                key = int(name) if name.isdigit() else name
            if lit:
                parts.append("".join(lit))
                lit = []
            parts.append(Arg(key))
            i = close + 1
        else:
            lit.append(fmt[i])
            i += 1
    if lit:
        parts.append("".join(lit))
    return parts


@dataclass(frozen=True)
class Arg:
    key: object


class Message:
    """One tr! pair: a regex for its English (each placeholder a capture), the Korean to fill."""

    def __init__(self, en: str, ko: str, where: str):
        self.en, self.ko, self.where = en, ko, where
        en_parts, self.ko_parts = format_parts(en), format_parts(ko)
        self.literals = [p for p in en_parts if isinstance(p, str)]
        self.literal_len = sum(len(p) for p in self.literals)
        groups, regex = {}, []
        for p in en_parts:
            if isinstance(p, str):
                regex.append(re.escape(p))
            elif p.key in groups:
                regex.append(f"(?P={groups[p.key]})")
            else:
                groups[p.key] = f"g{len(groups)}"
                regex.append(f"(?P<{groups[p.key]}>.*?)")
        self.groups = groups
        self.pattern = re.compile("".join(regex), re.DOTALL)
        missing = [p.key for p in self.ko_parts if isinstance(p, Arg) and p.key not in groups]
        if missing:
            raise ValueError(f"the Korean uses {missing} that the English has not")
        self.prefix = en_parts[0] if en_parts and isinstance(en_parts[0], str) else ""
        self.suffix = en_parts[-1] if en_parts and isinstance(en_parts[-1], str) else ""

    def match(self, text: str):
        if not (text.startswith(self.prefix) and text.endswith(self.suffix)):
            return None
        if any(lit not in text for lit in self.literals):
            return None
        return self.pattern.fullmatch(text)

    def fill(self, m, translate) -> str:
        return "".join(p if isinstance(p, str) else translate(m.group(self.groups[p.key]))
                       for p in self.ko_parts)


def scan_catalog(root: Path) -> tuple[list[Message], list[str]]:
    """The tr! pairs of the Rust sources, and what is wrong with any of them. A pair whose
    English literal text has no letter (`"{a}: {b}"`) carries nothing to translate and
    would match any text: it is left out."""
    messages, bad = [], []
    files = sorted({f for pat in MESSAGE_SOURCES for f in root.glob(pat)})
    for f in files:
        text = f.read_text(encoding="utf-8")
        for m in TR_CALL.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if split_comment(text[line_start:m.start()])[1]:
                continue  # in a comment (the macro's documentation)
            where = f"{f.relative_to(root)}:{text.count(chr(10), 0, m.start()) + 1}"
            j = m.end()
            while j < len(text) and text[j].isspace():
                j += 1
            first = rust_string(text, j)
            if first is None:
                continue  # the macro's own definition (`$en:literal`)
            j = first[1]
            while j < len(text) and text[j].isspace():
                j += 1
            second = None
            if text.startswith(",", j):
                j += 1
                while j < len(text) and text[j].isspace():
                    j += 1
                second = rust_string(text, j)
            if second is None:
                bad.append(f"{where}: tr! without a Korean string literal after the English")
                continue
            try:
                msg = Message(first[0], second[0], where)
            except ValueError as exc:
                bad.append(f"{where}: tr!({first[0]!r}, …): {exc}")
                continue
            if re.search(r"[A-Za-z]", "".join(msg.literals)):
                messages.append(msg)
    return messages, bad


SAY_CALL = re.compile(r"\bsay\s*\(")


def say_pairs(nb: dict) -> list[Message]:
    """The `say("English", "한국어")` pairs of a notebook's code (dlfs::exercise::say: a
    sentence the notebook's own code prints or draws, in the checks' language)."""
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = text_of(cell)
        for m in SAY_CALL.finditer(text):
            first = rust_string(text, m.end())
            if first is None:
                continue
            j = first[1]
            while j < len(text) and text[j] in " ,\n\t":
                j += 1
            second = rust_string(text, j)
            if second is not None:
                out.append(Message(first[0].replace("{", "{{").replace("}", "}}"),
                                   second[0].replace("{", "{{").replace("}", "}}"),
                                   f"cell {cell.get('id')}"))
    return out


# a sentence for the learner written straight into an exercise notebook's code: its Korean
# notebook would show it in English (write it with say("English", "한국어"))
PLAIN_SENTENCE = re.compile(r'(?:Figure::note\(\s*"|println!\(\s*"\()')


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def top_level_comma(text: str) -> bool:
    depth = 0
    for i, c in enumerate(text):
        depth += (c in "([{") - (c in ")]}")
        if depth == 0 and text.startswith(", ", i):
            return True
    return False


def balanced(text: str) -> bool:
    """Whether the brackets of a text close in order: a message, or a capture of one (a
    shape, a list), is; a piece cut at the wrong ", " ("(2" of "(2, 3)") is not."""
    stack = []
    for c in text:
        if c in "([{":
            stack.append(")]}"["([{".index(c)])
        elif c in ")]}":
            if not stack or stack.pop() != c:
                return False
    return not stack


class Translator:
    """Translates the checks' output lines with the catalog and the exercises' hints.

    A text is translated by the catalog entry whose English matches all of it, its Korean
    filled with the captures, each capture translated in turn (a capture that is an
    exercise's hint becomes its Korean hint; one that matches nothing, a number, shape or
    name, stays). A text may also be a list of messages joined by ", " (a report's parts):
    it is translated piece by piece when every piece matches an entry. Of the ways to read
    a text, the one that accounts for the most English literal text wins (on a tie, the
    list, with the most pieces). A match whose text or captures have unbalanced brackets
    does not count."""

    def __init__(self, messages: list[Message], hints: dict[str, str],
                 names: frozenset[str] = frozenset(), says: list[Message] = ()):
        self.says = list(says)
        messages = list(messages) + self.says
        self.messages, self.hints, self.names = messages, hints, names
        self.cache: dict[str, tuple[str, int] | None] = {}
        ko_text = " ".join(m.ko for m in messages)
        runs = {r for m in messages if m.en != m.ko for lit in m.literals
                for r in ENGLISH_RUN.findall(lit) if r not in ko_text}
        self.english = (re.compile(r"(?<![A-Za-z])(?:" + "|".join(
            re.escape(r) for r in sorted(runs, key=len, reverse=True)) + r")(?![A-Za-z])")
            if runs else None)

    def one(self, text: str) -> tuple[str, int, tuple] | None:
        """(Korean, score, left) by the best single entry matching all of `text`, else None.
        The score is the English literal text it accounts for: the entry's own, and its
        captures' (a hint's whole length, a message's score); `left`, the captures it left
        in English (two or more English words, not an exercise's name). A capture no entry
        translates has no ", " outside brackets (that is a list the entry must not take)."""
        if not balanced(text):
            return None
        best = None
        for msg in self.messages:
            m = msg.match(text)
            if not m:
                continue
            score, left, parts = msg.literal_len, (), {}
            for name in msg.groups.values():
                value = m.group(name)
                if not balanced(value):
                    break
                parts[name] = self.capture(value)
                if parts[name][1] == 0:
                    if top_level_comma(value):
                        break
                    if ENGLISH_RUN.search(value) and value not in self.names:
                        left += (value,)
                score += parts[name][1]
                left += parts[name][2]
            else:
                if best is None or score > best[1]:
                    best = ("".join(p if isinstance(p, str) else parts[msg.groups[p.key]][0]
                                    for p in msg.ko_parts), score, left)
        return best

    def message(self, text: str) -> tuple[str, int, tuple] | None:
        """(Korean, score, left) of a whole message: one entry, or a ", " list of entries (a
        report's parts), whichever accounts for more English (the list on a tie); None if
        neither matches."""
        if text in self.cache:
            return self.cache[text]
        self.cache[text] = None  # (no entry can match its own capture: captures are shorter)
        result = self.one(text)
        if ", " in text:
            pieces = text.split(", ")
            # best[j]: (score, translations, left) of pieces[:j] as a list of whole entries
            best = [(0, [], ())] + [None] * len(pieces)
            for j in range(1, len(pieces) + 1):
                for i in range(j):
                    if best[i] is None:
                        continue
                    got = self.one(", ".join(pieces[i:j]))
                    if got is None:
                        continue
                    cand = (best[i][0] + got[1], best[i][1] + [got[0]], best[i][2] + got[2])
                    # on a tie the more pieces (see below)
                    if best[j] is None or (cand[0], len(cand[1])) > (best[j][0], len(best[j][1])):
                        best[j] = cand
            # on a tie the list: else an entry that starts or ends with a placeholder
            # ("forward and backward {on}") would take the rest of the list as its capture
            if best[-1] is not None and len(best[-1][1]) > 1 and (
                    result is None or best[-1][0] >= result[1]):
                result = (", ".join(best[-1][1]), best[-1][0], best[-1][2])
        self.cache[text] = result
        return result

    def capture(self, text: str) -> tuple[str, int, tuple]:
        if text in self.hints:
            return self.hints[text], len(text), ()
        return self.message(text) or (text, 0, ())

    def line(self, line: str) -> tuple[str, str | None]:
        """(the translated line, why it counts as untranslated or None).

        Untranslated: a check's line (starting with ✓, ✗ or …) that no frame with a
        catalogued message matches; or a line an entry did translate that still holds
        English: a capture no entry translated with two or more English words in a row (not
        an exercise's name), or a run of two or more English words from an entry's English
        literal text (one the Korean of no entry has). Other lines (what the cell's own code
        prints) stay as they are."""
        body = line.lstrip(" ")
        indent = line[:len(line) - len(body)]
        out = ko = None
        if body.startswith(MARKS):
            for frame in FRAMES:
                m = frame.fullmatch(body)
                if not m:
                    continue
                if "msg" not in frame.groupindex:
                    out = body
                    break
                ko = self.message(m.group("msg"))
                if ko is not None:
                    out = body[:m.start("msg")] + ko[0]
                    break
            if out is None:
                return line, "no catalog entry (tr! pair) matches this check's message"
        else:
            ko = self.message(body)
            if ko is None:
                return line, None
            out = ko[0]
        out = indent + out
        if ko is not None and ko[2]:
            return out, f"still English ({ko[2][0]!r}: a part no tr! pair matched)"
        left = self.english.search(out) if self.english else None
        if left:
            return out, f"still English ({left.group(0)!r}: a part no tr! pair matched)"
        return out, None

    def text(self, text: str, where: str, problems: list[str]) -> str:
        lines = []
        for line in text.split("\n"):
            ko, why = self.line(line)
            if why:
                problems.append(f"{where}: output line untranslated, {why}:\n      {line}")
            lines.append(ko)
        return "\n".join(lines)

    def outputs(self, outputs: list, where: str, problems: list[str]) -> list:
        """Copies of a cell's outputs with their text (streams, text/plain) translated."""
        def tr(value):
            joined = "".join(value) if isinstance(value, list) else value
            ko = self.text(joined, where, problems)
            return ko.splitlines(keepends=True) if isinstance(value, list) else ko
        def svg(value):
            # a figure's sentence (Figure::note(&say(…))): its text node, escaped as the
            # library writes it
            joined = "".join(value) if isinstance(value, list) else value
            for m in self.says:
                # plotters puts the text on a line of its own (`>\ntitle\n<`), the library's
                # notes do not
                joined = re.sub(r">(\s*)" + re.escape(xml_escape(m.en)) + r"(\s*)<",
                                lambda g: f">{g.group(1)}{xml_escape(m.ko)}{g.group(2)}<", joined)
            return joined.splitlines(keepends=True) if isinstance(value, list) else joined
        new = json.loads(json.dumps(outputs))
        for out in new:
            if out.get("output_type") == "stream":
                out["text"] = tr(out.get("text", ""))
            elif "text/plain" in out.get("data", {}):
                out["data"]["text/plain"] = tr(out["data"]["text/plain"])
            if "image/svg+xml" in out.get("data", {}):
                out["data"]["image/svg+xml"] = svg(out["data"]["image/svg+xml"])
        return new


def hints_of(nb: dict, cells: dict) -> dict[str, str]:
    """English hint -> Korean hint, from the `// BEGIN SOLUTION <hint>` lines of each current
    code cell's translation (line by line: a translation changes no line's code)."""
    hints = {}
    for cell in nb["cells"]:
        entry = cells.get(cell.get("id"))
        if not entry or entry.get("en") != text_of(cell) or not entry.get("ko"):
            continue
        for a, b in zip(entry["en"].splitlines(), entry["ko"].splitlines()):
            ma = make_exercises.BEGIN.match(a)
            mb = make_exercises.BEGIN.match(b)
            if ma and mb and ma.group(2) and mb.group(2):
                hints.setdefault(ma.group(2), mb.group(2))
    return hints


PROGRESS = re.compile(r'Progress::new\(\s*"[^"]*"\s*,\s*&\[([^\]]*)\]')


def exercise_names(nb: dict) -> frozenset[str]:
    """The exercises' names, from the notebook's `Progress::new("ch05", &["MulLayer", …])`:
    they stay English in a translated message ("Xavier and He: 아직 작성 전: …")."""
    names = set()
    for cell in nb["cells"]:
        for m in PROGRESS.finditer(text_of(cell)):
            names.update(re.findall(r'"([^"]*)"', m.group(1)))
    return frozenset(names)


TODO_HINT = re.compile(r'todo!\("(?:[^"\\]|\\.)*"\)')


def code_lines(cell: dict) -> list[str]:
    """A code cell's code: comments off, a todo!'s hint (a comment, moved) normalized."""
    return [TODO_HINT.sub("todo!(…)", split_comment(line)[0].rstrip())
            for line in text_of(cell).splitlines()]


def code_differences(en_nb: dict, ko_nb: dict, where: str) -> list[str]:
    """Where a Korean exercise notebook's code is not the English code plus the one
    SET_LANGUAGE line after the prelude's `use`."""
    out = []
    en_ids = [c.get("id") for c in en_nb["cells"]]
    if en_ids != [c.get("id") for c in ko_nb["cells"]]:
        return [f"{where}: its cells are not the English notebook's (ids {en_ids})"]
    set_code = split_comment(SET_LANGUAGE)[0].rstrip()
    for idx, (en, ko) in enumerate(zip(en_nb["cells"], ko_nb["cells"])):
        if en["cell_type"] != "code":
            continue
        want, got = code_lines(en), code_lines(ko)
        for k, line in enumerate(want):
            if line.strip() == PRELUDE:
                indent = line[:len(line) - len(line.lstrip())]
                want = want[:k + 1] + [indent + set_code] + want[k + 1:]
                break
        if want != got:
            n = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b),
                     min(len(want), len(got)))
            a = want[n] if n < len(want) else "(no line)"
            b = got[n] if n < len(got) else "(no line)"
            out.append(f"{where} cell {idx} (id {en.get('id')}): code line {n + 1} is not the "
                       f"English code (the Korean adds only `{set_code}` after `{PRELUDE}`):\n"
                       f"      expected: {a}\n      found:    {b}")
    return out


def first_difference(want: dict, got: dict) -> str:
    """Where two notebooks first differ: a cell and what of it, or the metadata."""
    for idx, (a, b) in enumerate(zip(want.get("cells", []), got.get("cells", []))):
        if a != b:
            keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            return f"cell {idx} (id {a.get('id')}): its {', '.join(keys)}"
    if len(want.get("cells", [])) != len(got.get("cells", [])):
        return "the number of cells"
    return "the notebook's metadata"


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.nb_dir = root / "notebooks"
        self.tr_dir = self.nb_dir / "i18n" / LANG
        self._catalog = None

    def translations(self) -> list[Path]:
        return sorted(self.tr_dir.glob("*.json"))

    def source_of(self, tr_path: Path, tr: dict) -> Path:
        return self.nb_dir / tr["notebook"]

    def built_path(self, tr: dict) -> Path:
        src = self.nb_dir / tr["notebook"]
        return src.with_name(f"{src.stem}.{LANG}.ipynb")

    def built_paths(self, tr: dict) -> list[Path]:
        """The Korean notebook, and for an exercise solutions notebook its learner's copy."""
        path = self.built_path(tr)
        return [path, make_exercises.target(path)] if is_solutions(tr) else [path]

    def built_notebooks(self) -> list[Path]:
        return sorted(p for p in self.nb_dir.rglob(f"*.{LANG}.ipynb")
                      if ".ipynb_checkpoints" not in p.parts)

    def catalog(self) -> tuple[list[Message], list[str]]:
        if self._catalog is None:
            self._catalog = scan_catalog(self.root)
        return self._catalog


def is_solutions(tr: dict) -> bool:
    """An exercise solutions notebook (exercises/solutions/chNN_solutions.ipynb)."""
    return Path(tr["notebook"]).name.endswith("_solutions.ipynb")


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
            why = code_problem(en, entry["ko"]) or hint_problem(en, entry["ko"])
            if why:
                out.append(f"{where}: the Korean code cell {why}")
    for cid in sorted(set(cells) - ids):
        out.append(f"{name}: cell id {cid} is not a translatable cell of {tr['notebook']} "
                   f"(deleted or renamed?): remove it")
    if is_solutions(tr):
        for idx, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            for k, line in enumerate(text_of(cell).split("\n"), 1):
                if PLAIN_SENTENCE.search(split_comment(line)[0]):
                    out.append(f"{tr['notebook']} cell {idx} (id {cell.get('id')}), line {k}: "
                               f"a sentence for the learner in English only (its Korean "
                               f"notebook would show it so): write it with say(\"English\", "
                               f"\"한국어\"):\n      {line.strip()}")
    return out


def built(repo: Repo, tr_path: Path) -> list[tuple[Path, dict, list[str]]]:
    """The Korean notebooks for one translation file, and the untranslated output lines
    found on the way. A chapter notebook: the English with the Korean text put in, outputs
    as they are. An exercise solutions notebook: that, with the SET_LANGUAGE line after the
    prelude's `use` and the outputs' text translated (Translator); and its Korean learner's
    copy, make_exercises.learner_copy of it, with the English learner's copy's outputs
    (cell by cell, where that copy is current), translated."""
    tr = load(tr_path)
    src = repo.source_of(tr_path, tr)
    nb = load(src)
    en_nb = json.loads(json.dumps(nb))
    cells = tr.get("cells", {})
    for cell in nb["cells"]:
        entry = cells.get(cell.get("id"))
        if entry and entry.get("ko") and entry.get("en") == text_of(cell) and not (
                cell["cell_type"] == "code" and code_problem(entry["en"], entry["ko"])):
            # (a code cell whose translation changed its code keeps the English: check
            # names it)
            cell["source"] = entry["ko"].splitlines(keepends=True)
    nb.setdefault("metadata", {})["dlfs_language"] = LANG
    path = repo.built_path(tr)
    if not is_solutions(tr):
        return [(path, nb, [])]

    messages, _ = repo.catalog()
    translator = Translator(messages, hints_of(en_nb, cells), exercise_names(en_nb),
                            say_pairs(en_nb))
    problems: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = text_of(cell).split("\n")
        for k, line in enumerate(lines):
            if line.strip() == PRELUDE:
                indent = line[:len(line) - len(line.lstrip())]
                lines.insert(k + 1, indent + SET_LANGUAGE)
                cell["source"] = "\n".join(lines).splitlines(keepends=True)
                break
    learner = make_exercises.learner_copy(nb, path.name)

    def translate(target_nb, english_nb, built_path):
        rel = built_path.relative_to(repo.root)
        english = {c.get("id"): c for c in english_nb["cells"]}
        for idx, cell in enumerate(target_nb["cells"]):
            en = english.get(cell.get("id"))
            if cell["cell_type"] != "code" or en is None:
                continue
            cell["outputs"] = translator.outputs(en.get("outputs", []),
                                                 f"{rel} cell {idx} (id {cell.get('id')})",
                                                 problems)
            cell["execution_count"] = en.get("execution_count")

    translate(nb, en_nb, path)
    en_learner_path = make_exercises.target(src)
    previous = load(en_learner_path) if en_learner_path.exists() else None
    # what scripts/make-exercises writes: outputs where the committed copy's cell is current
    en_learner = make_exercises.learner_copy(en_nb, src.name, previous)
    learner_path = make_exercises.target(path)
    translate(learner, en_learner, learner_path)
    return [(path, nb, problems), (learner_path, learner, [])]


def english_of(repo: Repo, tr: dict, path: Path) -> dict:
    """The English counterpart of a built Korean exercise notebook."""
    en_nb = load(repo.source_of(None, tr))
    if path == repo.built_path(tr):
        return en_nb
    return make_exercises.learner_copy(en_nb, Path(tr["notebook"]).name)


def cmd_check(repo: Repo) -> int:
    trs = repo.translations()
    if not trs:
        print(f"i18n: no translation files in {repo.tr_dir}")
        return 1
    bad = []
    if any(is_solutions(load(p)) for p in trs):
        bad += [f"tr! catalog: {b}" for b in repo.catalog()[1]]
    for p in trs:
        tr = load(p)
        bad += problems(repo, p)
        for path, nb, untranslated in built(repo, p):
            bad += untranslated
            rel = path.relative_to(repo.root)
            if not path.exists():
                bad.append(f"{rel}: missing; run scripts/i18n.py build")
                continue
            committed = load(path)
            if is_solutions(tr):
                bad += code_differences(english_of(repo, tr, path), committed, str(rel))
            if path.read_text(encoding="utf-8") != dumps_nb(nb):
                bad.append(f"{rel}: not what the English notebook and its translation give "
                           f"(first at {first_difference(nb, committed)}; the English "
                           f"outputs or text changed?); run scripts/i18n.py build")
    built_paths = {b for p in trs for b in repo.built_paths(load(p))}
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
        for path, nb, _ in built(repo, p):
            text = dumps_nb(nb)
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
