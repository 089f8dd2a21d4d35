"""The customer-type feature frame: what the clustering sees.

Money and headcount are heavily skewed (a few accounts are a thousand times bigger than the
median), so every numeric column is log-scaled before it is standardised: on the UCI wholesale
data this is the difference between recovering the customer channel (ARI ~0.5) and not (~0.2).
Missing values are filled with the column median and counted, so the app can say how much of a
type rests on guesses.

Which columns: by default only the canonical fields (employees, annual revenue, deal size —
which carries the opportunities' average won deal — and status). Every other numeric column of
the export is *offered* (``--feature COLUMN``, a checklist in the app) but off unless chosen:
on a Dynamics-style export a row index, the row checksum and a rank had split the accounts into
"higher / lower row checksum" types. Columns that are identifiers, checksums, codes (zip, SIC,
NAICS), phone numbers, row numbers, ranks or mostly blank are not even offered
(:func:`never_offered`); only a ``--feature`` naming them brings them in. A file with no
canonical number at all (a spend table such as UCI wholesale) clusters on its offered columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import STATUSES

NUMERIC_FIELDS: tuple[str, ...] = ("employees", "annual_revenue", "deal_size")
"""Canonical numeric fields used as customer-type features, in this order."""
CATEGORICAL_FIELDS: tuple[str, ...] = ("status",)
CANONICAL_FEATURES: tuple[str, ...] = (*NUMERIC_FIELDS, *CATEGORICAL_FIELDS)
UNKNOWN_STATUS = "unknown"
MOSTLY_BLANK = 0.5
"""A column blank (or not a number) in more than this share of rows is never offered."""
OFF_BY_DEFAULT = "offered, off unless chosen (--feature): not a canonical field"

# Header words that name what a column *is* rather than how much: never offered by default.
_JUNK_WORDS = {
    "id": "identifier", "guid": "identifier", "uuid": "identifier",
    "checksum": "checksum", "hash": "checksum", "crc": "checksum", "md5": "checksum",
    "sha": "checksum", "rowversion": "checksum",
    "zip": "postal code", "zipcode": "postal code", "postal": "postal code",
    "postcode": "postal code", "plz": "postal code", "postleitzahl": "postal code",
    "sic": "industry code", "naics": "industry code", "nace": "industry code",
    "phone": "phone number", "telephone": "phone number", "fax": "phone number",
    "rank": "rank", "ranking": "rank",
}  # fmt: skip
# Words that name a record only as the header's last word: "Account Number", "Record No.",
# "Account Key", "Promo Code", but "Number of Locations", "Key Account Revenue", "Mobile Revenue".
_LAST_WORDS = {
    "number": "identifier", "no": "identifier", "nr": "identifier", "num": "identifier",
    "ids": "identifier", "key": "identifier", "pk": "identifier", "fk": "identifier",
    "duns": "identifier", "ein": "identifier", "vat": "identifier", "iban": "identifier",
    "isin": "identifier", "code": "code", "codes": "code", "version": "record version",
    "mobile": "phone number", "cell": "phone number", "tel": "phone number",
    "seq": "sequence number", "sequence": "sequence number", "rang": "rank",
}  # fmt: skip
_ROW_HEADERS = {"#", "row", "rownum", "rownumber", "rowid", "index", "idx", "rowindex", "unnamed0"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _header_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z#]+", _CAMEL.sub(" ", str(name)).lower()) if w]


def _junk_header(name: str) -> str | None:
    words = _header_words(name)
    if not words:
        return None
    if "".join(words) in _ROW_HEADERS:
        return "row number, by its header"
    for word in words:
        if word in _JUNK_WORDS:
            return f"{_JUNK_WORDS[word]}, by its header"
    if words[-1] in _LAST_WORDS and (len(words) > 1 or words[-1] not in ("no", "number")):
        return f"{_LAST_WORDS[words[-1]]}, by its header"
    return None


def never_offered(name: str, values: np.ndarray, text: pd.Series | None = None) -> str | None:
    """Why a numeric column of the export is never offered as a feature, or ``None``.

    Identifiers, checksums, codes, phone numbers, row numbers and ranks say which account a row
    is, not how much of anything it has: clustered on, they split accounts along arbitrary
    numbers. They are found by header words and, whatever the header, by content.

    Parameters
    ----------
    name : str
        The column's header.
    values : array-like of float
        The column read as numbers (NaN for blank or unreadable cells), in file order.
    text : pandas.Series of str, optional
        The same cells as written in the file: leading zeros and widths show codes.

    Returns
    -------
    str or None
        A short reason (``"mostly blank (92% empty)"``, ``"postal code, by its header"``,
        ``"row numbers or ranks (1 to 600, each once)"``, ...), or ``None`` when the column is
        a quantity that may be offered.
    """
    values = np.asarray(values, dtype="float64")
    finite = np.isfinite(values)
    n = len(values)
    if n and 1 - finite.mean() > MOSTLY_BLANK:
        return f"mostly blank ({1 - finite.mean():.0%} empty)"
    by_header = _junk_header(name)
    if by_header:
        return by_header
    v = values[finite]
    if len(v) < 10 or not (v == np.round(v)).all():
        return None  # fractions are measurements, not codes
    distinct = len(np.unique(v))
    if distinct == len(v):
        lo, hi = float(v.min()), float(v.max())
        if hi - lo + 1 == len(v):
            return f"row numbers or ranks ({lo:,.0f} to {hi:,.0f}, each once)"
        if (np.diff(v) > 0).all():
            return "sequence number (rises row by row)"
    code = _fixed_width_code(v, text)
    if code:
        return code
    # Identifiers and checksums: unique whole numbers in the millions and more, spread evenly
    # up to their maximum (uniform, so ~90% lie within a factor of ten of the top) and with
    # random last digits. Money is skewed (most of it far below its largest value) and mostly
    # round; bounded quantities such as incomes stay below the millions.
    if (
        distinct >= 0.95 * len(v)
        and v.max() >= 1e6
        and (v >= v.max() / 10).mean() >= 0.8
        and (v % 100 == 0).mean() < 0.1
    ):
        return "identifier or checksum (unique whole numbers)"
    return None


def _fixed_width_code(v: np.ndarray, text: pd.Series | None) -> str | None:
    # Codes are written with a fixed number of digits (zip 02134, NAICS 541511, phone
    # 4255550100); quantities vary in width. Leading zeros prove it; without them only widths
    # of five digits and more count, so a 300-850 score is still a quantity.
    if text is not None:
        cells = text.dropna().astype("str").str.strip()
        cells = cells[cells != ""]
        digits = cells[cells.str.fullmatch(r"\d+")]
        if len(cells) >= 10 and len(digits) >= 0.95 * len(cells):
            widths = digits.str.len()
            width = int(widths.mode().iloc[0])
            same = float((widths == width).mean())
            zeros = bool(digits.str.startswith("0").any())
            if same >= 0.95 and width >= 3 and (zeros or width >= 5):
                return f"code ({width} digits{', leading zeros' if zeros else ''})"
        return None
    widths = np.floor(np.log10(np.maximum(np.abs(v), 1))) + 1
    values, counts = np.unique(widths, return_counts=True)
    width = int(values[counts.argmax()])
    if width >= 5 and counts.max() >= 0.95 * len(v):
        return f"code ({width} digits)"
    return None


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: log scale that keeps zero at zero and tolerates negatives.

    Parameters
    ----------
    values : array-like of float

    Returns
    -------
    ndarray of float
    """
    values = np.asarray(values, dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))


