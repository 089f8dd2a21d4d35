"""Compare two saved plans: the accounts that move, and headcount, cost and bookings per team.

Reads only the stored files (``assignments.csv``, ``teams.csv``), so plans saved by an earlier
version compare with later ones; columns a plan lacks (cost and bookings before the headcount
model had them) come out as null, never as zero.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.cells import unguard_text
from segmentation.export import to_csv_bytes
from segmentation.json_report import jsonable
from segmentation.store.db import StoredPlan
from segmentation.store.plans import VALUES_FILE

KEYS = ("team", "rep", "motion", "role")
"""What makes an account "moved" between two plans."""

COMPARE_COLUMNS = (
    "account_id",
    "account_name",
    "team_a",
    "team_b",
    "rep_a",
    "rep_b",
    "motion_a",
    "motion_b",
    "role_a",
    "role_b",
    "value",
    "change",
)
"""compare.csv's columns; ``change`` is ``moved``, ``only in A`` or ``only in B``."""

MEASURES = ("accounts", "headcount", "cost", "bookings")
"""Per-team measures compared, from teams.csv."""


@dataclass
class Comparison:
    """Plan A against plan B.

    Attributes
    ----------
    a, b : str
        The plans' names.
    moves : pandas.DataFrame
        One row per account whose team, rep, motion or role differs (:data:`COMPARE_COLUMNS`).
    teams : pandas.DataFrame
        Per team: ``accounts, headcount, cost, bookings`` for A and B and the difference
        (``_a, _b, _diff``), and the accounts that moved in and out of it.
    total : dict
        The same measures over all teams.
    reps : pandas.DataFrame
        Per rep: accounts in A and B, kept, moved in and out (empty without reps).
    counts : dict
        ``moved, only_in_a, only_in_b, value_moved``.
    """

    a: str
    b: str
    moves: pd.DataFrame
    teams: pd.DataFrame
    total: dict
    reps: pd.DataFrame
    counts: dict

    def files(self) -> dict[str, bytes]:
        """``compare.csv`` and ``compare.json`` as bytes."""
        report = {
            "a": self.a,
            "b": self.b,
            "accounts": self.counts,
            "total": self.total,
            "teams": jsonable(self.teams),
            "reps": jsonable(self.reps),
        }
        text = json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n"
        return {"compare.csv": to_csv_bytes(self.moves), "compare.json": text.encode("utf-8")}

    def summary(self) -> list[str]:
        """A few lines for the terminal."""
        c, t = self.counts, self.total
        lines = [
            (
                f"Compared {self.a!r} (A) with {self.b!r} (B): {c['moved']:,} accounts change "
                f"team, rep, motion or role; {c['only_in_a']:,} only in A, "
                f"{c['only_in_b']:,} only in B."
            )
        ]
        for measure in ("headcount", "cost", "bookings"):
            a, b, diff = t[f"{measure}_a"], t[f"{measure}_b"], t[f"{measure}_diff"]
            if a is None and b is None:
                continue
            lines.append(f"{measure.capitalize()}: {_num(a)} → {_num(b)} ({_signed(diff)})")
        changed = self.teams[self.teams["headcount_diff"].fillna(0) != 0]
        for row in changed.head(8).itertuples():
            lines.append(
                f"  {row.team}: headcount {_num(row.headcount_a)} → {_num(row.headcount_b)} "
                f"({_signed(row.headcount_diff)})"
            )
        return lines


def compare_plans(a: StoredPlan, b: StoredPlan) -> Comparison:
    """Compare two saved plans.

    Parameters
    ----------
    a, b : StoredPlan
        Plan A (the baseline) and plan B; differences are B − A.

    Returns
    -------
    Comparison
    """
    left, right = _assignments(a), _assignments(b)
    both = left.merge(right, on=["account_id", "_n"], how="outer", suffixes=("_a", "_b"),
                      indicator=True, sort=False)  # fmt: skip
    for key in KEYS:
        for side in ("_a", "_b"):
            both[key + side] = both[key + side].fillna("")
    differs = np.zeros(len(both), dtype=bool)
    for key in KEYS:
        differs |= (both[f"{key}_a"] != both[f"{key}_b"]).to_numpy()
    moved = both[differs].copy()
    moved["account_name"] = moved["account_name_b"].fillna(moved["account_name_a"])
    moved["value"] = moved["value_b"].fillna(moved["value_a"])
    moved["change"] = (
        moved["_merge"]
        .map({"both": "moved", "left_only": "only in A", "right_only": "only in B"})
        .astype("str")
    )
    # Largest value first, so the list to accept or reject starts with what matters most.
    moved = moved.sort_values("value", ascending=False, kind="stable", na_position="last")
    moves = moved[list(COMPARE_COLUMNS)].reset_index(drop=True)
    counts = {
        "moved": int((moved["_merge"] == "both").sum()),
        "only_in_a": int((moved["_merge"] == "left_only").sum()),
        "only_in_b": int((moved["_merge"] == "right_only").sum()),
        # 0 when nothing moved; null when accounts moved but no plan recorded their values.
        "value_moved": _float(moved["value"].sum(min_count=1)) if len(moved) else 0.0,
    }
    teams, total = _teams(a, b, moved)
    return Comparison(a.name, b.name, moves, teams, total, _reps(both), counts)


