"""The customer-type feature frame: what the clustering sees.

Money and headcount are heavily skewed (a few accounts are a thousand times bigger than the
median), so every numeric column is log-scaled before it is standardised: on the UCI wholesale
data this is the difference between recovering the customer channel (ARI ~0.5) and not (~0.2).
Missing values are filled with the column median and counted, so the app can say how much of a
type rests on guesses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import STATUSES

NUMERIC_FIELDS: tuple[str, ...] = ("employees", "annual_revenue", "deal_size")
"""Canonical numeric fields used as customer-type features, in this order."""
CATEGORICAL_FIELDS: tuple[str, ...] = ("status",)
UNKNOWN_STATUS = "unknown"


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
) -> pd.DataFrame:
    """Build the feature frame customer types are clustered on.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical account table (one row per account).
    extra : pandas.DataFrame, optional
        Extra numeric columns from the export (same index as ``accounts``), e.g. spend per
        product line.
    ignore : sequence of str
        Canonical fields (``employees``, ``annual_revenue``, ``deal_size``, ``status``) or extra
        columns to leave out, e.g. columns that are really labels.

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

    Raises
    ------
    InputError
        When ``extra`` has another length than ``accounts``.
    """
    extra = extra if extra is not None else pd.DataFrame(index=accounts.index)
    if len(extra) != len(accounts):
        raise InputError(
            f"The extra columns have {len(extra):,} rows but there are {len(accounts):,} accounts."
        )
    known = set(NUMERIC_FIELDS) | set(CATEGORICAL_FIELDS) | {str(c) for c in extra.columns}
    ignore = [str(name) for name in ignore]
    # Names that match nothing are usually source columns already kept out upstream (the
    # pipeline passes the user's ignore list to both); record them rather than fail.
    not_found = [name for name in ignore if name not in known]

    columns: dict[str, object] = {}
    source: dict[str, str] = {}
    for name in NUMERIC_FIELDS:
        if name in accounts.columns:
            columns[name] = pd.to_numeric(accounts[name], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            source[name] = "accounts"
    for col in extra.columns:
        name = str(col)
        if name in columns:
            # An extra column named like a canonical field must not overwrite it.
            name = f"{name} (extra)"
        columns[name] = pd.to_numeric(extra[col], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        source[name] = "extra"

    imputed: dict[str, int] = {}
    dropped: dict[str, str] = {}
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

    if "status" in accounts.columns:
        if "status" in ignore:
            dropped["status"] = "ignored"
        elif accounts["status"].isna().all():
            dropped["status"] = "all missing"
        else:
            status = (
                accounts["status"].astype("str").where(accounts["status"].notna(), UNKNOWN_STATUS)
            )
            categories = [*STATUSES, UNKNOWN_STATUS]
            # Anything not in the canonical list was already "other" upstream; be defensive.
            status = status.where(status.isin(categories), "other")
            if status.nunique() < 2:
                dropped["status"] = "constant"
            else:
                used = [c for c in categories if c in set(status.unique())]
                out["status"] = pd.Categorical(status.to_numpy(), categories=used)
                transform["status"] = "category"
                source["status"] = "accounts"

    frame = pd.DataFrame(out, index=accounts.index)
    frame.attrs["imputed"] = imputed
    frame.attrs["dropped"] = dropped
    frame.attrs["transform"] = transform
    frame.attrs["source"] = {k: v for k, v in source.items() if k in frame.columns}
    frame.attrs["not_found"] = not_found
    return frame


def numeric_columns(features: pd.DataFrame) -> list[str]:
    """Numeric feature columns, in frame order."""
    return [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]


def categorical_columns(features: pd.DataFrame) -> list[str]:
    """Categorical / text feature columns, in frame order."""
    return [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