def signed_expm1(values: np.ndarray) -> np.ndarray:
    """Inverse of :func:`signed_log1p`: back from feature scale to the original unit."""
    values = np.asarray(values, dtype="float64")
    return np.sign(values) * np.expm1(np.abs(values))


def build_features(
    accounts: pd.DataFrame,
    extra: pd.DataFrame | None = None,
    *,
    ignore: list[str] | tuple = (),
    features: list[str] | tuple = (),
    text: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the feature frame customer types are clustered on.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical account table (one row per account).
    extra : pandas.DataFrame, optional
        Extra numeric columns from the export (same index as ``accounts``), e.g. spend per
        product line. They are offered, not used, unless named in ``features`` — or unless
        ``accounts`` has no canonical number at all, when the offered ones are used.
    ignore : sequence of str
        Canonical fields (``employees``, ``annual_revenue``, ``deal_size``, ``status``) or extra
        columns to leave out, e.g. columns that are really labels.
    features : sequence of str
        Extra columns to use (``--feature``), including ones :func:`never_offered` sets aside.
    text : pandas.DataFrame, optional
        The extra columns as written in the file (same rows, in order), so codes are told by
        their digits.

    Returns
    -------
    pandas.DataFrame
        Same index as ``accounts``. Numeric columns are ``signed_log1p`` of the originals with
        missing values set to the column median; ``status`` (when usable) is categorical with
        missing values as "unknown". ``attrs`` holds:

        ``imputed``  {column: number of values filled with the median}
        ``dropped``  {column: why it was left out ("all missing", "constant", "ignored")}
        ``transform`` {column: "log1p" or "category"} for each kept column
        ``source``  {column: "accounts" or "extra"}
        ``not_found`` names in ``ignore`` that match no feature (already left out upstream)
        ``offered``  {extra column: why it is off} for offered columns not in use
        ``not_offered`` {extra column: why it is never offered} (see :func:`never_offered`)
        ``chosen``  extra columns in use because ``features`` named them
        ``not_offered_chosen`` {column: why it is not offered} for chosen ones that are not
        ``defaults`` the features on when nothing is chosen or ignored, in frame order

    Raises
    ------
    InputError
        When ``extra`` has another length than ``accounts``, a name is both in ``features``
        and ``ignore``, or ``features`` names no canonical field or extra column.
    """
    extra = extra if extra is not None else pd.DataFrame(index=accounts.index)
    ignore = [str(name) for name in ignore]
    chosen_names = list(dict.fromkeys(str(name) for name in features))
    not_found = _check_names(accounts, extra, ignore, chosen_names)

    columns = {
        name: pd.to_numeric(accounts[name], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        for name in NUMERIC_FIELDS
        if name in accounts.columns
    }
    source = dict.fromkeys(columns, "accounts")
    # Extra columns are offered, not used, when the file has a canonical number to go on.
    has_canonical = any(
        np.isfinite(values).any() for name, values in columns.items() if name in NUMERIC_FIELDS
    )
    defaults = list(columns)
    pick = _pick_extra(extra, text, set(columns), ignore, chosen_names, has_canonical)
    columns |= pick.columns
    source |= dict.fromkeys(pick.columns, "extra")
    defaults += pick.defaults
    dropped = pick.dropped
    out, imputed, transform = _log_scaled(columns, ignore, dropped)
    if "status" in accounts.columns:
        status, why_not = _status_feature(accounts["status"], ignore)
        if why_not:
            dropped["status"] = why_not
        else:
            out["status"] = status
            transform["status"] = "category"
            source["status"] = "accounts"

    defaults.append("status")
    frame = pd.DataFrame(out, index=accounts.index)
    frame.attrs["imputed"] = imputed
    frame.attrs["dropped"] = dropped
    frame.attrs["transform"] = transform
    frame.attrs["source"] = {k: v for k, v in source.items() if k in frame.columns}
    frame.attrs["not_found"] = not_found
    frame.attrs["offered"] = pick.offered
    frame.attrs["not_offered"] = pick.not_offered
    frame.attrs["chosen"] = pick.chosen
    frame.attrs["not_offered_chosen"] = pick.forced
    frame.attrs["defaults"] = [
        name for name in defaults if name in frame.columns or dropped.get(name) == "ignored"
    ]
    return frame


def _check_names(
    accounts: pd.DataFrame, extra: pd.DataFrame, ignore: list[str], chosen_names: list[str]
) -> list[str]:
    """Refuse a misfit ``extra`` or contradictory names; return the ignored names matching none."""
    if len(extra) != len(accounts):
        raise InputError(
            f"The extra columns have {len(extra):,} rows but there are {len(accounts):,} accounts."
        )
    extra_names = {str(c) for c in extra.columns}
    known = set(CANONICAL_FEATURES) | extra_names
    known |= {f"{c} (extra)" for c in extra_names & set(NUMERIC_FIELDS)}
    # Names that match nothing are usually source columns already kept out upstream (the
    # pipeline passes the user's ignore list to both); record them rather than fail.
    not_found = [name for name in ignore if name not in known]
    both = [name for name in chosen_names if name in ignore]
    if both:
        raise InputError(f"{both[0]!r} is both chosen (--feature) and left out (--ignore).")
    unknown = [name for name in chosen_names if name not in known]
    if unknown:
        offer = [str(c) for c in extra.columns]
        raise InputError(
            f"--feature {unknown[0]}: no such numeric column. "
            + (
                f"Columns you can add: {', '.join(offer)}."
                if offer
                else "This file has no other numeric column."
            )
        )
    return not_found


@dataclass
class _ExtraPick:
    """Which extra columns are in use, and why each of the others is not."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    defaults: list[str] = field(default_factory=list)
    offered: dict[str, str] = field(default_factory=dict)
    not_offered: dict[str, str] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)
    forced: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)


