"""Customer types for a file too small to cluster: firmographic tiers from the playbook.

Below :data:`segmentation.clustering.MIN_ACCOUNTS` accounts, k-means has nothing to learn from,
but a sales leader still needs a plan. :func:`tier_types` gives every account the Gartner
firmographic tier the playbook defines (``tier_small_max_employees``,
``tier_large_min_employees``, and by revenue ``tier_small_max_revenue``,
``tier_large_min_revenue``) and returns the same :class:`CustomerTypeResult` the clustering
returns, so profiles, planner and exports run unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.clustering import CustomerTypeResult, type_medians, type_table
from segmentation.features import build_features, numeric_columns
from segmentation.naming import format_money
from segmentation.playbook import Playbook, load_playbook

TIERS = ("Enterprise", "Mid-market", "Small business", "Size unknown")
"""Tier names, most valuable first (the order of ``customer_type_id``)."""
VERDICT = "tiers"
"""``quality["verdict"]`` of a tier result: no clustering was done."""

_SELECTION_COLUMNS = ("k", "silhouette", "stability", "null_silhouette", "min_share", "chosen")


def _numbers(accounts: pd.DataFrame, column: str) -> np.ndarray:
    if column not in accounts.columns:
        return np.full(len(accounts), np.nan)
    return pd.to_numeric(accounts[column], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def tier_ids(accounts: pd.DataFrame, playbook: Playbook | None = None) -> np.ndarray:
    """Tier of each account as an index into :data:`TIERS`.

    Employees decide when known (a headcount is what CRMs fill most reliably); revenue decides
    otherwise; an account with neither is "Size unknown".

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical account table (``employees`` and ``annual_revenue`` when present).
    playbook : Playbook, optional
        Where the tier limits come from; default: the shipped playbook.

    Returns
    -------
    ndarray of int
    """
    pb = playbook if playbook is not None else load_playbook()
    employees = _numbers(accounts, "employees")
    revenue = _numbers(accounts, "annual_revenue")

    def tier(values: np.ndarray, small_max: float, large_min: float) -> np.ndarray:
        # Gartner bands: small below the small line, large from the large line, midsize between.
        return np.where(values >= large_min, 0, np.where(values < small_max, 2, 1))

    by_employees = tier(
        employees, pb.value("tier_small_max_employees"), pb.value("tier_large_min_employees")
    )
    by_revenue = tier(
        revenue, pb.value("tier_small_max_revenue"), pb.value("tier_large_min_revenue")
    )
    return np.where(
        np.isfinite(employees), by_employees, np.where(np.isfinite(revenue), by_revenue, 3)
    ).astype("int64")


def tier_message(n_accounts: int, min_accounts: int, playbook: Playbook | None = None) -> str:
    """The warning a small file gets: why tiers, and where their limits come from."""
    pb = playbook if playbook is not None else load_playbook()
    small_e, large_e = pb.value("tier_small_max_employees"), pb.value("tier_large_min_employees")
    small_r, large_r = pb.value("tier_small_max_revenue"), pb.value("tier_large_min_revenue")
    return (
        f"Only {n_accounts:,} accounts: customer types need at least {min_accounts}, so accounts "
        f"are grouped by firmographic tier instead — Small business under {small_e:,.0f} "
        f"employees (or {format_money(small_r)} revenue when employees are unknown), Enterprise "
        f"from {large_e:,.0f} employees (or {format_money(large_r)}), Mid-market between. "
        "The limits are the playbook's tier_* values."
    )


def tier_types(
    accounts: pd.DataFrame,
    extra: pd.DataFrame | None = None,
    *,
    playbook: Playbook | None = None,
    ignore=(),
    min_accounts: int = 20,
) -> CustomerTypeResult:
    """Customer types by firmographic tier, for a file too small to cluster.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical account table.
    extra : pandas.DataFrame, optional
        Extra numeric columns (same index); they only enter the feature frame the type
        explanations read.
    playbook : Playbook, optional
        The tier limits; default: the shipped playbook.
    ignore : sequence of str
        Features to leave out of the explanation frame.
    min_accounts : int, default 20
        The clustering's minimum, quoted in the message.

    Returns
    -------
    CustomerTypeResult
        ``quality["verdict"]`` is ``"tiers"``, with silhouette and stability NaN (nothing was
        clustered) and ``message`` the warning to show; ``selection`` is empty; ``model`` is
        None.
    """
    pb = playbook if playbook is not None else load_playbook()
    raw_ids = tier_ids(accounts, pb)
    present = np.unique(raw_ids)
    # Ids are contiguous and ranked like the clustering's: 0 is the most valuable tier present.
    ids_arr = np.searchsorted(present, raw_ids).astype("int64")
    names = [TIERS[t] for t in present]
    index = accounts.index
    ids = pd.Series(ids_arr, index=index, name="customer_type_id", dtype="int64")
    labels = pd.Series(
        np.asarray(names, dtype=object)[ids_arr], index=index, name="customer_type", dtype="str"
    )
    k = len(names)
    n = len(accounts)
    sizes = np.bincount(ids_arr, minlength=k)
    quality = {
        "k": k,
        "silhouette": float("nan"),
        "stability": float("nan"),
        "null_silhouette": float("nan"),
        "verdict": VERDICT,
        "message": tier_message(n, min_accounts, pb),
        "sizes": dict(zip(names, (int(s) for s in sizes))),
    }
    features = build_features(accounts, extra, ignore=ignore)
    selection = pd.DataFrame({c: pd.Series(dtype="float64") for c in _SELECTION_COLUMNS})
    return CustomerTypeResult(
        labels=labels,
        ids=ids,
        table=type_table(names, ids_arr, type_medians(accounts, ids_arr, k)),
        quality=quality,
        selection=selection,
        embedding=_embedding(features, labels),
        model=None,
        features=features,
    )


def _embedding(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """The map's two axes: the first two (log-scaled, standardised) features; no PCA on a
    dozen rows."""
    num = numeric_columns(features)[:2]
    xy = np.zeros((len(labels), 2))
    for j, col in enumerate(num):
        v = features[col].to_numpy(dtype="float64", na_value=np.nan)
        sd = np.nanstd(v)
        xy[:, j] = np.nan_to_num((v - np.nanmean(v)) / sd) if sd > 0 else 0.0
    return pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "customer_type": labels.to_numpy()}, index=labels.index
    )
