"""Files we hand back: CSVs a CRM imports, one CSV per team in a zip, an Excel workbook.

Every text cell passes through :func:`segmentation.cells.guard_text` first: the files are opened
in Excel by people who trust us, and a CRM field such as an account name can hold
``=HYPERLINK(...)``.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import errno
import hashlib
import io
import json
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import xlsxwriter

from segmentation.cells import guard_frame
from segmentation.errors import InputError

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "account_name",
    "vertical",
    "customer_type",
    "segment",
    "team",
    "motion",
    "role",
    "rep",
    "reason",
)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Serialise a table as a CRM-importable CSV: UTF-8, every field quoted, guarded text.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write; its index is not written.

    Returns
    -------
    bytes
        The CSV, byte-identical for identical input.
    """
    # pyarrow writes the same bytes as pandas' to_csv(quoting=QUOTE_ALL) from text columns,
    # 5-10x faster and without three copies of the file in memory (466 MB at 1M accounts).
    table = guard_frame(_round_floats(frame))
    columns = {}
    for position, name in enumerate(table.columns):
        values = table.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            # Codes into the few distinct texts: the writer expands them batch by batch, so the
            # column never exists as a million strings.
            columns[str(name)] = _dictionary_text(values)
            continue
        # pandas' own text for every value (repr floats, True/False), blanks as "".
        text = values.astype("str").fillna("")
        # The str dtype is Arrow-backed: hand its buffers over instead of making Python objects.
        columns[str(name)] = pa.array(text.array, type=pa.string())
    buffer = io.BytesIO()
    pa_csv.write_csv(
        pa.table(columns) if columns else pa.table({}),
        buffer,
        pa_csv.WriteOptions(quoting_style="all_valid"),
    )
    return buffer.getvalue()


UTF8_BOM = b"\xef\xbb\xbf"


def excel_csv(data: bytes) -> bytes:
    """The same CSV with a UTF-8 byte-order mark, so Excel opens ``Zürich`` as ``Zürich``.

    Excel reads a CSV without a BOM in the machine's legacy code page (``ZÃ¼rich``); CRM
    importers and scripts read either. The CLI writes no BOM unless ``--excel-csv`` asks, so
    ``assignments.csv`` stays byte-compatible with earlier runs.

    Parameters
    ----------
    data : bytes
        A UTF-8 CSV (as from :func:`to_csv_bytes`).

    Returns
    -------
    bytes
        ``data`` with one BOM in front (never two).
    """
    return data if data.startswith(UTF8_BOM) else UTF8_BOM + data


def teams_zip(assignments: pd.DataFrame, *, bom: bool = False) -> bytes:
    """One CSV per team, in a zip, for loading each team's book separately.

    Parameters
    ----------
    assignments : pandas.DataFrame
        The per-account assignments, with a ``team`` column.
    bom : bool
        Write each CSV with a UTF-8 byte-order mark (:func:`excel_csv`), for Excel.

    Returns
    -------
    bytes
        A zip archive with a fixed timestamp, so identical input gives identical bytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        used: set[str] = set()
        teams = assignments["team"]
        if isinstance(teams.dtype, pd.CategoricalDtype):
            # Sorted as text, whatever the categories' order; only teams that have accounts.
            teams = teams.cat.reorder_categories(teams.cat.categories.sort_values())
        for team, book in assignments.groupby(teams, sort=True, dropna=False, observed=True):
            # Accounts outside the plan have no team: "<NA>" as before teams were categorical.
            name = _file_name("<NA>" if pd.isna(team) else str(team), used)
            info = zipfile.ZipInfo(f"{name}.csv", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = to_csv_bytes(book)
            archive.writestr(info, excel_csv(data) if bom else data)
    return buffer.getvalue()


EXCEL_MAX_ROWS = 1_048_576
"""Rows of one Excel worksheet, header included."""


def excel_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An ``.xlsx`` workbook, one sheet per table, with formulas and URLs never written live.

    Cells are written as pandas' ``to_excel`` writes them (numbers as numbers, blanks empty,
    infinities as ``inf``, other objects as their text) under a bold header row, a column at a
    time straight into XlsxWriter: pandas' per-cell formatter took 12–13 s for the assignments of
    100k accounts, this about half. A table longer than a worksheet continues on sheets named
    "<name> (2)", "<name> (3)", ... rather than losing rows.

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        Sheet name (at most 31 characters) to table.

    Returns
    -------
    bytes
        The workbook.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {
        "header": workbook.add_format(
            {"bold": True, "border": 1, "align": "center", "valign": "top"}
        ),
        "datetime": workbook.add_format({"num_format": "YYYY-MM-DD HH:MM:SS"}),
        "date": workbook.add_format({"num_format": "YYYY-MM-DD"}),
    }
    step = EXCEL_MAX_ROWS - 1
    for name, frame in sheets.items():
        table = guard_frame(_round_floats(frame))
        for part, first in enumerate(range(0, max(len(table), 1), step)):
            title = name[:31] if part == 0 else f"{name[:25]} ({part + 1})"
            _write_sheet(workbook.add_worksheet(title), table.iloc[first : first + step], formats)
    workbook.close()
    return buffer.getvalue()


def _write_sheet(sheet, table: pd.DataFrame, formats: dict) -> None:
    for position, column in enumerate(table.columns):
        sheet.write_string(0, position, str(column), formats["header"])
        sheet.set_column(position, position, min(60, max(10, len(str(column)) + 2)))
        values = table.iloc[:, position]
        if _is_text(values):
            # The typed writer: ~40% faster than write()'s dispatch at a million cells.
            write = sheet.write_string
            # Text cells are str; a missing one comes back as the float NaN.
            cells = [None if isinstance(v, float) else v for v in values.astype("str").tolist()]
        else:
            write = sheet.write
            cells = [_excel_value(v) for v in values.astype(object).tolist()]
        for row, value in enumerate(cells, start=1):
            if value is None or value == "":
                continue  # pandas writes blanks and "" as empty cells
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(row, position, value, formats["datetime"])
            elif isinstance(value, datetime.date):
                sheet.write_datetime(row, position, value, formats["date"])
            else:
                write(row, position, value)


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values)


def _excel_number(value: float):
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _excel_value(value):
    # pandas' ExcelFormatter and _value_with_fmt, for cells of mixed or other types.
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        return _excel_number(float(value))
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400
    text = str(value)
    return text or None


MANIFEST = ".segmentation-output.json"
"""The hidden file in ``--out`` listing what the last run wrote (name and SHA-256 of each file).

