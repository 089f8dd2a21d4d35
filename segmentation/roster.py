"""The rep roster: read from a CSV the user gives, or placeholders from a plan's headcount.

Both have the same shape (``rep, team, motion, role, capacity, region``), which is what
:func:`segmentation.territories.assign_territories` places on the planned teams.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.fields import MOTIONS, ROLES
from segmentation.ingest import read_table


def read_roster(source: Any) -> pd.DataFrame:
    """Read a rep roster CSV.

    Parameters
    ----------
    source : str, Path, bytes or file-like
        CSV with a ``rep`` column and either ``team`` or ``motion`` (+ optional ``role``);
        optional ``capacity`` (maximum accounts) and ``region``. Headers are case-insensitive.

    Returns
    -------
    pandas.DataFrame
        Columns ``rep, team, motion, role, capacity, region`` (missing values where not given).

    Raises
    ------
    InputError
        If the file is empty or unreadable, lacks ``rep`` or both ``team`` and ``motion``, has
        duplicate reps, or holds bad motions, roles or capacities.
    """
    df = _read_roster_file(source)
    df = _roster_headers(df)
    out = _roster_rows(df)
    out["capacity"] = _capacities(df, out)
    return out[["rep", "team", "motion", "role", "capacity", "region"]]


def _read_roster_file(source: Any) -> pd.DataFrame:
    """The roster as a text table, through the reader every other upload uses."""
    # The same reader as every other upload: encodings, delimiters, size, row and column caps.
    if hasattr(source, "read"):
        source = source.read()
        source = source if isinstance(source, bytes) else str(source).encode("utf-8")
    if isinstance(source, (bytes, bytearray)) and not bytes(source).strip():
        raise InputError(
            "The roster file is empty: give a CSV with a 'rep' column and a 'team' column."
        )
    name = "roster.csv" if isinstance(source, (bytes, bytearray)) else None
    try:
        df, info = read_table(bytes(source) if name else source, name=name)
    except InputError as error:
        raise InputError(f"The roster could not be read: {error}") from None
    return df


def _roster_headers(df: pd.DataFrame) -> pd.DataFrame:
    """Headers lower-cased with underscores, ``rep`` found (or an alias), ``team`` or ``motion`` there."""
    renamed = [c for c in df.columns if re.search(r" \(\d+\)$", str(c))]
    if renamed:  # read_table kept both of "Rep" and "rep": a roster must say which one it means
        raise InputError(
            f"The roster has columns that differ only in case or spaces ({', '.join(map(repr, renamed))} "
            "repeats an earlier header): keep one of each."
        )
    df = df.fillna("")
    headers = [str(c) for c in df.columns]
    df.columns = [c.strip().lower().replace(" ", "_") for c in headers]
    if df.columns.duplicated().any():  # "Rep" and "rep" are one column to us: say which to keep
        clash = sorted({c for c in df.columns[df.columns.duplicated()]})
        same = [h for h, c in zip(headers, df.columns) if c in clash]
        raise InputError(
            f"The roster has columns that differ only in case or spaces ({', '.join(map(repr, same))}). "
            "Keep one of each and upload it again."
        )
    if "rep" not in df.columns:
        for alias in ("rep_name", "name", "owner", "sales_rep"):
            if alias in df.columns:
                df = df.rename(columns={alias: "rep"})
                break
    if "rep" not in df.columns:
        raise InputError(
            f"The roster has no 'rep' column (found: {', '.join(df.columns) or 'none'}). "
            "Name the column with rep names 'rep'."
        )
    if "team" not in df.columns and "motion" not in df.columns:
        raise InputError(
            "The roster needs a 'team' column (a team name from the plan) or 'motion' and 'role' "
            "columns (e.g. field, farmer)."
        )
    return df


def _roster_rows(df: pd.DataFrame) -> pd.DataFrame:
    """One row per named rep (``rep, team, motion, role, region``), checked: no duplicates, known values."""
    out = pd.DataFrame(index=range(len(df)))
    for col in ("rep", "team", "motion", "role", "region"):
        vals = df[col] if col in df.columns else pd.Series([""] * len(df))
        out[col] = vals.astype("string").str.strip().replace("", pd.NA).to_numpy()
    out = out[out["rep"].notna()].reset_index(drop=True)
    if out.empty:
        raise InputError("The roster has no rep names: fill the 'rep' column.")
    dup = out["rep"].str.casefold().duplicated(keep=False)
    if dup.any():
        raise InputError(
            f"Reps listed twice in the roster: {', '.join(sorted(set(out.loc[dup, 'rep'])))}. Keep one row per rep."
        )
    out["motion"] = out["motion"].str.lower()
    out["role"] = (
        out["role"]
        .str.lower()
        .replace({"hunters": "hunter", "farmers": "farmer", "generalists": "generalist"})
    )
    bad_m = out["motion"].notna() & ~out["motion"].isin(MOTIONS)
    if bad_m.any():
        raise InputError(
            f"Unknown motion(s) in the roster: {', '.join(sorted(set(out.loc[bad_m, 'motion'])))}. Use inside or field."
        )
    bad_r = out["role"].notna() & ~out["role"].isin(ROLES)
    if bad_r.any():
        raise InputError(
            f"Unknown role(s) in the roster: {', '.join(sorted(set(out.loc[bad_r, 'role'])))}. Use hunter, farmer or generalist."
        )
    no_place = out["team"].isna() & out["motion"].isna()
    if no_place.any():
        raise InputError(
            f"Reps without a team or motion: {', '.join(out.loc[no_place, 'rep'])}. Fill 'team' or 'motion'."
        )
    return out


def _capacities(df: pd.DataFrame, out: pd.DataFrame) -> np.ndarray | float:
    """Most accounts per rep from the ``capacity`` column (NaN where blank or without one)."""
    cap_raw = (
        df.loc[df["rep"].astype(str).str.strip() != "", "capacity"]
        if "capacity" in df.columns
        else None
    )
    if cap_raw is not None:
        cap_txt = cap_raw.astype("string").str.strip().replace("", pd.NA).reset_index(drop=True)
        cap = pd.to_numeric(cap_txt.str.replace(",", ""), errors="coerce")
        # nullable comparisons leave NA where the capacity is blank: blank is not bad
        bad = ((cap_txt.notna() & cap.isna()) | (cap <= 0)).fillna(False).astype(bool)
        if bad.any():
            raise InputError(
                f"Capacity must be a positive number of accounts; check rep(s) {', '.join(out.loc[bad.to_numpy(), 'rep'])}."
            )
        return cap.to_numpy(dtype=float)
    return np.nan


def placeholder_roster(teams: pd.DataFrame) -> pd.DataFrame:
    """Invent reps for a preview: ``"<team> rep 1"`` .. ``"<team> rep N"`` from each team's headcount.

    Parameters
    ----------
    teams : pandas.DataFrame
        ``Plan.teams`` (needs ``team`` and ``headcount``; ``motion`` and ``role`` used if present).

    Returns
    -------
    pandas.DataFrame
        A roster in the shape :func:`read_roster` returns.
    """
    hc = (
        pd.to_numeric(teams["headcount"], errors="coerce")
        .fillna(0)
        .clip(lower=0)
        .astype(int)
        .to_numpy()
    )
    idx = np.repeat(np.arange(len(teams)), hc)
    num = np.concatenate([np.arange(1, k + 1) for k in hc]) if hc.sum() else np.array([], dtype=int)
    t = teams.reset_index(drop=True)
    team = t["team"].astype("string").to_numpy()[idx]

    def get(c):
        if c in t.columns:
            return t[c].astype("string").to_numpy()[idx]
        return pd.array([pd.NA] * len(idx), dtype="string")

    return pd.DataFrame(
        {
            "rep": pd.array([f"{a} rep {b}" for a, b in zip(team, num)], dtype="string"),
            "team": pd.array(team, dtype="string"),
            "motion": pd.array(get("motion"), dtype="string"),
            "role": pd.array(get("role"), dtype="string"),
            "capacity": np.full(len(idx), np.nan),
            "region": pd.array([pd.NA] * len(idx), dtype="string"),
        }
    )
