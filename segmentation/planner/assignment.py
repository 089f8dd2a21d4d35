"""Accounts to teams: each account gets its segment's team, motion, role and reason from the plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.planner.core import Plan


def assign_accounts(accounts: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Give every account its team, motion, role and the reason, by its segment.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per-account frame with a ``segment`` column.
    plan : Plan
        Result of :func:`~segmentation.planner.core.plan_coverage`.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``accounts``; columns ``team, motion, role, reason``, each a
        :class:`pandas.Categorical` whose categories are the values some account has, sorted (so
        sorting and sorted group-bys order them as text would). Accounts whose segment is not in
        the plan get missing values and a reason that says so.

    Raises
    ------
    InputError
        If ``accounts`` has no ``segment`` column.

    Notes
    -----
    A million accounts hold a few dozen segments: the per-account columns are integer codes into
    the plan's few distinct values, not a million copies of each reason (~220 MB as text).
    :func:`segmentation.export.to_csv_bytes` writes them without ever expanding them.
    """
    if "segment" not in accounts.columns:
        raise InputError("Accounts lack a 'segment' column: run the segments step first.")
    cols = ["team", "motion", "role", "reason"]
    lookup = plan.segments[["segment", *cols]].drop_duplicates("segment").reset_index(drop=True)
    # Factorise first (missing labels kept as a value of their own, so they match as before):
    # then match the few distinct segments to the plan and take by integer code.
    seg_codes, uniques = pd.factorize(accounts["segment"], use_na_sentinel=False)
    found = pd.Index(lookup["segment"].astype("string")).get_indexer(
        pd.Index(uniques, dtype=object).astype("string")
    )
    pos = (
        np.append(found, -1)[seg_codes]
        if len(found)
        else np.full(len(accounts), -1, dtype=np.int64)
    )
    missing = pos < 0
    used = np.zeros(len(lookup) + 1, dtype=bool)
    used[found[found >= 0]] = True
    out = pd.DataFrame(index=accounts.index)
    for c in cols:
        values = lookup[c].astype("string")
        notes = [_NOT_IN_PLAN] if c == "reason" and missing.any() else []
        categories = pd.Index(
            sorted({*values[used[:-1] & values.notna().to_numpy()], *notes}), dtype="str"
        )
        # Code per plan row, -1 (missing) for the sentinel row that unmatched accounts point at.
        table = np.append(categories.get_indexer(values), -1)
        if notes:
            table[-1] = categories.get_loc(_NOT_IN_PLAN)
        table = table.astype(np.int8 if len(categories) < 127 else np.int32)
        codes = table[pos] if len(pos) else np.zeros(0, dtype=table.dtype)
        out[c] = pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(categories), validate=False
        )
    return out[cols]


_NOT_IN_PLAN = "Not in the plan: this account has no segment the planner saw."