A later run removes only the files listed there, unchanged since, that it does not write again:
never a file of the user's, nor one they edited."""

_STAGING_PREFIX = ".segmentation-tmp-"


@dataclass(frozen=True)
class WrittenOutputs:
    """What :func:`write_outputs` did to the output folder.

    Attributes
    ----------
    written : list of Path
        The files of this run, in the order given.
    removed : list of Path
        Files an earlier run wrote that this run does not (e.g. ``disruption.csv`` after a run
        without ``--reps``), removed.
    kept : list of Path
        Such files left in place because they changed since the earlier run wrote them.
    """

    written: list[Path]
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def check_out_dir(out_dir: str | Path) -> Path:
    """Refuse an output folder that cannot be written, before any work is done.

    Nothing is created: the folder is made only when the files are written.

    Parameters
    ----------
    out_dir : str or Path
        The ``--out`` folder.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        The path is a file, lies under a file, or its nearest existing folder is not writable.
    """
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"--out {directory} is a file; give a folder")
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(
            f"--out {directory} lies under {existing}, which is not a folder; "
            "give a folder you can write to"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write to {existing} (permission denied); give --out a folder you can write to"
        )
    return directory


def write_files(files: dict[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write named byte blobs into ``out_dir`` as one set and return their paths.

    See :func:`write_outputs`, which also says which earlier files it removed.
    """
    return write_outputs(files, out_dir).written


def write_outputs(files: dict[str, bytes], out_dir: str | Path) -> WrittenOutputs:
    """Write a set of output files into ``out_dir`` (created if needed), all or nothing per file.

    Every file is first written and flushed to disk in a private folder inside ``out_dir`` (so on
    the same file system), then renamed into place. A rename replaces a symbolic link of the same
    name instead of writing through it, and a file is either the previous one or the new one,
    never half written — whatever a full disk, a kill or Ctrl-C interrupts. Ctrl-C during the
    renames is held until they are done. Files an earlier run listed in :data:`MANIFEST` and this
    run does not write are removed when unchanged.

    Parameters
    ----------
    files : dict of str to bytes
        Output file name (no folder part) to content.
    out_dir : str or Path
        The output folder.

    Returns
    -------
    WrittenOutputs

    Raises
    ------
    InputError
        The folder cannot be created or written (read-only, full disk, a path under a file,
        permission denied), or a file name is taken by a folder. Nothing in ``out_dir`` changed,
        unless the message says the error came while the files were being moved into place.
    """
    directory = check_out_dir(out_dir)
    for name in files:
        if not _plain_name(name):
            raise ValueError(f"output file names have no folder part: {name!r}")  # a bug, not input
    created = _missing_folders(directory)
    staging = None
    committed = False
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=directory))
        for name, data in files.items():
            _write_file(staging / name, data)
        digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
        manifest = json.dumps({"files": digests}, indent=1, sort_keys=True) + "\n"
        _write_file(staging / MANIFEST, manifest.encode())
        for name in [*files, MANIFEST]:
            if (directory / name).is_dir() and not (directory / name).is_symlink():
                raise InputError(
                    f"{directory / name} is a folder; move it away or choose another --out folder"
                )
        earlier = _earlier_files(directory)
        with _sigint_held():
            committed = True
            for name in files:
                os.replace(staging / name, directory / name)
            # Stale files go before the new manifest replaces the old one: a run killed in
            # between leaves the old list, and the next run finishes the job.
            removed, kept = _remove_stale(directory, earlier, files)
            os.replace(staging / MANIFEST, directory / MANIFEST)
        _fsync_dir(directory)
    except OSError as error:
        raise InputError(_write_error(error, directory, changed=committed)) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not committed:
            _remove_empty(created)
    return WrittenOutputs([directory / name for name in files], removed, kept)


def _missing_folders(directory: Path) -> list[Path]:
    # Deepest first, so that removing them in order leaves what existed before.
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    # A failed or interrupted run leaves no trace, not even the folders it made for its files.
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def write_beside(files: dict[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write files into a folder one by one, each atomically, leaving every other file alone.

    For files that are not a run's output set (``compare``'s): :func:`write_outputs` keeps a
    manifest and removes an earlier run's files, which must not happen to a run's folder that a
    compare is written into. Each file goes to a private temporary name first and is renamed
    into place, so it is either whole or absent; links are replaced, never followed.

    Raises
    ------
    InputError
        When the folder cannot be created or written (one line saying what to check).
    """
    directory = Path(out_dir)
    written = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            if not _plain_name(name):
                raise ValueError(f"output file names have no folder part: {name!r}")  # a bug
            temporary = directory / f"{_STAGING_PREFIX}{os.getpid()}-{name}"
            try:
                _write_file(temporary, data)
                os.replace(temporary, directory / name)
            except BaseException:
                temporary.unlink(missing_ok=True)
                raise
            written.append(directory / name)
    except OSError as error:
        raise InputError(_write_error(error, directory, changed=bool(written))) from None
    return written


def _write_file(path: Path, data: bytes) -> None:
    # O_EXCL|O_NOFOLLOW: a fresh file in our private folder, never anything a link points to.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    with open(fd, "wb", closefd=True) as handle:
        handle.write(data)
        handle.flush()
        # On disk before the rename: a crash must not leave a renamed but empty file.
        os.fsync(handle.fileno())


def _earlier_files(directory: Path) -> dict[str, str]:
    path = directory / MANIFEST
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        listed = json.loads(path.read_bytes()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}  # not ours to trust: remove nothing
    if not isinstance(listed, dict):
        return {}
    return {str(k): str(v) for k, v in listed.items() if isinstance(k, str) and _plain_name(k)}


def _remove_stale(
    directory: Path, earlier: dict[str, str], files: dict
) -> tuple[list[Path], list[Path]]:
    removed, kept = [], []
    for name, digest in sorted(earlier.items()):
        if name in files or name == MANIFEST:
            continue
        path = directory / name
        # Only a regular file with the bytes we wrote: a link, a folder or an edited file stays.
        if path.is_symlink() or not path.is_file():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            path.unlink()
            removed.append(path)
        else:
            kept.append(path)
    return removed, kept


@contextlib.contextmanager
def _sigint_held():
    # Ctrl-C between two renames would leave a mix of this run's files and the last one's: the
    # signal is recorded and delivered once the set is in place. (A signal mask would not do:
    # the terminal's SIGINT goes to any thread that does not block it, pyarrow's included.)
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals in Python
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)  # as if pressed now: KeyboardInterrupt by default


def _fsync_dir(directory: Path) -> None:
    # The renames themselves on disk; not possible (nor needed) on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_error(error: OSError, directory: Path, *, changed: bool) -> str:
    # Said only when true: an error while renaming (after staging succeeded) may leave a mix.
    after = "; no output file was changed"
    if changed:
        after = "; some files may be from the previous run: run again"
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (
            f"the disk holding {directory} is full ({error.strerror}): free some space or choose "
            f"another --out folder{after}"
        )
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"cannot write to {directory} ({error.strerror}): "
            f"give --out a folder you can write to{after}"
        )
    if error.errno in (errno.ENOTDIR, errno.ENOENT):
        return (
            f"cannot create the output folder {directory} ({error.strerror}); "
            "give --out a folder on a disk you can write to"
        )
    return (
        f"cannot write the output files to {directory} ({error.strerror or error}): "
        f"choose another --out folder{after}"
    )


