"""Clean a mapped export into the canonical account table, counting every change.

Nothing is silently altered: each blanked or rewritten value is tallied in
``PreparedAccounts.changes`` with examples, and the important ones become plain sentences
in ``PreparedAccounts.warnings``. All work is column-wise (vectorised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation.errors import InputError
from segmentation.fields import (
    FIELD_NAMES,
    FIELDS_BY_NAME,
    MONEY_FIELDS,
    NON_NEGATIVE_FIELDS,
    STATUSES,
)
from segmentation.numbers import (
    cell_currency,
    header_unit,
    parse_count,
    parse_money_range,
    scaled_cells,
)
from segmentation.schema import Mapping

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

_STATUS_MAP: dict[str, str] = {
    # Salesforce account Type picklist
    "customerdirect": "customer",
    "customerchannel": "customer",
    "customer": "customer",
    "prospect": "prospect",
    "formercustomer": "former",
    "channelpartnerreseller": "partner",
    "installationpartner": "partner",
    "technologypartner": "partner",
    "partner": "partner",
    "reseller": "partner",
    "other": "other",
    # HubSpot lifecycle stages (internal and display values)
    "subscriber": "prospect",
    "lead": "prospect",
    "marketingqualifiedlead": "prospect",
    "salesqualifiedlead": "prospect",
    "opportunity": "prospect",
    "evangelist": "customer",
    # Dynamics 365 relationship types
    "competitor": "other",
    "consultant": "partner",
    "investor": "other",
    "press": "other",
    "supplier": "other",
    "vendor": "other",
    "influencer": "other",
    # Zoho / spreadsheets
    "analyst": "other",
    "integrator": "partner",
    "client": "customer",
    "active": "customer",
    "activecustomer": "customer",
    "churned": "former",
    "lost": "former",
    "inactive": "former",
    "excustomer": "former",
    "pastcustomer": "former",
    "distributor": "partner",
    # German
    "kunde": "customer",
    "bestandskunde": "customer",
    "neukunde": "customer",
    "stammkunde": "customer",
    "aktiverkunde": "customer",
    "interessent": "prospect",
    "potenziellerkunde": "prospect",
    "potentiellerkunde": "prospect",
    "ehemaligerkunde": "former",
    "exkunde": "former",
    "verlorenerkunde": "former",
    "inaktiv": "former",
    "gekündigt": "former",
    "vertriebspartner": "partner",
    "händler": "partner",
    "wiederverkäufer": "partner",
    "wettbewerber": "other",
    "lieferant": "other",
    "sonstige": "other",
    # French
    "clientactif": "customer",
    "ancienclient": "former",
    "exclient": "former",
    "clientinactif": "former",
    "partenaire": "partner",
    "revendeur": "partner",
    "distributeur": "partner",
    "concurrent": "other",
    "fournisseur": "other",
    "autre": "other",
    # Spanish, Portuguese, Italian
    "cliente": "customer",
    "clienteactivo": "customer",
    "clienteativo": "customer",
    "prospecto": "prospect",
    "clientepotencial": "prospect",
    "potencialcliente": "prospect",
    "potenzialecliente": "prospect",
    "excliente": "former",
    "antiguocliente": "former",
    "antigocliente": "former",
    "clienteinactivo": "former",
    "socio": "partner",
    "parceiro": "partner",
    "distribuidor": "partner",
    "revendedor": "partner",
    "rivenditore": "partner",
    "distributore": "partner",
    "competidor": "other",
    "concorrente": "other",
    "proveedor": "other",
    "fornecedor": "other",
    "fornitore": "other",
    "otro": "other",
    "outro": "other",
    "altro": "other",
    # Dutch
    "klant": "customer",
    "bestaandeklant": "customer",
    "exklant": "former",
    "oudklant": "former",
    "voormaligeklant": "former",
    "wederverkoper": "partner",
    "leverancier": "other",
    "overig": "other",
}
"""Status words (casefolded, letters and digits only) → normalised status."""

REVENUE_PER_EMPLOYEE: tuple[float, float] = (1e4, 5e6)
"""Annual revenue per employee, in dollars, that real companies fall within (about $10K for
the leanest labour-heavy firms to $5M for trading and holding companies). A median far outside
it while x1e3 or x1e6 lands inside says the revenue column is in thousands or millions."""

_SCALE_NAMES = {1e3: "thousands", 1e6: "millions", 1e9: "billions"}
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
        :data:`REVENUE_PER_EMPLOYEE` while x1e3, x1e6 or x1e9 lands inside it.
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
        log.add(
            "account_id", cols.get("account_id"), "generated from row number", blank_ids, generated
        )
        if "account_id" in cols:
            log.warn(
                f"{int(blank_ids.sum())} accounts had no ID; they were given row-number IDs (ROW-000001 style)."
            )
    out["account_id"] = ids.fillna(generated)
    if "account_id" in cols:
        _warn_ids_equal_once_trimmed(df[cols["account_id"]], ids, log)

    if "account_name" in text:
        names = text["account_name"]
        if names.isna().any():
            log.warn(f"{int(names.isna().sum())} rows have no account name.")
        out["account_name"] = names
    else:
        out["account_name"] = out["account_id"].copy()
        log.add(
            "account_name",
            None,
            "named after the account ID (no name column)",
            pd.Series(True, index=df.index),
            out["account_id"],
        )

    for f in ("industry", "owner", "country", "region", "parent_id", "website"):
        out[f] = text.get(f, pd.Series(pd.NA, index=df.index, dtype="str"))

    out["employees"] = _numeric(text, cols, "employees", log, count=True)
    unit_info: dict[str, dict] = {}
    for f in MONEY_FIELDS:
        out[f], unit_info[f] = _money_unit(
            f,
            _numeric(text, cols, f, log),
            text.get(f),
            cols.get(f),
            (units or {}).get(f),
            out["employees"],
            log,
        )
    out["status"], status_info = _status(
        text.get("status"), cols.get("status"), log, df.index, status_values
    )
    out["created"] = _dates(text.get("created"), cols.get("created"), log, df.index)

    accounts = pd.DataFrame({f: out[f] for f in FIELD_NAMES}, index=pd.RangeIndex(n))
    extra = pd.DataFrame(index=pd.RangeIndex(n))
    for c in mapping.feature_columns:
        t = _text(df[c], None, c, log)
        extra[c] = _clean_number(t, None, c, log, count=False)
    return PreparedAccounts(accounts, extra, log.changes, log.warnings, unit_info, status_info)


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
    arr = _arrow(stripped)
    # tokens are short: lower-case only the short cells instead of the whole column, and
    # build the masks with numpy (a boolean Series ``__setitem__`` aligns a million labels)
    short = np.flatnonzero(_fill(pc.less_equal(pc.utf8_length(arr), 8)))
    token = np.zeros(len(arr), dtype=bool)
    if len(short):
        lowered = pc.utf8_lower(arr.take(pa.array(short)))  # what ``str.lower`` does
        token[short] = _fill(pc.is_in(lowered, value_set=_MISSING_TOKENS_ARROW.cast(arr.type)))
    n = log.add(
        f, column, "missing-value text (NA, N/A, null, -) treated as blank", token, stripped
    )
    if n:
        log.warn(f"{n} {column} values were text like 'N/A' or 'null' and were treated as missing.")
    blank = token | _fill(pc.equal(arr, ""))
    if not blank.any():
        return stripped
    return _text_series(pc.if_else(blank, pa.scalar(None, arr.type), arr), stripped)


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _warn_ids_equal_once_trimmed(raw: pd.Series, ids: pd.Series, log: _Log) -> None:
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


def _clean_number(t: pd.Series, f, column, log: _Log, *, count: bool) -> pd.Series:
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


def _money_unit(f, values, t, column, user, employees, log: _Log) -> tuple[pd.Series, dict]:
    """Scale a money column to single units and name its currency, saying why (see prepare_accounts)."""
    label = FIELDS_BY_NAME[f].label
    if column is None or t is None:
        if user is not None:
            raise InputError(
                f"--unit {f}: no column is mapped to {label.lower()}; map one with --map {f}=COLUMN."
            )
        return values, {
            "column": None,
            "multiplier": None,
            "currency": None,
            "source": None,
            "evidence": "no column for this field",
        }
    user_mult, user_cur = user if user is not None else (None, None)
    head = header_unit(column)
    # a fixed sample of rows is enough to name a currency and see suffixes (cheap at 1M rows)
    if len(t) > 2000:
        rows = np.sort(np.random.default_rng(0).choice(len(t), 2000, replace=False))
        sample = t.iloc[rows].dropna().head(1000)
    else:
        sample = t.dropna()
    own_scale = float(scaled_cells(sample).mean()) if len(sample) else 0.0

    if user_cur:
        currency, cur_why = user_cur, "currency set by you"
    elif head.currency:
        currency, cur_why = head.currency, f"currency from {head.text!r} in the header"
    else:
        code, share = cell_currency(sample)
        if code is not None and share >= 0.5:
            currency, cur_why = code, f"currency: {share:.0%} of the cells say {code}"
        else:
            currency, cur_why = None, "no currency in the header or the cells"

    warning = None
    if user_mult is not None:
        mult, source, why = user_mult, "you", f"set by you (--unit {f}={_number(user_mult)})"
    elif head.multiplier is not None:
        mult, source = head.multiplier, "header"
        why = f"the header {column!r} says {head.text!r} ({_SCALE_NAMES.get(head.multiplier, _number(head.multiplier))})"
    elif own_scale >= 0.5:
        mult, source = 1.0, "cells"
        why = f"no scale in the header; {own_scale:.0%} of the cells carry their own (K, M, B)"
    elif f == "annual_revenue":
        mult, source, why, warning = _revenue_scale(values, employees, column)
    else:
        mult, source, why = 1.0, "as written", "no scale in the header; amounts read as written"
    scale = pd.Series(False, index=values.index)
    if mult != 1:
        # cells with their own K/M ("$1.2M") are already in single units
        scale = values.notna() & ~_scaled_rows(t)
        values = values.where(~scale, values * mult)
    if f == "annual_revenue" and source in ("header", "you"):
        # a stated unit is used as stated, but a result no real company has is worth a warning
        ratio, n = _revenue_per_employee(values, employees)
        if ratio is not None:
            why += f"; median revenue per employee then {_money(ratio)} ({n:,} accounts)"
            lo, hi = REVENUE_PER_EMPLOYEE
            if not lo <= ratio <= hi:
                who = "you set" if source == "you" else "the header states"
                warning = (
                    f"{column}: with the unit {who}, the median revenue per employee is "
                    f"{_money(ratio)}, outside any real company's range ({_money(lo)}-{_money(hi)}); "
                    f"check it (--unit {f}=...)."
                )
    if mult != 1:
        n = log.add(f, column, f"multiplied by {_number(mult)} ({why})", scale, t)
        if n:
            log.warn(f"{n:,} {column} values were multiplied by {_number(mult)}: {why}.")
    if warning:
        log.warn(warning)
    if currency is not None and currency != "USD":
        log.warn(
            f"{column} is in {currency}; the playbook's money thresholds are in USD and are "
            "applied as they are (no exchange rate)."
        )
    multiplier = int(mult) if float(mult).is_integer() else float(mult)
    return values, {
        "column": column,
        "multiplier": multiplier,
        "currency": currency,
        "source": source,
        "evidence": f"{why}; {cur_why}",
    }


def _revenue_per_employee(revenue: pd.Series, employees: pd.Series) -> tuple[float | None, int]:
    both = (revenue > 0) & (employees > 0)
    n = int(both.sum())
    # ten accounts at least: a median of a handful says little about a whole column
    if n < 10:
        return None, n
    return float((revenue[both] / employees[both]).median()), n


def _revenue_scale(values, employees, column) -> tuple[float, str, str, str | None]:
    ratio, n = _revenue_per_employee(values, employees)
    if ratio is None:
        why = (
            "no scale in the header; amounts read as written (too few accounts with both revenue "
            "and employees to check the scale)"
        )
        # Without employees the scale cannot be chosen, but revenue no company has can be named.
        positive = values[values > 0]
        warning = None
        if len(positive) >= 10 and positive.median() < REVENUE_PER_EMPLOYEE[0]:
            warning = (
                f"{column}: the median annual revenue as written is {_money(positive.median())}, "
                "smaller than any company's; if the amounts are thousands or millions, say so with "
                "--unit annual_revenue=1e3 (or 1e6)."
            )
        return 1.0, "as written", why, warning
    lo, hi = REVENUE_PER_EMPLOYEE
    if lo <= ratio <= hi:
        why = (
            f"no scale in the header; the median revenue per employee as written, {_money(ratio)} "
            f"({n:,} accounts), is in real companies' range ({_money(lo)}-{_money(hi)})"
        )
        return 1.0, "as written", why, None
    # Only far outside (ten times below the range) is the scale sure: AdventureWorks-style data
    # at $4K per employee is odd, but x1,000 would make a two-person shop a $30M business.
    if ratio < lo / _FAR:
        for mult in (1e3, 1e6, 1e9):
            if lo <= ratio * mult <= hi:
                why = (
                    f"no scale in the header, but the median revenue per employee as written is "
                    f"{_money(ratio)} ({n:,} accounts), far below any real company's "
                    f"({_money(lo)}-{_money(hi)}); read as {_SCALE_NAMES[mult]} it is {_money(ratio * mult)}"
                )
                return mult, "plausibility", why, None
    why = f"no scale in the header; amounts read as written (median revenue per employee {_money(ratio)})"
    side = "below" if ratio < lo else "above"
    warning = (
        f"{column}: the median revenue per employee as written is {_money(ratio)} ({n:,} accounts), "
        f"{side} real companies' range ({_money(lo)}-{_money(hi)}), and no scale makes it clearly "
        "real; the amounts were read as written. If they are thousands or millions, say so with "
        "--unit annual_revenue=1e3 (or 1e6)."
    )
    return 1.0, "as written", why, warning


_FAR = 10
"""How far outside :data:`REVENUE_PER_EMPLOYEE` revenue per employee must be to infer a scale."""


def _scaled_rows(t: pd.Series) -> pd.Series:
    # on the distinct cells: a money column repeats few values compared with its rows
    codes, uniques = pd.factorize(t)
    if not len(uniques):
        return pd.Series(False, index=t.index)
    own = scaled_cells(pd.Series(uniques, dtype="str")).to_numpy()
    return pd.Series(np.where(codes >= 0, own[np.maximum(codes, 0)], False), index=t.index)


def _number(x: float) -> str:
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.6g}"


def _money(x: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= size:
            return f"${x / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${x:,.2f}" if abs(x) < 100 else f"${x:,.0f}"


def _status(t, column, log, index, user=None) -> tuple[pd.Series, dict]:
    user = dict(user or {})
    bad = [v for v in user.values() if v not in STATUSES]
    if bad:
        raise InputError(
            f"--status takes VALUE=STATUS with STATUS one of {', '.join(STATUSES)}; got {bad[0]!r}."
        )
    if t is None:
        if user:
            raise InputError(
                f"--status {next(iter(user))}=...: the file has no status column; map one with "
                "--map status=COLUMN."
            )
        return pd.Series(pd.NA, index=index, dtype="str"), {
            "column": None,
            "source": None,
            "values": [],
        }
    # a status column holds a handful of labels: work on the distinct ones, then take back
    codes, uniques = pd.factorize(t)
    u = pd.Series(uniques, dtype="str")
    key = u.str.casefold().str.replace(r"[\W_]+", "", regex=True)
    mapped_u = key.map(_STATUS_MAP)
    # Pipedrive/Zoho labels such as "Hot lead", "Cold lead" are prospects
    mapped_u = mapped_u.mask(mapped_u.isna() & key.str.endswith("lead", na=False), "prospect")
    mapped_u = mapped_u.where(~key.isin(STATUSES) | mapped_u.notna(), key)
    by_user = pd.Series(False, index=u.index)
    if user:
        # the user's words win over ours, matched as written but for case and outer spaces
        wanted = {str(k).strip().casefold(): v for k, v in user.items()}
        folded = u.str.strip().str.casefold()
        missing = [k for k, folded_k in zip(user, wanted) if folded_k not in set(folded)]
        if missing:
            shown = ", ".join(repr(x) for x in u.head(12))
            raise InputError(
                f"--status {missing[0]}=...: the status column {column!r} has no such value. "
                f"Its values: {shown}."
            )
        by_user = folded.isin(list(wanted))
        mapped_u = mapped_u.mask(by_user, folded.map(wanted))
    unknown_u = mapped_u.isna().to_numpy(dtype=bool)
    final_u = mapped_u.mask(unknown_u, "other").astype("str")
    unknown = (
        (codes >= 0) & unknown_u[np.maximum(codes, 0)] if len(u) else np.zeros(len(t), dtype=bool)
    )
    n = log.add("status", column, "unrecognised status mapped to 'other'", unknown, t)
    if n:
        examples = ", ".join(repr(x) for x in t[unknown].drop_duplicates().head(3))
        log.warn(
            f"{n} {column} values were not a known status (e.g. {examples}) and count as 'other'; "
            "place them with --status VALUE=customer|prospect|former|partner."
        )
    counts = np.bincount(codes[codes >= 0], minlength=len(u)) if len(u) else np.zeros(0, int)
    how = np.where(
        by_user.to_numpy(), "set by you", np.where(unknown_u, "not recognised", "known word")
    )
    order = np.argsort(-counts, kind="stable")[:_STATUS_VALUES_SHOWN]
    values = [
        {
            "value": str(u.iloc[i]),
            "count": int(counts[i]),
            "status": str(final_u.iloc[i]),
            "how": str(how[i]),
        }
        for i in order
    ]
    info = {"column": column, "source": "column", "values": values}
    if len(u) > _STATUS_VALUES_SHOWN:
        info["values_not_shown"] = int(len(u) - _STATUS_VALUES_SHOWN)
    return pd.Series(final_u.array.take(codes, allow_fill=True), index=t.index, dtype="str"), info


_STATUS_VALUES_SHOWN = 100


def status_from_deals(prepared: PreparedAccounts, won_deals: pd.Series) -> PreparedAccounts:
    """Read status from the opportunities where the accounts export does not give it.

    Parameters
    ----------
    prepared : PreparedAccounts
        The cleaned accounts.
    won_deals : pandas.Series
        Won deals per account, on the accounts' index (the ``won_deals`` column of
        :attr:`segmentation.opportunities.OpportunityAggregates.per_account`).

    Returns
    -------
    PreparedAccounts
        Without a status column: accounts with a won deal are customers, the others prospects
        (when no account has won a deal, status stays unknown). With one: blank statuses of accounts with a won deal become customers. Either way the
        change is counted, said in a warning, and ``status["source"]`` records it.
    """
    acc = prepared.accounts
    won = won_deals.reindex(acc.index).fillna(0).to_numpy() > 0
    info = dict(prepared.status or {"column": None, "source": None, "values": []})
    if info.get("column") is None:
        n_won = int(won.sum())
        if not n_won:
            # no won deal at all (or none recognised): calling everyone a prospect would be a guess
            note = "No status column, and no account has a won deal: status stays unknown."
            info |= {"source": None, "customers_from_deals": 0}
            return replace(prepared, warnings=[*prepared.warnings, note], status=info)
        status = pd.Series(np.where(won, "customer", "prospect"), index=acc.index, dtype="str")
        change = {
            "field": "status",
            "column": "opportunities",
            "what": "no status column: customer with a won deal, prospect otherwise",
            "count": int(len(acc)),
            "examples": [],
        }
        note = (
            f"No status column: the {n_won:,} accounts with a won deal in the opportunities are "
            f"customers, the other {len(acc) - n_won:,} prospects."
        )
        info |= {"source": "won deals", "customers_from_deals": n_won}
    else:
        fill = acc["status"].isna().to_numpy() & won
        if not fill.any():
            return prepared
        status = acc["status"].mask(fill, "customer")
        k = int(fill.sum())
        change = {
            "field": "status",
            "column": info["column"],
            "what": "blank status, won deal: customer",
            "count": k,
            "examples": [],
        }
        note = (
            f"{k:,} accounts with a blank {info['column']} have a won deal and count as customers."
        )
        info |= {"customers_from_deals": k}
    return replace(
        prepared,
        accounts=acc.assign(status=status),
        changes=[*prepared.changes, change],
        warnings=[*prepared.warnings, note],
        status=info,
    )


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


# Python's ``\s`` and ``\w`` restricted to ASCII, spelled out for pyarrow (RE2): on ASCII text
# these classes match exactly what Python's do, so the keys below come out the same as with
# Python's ``re`` (see :mod:`segmentation.numbers` for why pandas would otherwise fall back to it
# cell by cell). Non-ASCII text keeps Python's rules (:func:`_name_key_python`).
_ASCII_WS_NOT_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f"
_ASCII_WS = _ASCII_WS_NOT_SPACE + " "
_LEGAL_SUFFIX = (
    r"\b(?:inc|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|ag|sa|sas|srl|bv|nv|the)\b"
)


def normalise_name(names: pd.Series) -> pd.Series:
    r"""Company-name key for duplicates and for joining deals: case, punctuation, legal suffixes off.

    "Smith & Sons Ltd" and "SMITH AND SONS" give the same key ("smith and sons").

    Keys are ``casefold``, ``&`` → "and", every character that is neither a word character nor
    whitespace (Python's Unicode ``\w``/``\s``) → space, legal suffixes dropped, whitespace runs
    → one space, stripped; blank → NA. ASCII names go through pyarrow with the classes spelled
    out; the others (and only the distinct ones) through Python's ``re``, with the same result.
    """
    text = names.astype("str")
    arr = _arrow(text)
    key = pc.utf8_lower(arr)  # = str.casefold on ASCII
    key = pc.replace_substring(key, "&", " and ")
    key = pc.replace_substring_regex(key, f"[^0-9A-Za-z_{_ASCII_WS}]", " ")
    key = pc.replace_substring_regex(key, _LEGAL_SUFFIX, " ")
    # only the runs that change anything: ``\s+`` → " " leaves a lone space as it is, and
    # rewriting every space costs more than the rest of the key
    key = pc.replace_substring_regex(key, f"[{_ASCII_WS}]{{2,}}|[{_ASCII_WS_NOT_SPACE}]", " ")
    key = pc.utf8_trim_whitespace(key)
    key = _python_where_needed(key, text, _non_ascii(arr), _name_key_python)
    return _text_series(_blank_to_na(key), names)


def _name_key_python(names: pd.Series) -> pd.Series:
    key = names.str.casefold().str.replace("&", " and ", regex=False)
    key = key.str.replace(r"[^\w\s]", " ", regex=True)
    key = key.str.replace(_LEGAL_SUFFIX, " ", regex=True)
    return key.str.replace(r"\s+", " ", regex=True).str.strip()


def website_domain(urls: pd.Series) -> pd.Series:
    r"""Domain key for duplicate detection: scheme, www. and path removed (casefolded).

    ASCII addresses without line breaks go through pyarrow; the others through Python's ``re``
    (whose ``$`` also matches before a final line break), with the same result.
    """
    text = urls.astype("str")
    arr = _arrow(text)
    d = pc.utf8_lower(pc.utf8_trim_whitespace(arr))  # = str.strip().str.casefold() on ASCII
    d = pc.replace_substring_regex(d, r"^[a-z]+://", "")
    d = pc.replace_substring_regex(d, r"^www\.", "")
    # on text without line breaks, "[/?#:].*$" matches wherever one of the four does
    d = _replace(d, r"[/?#:].*$", "", find="[/?#:]")
    slow = _non_ascii(arr) | _fill(pc.match_substring(arr, "\n"))
    d = _python_where_needed(d, text, slow, _domain_python)
    dotted = _fill(pc.match_substring(d, "."))
    return _text_series(pc.if_else(dotted, d, pa.scalar(None, d.type)), urls)


def _domain_python(urls: pd.Series) -> pd.Series:
    d = urls.str.strip().str.casefold()
    d = d.str.replace(r"^[a-z]+://", "", regex=True).str.replace(r"^www\.", "", regex=True)
    return d.str.replace(r"[/?#:].*$", "", regex=True)


def _replace(arr: pa.ChunkedArray, pattern: str, repl: str, find: str) -> pa.ChunkedArray:
    """``pc.replace_substring_regex`` run only on the cells where ``find`` (a cheaper pattern
    that matches the same cells) matches: for a rare match, testing costs less than rewriting.
    """
    hit = _fill(pc.match_substring_regex(arr, find))
    if not hit.any():
        return arr
    if hit.sum() > len(hit) // 2:
        return pc.replace_substring_regex(arr, pattern, repl)
    done = pc.replace_substring_regex(arr.filter(pa.array(hit)), pattern, repl).combine_chunks()
    return pc.replace_with_mask(arr, pa.array(hit), done)


def _arrow(text: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a ``str`` Series (no copy)."""
    arr = pa.array(text, from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _fill(mask) -> np.ndarray:
    """Arrow booleans → numpy, null as False."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _non_ascii(arr: pa.ChunkedArray) -> np.ndarray:
    return ~np.asarray(
        pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False), dtype=bool
    )


def _python_where_needed(
    fast: pa.ChunkedArray, text: pd.Series, slow: np.ndarray, func
) -> pa.ChunkedArray:
    """``fast`` with the ``slow`` rows replaced by ``func`` (Python's ``re``) on their distinct values."""
    if not slow.any():
        return fast
    codes, uniques = pd.factorize(text[slow])
    done = func(pd.Series(uniques, dtype="str"))
    values = _arrow(done).combine_chunks().take(pa.array(codes)).cast(fast.type)
    return pc.replace_with_mask(fast, pa.array(slow), values)


def _blank_to_na(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    empty = _fill(pc.equal(arr, ""))
    return pc.if_else(empty, pa.scalar(None, arr.type), arr) if empty.any() else arr


def _text_series(arr: pa.ChunkedArray, like: pd.Series) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"), index=like.index, name=like.name)