def _pick_extra(
    extra: pd.DataFrame,
    text: pd.DataFrame | None,
    canonical: set[str],
    ignore: list[str],
    chosen_names: list[str],
    has_canonical: bool,
) -> _ExtraPick:
    """The extra columns to use: chosen ones, or, without a canonical number, the offered ones."""
    pick = _ExtraPick()
    for i, col in enumerate(extra.columns):
        name = str(col)
        # An extra column named like a canonical field must not overwrite it.
        key = f"{name} (extra)" if name in canonical or name in pick.columns else name
        if key in ignore:
            pick.dropped[key] = "ignored"
            continue
        values = pd.to_numeric(extra[col], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        cells = text.iloc[:, i] if text is not None and i < text.shape[1] else None
        why_not = never_offered(name, values, cells)
        if key in chosen_names:
            pick.chosen.append(key)
            if why_not:
                pick.forced[key] = why_not
        elif why_not:
            pick.not_offered[key] = why_not
            continue
        elif has_canonical:
            pick.offered[key] = OFF_BY_DEFAULT
            continue
        else:
            pick.defaults.append(key)
        pick.columns[key] = values
    return pick


def _log_scaled(
    columns: dict[str, np.ndarray], ignore: list[str], dropped: dict[str, str]
) -> tuple[dict[str, np.ndarray], dict[str, int], dict[str, str]]:
    """Numbers as ``signed_log1p`` with blanks at the median; all-missing or constant dropped."""
    imputed: dict[str, int] = {}
    transform: dict[str, str] = {}
    out: dict[str, object] = {}
    for name, values in columns.items():
        if name in ignore:
            dropped[name] = "ignored"
            continue
        values = signed_log1p(np.where(np.isfinite(values), values, np.nan))
        missing = np.isnan(values)
        n_missing = int(missing.sum())
        if n_missing == len(values):
            dropped[name] = "all missing"
            continue
        median = float(np.nanmedian(values))
        if n_missing:
            values = np.where(missing, median, values)
            imputed[name] = n_missing
        if np.nanmax(values) == np.nanmin(values):
            dropped[name] = "constant"
            imputed.pop(name, None)
            continue
        out[name] = values
        transform[name] = "log1p"
    return out, imputed, transform


def _status_feature(
    status: pd.Series, ignore: list[str]
) -> tuple[pd.Categorical | None, str | None]:
    """Status as a category (blank: "unknown"), or why it is left out."""
    if "status" in ignore:
        return None, "ignored"
    if status.isna().all():
        return None, "all missing"
    status = status.astype("str").where(status.notna(), UNKNOWN_STATUS)
    categories = [*STATUSES, UNKNOWN_STATUS]
    # Anything not in the canonical list was already "other" upstream; be defensive.
    status = status.where(status.isin(categories), "other")
    if status.nunique() < 2:
        return None, "constant"
    used = [c for c in categories if c in set(status.unique())]
    return pd.Categorical(status.to_numpy(), categories=used), None


def numeric_columns(features: pd.DataFrame) -> list[str]:
    """Numeric feature columns, in frame order."""
    return [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]


def categorical_columns(features: pd.DataFrame) -> list[str]:
    """Categorical / text feature columns, in frame order."""
    return [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]


def resolve_feature_names(
    names,
    *,
    option: str,
    columns,
    mapping: dict[str, str],
    extra_columns,
    excluded: dict[str, str] | None = None,
) -> list[str]:
    """Turn the user's ``--feature`` / ``--ignore`` names into feature names.

    A user names what they see: a column of their file (``"Number of Employees"``) or a
    canonical field (``employees``). Features are named by canonical field or, for extra
    columns, by the column itself.

    Parameters
    ----------
    names : sequence of str
        As given by the user.
    option : {"--feature", "--ignore"}
        Which option, for the messages (and how strict: ``--ignore`` of a column that is no
        feature anyway is harmless and kept as given, ``--feature`` of one is an error).
    columns : sequence of str
        Every column of the file.
    mapping : dict of str to str
        Canonical field → column.
    extra_columns : sequence of str
        The numeric columns offered or set aside as features.
    excluded : dict of str to str, optional
        Columns the mapping left out of the numbers, with why.

    Returns
    -------
    list of str
        Feature names, in the given order, each once.

    Raises
    ------
    InputError
        A name is no column and no canonical field; or ``--feature`` names a column that is
        not a number (read as another field, text, a date or an identifier).
    """
    columns = [str(c) for c in columns]
    extra_columns = [str(c) for c in extra_columns]
    excluded = excluded or {}
    field_of = {str(col): field for field, col in mapping.items()}
    out: list[str] = []
    for raw_name in names:
        name = str(raw_name)
        if name in extra_columns or name in CANONICAL_FEATURES:
            out.append(name)
        elif field_of.get(name) in CANONICAL_FEATURES:
            out.append(field_of[name])
        elif name not in columns:
            raise InputError(
                f"{option} {name}: there is no such column. Columns: {', '.join(columns)}."
            )
        elif option == "--feature":
            why = (
                f"it is read as {field_of[name]}"
                if name in field_of
                else excluded.get(name, "it is not a number")
            )
            offer = ", ".join(extra_columns) or "none"
            raise InputError(
                f"--feature {name}: this column cannot make customer types ({why}). "
                f"Numeric columns you can add: {offer}."
            )
        else:
            out.append(name)  # no feature anyway: leaving it out changes nothing
    return list(dict.fromkeys(out))


def feature_report(
    features: pd.DataFrame,
    mapping: dict[str, str] | None = None,
    excluded: dict[str, str] | None = None,
) -> dict:
    """What the customer types were built from, what else was offered, and what never is.

    Parameters
    ----------
    features : pandas.DataFrame
        The result of :func:`build_features`.
    mapping : dict of str to str, optional
        Canonical field → source column, to name each canonical feature's column.
    excluded : dict of str to str, optional
        Columns the column mapping kept out of the numbers, with why.

    Returns
    -------
    dict
        ``used`` [{feature, column, why}], ``offered`` [{column, why}] (numbers you can switch
        on), ``not_offered`` [{column, why}] (identifiers, codes, mostly blank, text, dates),
        ``left_out`` [{feature, why}] (ignored by you, all missing, constant) and ``rule``.
    """
    mapping = mapping or {}
    attrs = features.attrs
    chosen = set(attrs.get("chosen", []))
    source = attrs.get("source", {})
    used = []
    for name in features.columns:
        name = str(name)
        if name in chosen:
            why = "chosen by you (--feature)"
            if name in attrs.get("not_offered_chosen", {}):
                why += f", although it looks like {attrs['not_offered_chosen'][name]}"
        elif source.get(name) == "extra":
            why = "no canonical number in the file, so the offered numeric columns are used"
        else:
            why = "canonical field"
        used.append({"feature": name, "column": mapping.get(name, name), "why": why})
    offered = [{"column": c, "why": w} for c, w in attrs.get("offered", {}).items()]
    never = [{"column": c, "why": w} for c, w in attrs.get("not_offered", {}).items()]
    skip = set(mapping.values())
    never += [
        {"column": c, "why": f"{w} (column mapping)"}
        for c, w in (excluded or {}).items()
        if c not in skip and w != "user --ignore"
    ]
    left_out = []
    for name, why in attrs.get("dropped", {}).items():
        column = mapping.get(name, None if name in CANONICAL_FEATURES else name)
        if column is None and why == "all missing":
            why = "not in this file"
        left_out.append({"feature": name, "column": column, "why": why})
    return {
        "used": used,
        "offered": offered,
        "not_offered": never,
        "left_out": left_out,
        "rule": (
            "Customer types use the canonical fields (employees, annual revenue, deal size, "
            "status). Other numeric columns are offered but off unless chosen (--feature); "
            "identifiers, checksums, codes, phone numbers, row numbers, ranks and columns more "
            "than half blank are not offered."
        ),
    }


def feature_note(features: pd.DataFrame, label=str) -> str | None:
    """One sentence on the numeric columns customer types left out, or ``None`` when none were.

    Parameters
    ----------
    features : pandas.DataFrame
        The result of :func:`build_features`.
    label : callable, optional
        Feature name → what the user calls it.

    Returns
    -------
    str or None
    """
    offered = list(features.attrs.get("offered", {}))
    never = features.attrs.get("not_offered", {})
    if not offered and not never:
        return None
    used = ", ".join(label(str(c)) for c in features.columns)
    parts = []
    if offered:
        parts.append(
            f"{len(offered)} other numeric column{'s' if len(offered) != 1 else ''} "
            f"off unless chosen (--feature): {', '.join(offered)}"
        )
    if never:
        parts.append(
            f"{len(never)} not offered: " + "; ".join(f"{c} ({why})" for c, why in never.items())
        )
    return f"Customer types are built from {used}; " + "; ".join(parts) + "."
