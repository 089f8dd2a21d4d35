"""Balanced territories: put real (or placeholder) reps on the planned teams and split accounts.

Balance is on value (annual deal potential), not only counts, because equal counts hide
concentrated value (Sumble). Disruption is minimised: an account stays with its current owner when
that owner is a rep of the account's team and the owner's book stays within ``balance_tolerance``
of the team mean (Pfizer-style bands); everything else is placed largest-first on the least-loaded
rep (LPT greedy, O(n log r) with a heap); a levelling pass then moves accounts from reps above
the band to reps below it. Every move is reported per rep and per account.

This module places the reps on the teams and wires the steps: the per-team balancing is
:mod:`segmentation.territory_balance`, the per-rep, per-team and disruption tables
:mod:`segmentation.territory_summaries`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import MOTION_LABELS
from segmentation.playbook import Playbook, load_playbook
from segmentation.territory_balance import balance_team
from segmentation.territory_summaries import territory_summaries


@dataclass
class TerritoryResult:
    """Result of :func:`assign_territories`.

    Attributes
    ----------
    rep : pandas.Series
        Rep per account (string dtype, same index as the accounts); missing when the account's
        team has no rep in the roster or every rep is at capacity (counted in ``warnings``).
    teams : pandas.DataFrame
        Per team: ``team, reps, accounts, value_cv, value_max_min, continuity, unassigned,
        balanced`` (value_cv at or below the playbook's ``balanced_cv_max``, or fewer than 2 reps).
        ``continuity`` is the share of accounts with a known owner that keep that owner.
    reps : pandas.DataFrame
        Per rep: ``rep, team, accounts, value, kept, moved_in, moved_out, value_in, value_out``.
    disruption : pandas.DataFrame
        ``account_id, account_name, from_owner, to_rep, value`` for accounts whose owner changes,
        largest value first; empty when no owners are known.
    warnings : list of str
        Plain-language problems: teams without reps, idle reps, capacity, heavy turnover.
    """

    rep: pd.Series
    teams: pd.DataFrame
    reps: pd.DataFrame
    disruption: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def account_value(accounts: pd.DataFrame, playbook: Playbook | None = None) -> pd.Series:
    """Annual deal potential per account: what territories balance on.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per-account frame; uses ``deal_size`` and ``annual_revenue`` when present.
    playbook : Playbook, optional
        Source of ``proxy_deal_share_of_revenue``; the shipped playbook when omitted.

    Returns
    -------
    pandas.Series
        Float, same index: ``deal_size`` when known and positive, else ``annual_revenue`` ×
        ``proxy_deal_share_of_revenue`` (the planner's revenue proxy), else 1 (an account with no
        size data then counts like a very small deal, so it is spread by count).
    """
    pb = playbook or load_playbook()
    n = len(accounts)
    deal = _col_num(accounts, "deal_size", n)
    rev = _col_num(accounts, "annual_revenue", n)
    value = np.where(
        deal > 0, deal, np.where(rev > 0, rev * pb.value("proxy_deal_share_of_revenue"), 1.0)
    )
    return pd.Series(value, index=accounts.index, name="value", dtype=float)


def assign_territories(
    accounts: pd.DataFrame,
    roster: pd.DataFrame,
    *,
    seed: int = 0,
    playbook: Playbook | None = None,
) -> TerritoryResult:
    """Split each team's accounts across its reps, balanced on value, keeping owners where possible.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Per account: ``team`` (from :func:`~segmentation.planner.assign_accounts`), optional
        ``motion``, ``role``, ``owner``, ``region``, ``value`` (else :func:`account_value`),
        ``account_id``, ``account_name``.
    roster : pandas.DataFrame
        From :func:`read_roster` or :func:`placeholder_roster`.
    seed : int, default 0
        Breaks ties between equal values reproducibly.
    playbook : Playbook, optional
        Source of ``balance_tolerance`` and ``max_turnover_share``; the shipped one when omitted.

    Returns
    -------
    TerritoryResult

    Raises
    ------
    InputError
        If ``accounts`` has no ``team`` column or the roster has no ``rep`` column.

    Notes
    -----
    Per team: (1) an account stays with its owner when the owner is a rep of that team; an owner
    whose kept book would exceed mean × (1 + ``balance_tolerance``) gives up the largest accounts
    that fit inside the excess (so few accounts move and top accounts stay); capacity caps the
    count kept. (2) The rest go largest-first to the rep with the lowest load (value share plus a
    small count share), preferring reps of the account's region while they are under the mean.
    (3) While a rep's value is outside mean × (1 ± ``balance_tolerance``), the most-loaded rep
    hands the least-loaded one the largest account that fits the gap, accounts that already moved
    first, never an owner's protected top accounts; so every rep ends inside the band where the
    account sizes allow it, and the value CV stays at or below the tolerance.
    """
    if "team" not in accounts.columns:
        raise InputError("Accounts lack a 'team' column: plan coverage and assign accounts first.")
    if "rep" not in roster.columns:
        raise InputError("The roster lacks a 'rep' column.")
    pb = playbook or load_playbook()
    n = len(accounts)
    warnings: list[str] = []

    value = (
        pd.to_numeric(accounts["value"], errors="coerce")
        .fillna(0)
        .clip(lower=0)
        .to_numpy(dtype=float)
        if "value" in accounts.columns
        else account_value(accounts, pb).to_numpy()
    )
    team_codes, team_names = _team_codes(accounts["team"])
    owner = _col_str(accounts, "owner", n)

    roster = roster.reset_index(drop=True)
    rep_team = _place_reps(roster, accounts, team_codes, team_names, value, warnings)
    rep_names = roster["rep"].astype("string").to_numpy(dtype=object)
    owner_idx = _owner_index(owner, roster, n)
    acc_region, rep_region = _region_codes(_col_str(accounts, "region", n), roster)
    # Ties between equal values are broken by a seeded random key so results are reproducible.
    tiebreak = np.random.default_rng(seed).random(n)
    assigned = _assign_teams(
        team_codes,
        team_names,
        rep_team,
        value,
        owner_idx,
        acc_region,
        tiebreak,
        _rep_capacity(roster),
        rep_region,
        pb.value("balance_tolerance"),
        warnings,
    )
    na_team = int((team_codes < 0).sum())
    if na_team:
        warnings.append(f"{na_team:,} accounts have no team and were not assigned.")

    names_na = pd.array([*rep_names, pd.NA], dtype="string")
    rep = pd.Series(
        names_na.take(np.where(assigned >= 0, assigned, len(rep_names))),
        index=accounts.index,
        name="rep",
    )
    unknown_owners = owner.notna().to_numpy() & (owner_idx < 0) if n else np.zeros(0, bool)
    if unknown_owners.any():
        warnings.append(
            f"{int(unknown_owners.sum()):,} accounts are owned by people not in the roster; they were reassigned."
        )
    res = territory_summaries(
        accounts,
        value,
        team_codes,
        team_names,
        owner,
        owner_idx,
        assigned,
        rep_names,
        rep_team,
        pb,
        warnings,
    )
    return TerritoryResult(rep=rep, warnings=warnings, **res)


def _team_codes(team_s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Team index per account (-1 = no team) and the team names, in order of first appearance."""
    if not isinstance(team_s.dtype, pd.CategoricalDtype):  # the planner's teams are categorical
        team_s = team_s.astype("string")
    # Order of first appearance either way; a categorical factorises on its integer codes.
    team_codes, team_names = pd.factorize(team_s, use_na_sentinel=True)
    return team_codes, [str(t) for t in team_names]


def _assign_teams(
    team_codes,
    team_names,
    rep_team,
    value,
    owner_idx,
    acc_region,
    tiebreak,
    capacity,
    rep_region,
    tol,
    warnings,
) -> np.ndarray:
    """Roster index of the rep per account (-1 = none), each team balanced on its own reps."""
    assigned = np.full(len(team_codes), -1, dtype=np.int64)
    for t, tname in enumerate(team_names):
        rows = np.flatnonzero(team_codes == t)
        reps_t = np.flatnonzero(rep_team == t)
        if len(reps_t) == 0:
            # Self-serve accounts have no rep by design: only a named team without reps is news.
            if str(tname) != MOTION_LABELS["digital"]:
                warnings.append(
                    f"Team '{tname}' has no rep in the roster: its {len(rows):,} accounts are "
                    "unassigned."
                )
            continue
        assigned[rows] = balance_team(
            value[rows],
            owner_idx[rows],
            acc_region[rows],
            tiebreak[rows],
            reps_t,
            capacity,
            rep_region,
            tol,
        )
        left = int((assigned[rows] < 0).sum())
        if left:
            warnings.append(
                f"Team '{tname}': {left:,} accounts left unassigned because every rep is at capacity."
            )
    return assigned


def _owner_index(owner: pd.Series, roster: pd.DataFrame, n: int) -> np.ndarray:
    """Roster index of each account's owner (-1 = no owner, or one not in the roster)."""
    rep_keys = pd.Index(roster["rep"].astype("string").str.strip().str.casefold())
    # Casefold each distinct owner once (a million accounts have a few thousand owners).
    owner_codes, owners = pd.factorize(owner, use_na_sentinel=False)
    owner_hit = rep_keys.get_indexer(pd.Series(owners, dtype="string").str.casefold())
    return (
        np.append(owner_hit, -1)[owner_codes].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    )


def _rep_capacity(roster: pd.DataFrame) -> np.ndarray:
    """Most accounts per rep from the roster's ``capacity`` (inf without one)."""
    cap_col = (
        pd.to_numeric(roster["capacity"], errors="coerce")
        if "capacity" in roster.columns
        else pd.Series(np.nan, index=roster.index)
    )
    return cap_col.fillna(np.inf).to_numpy(dtype=float)


def _region_codes(region: pd.Series, roster: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Regions as integer codes shared by accounts and reps (-1 = none): the heap loop stays cheap."""
    rep_reg = (
        roster["region"].astype("string").str.strip().str.casefold()
        if "region" in roster.columns
        else pd.Series(pd.NA, index=roster.index, dtype="string")
    )
    # Distinct regions first, in order of appearance, so the codes are those of the whole column.
    region_codes, regions = pd.factorize(region, use_na_sentinel=False)
    folded = pd.Series(regions, dtype="string").str.casefold()
    codes, _ = pd.factorize(pd.concat([folded, rep_reg.mask(rep_reg == "")], ignore_index=True))
    acc_region = codes[: len(regions)].astype(np.int64)[region_codes]
    rep_region = codes[len(regions) :].astype(np.int64)
    return acc_region, rep_region


# --------------------------------------------------------------------------------------------
def _col_num(df: pd.DataFrame, col: str, n: int) -> np.ndarray:
    if col not in df.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _col_str(df: pd.DataFrame, col: str, n: int) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.array([pd.NA] * n, dtype="string"), index=df.index)
    s = df[col].astype("string").str.strip()
    return s.mask(s == "")


def _place_reps(roster, accounts, team_codes, team_names, value, warnings) -> np.ndarray:
    """Team index per roster rep (-1 = idle): by team name, else by motion (+ role) match.

    Reps matched by motion/role are shared across matching teams by the D'Hondt rule on team
    value, so the largest books get reps first and the split is deterministic.
    """
    lower = {t.casefold(): i for i, t in enumerate(team_names)}
    out = np.full(len(roster), -1, dtype=np.int64)
    team_col = (
        roster["team"].astype("string")
        if "team" in roster.columns
        else pd.Series(pd.NA, index=roster.index, dtype="string")
    )
    for i, t in enumerate(team_col):
        if isinstance(t, str):
            out[i] = lower.get(t.strip().casefold(), -1)
            if out[i] < 0:
                warnings.append(
                    f"Rep '{roster['rep'].iloc[i]}' is on team '{t}', which has no accounts in the plan: left idle."
                )
    pending = [i for i, t in enumerate(team_col) if not isinstance(t, str)]
    if not pending:
        return out
    tv = np.bincount(
        team_codes[team_codes >= 0], weights=value[team_codes >= 0], minlength=len(team_names)
    )
    tmotion = _team_attr(accounts, team_codes, len(team_names), "motion")
    trole = _team_attr(accounts, team_codes, len(team_names), "role")
    seats = np.bincount(out[out >= 0], minlength=len(team_names)).astype(float)
    for i in pending:
        m = _lower(roster["motion"].iloc[i]) if "motion" in roster.columns else None
        r = _lower(roster["role"].iloc[i]) if "role" in roster.columns else None
        ok = np.array(
            [(tmotion[k] == m) and (r is None or trole[k] == r) for k in range(len(team_names))],
            dtype=bool,
        )
        if not ok.any():
            warnings.append(
                f"Rep '{roster['rep'].iloc[i]}' ({m or '?'} {r or ''}) matches no team in the plan: left idle."
            )
            continue
        quotient = np.where(ok, tv / (seats + 1), -np.inf)
        k = int(np.argmax(quotient))
        out[i] = k
        seats[k] += 1
    return out


def _lower(x) -> str | None:
    return x.strip().lower() if isinstance(x, str) and x.strip() else None


def _team_attr(accounts, team_codes, k, col) -> list:
    if col not in accounts.columns:
        return [None] * k
    s = pd.Series(accounts[col].astype("string").to_numpy(dtype=object, na_value=None))
    first = s.groupby(team_codes).first()
    return [(_lower(first.get(i)) if i in first.index else None) for i in range(k)]
