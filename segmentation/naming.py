"""Words a sales leader reads: customer type names, money amounts and feature columns.

A customer type is named by what a VP would call it: its size band (Gartner's, by employees or
revenue), who its accounts mostly are (customers, prospects ...) and its typical deal
("Mid-market customers · ~$45K deals"). Types without firmographics are named by the columns
that set them apart; two types with the same words are told apart by the feature they differ
on most. :func:`format_money` and :func:`feature_label` are the same words everywhere else
(profiles, plan reasons, summary, report, charts, app).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.features import numeric_columns
from segmentation.fields import FIELDS_BY_NAME, STATUS_PLURALS


def format_money(value: float, missing: str = "n/a") -> str:
    """Compact money for names and sentences: ``$950``, ``$4.5K``, ``$180K``, ``$1.2M``, ``$3.4B``.

    The unit is picked after rounding, so 999,999 reads ``$1M``, not ``$1000K``; ``missing`` is
    what a blank or infinite value reads as.
    """
    if value is None or not np.isfinite(value):
        return missing
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    units = ((1.0, ""), (1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))
    pick = max((i for i, (limit, _) in enumerate(units) if v >= limit), default=0)
    while True:
        limit, suffix = units[pick]
        x = v / limit
        text = f"{x:.0f}" if not suffix or x >= 10 else f"{x:.1f}"
        if float(text) < 1000 or pick == len(units) - 1:
            return f"{sign}${text.removesuffix('.0')}{suffix}"
        pick += 1  # rounded up into the next unit: 999,999 is $1M, not $1000K


def feature_label(name: str) -> str:
    """What a sales leader calls a feature column."""
    if name in _SHORT_LABELS:
        return _SHORT_LABELS[name]
    field = FIELDS_BY_NAME.get(name)
    return field.label if field is not None else str(name)


# The fields' labels are written for column mapping ("Status (customer / prospect / ...)");
# sentences need the short form.
_SHORT_LABELS = {
    "deal_size": "Deal size",
    "status": "Status",
    "annual_revenue": "Annual revenue",
    "employees": "Employees",
}


def _size_word(employees: float, revenue: float) -> str | None:
    # Gartner's bands: small < 100 employees, midsize 100-999, large ≥ 1,000; by revenue
    # < $50M, $50M-$1B, ≥ $1B (coverage-rules.md §2).
    if np.isfinite(employees):
        return (
            "Small business"
            if employees < 100
            else "Mid-market"
            if employees < 1000
            else "Enterprise"
        )
    if np.isfinite(revenue):
        return (
            "Small business" if revenue < 50e6 else "Mid-market" if revenue < 1e9 else "Enterprise"
        )
    return None


def name_types(
    accounts: pd.DataFrame,
    features: pd.DataFrame,
    centers: pd.DataFrame,
    ids: np.ndarray,
    medians: pd.DataFrame,
) -> list[str]:
    """A distinct name per customer type, in id order.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The canonical account table (its ``status`` names who a type's accounts are).
    features : pandas.DataFrame
        The feature frame the types were found on: only its numeric columns enter a name.
    centers : pandas.DataFrame
        Type centres in the model's transformed space, one row per type id, columns named.
    ids : ndarray of int
        Type id per account.
    medians : pandas.DataFrame
        ``median_employees``, ``median_revenue`` and ``median_deal_size`` per type id.

    Returns
    -------
    list of str
        "Mid-market customers · ~$45K deals"; where two types read the same, what tells them
        apart is added, then a number as a last resort.
    """
    num = numeric_columns(features)
    has_status = "status" in features.columns
    status = accounts["status"].to_numpy(dtype=object, na_value=None) if has_status else None
    names = []
    for t in range(len(centers)):
        mask = ids == t
        emp = medians["median_employees"].iloc[t] if "employees" in num else float("nan")
        rev = medians["median_revenue"].iloc[t] if "annual_revenue" in num else float("nan")
        deal = medians["median_deal_size"].iloc[t] if "deal_size" in num else float("nan")
        size = _size_word(emp, rev)
        who = "accounts"
        if status is not None:
            counts = pd.Series(status[mask]).value_counts(normalize=True)
            if len(counts) and counts.iloc[0] >= 0.6:
                who = STATUS_PLURALS.get(counts.index[0], "accounts")
        if size is None:
            # No firmographics: name the type by the spend/usage columns that set it apart.
            z = centers.loc[t, num].sort_values(ascending=False)
            top = [feature_label(c) for c in z.index[:2] if z[c] > 0.25]
            size = f"High {' & '.join(top)}" if top else f"Low {feature_label(z.index[-1])}"
        name = f"{size} {who}"
        if np.isfinite(deal):
            name += f" · ~{format_money(deal)} deals"
        names.append(name)
    return _tell_apart(names, centers[num])


def _tell_apart(names: list[str], centers: pd.DataFrame) -> list[str]:
    """Same words for two types: add what tells them apart, then a number as a last resort."""
    k = len(names)
    for name in set(names):
        dup = [t for t in range(k) if names[t] == name]
        if len(dup) < 2:
            continue
        group = centers.loc[dup]
        for t in dup:
            diff = group.loc[t] - group.drop(index=t).mean()
            feat = diff.abs().idxmax()
            names[t] = (
                f"{names[t]} · {'higher' if diff[feat] > 0 else 'lower'} {feature_label(feat).lower()}"
            )
    seen: dict[str, int] = {}
    for t, name in enumerate(names):
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            names[t] = f"{name} #{seen[name]}"
    return names
