"""Clean a mapped export into the canonical account table, counting every change.

Nothing is silently altered: each blanked or rewritten value is tallied in
``PreparedAccounts.changes`` with examples, and the important ones become plain sentences
in ``PreparedAccounts.warnings``. All work is column-wise (vectorised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation.arrow_text import arrow_mask, to_arrow, to_text_series
from segmentation.fields import FIELD_NAMES, MONEY_FIELDS, NON_NEGATIVE_FIELDS
from segmentation.numbers import parse_count, parse_money_range
from segmentation.schema import Mapping
from segmentation.status import read_status
from segmentation.units import money_unit

MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "na",
        "n/a",
        "n.a.",
        "#n/a",
        "null",
        "none",
        "nil",
        "nan",
        "-",
        "--",
        "—",
        "?",
        "#value!",
        "#ref!",
    }
)
"""Text that means "no value" (compared case-insensitively after stripping)."""
_MISSING_TOKENS_ARROW = pa.array(sorted(MISSING_TOKENS), type=pa.large_string())

_SIGNED_HEADER = re.compile(
    r"profit|loss|margin|income|earning|ebit|cashflow|pnl|growth|change|delta|diff|varian|yoy|"
    r"qoq|trend|nps|netpromoter|score|sentiment|balance|return|roi|gain|surplus|deficit"
)
"""Headers of columns that can hold real negatives (profit, growth, NPS, ...)."""


def is_sentinel(values: pd.Series) -> pd.Series:
    """Placeholder numbers CRMs and spreadsheets use for "unknown": 999999…, -1, -99, -999."""
    # numpy on the float array: the same arithmetic as on the Series, without its overhead
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    mag = np.abs(v)
    with np.errstate(all="ignore"):
        digits = np.round(np.log10(np.where(mag > 0, mag, np.nan) + 1))
        nines = (digits >= 6) & (
            (mag + 1) == 10.0 ** np.nan_to_num(digits, nan=0.0, posinf=np.inf, neginf=-np.inf)
        )
    placeholder = (v == -1.0) | (v == -99.0) | (v == -999.0) | (v == -9999.0)
    return pd.Series(nines | placeholder, index=values.index)


@dataclass
class PreparedAccounts:
    """The canonical account table plus what cleaning changed."""

    accounts: pd.DataFrame
    extra_features: pd.DataFrame
    changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    units: dict[str, dict] = field(default_factory=dict)
    """Per money field: ``column, multiplier, currency, source, evidence`` (see :func:`prepare_accounts`)."""
    status: dict = field(default_factory=dict)
    """Where status came from: ``column``, ``source`` and the distinct ``values`` with their status."""


def prepare_accounts(
    df: pd.DataFrame,
    mapping: Mapping,
    *,
    units: dict[str, tuple[float | None, str | None]] | None = None,
    status_values: dict[str, str] | None = None,
) -> PreparedAccounts:
    """Build the canonical account table from the raw text table.

    Parameters
    ----------
    df : pandas.DataFrame
        All-text table from :func:`segmentation.ingest.read_table`.
    mapping : Mapping
        Column mapping from :func:`segmentation.schema.infer_mapping`.
    units : dict, optional
        Money field → ``(multiplier, currency)`` chosen by the user (``--unit``); either may be
        None to keep what was detected. Without it, the scale comes from the header ("$M",
        "Mio. €", "in thousands"), else from plausibility: revenue per employee far outside
        :data:`segmentation.units.REVENUE_PER_EMPLOYEE` while x1e3, x1e6 or x1e9 lands inside it.
    status_values : dict, optional
        Status value as written → one of :data:`segmentation.fields.STATUSES` (``--status``),
        over the built-in words (English, German, French, Spanish, Portuguese, Italian, Dutch).

    Returns
    -------
    PreparedAccounts
        ``accounts`` has the columns of :data:`segmentation.fields.FIELD_NAMES` in order,
        one row per input row (RangeIndex). Money/count columns are float64 with negative
        and sentinel (999999…) values blanked, money in single units (dollars, euros: the
        scale applied); ``status`` is one of :data:`segmentation.fields.STATUSES` or NA;
        ``created`` is datetime64. ``units`` says per money field the multiplier, currency
        and why; ``status`` how each status value was read.

    Raises
    ------
    InputError
        A unit or status override names a field without a column, or a status value the
        status column does not hold, or a status that does not exist.
    """
    df = df.reset_index(drop=True)
    n = len(df)
    log = ChangeLog()
    cols = mapping.columns
    out: dict[str, pd.Series] = {}
    text = {f: _text(df[c], f, c, log) for f, c in cols.items()}

    out["account_id"] = _account_ids(df, text, cols, log)
    out["account_name"] = _account_names(text, out["account_id"], log)
    for f in ("industry", "owner", "country", "region", "parent_id", "website"):
        out[f] = text.get(f, pd.Series(pd.NA, index=df.index, dtype="str"))

    out["employees"] = _numeric(text, cols, "employees", log, count=True)
    unit_info: dict[str, dict] = {}
    for f in MONEY_FIELDS:
        out[f], unit_info[f] = money_unit(
            f,
            _numeric(text, cols, f, log),
            text.get(f),
            cols.get(f),
            (units or {}).get(f),
            out["employees"],
            log,
        )
    out["status"], status_info = read_status(
        text.get("status"), cols.get("status"), log, df.index, status_values
    )
    out["created"] = _dates(text.get("created"), cols.get("created"), log, df.index)

    accounts = pd.DataFrame({f: out[f] for f in FIELD_NAMES}, index=pd.RangeIndex(n))
    extra = pd.DataFrame(index=pd.RangeIndex(n))
    for c in mapping.feature_columns:
        t = _text(df[c], None, c, log)
        extra[c] = _clean_number(t, None, c, log, count=False)
    return PreparedAccounts(accounts, extra, log.changes, log.warnings, unit_info, status_info)


def _account_ids(df: pd.DataFrame, text: dict, cols: dict, log: ChangeLog) -> pd.Series:
    """Account IDs as written, blank ones generated from the row number (counted)."""
    ids = text.get("account_id", pd.Series(pd.NA, index=df.index, dtype="str"))
    blank_ids = ids.isna()
    # only the rows that need one: a million f-strings cost more than the rest of cleaning
    rownum = pd.Series(np.flatnonzero(blank_ids.to_numpy()) + 1, index=df.index[blank_ids])
    generated = ("ROW-" + rownum.astype("str").str.zfill(6)).reindex(df.index).astype("str")
    if blank_ids.any():
        log.add(
            "account_id", cols.get("account_id"), "generated from row number", blank_ids, generated
        )
        if "account_id" in cols:
            log.warn(
                f"{int(blank_ids.sum())} accounts had no ID; they were given row-number IDs (ROW-000001 style)."
            )
    if "account_id" in cols:
        _warn_ids_equal_once_trimmed(df[cols["account_id"]], ids, log)
    return ids.fillna(generated)


def _account_names(text: dict, ids: pd.Series, log: ChangeLog) -> pd.Series:
    """Account names as written; without a name column, the account IDs (counted)."""
    if "account_name" in text:
        names = text["account_name"]
        if names.isna().any():
            log.warn(f"{int(names.isna().sum())} rows have no account name.")
        return names
    log.add(
        "account_name",
        None,
        "named after the account ID (no name column)",
        pd.Series(True, index=ids.index),
        ids,
    )
    return ids.copy()


class ChangeLog:
    """What cleaning changed: counted changes with examples, and warnings in plain sentences."""

    def __init__(self) -> None:
        self.changes: list[dict] = []
        self.warnings: list[str] = []

    def add(self, field_, column, what, mask: pd.Series, examples: pd.Series) -> int:
        """Count the rows ``mask`` marks as changed (up to five distinct examples); return the count."""
        count = int(mask.sum())
        if count:
            ex = examples[mask].dropna().astype(str).drop_duplicates().head(5).tolist()
            self.changes.append(
                {"field": field_, "column": column, "what": what, "count": count, "examples": ex}
            )
        return count

    def warn(self, sentence: str) -> None:
        """Say one thing the user should know about the cleaning."""
        self.warnings.append(sentence)


def _text(s: pd.Series, f, column, log: ChangeLog) -> pd.Series:
    """Strip text and turn missing-value tokens into NA (counted)."""
    s = s.astype("str")
    stripped = s.str.strip()
    arr = to_arrow(stripped)
    # tokens are short: lower-case only the short cells instead of the whole column, and
    # build the masks with numpy (a boolean Series ``__setitem__`` aligns a million labels)
    short = np.flatnonzero(arrow_mask(pc.less_equal(pc.utf8_length(arr), 8)))
    token = np.zeros(len(arr), dtype=bool)
    if len(short):
        lowered = pc.utf8_lower(arr.take(pa.array(short)))  # what ``str.lower`` does
        token[short] = arrow_mask(pc.is_in(lowered, value_set=_MISSING_TOKENS_ARROW.cast(arr.type)))
    n = log.add(
        f, column, "missing-value text (NA, N/A, null, -) treated as blank", token, stripped
    )
    if n:
        log.warn(f"{n} {column} values were text like 'N/A' or 'null' and were treated as missing.")
    blank = token | arrow_mask(pc.equal(arr, ""))
    if not blank.any():
        return stripped
    return to_text_series(pc.if_else(blank, pa.scalar(None, arr.type), arr), stripped)


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _warn_ids_equal_once_trimmed(raw: pd.Series, ids: pd.Series, log: ChangeLog) -> None:
    """Name the account IDs that differ in the file only by spaces or invisible characters.

    Trimming makes ``' x1 '``, ``'x1\u00a0'`` and ``'x1'`` one ID; zero-width characters keep
    ``'x1\u200b'`` apart from ``'x1'`` although the two look the same. Either may be one account
    entered twice or two accounts: every row is kept, and the user is told which IDs to check.
    """
    raw = raw.astype("str")
    odd = (raw != ids).fillna(False) | raw.str.contains(f"[{_INVISIBLE}]", regex=True).fillna(False)
    if not odd.any():
        return
    keys = ids.str.replace(f"[{_INVISIBLE}]", "", regex=True).str.strip()
    involved = keys.isin(keys[odd].dropna().unique()).fillna(False)
    groups = raw[involved].groupby(keys[involved], sort=False)
    clashes = [(key, rows) for key, rows in groups if rows.nunique() > 1]
    if not clashes:
        return
    examples = "; ".join(
        " / ".join(repr(v) for v in rows.drop_duplicates().head(3))
        + f" (rows {', '.join(str(i + 1) for i in rows.index[:5])})"
        for _, rows in clashes[:3]
    )
    log.warn(
        f"{len(clashes)} account ID(s) differ only by spaces or invisible characters around or "
        f"inside them, so they look like one ID: {examples}. Every row was kept; check in the CRM "
        "whether each is one account entered twice."
    )


def _numeric(text, cols, f, log, count=False) -> pd.Series:
    if f not in text:
        return pd.Series(
            np.nan, index=next(iter(text.values())).index if text else None, dtype="float64"
        )
    return _clean_number(text[f], f, cols[f], log, count=count)


def _clean_number(t: pd.Series, f, column, log: ChangeLog, *, count: bool) -> pd.Series:
    # Employee picklists ("51-200") and revenue bands ("$10M - $50M") are ranges: their midpoint
    # keeps the account in the analysis, where a blank would drop the field.
    values, failed, ranged = parse_count(t) if count else parse_money_range(t)
    n = log.add(
        f, column, "range replaced by its midpoint (open ranges by their lower bound)", ranged, t
    )
    if n:
        example = "'51-200'" if count else "'$1M-$5M'"
        log.warn(f"{n} {column} values were ranges such as {example}; the midpoint was used.")
    label = column or f
    n = log.add(f, column, "could not be read as a number; left blank", failed, t)
    if n:
        log.warn(f"{n} {label} values could not be read as numbers and were left blank.")
    sentinel = is_sentinel(values)
    # Employees, revenue and deal size cannot be negative; profit, growth or NPS columns can,
    # and so can any column where negatives are common (a few stray ones are typing errors).
    signed = f not in NON_NEGATIVE_FIELDS and _can_be_negative(column, values, sentinel)
    if signed:
        # -1 or -99 among real negatives is a value; alone, it still marks "unknown"
        real_negative = (values < 0) & ~sentinel
        if real_negative.any():
            sentinel = sentinel & (values > 0)
    n = log.add(f, column, "placeholder value (999999, -1, ...) treated as missing", sentinel, t)
    if n:
        log.warn(f"{n} {label} values were placeholders like 999999 and were treated as missing.")
    if signed:
        return values.mask(sentinel).astype("float64")
    negative = (values < 0) & ~sentinel
    n = log.add(f, column, "negative value treated as missing", negative, t)
    if n:
        log.warn(f"{n} {label} values were negative and were treated as missing.")
    return values.mask(sentinel | negative).astype("float64")


def _can_be_negative(column, values: pd.Series, sentinel: pd.Series) -> bool:
    """A column other than the canonical sizes whose header or values say it holds real negatives."""
    if column is not None and _SIGNED_HEADER.search(re.sub(r"[\W_]+", "", str(column).casefold())):
        return True
    negative = values[(values < 0) & ~sentinel]
    present = int(values.notna().sum())
    # a tenth of the values, several different ones: a signed quantity, not typing slips
    return present > 0 and len(negative) >= 0.1 * present and negative.nunique() >= 3


_DATE_FORMATS = {
    "iso": None,
    "us": [
        "%m/%d/%Y",
        "%m/%d/%y",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%y %I:%M %p",
        "%m/%d/%Y %H:%M",
        "%m/%d/%y %H:%M",
    ],
    "dmy_slash": ["%d/%m/%Y", "%d/%m/%y", "%d/%m/%Y %H:%M", "%d/%m/%y %H:%M"],
    "dmy_dot": ["%d.%m.%Y", "%d.%m.%y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%y %H:%M"],
    "dmy_dash": ["%d-%m-%Y", "%d-%m-%Y %H:%M"],
}


def _dates(t, column, log, index) -> pd.Series:
    """Pick one date convention per column (the one that parses most cells), then parse."""
    if t is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    present = t.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    codes, uniques = pd.factorize(t)
    u = pd.Series(uniques, dtype="str")
    sample = u.head(5000)
    slash_first_big = sample.str.match(r"^(1[3-9]|2\d|3[01])/\d{1,2}/", na=False).any()
    best, best_ok = None, -1
    for name, fmts in _DATE_FORMATS.items():
        if name == "us" and slash_first_big:
            continue  # a day above 12 in the first position rules out M/D/Y
        ok = _parse_dates(sample, fmts).notna().sum()
        if ok > best_ok:
            best, best_ok = name, ok
    parsed_u = _parse_dates(u, _DATE_FORMATS[best])
    values = np.where(codes >= 0, parsed_u.to_numpy()[np.maximum(codes, 0)], np.datetime64("NaT"))
    result = pd.Series(values, index=index).astype("datetime64[ns]")
    failed = present & result.isna()
    n = log.add("created", column, "could not be read as a date; left blank", failed, t)
    if n:
        log.warn(f"{n} {column} values could not be read as dates and were left blank.")
    return result


def _parse_dates(s: pd.Series, formats) -> pd.Series:
    if formats is None:
        iso = s.where(s.str.match(r"^\d{4}-\d{2}-\d{2}", na=False))
        # Salesforce writes "+0000" offsets; normalise everything to naive UTC
        out = pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True)
        return out.dt.tz_convert(None).astype("datetime64[ns]")
    result = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = result.isna()
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        result = result.fillna(parsed.astype("datetime64[ns]")) if len(parsed) else result
    return result
