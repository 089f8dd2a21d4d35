"""Reading an .xlsx workbook: one sheet as an all-text table, within limits a hostile file can't pass.

The archive's declared sizes are checked before openpyxl opens it (zip bombs), openpyxl reads
through defusedxml (entity bombs), and the text the cells expand to is counted while the sheet
streams in (shared-string amplification).
"""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd

from segmentation.errors import InputError
from segmentation.ingest import MAX_BYTES, Limits, ReadInfo, finish_table
from segmentation.report_lines import FOOTER_RE

MAX_UNZIPPED_BYTES: int = 1024 * 1024 * 1024
"""Limit on an .xlsx workbook's total uncompressed size (refuses zip bombs)."""

MAX_CELL_CHARS: int = 32_767
"""Longest text a workbook cell may hold: Excel's own limit, so no workbook Excel saved exceeds it."""

MAX_WORKBOOK_CHARS: int = MAX_BYTES
"""Limit on the text all cells of a worksheet expand to (as much as the largest CSV accepted).

A workbook stores a repeated text once (the shared-strings table) and lets any number of cells
point at it, so a few-KB file can expand to GBs of cell text; this counts the expansion while the
sheet streams in, before any table is built."""


def read_xlsx(
    raw: bytes, name: str, sheet: str | None, limits: Limits
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read one sheet of an .xlsx workbook as an all-text table, as ``read_table`` does for CSV.

    Parameters
    ----------
    raw : bytes
        The workbook's bytes (a zip archive).
    name : str
        The file's name, for messages.
    sheet : str or None
        The sheet to read; None for the first.
    limits : Limits
        The row and column limits.

    Returns
    -------
    tuple of (pandas.DataFrame, ReadInfo)
        As :func:`segmentation.ingest.read_table`.

    Raises
    ------
    InputError
        A damaged or hostile workbook, a zip that is no workbook, a missing sheet, an empty
        sheet, or a table over the limits.
    """
    _check_zip(raw, name)
    ws_name, rows = _read_sheet(raw, name, sheet, limits)
    warnings: list[str] = []
    missing_formulas = _count_uncached_formulas(raw, ws_name, rows)
    if missing_formulas:
        warnings.append(
            f"{missing_formulas} formula cell(s) have no saved value and were read as blank. "
            "Open the file in Excel, let it recalculate, save, and upload again."
        )
    width = max((len(r) for r in rows), default=0)
    cells = [[_cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows]
    start = _header_row(cells)
    if start is None:
        raise InputError(f"Sheet {ws_name!r} of {name} is empty.")
    if start:
        warnings.append(f"Skipped {start} title row(s) above the header.")
    header = [c or "" for c in cells[start]]
    body = pd.DataFrame(cells[start + 1 :], columns=range(width), dtype="str")
    body, footer = _cut_footer(body)
    df, info_cols = finish_table(body, header, name, warnings, limits)
    info = ReadInfo(
        source_name=name,
        format="xlsx",
        encoding=None,
        delimiter=None,
        sheet=ws_name,
        rows=len(df),
        columns=df.shape[1],
        footer_rows_removed=footer,
        blank_rows_removed=info_cols["blank_rows"],
        empty_columns_removed=info_cols["removed"],
        ragged_rows=0,
        warnings=warnings,
    )
    return df, info


def _check_zip(raw: bytes, name: str) -> None:
    """Refuse a damaged zip, a zip that is no workbook, and a zip bomb, before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError(f"{name} is a damaged zip/xlsx file. Re-export it from Excel.") from None
    members = {i.filename for i in infos}
    if "xl/workbook.xml" not in members:
        raise InputError(
            f"{name} is a zip archive, not an Excel workbook. Unzip it and upload the CSV inside."
        )
    # zipfile never returns more than a member's declared size, so the declared sizes bound
    # what openpyxl can inflate: refuse a zip bomb before opening it.
    unzipped = sum(i.file_size for i in infos)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise InputError(
            f"{name} unpacks to {unzipped / 1e9:.1f} GB, over the "
            f"{MAX_UNZIPPED_BYTES / 1e9:.1f} GB limit for a workbook. "
            "Save the sheet as CSV instead."
        )


def _read_sheet(raw: bytes, name: str, sheet: str | None, limits: Limits) -> tuple[str, list]:
    """Open the workbook with openpyxl; the chosen sheet's name and its rows of values."""
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            "Reading .xlsx needs the openpyxl package (pip install openpyxl); "
            "or save the sheet as CSV and upload that."
        ) from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged (or hostile) workbooks
        detail = str(exc).splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"{name} could not be opened as a workbook ({detail}). Re-save it in Excel, "
            "or save the sheet as CSV."
        ) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws_name = names[0]
        elif sheet in names:
            ws_name = sheet
        else:
            raise InputError(f"{name} has no sheet {sheet!r}. Sheets: {', '.join(names)}.")
        return ws_name, _sheet_rows(wb[ws_name], name, limits)
    finally:
        wb.close()


