"""Reading .xlsx against the same data as CSV, and a shared-string bomb (issue 19).

For each size, the accounts of ``accounts_<size>.csv`` (see ``generate.py``) are written as a
workbook the way Excel stores one (xlsxwriter: every text in the shared-strings table), then read
with ``read_table`` in fresh subprocesses: the CSV, the workbook, and the workbook with the second
(formula-counting) openpyxl pass forced as it ran before the pass became conditional. A
shared-string bomb (a few KB, one long text behind every cell) is read last: its time, peak RSS
and message.

Usage::

    python benchmarks/excel_read.py [DIR] [--sizes 10k,100k] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, accounts_path, data_dir, parse_sizes, table, write_size

_READ = """
import sys, time
from segmentation import ingest, workbook
if sys.argv[2] == "forced":
    workbook._has_formulas = lambda raw: True
t = time.perf_counter()
try:
    frame, _ = ingest.read_table(sys.argv[1])
    print(f"{time.perf_counter() - t:.3f} {len(frame)}")
except ingest.InputError as error:
    print(f"{time.perf_counter() - t:.3f} refused: {error}")
"""


def _measure(path: Path, mode: str) -> tuple[float, int, str]:
    """Seconds inside ``read_table``, peak RSS in MB, and what it said."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _READ, str(path), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    seconds, _, said = out.strip().partition(" ")
    return float(seconds), usage.ru_maxrss // 1024, said


def _workbook(csv_path: Path) -> Path:
    import pandas as pd
    import xlsxwriter

    target = csv_path.with_suffix(".xlsx")
    if target.exists():
        return target
    sys.path.insert(0, str(REPO))
    from segmentation.ingest import read_table

    frame, _ = read_table(csv_path)
    book = xlsxwriter.Workbook(str(target))
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, list(frame.columns))
    for j, column in enumerate(frame.columns):
        sheet.write_column(1, j, [None if pd.isna(v) else v for v in frame[column].tolist()])
    book.close()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?")
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = data_dir(args.dir)
    rows = []
    for label in parse_sizes(args.sizes):
        csv_path = accounts_path(folder, label)
        if not csv_path.exists():
            write_size(folder, label)
        xlsx_path = _workbook(csv_path)
        for what, path, mode in (
            ("CSV", csv_path, "plain"),
            ("xlsx", xlsx_path, "plain"),
            ("xlsx, formula pass forced (before)", xlsx_path, "forced"),
        ):
            runs = [_measure(path, mode) for _ in range(args.repeat)]
            best = min(runs)
            rows.append(
                [
                    label,
                    what,
                    f"{best[0]:.2f}",
                    " / ".join(f"{r[0]:.2f}" for r in runs),
                    f"{best[1]:,}",
                ]
            )
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import shared_string_bomb

    bomb = folder / "shared_string_bomb.xlsx"
    bomb.write_bytes(shared_string_bomb(5_000_000, 2_000))
    seconds, peak, said = _measure(bomb, "plain")
    rows.append(
        [f"bomb ({bomb.stat().st_size / 1e3:.0f} KB)", said[:60], f"{seconds:.2f}", "", f"{peak:,}"]
    )
    print(f"1-minute load {os.getloadavg()[0]:.1f}, started {time.strftime('%H:%M')}")
    print(table(["size", "file", "read_table s (best)", "runs", "peak RSS MB"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
