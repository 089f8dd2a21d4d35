"""Rows a CSV export breaks: a separator inside a field, or an unclosed quote.

Reading keeps every row the parser gives; these find the rows that came out wrong, mend the ones
that can be mended without guessing, and name the rest by the line they start on in the file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def _file_lines(table: pd.DataFrame, lines_above: int) -> np.ndarray:
    """The file line each table row starts on (row 0 is the header); quoted line breaks counted."""
    counts = [table[c].str.count("\n").fillna(0).to_numpy() for c in table.columns]
    spans = np.concatenate([[0], np.cumsum(np.sum(counts, axis=0))])[:-1]
    return lines_above + 1 + np.arange(len(table)) + spans.astype(np.int64)


_MEND_MIN_ROWS = 20
_NUMBER_LIKE = re.compile(r"^\s*[-+]?[$€£]?\s*\d[\d.,\s]*\s*(?:%|[kKmMbB])?\s*$")
_GROUPED_NUMBER = re.compile(r"^\s*[-+]?[$€£]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")


def mend_long_rows(
    table: pd.DataFrame, header: list[str], delimiter: str, lines_above: int, ragged: int
) -> tuple[pd.DataFrame, list[str], int]:
    """Re-join rows split by an unquoted separator inside a field, or set them aside.

    A row with more fields than the header is mended when exactly one way of joining
    neighbouring fields back fits the columns: the joined pieces start with a space (``Acme,
    Inc``) or make a grouped number in a number column (``1,200``), every number column then holds
    a number, and every column with a short list of values holds one of them. Otherwise the row
    is set aside, since its values would land in the wrong columns. Either way its line is named.
    Rows are returned without the header; the count is of rows still ragged (short ones).
    """
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    df = table.iloc[1:].reset_index(drop=True)
    if width < 2 or df.shape[1] <= width:
        return df, [], ragged
    long_rows = df.iloc[:, width:].notna().any(axis=1).to_numpy()
    if not long_rows.any() or long_rows.mean() > 0.5:  # then the header is short, not the rows
        return df, [], ragged
    good = df.loc[~long_rows].iloc[:, :width]
    lines = _file_lines(table, lines_above)[1:]
    if len(good) < _MEND_MIN_ROWS:  # too few rows to learn what each column holds
        where = _some([int(n) for n in lines[long_rows]])
        return df, [f"The rows with more fields than the header are on line(s) {where}."], ragged
    kinds = [_column_kind(good[c]) for c in good.columns]
    mended, aside = [], []
    values = df.to_numpy(dtype=object)
    for row in np.flatnonzero(long_rows):
        fields = [None if pd.isna(v) else str(v) for v in values[row]]
        while fields and fields[-1] is None:
            fields.pop()
        extra = len(fields) - width
        fits = [j for j in range(width) if _join_fits(fields, j, extra, kinds, delimiter)]
        if len(fits) == 1:
            j = fits[0]
            joined = delimiter.join(f or "" for f in fields[j : j + extra + 1])
            fixed = fields[:j] + [joined] + fields[j + extra + 1 :]
            values[row] = fixed + [None] * (values.shape[1] - width)
            mended.append(int(lines[row]))
        else:
            aside.append(int(lines[row]))
    out = pd.DataFrame(values, columns=df.columns, dtype="str")
    beyond = [c for c in out.columns[width:] if out[c].isna().all()]
    out = out.drop(columns=beyond)  # emptied by the mending: not columns of the file
    if aside:
        out = out.loc[~np.isin(lines, aside)].reset_index(drop=True)
    notes = []
    if mended:
        notes.append(
            f"{len(mended)} row(s) had a separator inside a field and were mended by joining the "
            f"pieces back (line(s) {_some(mended)}); check them."
        )
    if aside:
        notes.append(
            f"{len(aside)} row(s) had more fields than the header and no single way to join them "
            f"back, so they were set aside and are not in the plan (line(s) {_some(aside)}). Quote "
            "the field with the extra separator in the file, or re-export it, and upload again."
        )
    return out, notes, max(0, ragged - len(mended) - len(aside))


def _some(lines: list[int], shown: int = 10) -> str:
    text = ", ".join(f"{n:,}" for n in lines[:shown])
    return text + (f" and {len(lines) - shown:,} more" if len(lines) > shown else "")


def _column_kind(values: pd.Series) -> tuple[str, frozenset]:
    """``number``, ``listed`` (a short list of values) or ``text``, from the well-formed rows."""
    filled = values.dropna()
    if filled.empty:
        return "text", frozenset()
    if filled.str.match(_NUMBER_LIKE.pattern).mean() >= 0.9:
        return "number", frozenset()
    distinct = frozenset(filled.str.strip().unique())
    if len(filled) >= 20 and len(distinct) <= max(2, 0.05 * len(filled)):
        return "listed", distinct
    return "text", frozenset()


def _join_fits(fields: list, j: int, extra: int, kinds: list, delimiter: str) -> bool:
    pieces = fields[j : j + extra + 1]
    joined = delimiter.join(f or "" for f in pieces)
    kind, known = kinds[j]
    natural = all(p is not None and p[:1].isspace() for p in pieces[1:]) or (
        kind == "number" and delimiter == "," and _GROUPED_NUMBER.match(joined) is not None
    )
    if not natural:
        return False
    fixed = fields[:j] + [joined] + fields[j + extra + 1 :]
    for value, (kind, known) in zip(fixed, kinds, strict=True):
        if value is None or not value.strip():
            continue
        if kind == "number" and not _NUMBER_LIKE.match(value):
            return False
        if kind == "listed" and value.strip() not in known:
            return False
    return True


def swallowed_lines(
    table: pd.DataFrame, header: list[str], delimiter: str, lines_above: int
) -> list[str]:
    """Warnings for cells that swallowed whole lines of the file through an unclosed quote.

    A quote opened in a cell and closed only in a later row turns the lines in between into
    part of one cell: those rows vanish without a ragged-row note. A line break inside a cell
    followed by a line with at least as many separators as the header has is such a line
    (real multi-line cells, such as addresses, hold far fewer).
    """
    width = len(header)
    if width < 3:
        return []
    notes: list[str] = []
    lines = None
    for position, column in enumerate(table.columns):
        cells = table[column]
        broken = cells.str.contains("\n", regex=False).fillna(False).to_numpy()
        for row in np.flatnonzero(broken):
            parts = str(cells.iloc[row]).split("\n")
            swallowed = [p for p in parts[1:] if p.count(delimiter) >= width - 1]
            if not swallowed:
                continue
            if lines is None:  # counted once, and only when a file has such a cell
                lines = _file_lines(table, lines_above)
            line = int(lines[row])
            label = (
                header[position]
                if position < width and header[position]
                else f"column {position + 1}"
            )
            notes.append(
                f"Line {line:,}: an unclosed quote in {label!r} swallowed the next "
                f"{len(parts) - 1} line(s) (lines {line + 1:,}-{line + len(parts) - 1:,}, the first "
                f"starting {swallowed[0][:40]!r}) into one cell, so those rows are missing. Close "
                "the quote in the file (or re-export it) and upload again."
            )
    return notes
