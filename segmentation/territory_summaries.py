"""What the territories did, per rep, per team and per moved account, with their warnings.

:func:`territory_summaries` turns the rep chosen per account into the tables of
:class:`segmentation.territories.TerritoryResult`: each rep's book and what moved in and out,
each team's balance and continuity, and the accounts whose owner changes, largest first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.playbook import Playbook

TEAM_SUMMARY_COLUMNS: tuple[str, ...] = (
    "team",
    "reps",
    "accounts",
    "value_cv",
    "value_max_min",
    "continuity",
    "unassigned",
)


def territory_summaries(
    accounts: pd.DataFrame,
    value: np.ndarray,
    team_codes: np.ndarray,
    team_names: list[str],
    owner: pd.Series,
    owner_idx: np.ndarray,
    assigned: np.ndarray,
    rep_names: np.ndarray,
    rep_team: np.ndarray,
    pb: Playbook,
    warnings: list[str],
) -> dict[str, pd.DataFrame]:
    """The per-rep, per-team and disruption tables of a territory assignment.

    Parameters
    ----------
    accounts : pandas.DataFrame
        The accounts (``account_id`` and ``account_name`` when present).
    value : numpy.ndarray
        Value per account.
    team_codes, team_names
        Team index per account (-1 = none) and the team names.
    owner : pandas.Series
        Current owner per account (string, missing when unknown).
    owner_idx : numpy.ndarray
        Roster index of the owner per account (-1 = not in the roster).
    assigned : numpy.ndarray
        Roster index of the chosen rep per account (-1 = unassigned).
    rep_names, rep_team : numpy.ndarray
        Per roster rep: its name and its team index (-1 = idle).
    pb : Playbook
        ``max_turnover_share`` and ``balanced_cv_max``.
    warnings : list of str
        Heavy turnover per rep and unbalanced teams are appended to it.

    Returns
    -------
    dict
        ``teams``, ``reps`` and ``disruption``, the frames of
        :class:`~segmentation.territories.TerritoryResult`.
    """
    n = len(value)
    got = assigned >= 0
    has_owner = owner_idx >= 0
    kept_mask = has_owner & (assigned == owner_idx)
    reps, val = _rep_summary(
        value, team_names, owner_idx, assigned, rep_names, rep_team, kept_mask, pb, warnings
    )
    known_owner = owner.notna().to_numpy() if n else np.zeros(0, bool)
    teams = _team_summary(team_codes, team_names, rep_team, val, got, kept_mask, known_owner)
    cv_max = pb.value("balanced_cv_max")
    teams["balanced"] = teams["value_cv"].le(cv_max) | teams["reps"].lt(2)
    for _, team in teams[~teams["balanced"] & teams["value_cv"].notna()].iterrows():
        warnings.append(
            f"{team['team']}: book values spread {team['value_cv']:.2f} (coefficient of variation) "
            f"across its {team['reps']} reps, above the {cv_max:.2f} that reads balanced: a "
            "few large accounts may dominate; check the per-rep balance."
        )
    disruption = _disruption(accounts, value, owner, assigned, rep_names, known_owner & ~kept_mask)
    return {"teams": teams, "reps": reps, "disruption": disruption}


def _rep_summary(
    value, team_names, owner_idx, assigned, rep_names, rep_team, kept_mask, pb, warnings
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each rep's book, what it kept, gained and lost; a warning per rep who loses too much."""
    nr = len(rep_names)
    got = assigned >= 0
    has_owner = owner_idx >= 0
    acc = np.bincount(assigned[got], minlength=nr)
    val = np.bincount(assigned[got], weights=value[got], minlength=nr)
    kept = np.bincount(assigned[kept_mask], minlength=nr)
    kept_v = np.bincount(assigned[kept_mask], weights=value[kept_mask], minlength=nr)
    owned = np.bincount(owner_idx[has_owner], minlength=nr)
    owned_v = np.bincount(owner_idx[has_owner], weights=value[has_owner], minlength=nr)
    reps = pd.DataFrame(
        {
            "rep": pd.array(rep_names, dtype="string"),
            "team": pd.array(
                [team_names[t] if t >= 0 else pd.NA for t in rep_team], dtype="string"
            ),
            "accounts": acc.astype(int),
            "value": val,
            "kept": kept.astype(int),
            "moved_in": (acc - kept).astype(int),
            "moved_out": (owned - kept).astype(int),
            "value_in": val - kept_v,
            "value_out": owned_v - kept_v,
        }
    )
    limit = pb.value("max_turnover_share")
    heavy = (owned > 0) & ((owned - kept) / np.maximum(owned, 1) > limit)
    for i in np.flatnonzero(heavy):
        warnings.append(
            f"{rep_names[i]} loses {owned[i] - kept[i]:,} of {owned[i]:,} accounts "
            f"({(owned[i] - kept[i]) / owned[i]:.0%}, above the {limit:.0%} per-quarter guideline): phase the change."
        )
    return reps, val


def _team_summary(
    team_codes, team_names, rep_team, val, got, kept_mask, known_owner
) -> pd.DataFrame:
    """Per team: reps, accounts, how evenly the value is spread, continuity and unassigned."""
    rows = []
    for t, name in enumerate(team_names):
        in_t = team_codes == t
        reps_t = np.flatnonzero(rep_team == t)
        vals = val[reps_t]
        mean = vals.mean() if len(vals) else np.nan
        cv = float(vals.std() / mean) if len(vals) and mean > 0 else np.nan
        vmin = vals.min() if len(vals) else np.nan
        ko = in_t & known_owner
        rows.append(
            {
                "team": name,
                "reps": len(reps_t),
                "accounts": int(in_t.sum()),
                "value_cv": cv,
                "value_max_min": float(vals.max() / vmin) if len(vals) and vmin > 0 else np.nan,
                "continuity": float(kept_mask[ko].mean()) if ko.any() else np.nan,
                "unassigned": int((in_t & ~got).sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(TEAM_SUMMARY_COLUMNS))


def _disruption(accounts, value, owner, assigned, rep_names, moved) -> pd.DataFrame:
    """The accounts whose owner changes, largest value first."""
    idx = np.flatnonzero(moved)
    idx = idx[np.argsort(-value[idx], kind="stable")]
    if "account_id" not in accounts.columns:
        ids = idx
    elif len(idx) and accounts["account_id"].dtype == "str":
        ids = accounts["account_id"].array.take(idx)  # Arrow take: no Python string per account
    else:
        ids = accounts["account_id"].to_numpy(dtype=object)[idx]
    return pd.DataFrame(
        {
            "account_id": ids,
            "account_name": _take_string(accounts, "account_name", idx),
            "from_owner": owner.array.take(idx).astype("string"),
            "to_rep": pd.array([*rep_names, pd.NA], dtype="string").take(
                np.where(assigned[idx] >= 0, assigned[idx], len(rep_names))
            ),
            "value": value[idx],
        }
    )


def _take_string(df: pd.DataFrame, col: str, idx: np.ndarray):
    """Rows ``idx`` of a column as the nullable ``string`` dtype (all missing without the column)."""
    if col not in df.columns:
        return pd.array([pd.NA] * len(idx), dtype="string")
    values = df[col]
    if isinstance(values.dtype, pd.StringDtype):
        return values.array.take(idx).astype("string")
    return pd.array(values.to_numpy(dtype=object)[idx], dtype="string")
