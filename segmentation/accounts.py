"""Clean a mapped export into the canonical account table, counting every change.

Nothing is silently altered: each blanked or rewritten value is tallied in
``PreparedAccounts.changes`` with examples, and the important ones become plain sentences
in ``PreparedAccounts.warnings``. All work is column-wise (vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.fields import FIELD_NAMES, STATUSES
from segmentation.numbers import parse_count, parse_money
from segmentation.schema import Mapping

MISSING_TOKENS: frozenset[str] = frozenset(
    {"na", "n/a", "n.a.", "#n/a", "null", "none", "nil", "nan", "-", "--", "—", "?", "#value!", "#ref!"}
)
"""Text that means "no value" (compared case-insensitively after stripping)."""

_STATUS_MAP: dict[str, str] = {
    # Salesforce account Type picklist
    "customerdirect": "customer", "customerchannel": "customer", "customer": "customer",
    "prospect": "prospect", "formercustomer": "former", "channelpartnerreseller": "partner",
    "installationpartner": "partner", "technologypartner": "partner", "partner": "partner",
    "reseller": "partner", "other": "other",
    # HubSpot lifecycle stages (internal and display values)
    "subscriber": "prospect", "lead": "prospect", "marketingqualifiedlead": "prospect",
    "salesqualifiedlead": "prospect", "opportunity": "prospect", "evangelist": "customer",
    # Dynamics 365 relationship types
    "competitor": "other", "consultant": "partner", "investor": "other", "press": "other",
    "supplier": "other", "vendor": "other", "influencer": "other",
    # Zoho / spreadsheets
    "analyst": "other", "integrator": "partner", "client": "customer", "active": "customer",
    "activecustomer": "customer", "churned": "former", "lost": "former", "inactive": "former",
    "excustomer": "former", "pastcustomer": "former", "distributor": "partner",
}



def is_sentinel(values: pd.Series) -> pd.Series:
    """Placeholder numbers CRMs and spreadsheets use for "unknown": 999999…, -1, -99, -999."""
    mag = values.abs()
    digits = np.round(np.log10(mag.where(mag > 0) + 1))
    nines = (digits >= 6) & ((mag + 1) == 10.0 ** digits.fillna(0))
    return (nines | values.isin([-1.0, -99.0, -999.0, -9999.0])).fillna(False).astype(bool)


@dataclass
class PreparedAccounts:
    """The canonical account table plus what cleaning changed."""

    accounts: pd.DataFrame
    extra_features: pd.DataFrame
    changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def prepare_accounts(df: pd.DataFrame, mapping: Mapping) -> PreparedAccounts:
    """Build the canonical account table from the raw text table.

    Parameters
    ----------
    df : pandas.DataFrame
        All-text table from :func:`segmentation.ingest.read_table`.
    mapping : Mapping
        Column mapping from :func:`segmentation.schema.infer_mapping`.

    Returns
    -------
    PreparedAccounts
        ``accounts`` has the columns of :data:`segmentation.fields.FIELD_NAMES` in order,
        one row per input row (RangeIndex). Money/count columns are float64 with negative
        and sentinel (999999…) values blanked; ``status`` is one of
        :data:`segmentation.fields.STATUSES` or NA; ``created`` is datetime64.
    """
    df = df.reset_index(drop=True)
    n = len(df)
    log = _Log()
    cols = mapping.columns
    out: dict[str, pd.Series] = {}
    text = {f: _text(df[c], f, c, log) for f, c in cols.items()}

    ids = text.get("account_id", pd.Series(pd.NA, index=df.index, dtype="str"))
    blank_ids = ids.isna()
    # only the rows that need one: a million f-strings cost more than the rest of cleaning
    rownum = pd.Series(np.flatnonzero(blank_ids.to_numpy()) + 1, index=df.index[blank_ids])
    generated = ("ROW-" + rownum.astype("str").str.zfill(6)).reindex(df.index).astype("str")
    if blank_ids.any():
        log.add("account_id", cols.get("account_id"), "generated from row number", blank_ids, generated)
        if "account_id" in cols:
            log.warn(f"{int(blank_ids.sum())} accounts had no ID; they were given row-number IDs (ROW-000001 style).")
    out["account_id"] = ids.fillna(generated)

    if "account_name" in text:
        names = text["account_name"]
        if names.isna().any():
            log.warn(f"{int(names.isna().sum())} rows have no account name.")
        out["account_name"] = names
    else:
        out["account_name"] = out["account_id"].copy()
        log.add("account_name", None, "named after the account ID (no name column)",
                pd.Series(True, index=df.index), out["account_id"])

    for f in ("industry", "owner", "country", "region", "parent_id", "website"):
        out[f] = text.get(f, pd.Series(pd.NA, index=df.index, dtype="str"))

    out["employees"] = _numeric(text, cols, "employees", log, count=True)
    out["annual_revenue"] = _numeric(text, cols, "annual_revenue", log)
    out["deal_size"] = _numeric(text, cols, "deal_size", log)
    out["status"] = _status(text.get("status"), cols.get("status"), log, df.index)
    out["created"] = _dates(text.get("created"), cols.get("created"), log, df.index)

    accounts = pd.DataFrame({f: out[f] for f in FIELD_NAMES}, index=pd.RangeIndex(n))
    extra = pd.DataFrame(index=pd.RangeIndex(n))
    for c in mapping.feature_columns:
        t = _text(df[c], None, c, log)
        extra[c] = _clean_number(t, None, c, log, count=False)
    return PreparedAccounts(accounts, extra, log.changes, log.warnings)


class _Log:
    def __init__(self) -> None:
        self.changes: list[dict] = []
        self.warnings: list[str] = []

    def add(self, field_, column, what, mask: pd.Series, examples: pd.Series) -> int:
        count = int(mask.sum())
        if count:
            ex = examples[mask].dropna().astype(str).drop_duplicates().head(5).tolist()
            self.changes.append(
                {"field": field_, "column": column, "what": what, "count": count, "examples": ex}
            )
        return count

    def warn(self, sentence: str) -> None:
        self.warnings.append(sentence)


def _text(s: pd.Series, f, column, log: _Log) -> pd.Series:
    """Strip text and turn missing-value tokens into NA (counted)."""
    s = s.astype("str")
    stripped = s.str.strip()
    # tokens are short: lower-case only the short cells instead of the whole column
    short = stripped.str.len().le(8).fillna(False).astype(bool)
    token = pd.Series(False, index=s.index)
    if short.any():
        token[short] = stripped[short].str.lower().isin(MISSING_TOKENS)
    n = log.add(f, column, "missing-value text (NA, N/A, null, -) treated as blank", token, stripped)
    if n:
        log.warn(f"{n} {column} values were text like 'N/A' or 'null' and were treated as missing.")
    stripped = stripped.mask(token | stripped.eq(""))
    return stripped


def _numeric(text, cols, f, log, count=False) -> pd.Series:
    if f not in text:
        return pd.Series(np.nan, index=next(iter(text.values())).index if text else None, dtype="float64")
    return _clean_number(text[f], f, cols[f], log, count=count)


def _clean_number(t: pd.Series, f, column, log: _Log, *, count: bool) -> pd.Series:
    if count:
        values, failed, ranged = parse_count(t)
        n = log.add(f, column, "range replaced by its midpoint (open ranges by their lower bound)", ranged, t)
        if n:
            log.warn(f"{n} {column} values were ranges such as '51-200'; the midpoint was used.")
    else:
        values, failed = parse_money(t)
    label = column or f
    n = log.add(f, column, "could not be read as a number; left blank", failed, t)
    if n:
        log.warn(f"{n} {label} values could not be read as numbers and were left blank.")
    sentinel = is_sentinel(values)
    n = log.add(f, column, "placeholder value (999999, -1, ...) treated as missing", sentinel, t)
    if n:
        log.warn(f"{n} {label} values were placeholders like 999999 and were treated as missing.")
    negative = (values < 0) & ~sentinel
    n = log.add(f, column, "negative value treated as missing", negative, t)
    if n:
        log.warn(f"{n} {label} values were negative and were treated as missing.")
    return values.mask(sentinel | negative).astype("float64")


def _status(t, column, log, index) -> pd.Series:
    if t is None:
        return pd.Series(pd.NA, index=index, dtype="str")
    key = t.str.casefold().str.replace(r"[^a-z0-9]+", "", regex=True)
    mapped = key.map(_STATUS_MAP)
    # Pipedrive/Zoho labels such as "Hot lead", "Cold lead" are prospects
    mapped = mapped.mask(mapped.isna() & key.str.endswith("lead", na=False), "prospect")
    mapped = mapped.where(~key.isin(STATUSES) | mapped.notna(), key)
    unknown = t.notna() & mapped.isna()
    n = log.add("status", column, "unrecognised status mapped to 'other'", unknown, t)
    if n:
        examples = ", ".join(repr(x) for x in t[unknown].drop_duplicates().head(3))
        log.warn(f"{n} {column} values were not a known status (e.g. {examples}) and count as 'other'.")
    return mapped.mask(unknown, "other").astype("str")


_DATE_FORMATS = {
    "iso": None,
    "us": ["%m/%d/%Y", "%m/%d/%y", "%m/%d/%Y %I:%M %p", "%m/%d/%y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M"],
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


def normalise_name(names: pd.Series) -> pd.Series:
    """Company-name key for duplicates and for joining deals: case, punctuation, legal suffixes off.

    "Smith & Sons Ltd" and "SMITH AND SONS" give the same key ("smith and sons").
    """
    key = names.astype("str").str.casefold().str.replace("&", " and ", regex=False)
    key = key.str.replace(r"[^\w\s]", " ", regex=True)
    key = key.str.replace(
        r"\b(?:inc|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|ag|sa|sas|srl|bv|nv|the)\b",
        " ",
        regex=True,
    )
    return key.str.replace(r"\s+", " ", regex=True).str.strip().mask(lambda k: k.eq(""))


def website_domain(urls: pd.Series) -> pd.Series:
    """Domain key for duplicate detection: scheme, www. and path removed."""
    d = urls.astype("str").str.strip().str.casefold()
    d = d.str.replace(r"^[a-z]+://", "", regex=True).str.replace(r"^www\.", "", regex=True)
    d = d.str.replace(r"[/?#:].*$", "", regex=True)
    return d.mask(~d.str.contains(".", regex=False, na=False))