def _assignments(plan: StoredPlan) -> pd.DataFrame:
    data = plan.outputs().get("assignments.csv")
    columns = ["account_id", "account_name", *KEYS]
    if not data:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in [*columns, "_n", "value"]})
    frame = pd.read_csv(io.BytesIO(data), dtype="str", keep_default_na=False)
    for column in columns:
        if column not in frame.columns:
            frame[column] = ""
        # Compare the values, not their spreadsheet guards; compare.csv guards them again.
        frame[column] = unguard_text(frame[column].astype("str"))
    frame = frame[columns]
    # Account ids are not always unique: the n-th row of an id pairs with the n-th in B.
    frame["_n"] = frame.groupby("account_id", sort=False).cumcount()
    frame["value"] = _values(plan, len(frame))
    return frame


def _values(plan: StoredPlan, rows: int) -> np.ndarray:
    data = plan.derived(VALUES_FILE)
    if data:
        values = pd.read_csv(io.BytesIO(data))["value"]
        if len(values) == rows:
            return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return np.full(rows, np.nan)


def _team_table(plan: StoredPlan) -> pd.DataFrame:
    data = plan.outputs().get("teams.csv")
    if not data:
        return pd.DataFrame(columns=["team"])
    teams = pd.read_csv(io.BytesIO(data), dtype={"team": "str"}, keep_default_na=False)
    teams["team"] = unguard_text(teams["team"].astype("str"))
    keep = ["team"]
    for measure in MEASURES:
        if measure in teams.columns:
            teams[measure] = pd.to_numeric(teams[measure], errors="coerce")
            keep.append(measure)
    return teams[keep].groupby("team", sort=False, as_index=False).sum(min_count=1)


def _teams(a: StoredPlan, b: StoredPlan, moved: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    sides = {"_a": _team_table(a), "_b": _team_table(b)}
    left, right = (t.rename(columns=lambda c, s=s: c if c == "team" else c + s)
                   for s, t in sides.items())  # fmt: skip
    table = left.merge(right, on="team", how="outer", sort=False)
    total = {}
    for measure in MEASURES:
        for side, source in sides.items():
            column = measure + side
            if measure in source.columns:
                # A team missing from one plan has none of it there (0, not unknown).
                table[column] = table[column].fillna(0.0)
                total[column] = _float(table[column].sum())
            else:
                table[column] = np.nan  # the plan's teams.csv has no such column: unknown
                total[column] = None
        table[measure + "_diff"] = table[measure + "_b"] - table[measure + "_a"]
        known = total[measure + "_a"] is not None and total[measure + "_b"] is not None
        total[measure + "_diff"] = (
            _float(total[measure + "_b"] - total[measure + "_a"]) if known else None
        )
    changed = moved[moved["team_a"] != moved["team_b"]]
    out_count = changed.loc[changed["team_a"] != "", "team_a"].value_counts()
    in_count = changed.loc[changed["team_b"] != "", "team_b"].value_counts()
    table["accounts_out"] = table["team"].map(out_count).fillna(0).astype(int)
    table["accounts_in"] = table["team"].map(in_count).fillna(0).astype(int)
    columns = ["team"] + [f"{m}{s}" for m in MEASURES for s in ("_a", "_b", "_diff")]
    return table[[*columns, "accounts_in", "accounts_out"]].reset_index(drop=True), total


def _reps(both: pd.DataFrame) -> pd.DataFrame:
    columns = ["rep", "accounts_a", "accounts_b", "kept", "moved_in", "moved_out"]
    rep_a, rep_b = both["rep_a"], both["rep_b"]
    names = pd.unique(pd.concat([rep_a[rep_a != ""], rep_b[rep_b != ""]]))
    if len(names) == 0:
        return pd.DataFrame(columns=columns)
    count_a = rep_a[rep_a != ""].value_counts()
    count_b = rep_b[rep_b != ""].value_counts()
    kept = rep_a[(rep_a == rep_b) & (rep_a != "")].value_counts()
    table = pd.DataFrame({"rep": pd.Series(names, dtype="str")})
    table["accounts_a"] = table["rep"].map(count_a).fillna(0).astype(int)
    table["accounts_b"] = table["rep"].map(count_b).fillna(0).astype(int)
    table["kept"] = table["rep"].map(kept).fillna(0).astype(int)
    table["moved_in"] = table["accounts_b"] - table["kept"]
    table["moved_out"] = table["accounts_a"] - table["kept"]
    # Most disrupted reps first (accounts lost, then gained), then by name for determinism.
    table = table.sort_values(["moved_out", "moved_in", "rep"], ascending=[False, False, True],
                              kind="stable")  # fmt: skip
    return table[columns].reset_index(drop=True)


def _float(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return round(number, 6)


def _num(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:,.0f}"


def _signed(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:+,.0f}"
