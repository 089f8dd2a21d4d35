"""Read a CRM export exactly as it arrives: CSV in any common dialect, or an .xlsx workbook.

Everything comes back as text (``str`` dtype, missing = NA). Deciding what "N/A" or
"1.234" means is the cleaner's job (:mod:`segmentation.accounts`, with
:mod:`segmentation.numbers` for number strings), where it is counted. The lines a report
export adds around its table are found by :mod:`segmentation.report_lines`.
The fast path hands the bytes to pyarrow's multi-threaded CSV reader; pandas' C engine is
only used when rows are ragged, so a clean million-row export reads in about a second.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.cells import unguard_text
from segmentation.encoding import is_zip, refuse_non_text, to_utf8
from segmentation.errors import InputError
from segmentation.malformed import mend_long_rows, swallowed_lines
from segmentation.report_lines import strip_footer, title_lines

MAX_BYTES: int = 200 * 1024 * 1024
"""Default size limit for one upload or file (200 MB)."""

MAX_ROWS: int = 2_000_000
"""Default limit on data rows (the engine plans a million accounts in seconds; twice that fits)."""

MAX_COLUMNS: int = 500
"""Default limit on columns (real CRM exports have tens; Salesforce's widest around 300)."""

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
"""How a delimiter is said to a user."""

# What bytes.strip() removes. A file is blank when no other byte occurs: searching for the first
# such byte answers ``not data.strip()`` without copying a file that is almost never blank.
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_LEADING_NEWLINES = re.compile(rb"[\r\n]*")


@dataclass
class ReadInfo:
    """What :func:`read_table` found and changed while reading a file.

    Attributes mirror the contract other modules rely on; :meth:`to_dict` is JSON-ready.
    """

    source_name: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows: int
    columns: int
    footer_rows_removed: list[str] = field(default_factory=list)
    blank_rows_removed: int = 0
    empty_columns_removed: list[str] = field(default_factory=list)
    ragged_rows: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return a JSON-serialisable copy."""
        return asdict(self)


def read_table(
    source,
    *,
    name: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read a CSV/TSV/xlsx export into an all-text DataFrame.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        A file path or the uploaded file's bytes.
    name : str, optional
        Name shown in messages; defaults to the file name (or ``"upload"``).
    encoding : str, optional
        Force a text encoding instead of BOM → strict UTF-8 → cp1252.
    sheet : str, optional
        Worksheet to read from an .xlsx workbook (default: the first).
    max_bytes : int
        Refuse larger inputs.
    max_rows, max_columns : int
        Refuse tables with more data rows or columns.

    Returns
    -------
    df : pandas.DataFrame
        One ``str`` column per source column (headers stripped and de-duplicated),
        rows in file order with a RangeIndex, missing cells NA. Text such as "NA" is kept.
        The ``'`` our exports put before formula-like text (see
        :func:`segmentation.cells.guard_text`) is removed from cells and headers, so reading
        our own files back is lossless.
    info : ReadInfo
        Encoding, delimiter, removed footers/blank rows/empty columns, ragged rows, warnings.

    Raises
    ------
    InputError
        Empty, header-only, binary, undecodable, oversized (bytes, rows or columns) or wrongly
        delimited input.
    """
    raw, name = _load_bytes(source, name, max_bytes)
    if _is_blank(raw):
        raise InputError(f"{name} is empty. Export the report again with its data rows included.")
    limits = Limits(max_rows, max_columns)
    if is_zip(raw):
        from segmentation.workbook import read_xlsx  # openpyxl only loads for workbooks

        return read_xlsx(raw, name, sheet, limits)
    refuse_non_text(raw, name)
    text_bytes, used_encoding = to_utf8(raw, name, encoding)
    df, info = _read_csv_bytes(text_bytes, name, used_encoding, limits)
    if sheet is not None:
        info.warnings.append(
            f"Sheet {sheet!r} was not used: {name} is a text (CSV) file with a single table."
        )
    return df, info


@dataclass(frozen=True)
class Limits:
    """The row and column limits a read enforces (CSV and workbook alike)."""

    rows: int
    columns: int

    def check_rows(self, rows: int, name: str) -> None:
        if rows > self.rows:
            raise InputError(
                f"{name} has more than {self.rows:,} rows, the limit. "
                "Filter the report (by region, owner or status) and load it in parts."
            )

    def check_columns(self, columns: int, name: str) -> None:
        if columns > self.columns:
            raise InputError(
                f"{name} has {columns:,} columns, over the {self.columns:,}-column limit. "
                "Export only the columns you need (name, ID, industry, size, status, owner)."
            )

    def check_raw_width(self, columns: int, name: str) -> None:
        # Before parsing: unnamed, empty trailing fields are pruned later, so allow some slack,
        # but never let one line with a million separators allocate a million columns.
        # The count is of separators on one line (or cells in one row), empty ones included, so
        # say that rather than call it the file's number of columns.
        if columns > 4 * self.columns:
            raise InputError(
                f"{name} has a line with {columns:,} fields, over 4 times the "
                f"{self.columns:,}-column limit (empty fields count). Remove the runs of empty "
                "separators, or export only the columns you need (name, ID, industry, size, "
                "status, owner)."
            )


# --------------------------------------------------------------------------- loading


def _load_bytes(source, name: str | None, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        name = name or "upload"
    elif isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise InputError(f"{name}: no such file. Check the path and try again.")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(_too_big(name, size, max_bytes))
        raw = path.read_bytes()
    else:
        raise InputError(
            f"Cannot read {type(source).__name__}: pass a file path or the file's bytes."
        )
    if len(raw) > max_bytes:
        raise InputError(_too_big(name, len(raw), max_bytes))
    return raw, name


def _too_big(name: str, size: int, limit: int) -> str:
    return (
        f"{name} is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit. "
        "Export fewer columns or filter the report, or raise the limit."
    )


def _is_blank(data) -> bool:
    """``not data.strip()`` for bytes or a memoryview, without copying the data."""
    return _NOT_BLANK.search(data) is None


def _head(data, size: int = 65536) -> bytes:
    """The first ``size`` bytes as ``bytes`` (``data`` may be a memoryview of the file)."""
    return bytes(data[:size])


# --------------------------------------------------------------------------- CSV


def _read_csv_bytes(
    data, name: str, encoding: str, limits: Limits
) -> tuple[pd.DataFrame, ReadInfo]:
    # ``data`` is UTF-8 as bytes or a memoryview; trims below are views, never copies of the file.
    warnings: list[str] = []
    start = _LEADING_NEWLINES.match(data).end()
    lines_above = bytes(data[:start]).count(b"\n")
    if start:
        data = memoryview(data)[start:]
    head = _head(data)
    delimiter = sniff_delimiter(head.decode("utf-8", errors="replace"))
    titles, title_bytes = title_lines(head, delimiter)
    if titles:
        lines_above += bytes(data[:title_bytes]).count(b"\n")
        data = memoryview(data)[title_bytes:]
        warnings.append(f"Skipped {titles} title row(s) above the header.")
    data, footer, footer_blanks = strip_footer(data, delimiter)
    if _is_blank(data):
        raise InputError(f"{name} holds only report footer lines and no table.")
    table, ragged = _parse(data, delimiter or ",", name, limits)
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise InputError(f"{name} is empty. Export the report again with its data rows included.")
    header = [("" if pd.isna(h) else str(h)) for h in table.iloc[0].tolist()]
    df = table.iloc[1:].reset_index(drop=True)
    warnings += swallowed_lines(table, header, delimiter or ",", lines_above)
    if ragged:
        df, notes, ragged = mend_long_rows(table, header, delimiter or ",", lines_above, ragged)
        warnings += notes
        header = header[: df.shape[1]]
    if ragged:
        warnings.append(
            f"{ragged} row(s) had a different number of fields than the header; "
            "they were kept (short rows padded with blanks, extra fields in extra columns)."
        )
    df, info_cols = finish_table(df, header, name, warnings, limits)
    if df.shape[1] == 1:
        _refuse_single_column(header[0] if header else "", name, delimiter)
    info = ReadInfo(
        source_name=name,
        format="csv",
        encoding=encoding,
        delimiter=delimiter or ",",
        sheet=None,
        rows=len(df),
        columns=df.shape[1],
        footer_rows_removed=footer,
        blank_rows_removed=info_cols["blank_rows"] + footer_blanks,
        empty_columns_removed=info_cols["removed"],
        ragged_rows=ragged,
        warnings=warnings,
    )
    return df, info


def sniff_delimiter(sample: str) -> str | None:
    """Pick the delimiter among ``, ; \\t |`` whose count is most consistent per line.

    Quoted sections are removed first, so commas inside ``"Acme, Inc."`` do not count.
    Returns None when no candidate splits the lines.
    """
    unquoted = re.sub(r'"(?:[^"]|"")*"', "", sample)
    lines = [ln for ln in unquoted.splitlines() if ln.strip()]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line short
    lines = lines[:50]
    if not lines:
        return None
    best, best_score = None, (0.0, 0)
    for cand in DELIMITERS:
        counts = [ln.count(cand) for ln in lines]
        values, freq = np.unique(counts, return_counts=True)
        mode = int(values[freq.argmax()])
        if mode == 0:
            continue
        consistency = float(freq.max()) / len(counts)
        header_ok = 1.0 if counts[0] == mode else 0.0
        score = (round(consistency, 2) + header_ok, mode)
        if score > best_score:
            best, best_score = cand, score
    return best


def _parse(data, delimiter: str, name: str, limits: Limits) -> tuple[pd.DataFrame, int]:
    """Parse UTF-8 bytes into a header-less all-text frame; return it and the ragged count."""
    ncols = _count_header_fields(data, delimiter)
    limits.check_raw_width(ncols, name)
    df, bad = _parse_arrow(data, delimiter, ncols)
    if df is not None:
        return df, 0
    return _parse_ragged(data, delimiter, name, limits, bad)


def _parse_arrow(data, delimiter: str, ncols: int) -> tuple[pd.DataFrame | None, list[int]]:
    """pyarrow's fast reader; None and the field counts of the rows it could not take."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[int] = []

    def on_invalid(row) -> str:
        if row.text.strip(" \t\r\n" + delimiter):
            bad.append(row.actual_columns)
        return "skip"

    try:
        # A zero-copy Arrow buffer (a BytesIO would be read back through Python), and large_string
        # columns, which is what pandas' str dtype holds (no string -> large_string cast).
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(ncols)},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError, OverflowError):
        bad.append(-1)  # let the forgiving C engine have a go and report what it finds
    else:
        if table.num_columns != ncols:
            # The header count skipped a quoted stretch that pyarrow (quotes count only at the
            # start of a field) reads as more fields: those it typed itself (numbers, nulls).
            bad.append(-1)
    if bad:
        return None, bad
    text_dtype = pd.StringDtype(na_value=np.nan)
    df = table.to_pandas(types_mapper={pa.large_string(): text_dtype, pa.string(): text_dtype}.get)
    df.columns = range(df.shape[1])
    return df, bad


def _parse_ragged(
    data, delimiter: str, name: str, limits: Limits, bad: list[int]
) -> tuple[pd.DataFrame, int]:
    """pandas' forgiving C engine, wide enough for the longest row; the ragged count."""
    header_width = _count_header_fields(data, delimiter)
    text = str(data, "utf-8", errors="replace")
    # Fields per record, not per line: a quoted cell can hold line breaks with separators on both
    # sides, so a per-line count can fall short and pandas would silently drop the extra fields.
    width = max([b for b in bad if b > 0] + [header_width, _max_fields(text, delimiter)])
    limits.check_raw_width(width, name)
    for _ in range(4):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                df = pd.read_csv(
                    io.BytesIO(data),
                    sep=delimiter,
                    header=None,
                    names=range(width),
                    dtype="str",
                    keep_default_na=False,
                    na_values=[""],
                    skip_blank_lines=False,
                    index_col=False,
                    engine="c",
                    encoding="utf-8",
                    encoding_errors="replace",
                )
            except (pd.errors.ParserError, ValueError, OverflowError) as exc:
                raise InputError(
                    f"{name} could not be parsed as {DELIMITER_NAMES.get(delimiter, delimiter)}-"
                    f"separated text ({str(exc).strip()[:120]}). Check for an unclosed quote, "
                    "or re-export as CSV."
                ) from None
        if not any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            break
        width *= 2  # pandas saw more fields than the estimate: widen rather than lose cells
    else:
        raise InputError(
            f"{name} has rows whose fields could not be counted consistently. "
            "Check for unclosed quotes, or re-export as CSV."
        )
    ragged = len([b for b in bad if b > 0])
    extra = [c for c in df.columns[header_width:] if df[c].isna().all()]
    trailing = [c for c in reversed(df.columns) if c in extra]
    keep_upto = df.shape[1]
    for c in trailing:  # only the empty tail the upper bound added, never a filled column
        if c == keep_upto - 1:
            keep_upto -= 1
    return df.iloc[:, :keep_upto], ragged


def _max_fields(text: str, delimiter: str) -> int:
    """The most fields any record has, quoted line breaks included (Python's csv rules)."""
    try:
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return max((len(r) for r in records), default=1)
    except csv.Error:  # a field over csv's size limit: fall back to separators per line
        lines = pd.Series(text.split("\n"), dtype="str")
        return int(lines.str.count(re.escape(delimiter)).max()) + 1


def _count_header_fields(data, delimiter: str) -> int:
    head = _head(data).decode("utf-8", errors="replace")
    unquoted = re.sub(r'"(?:[^"]|"")*"', "", head)
    first = unquoted.lstrip("\r\n").splitlines()[0] if unquoted.strip() else ""
    return first.count(delimiter) + 1


def _refuse_single_column(header: str, name: str, delimiter: str | None) -> None:
    others = [d for d in (",", ";", "\t", "|", ":", "^", "~") if d in header]
    if others:
        shown = ", ".join(repr(d) for d in others)
        raise InputError(
            f"{name} was read as a single column, but its header contains {shown}. "
            "The file seems to use a separator that could not be applied consistently; "
            "save it as a comma-separated CSV (or pick the separator explicitly)."
        )


# --------------------------------------------------------------------------- shared tidy-up


def finish_table(
    df: pd.DataFrame, header: list[str], name: str, warnings: list[str], limits: Limits
):
    """Name, de-duplicate and prune columns; drop blank rows; undo our export guard.

    Vectorised per column.
    """
    limits.check_rows(len(df), name)
    header = [_unguard_one(str(h).replace("\ufeff", "")).strip() for h in header]
    header += [""] * (df.shape[1] - len(header))
    removed: list[str] = []
    keep: list[int] = []
    n = len(df)
    for i, h in enumerate(header):
        if h:
            keep.append(i)
            continue
        filled = int(df.iloc[:, i].notna().sum()) if n else 0
        label = f"column {i + 1}"
        if filled == 0:
            removed.append(label)
        elif filled < max(1, 0.05 * n):
            removed.append(label)
            example = str(df.iloc[:, i].dropna().iloc[0])[:60]
            warnings.append(
                f"Unnamed {label} held only {filled} value(s) (e.g. {example!r}), "
                "looks like notes, and was removed."
            )
        else:
            keep.append(i)
            warnings.append(f"{label} has no header; it was named {label!r}.")
    if removed:
        warnings.append(f"Removed {len(removed)} empty or unnamed column(s): {', '.join(removed)}.")
    names = _dedupe([header[i] or f"column {i + 1}" for i in keep], warnings)
    limits.check_columns(len(names), name)
    df = df.iloc[:, keep].copy()
    df.columns = names
    df = df.astype("str")
    df = _unguard(df)
    if df.shape[1] == 0:
        blank = np.ones(n, bool)
    elif not all(df.iloc[:, j].hasnans for j in range(df.shape[1])):
        blank = np.zeros(n, bool)  # a column without a gap: no row can be all blank
    else:
        blank = df.isna().all(axis=1).to_numpy()
    blank_rows = int(blank.sum())
    if blank_rows:
        df = df.loc[~blank]
    df = df.reset_index(drop=True)
    if df.shape[1] == 0 or len(df) == 0:
        what = "a header row but no data rows" if df.shape[1] else "no columns with a header"
        raise InputError(
            f"{name} has {what}. Export the report again with its detail rows included."
        )
    return df, {"removed": removed, "blank_rows": blank_rows}


def _unguard(df: pd.DataFrame) -> pd.DataFrame:
    """Remove the ``'`` our exports put before formula-like text (only where one can be)."""
    for column in df.columns:
        values = df[column]
        if values.str.startswith("'").any():
            df[column] = unguard_text(values)
    return df


def _unguard_one(text: str) -> str:
    return unguard_text(pd.Series([text], dtype="str")).iloc[0]


def _dedupe(names: list[str], warnings: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    dupes: list[str] = []
    taken = {n.casefold() for n in names}
    for n in names:
        key = n.casefold()
        if key in seen:
            seen[key] += 1
            new = f"{n} ({seen[key]})"
            while new.casefold() in taken:
                seen[key] += 1
                new = f"{n} ({seen[key]})"
            taken.add(new.casefold())
            dupes.append(n)
            out.append(new)
        else:
            seen[key] = 1
            out.append(n)
    if dupes:
        warnings.append(
            f"Duplicate column header(s) {sorted(set(dupes))} were renamed with a (2), (3)... suffix."
        )
    return out
