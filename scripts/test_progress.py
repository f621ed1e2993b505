#!/usr/bin/env python3
"""scripts/progress.py against a progress folder written as Progress::save writes it."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import progress  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    nb_dir = ROOT / "notebooks" / "exercises"
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "ch05.tsv").write_text("passed\tMulLayer\nfailed\tAddLayer\npending\tRelu\n")
        text = progress.listing(nb_dir, d)
    lines = text.splitlines()
    problems = []
    want = ["  ✓ MulLayer", "  ✗ AddLayer", "  … Relu"]
    if not (lines and lines[0].startswith("ch05: 1 of ") and "last check" in lines[0]):
        problems.append(f"first line: {lines[:1]}")
    if lines[1:4] != want:
        problems.append(f"ch05's first exercises: {lines[1:4]}, expected {want}")
    ch06 = [l for l in lines if l.startswith("ch06:")]
    if not (ch06 and ch06[0].endswith("(not started)") and ch06[0].startswith("ch06: 0 of ")):
        problems.append(f"ch06, never opened: {ch06}")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "ch05.tsv").write_text("passed\tMulLayer\n")
        ko = progress.listing(nb_dir, d, ko=True).splitlines()
    if not (ko[0].startswith("ch05: 연습 문제 ") and "개 중 1개 완료 (마지막 확인" in ko[0]):
        problems.append(f"in Korean: {ko[:1]}")
    if not any(l.startswith("ch06: 연습 문제 ") and l.endswith("(시작 전)") for l in ko):
        problems.append(f"in Korean, ch06: {[l for l in ko if l.startswith('ch06')]}")
    for p in problems:
        print("test_progress:", p)
    print(f"test_progress: {'FAILED' if problems else 'ok'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