def _round_floats(frame: pd.DataFrame) -> pd.DataFrame:
    # Figures beyond four decimals are noise to a reader and make diffs between runs unreadable.
    floats = frame.select_dtypes(include=[np.floating]).columns
    if len(floats) == 0:
        return frame
    return frame.assign(**{c: _round4(frame[c]) for c in floats})


def _round4(values: pd.Series) -> pd.Series:
    # round(4) multiplies by 10**4 first: above ~1.8e304 that overflows to inf, and the file
    # would say "inf" for a finite figure. Such magnitudes have no decimals to drop anyway.
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = values.round(4)
    return rounded.where(values.abs() < 1e15, values)


def _dictionary_text(values: pd.Series) -> pa.Array:
    """A categorical column as an Arrow dictionary of its text, blanks as "" (as ``astype("str")``)."""
    categories = values.cat.categories
    # pandas' text of each distinct value: the same as astype("str") of the rows holding it.
    text = pd.Series(categories, dtype=categories.dtype).astype("str").fillna("")
    dictionary = pa.array([*text.tolist(), ""], type=pa.string())
    codes = values.cat.codes.to_numpy()
    indices = np.where(codes < 0, len(categories), codes).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), dictionary)


def _file_name(team: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", team).strip("_").lower() or "team"
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name