def _cut_footer(body: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Cut a report footer (one-cell lines such as "Grand Totals") off the bottom of the sheet."""
    footer: list[str] = []
    while len(body):
        last = body.iloc[-1]
        filled = last.dropna()
        filled = filled[filled.str.strip() != ""]
        if len(filled) == 1 and FOOTER_RE.match(str(filled.iloc[0]).strip()):
            footer.insert(0, str(filled.iloc[0]).strip())
            body = body.iloc[:-1]
        elif len(filled) == 0 and footer:
            body = body.iloc[:-1]
        else:
            break
    return body, footer


def _sheet_rows(ws, name: str, limits: Limits) -> list[list]:
    """The sheet's cell values row by row, trailing blanks trimmed, within the limits."""
    rows: list[list] = []
    # openpyxl hands every cell pointing at one shared string the same str object, so the
    # expansion costs nothing until the table is built: count it here and refuse in time.
    chars = 0
    try:
        for values in ws.iter_rows(values_only=True):
            row = list(values)
            while row and row[-1] is None:
                row.pop()
            limits.check_raw_width(len(row), name)
            lengths = [len(v) for v in row if v.__class__ is str]
            if lengths:
                chars += sum(lengths)
                _check_text_size(max(lengths), chars, len(rows) + 1, name)
            rows.append(row)
            if len(rows) > limits.rows + 50:  # the header and a few title rows
                limits.check_rows(len(rows), name)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged XML, or entities defusedxml refuses
        raise InputError(
            f"{name} could not be read as a workbook ({type(exc).__name__}). Re-save it in Excel, "
            "or save the sheet as CSV."
        ) from None
    return rows


def _check_text_size(longest: int, total: int, row: int, name: str) -> None:
    if longest > MAX_CELL_CHARS:
        raise InputError(
            f"{name}: a cell in row {row:,} holds {longest:,} characters, more than the "
            f"{MAX_CELL_CHARS:,} a spreadsheet cell can hold, so Excel did not save this file as "
            "it is. Open it in Excel, save it again (or save the sheet as CSV) and upload that."
        )
    if total > MAX_WORKBOOK_CHARS:
        raise InputError(
            f"{name}: the sheet's cells expand to more than {MAX_WORKBOOK_CHARS / 1e6:,.0f} million "
            f"characters of text by row {row:,}, the limit for a workbook (a repeated text counts "
            "once per cell). Save the sheet as CSV, or export fewer rows or columns, and upload that."
        )


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        text = v.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    text = str(v)
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(_ooxml_char, text)
    return text if text.strip() else None


# OOXML writes control characters as _xHHHH_; openpyxl leaves them escaped, Excel shows them
# decoded. Decode them as Excel does, so our own workbooks read back losslessly. Only control
# characters: openpyxl already turns an escaped literal "_x005F_x0041_" into "_x0041_", which
# must stay as it is.
_OOXML_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def _ooxml_char(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


def _header_row(cells: list[list[str | None]]) -> int | None:
    """First row that looks like a header: skip blank and one-cell title rows."""
    width = max((sum(c is not None for c in r) for r in cells[:50]), default=0)
    for i, r in enumerate(cells[:50]):
        filled = sum(c is not None for c in r)
        if filled and (filled >= 2 or width <= 1):
            return i
    return None if width == 0 else 0


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(raw: bytes) -> bool:
    """Whether any worksheet holds a formula element, scanned as the members stream in."""
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        for member in zf.namelist():
            if not member.startswith("xl/worksheets/"):
                continue
            with zf.open(member) as stream:
                tail = b""
                while chunk := stream.read(1 << 22):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _count_uncached_formulas(raw: bytes, ws_name: str, values: list[list]) -> int:
    """Formula cells whose cached value is missing read as None; count them."""
    import openpyxl

    try:
        # CRM exports seldom hold formulas, and a second openpyxl pass is half the reading time
        # of a large workbook: skip it when no sheet has a formula element.
        if not _has_formulas(raw):
            return 0
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        try:
            count = 0
            for i, row in enumerate(wb[ws_name].iter_rows(values_only=True)):
                for j, v in enumerate(row):
                    if isinstance(v, str) and v.startswith("="):
                        cached = values[i][j] if i < len(values) and j < len(values[i]) else None
                        if cached is None:
                            count += 1
            return count
        finally:
            wb.close()
    except Exception:  # counting is a courtesy; never fail the read over it
        return 0
