"""Small helpers the planner modules share: empty frames, numbers, text for reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.naming import format_money
from segmentation.playbook import Playbook


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _check_columns(frame: pd.DataFrame | None, needed: tuple[str, ...], name: str) -> None:
    if frame is None:
        return
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        raise InputError(f"The {name} table lacks column(s) {', '.join(lacking)}.")


def _has_deal_sizes(accounts: pd.DataFrame | None) -> bool:
    return accounts is not None and "deal_size" in accounts.columns


def _column(accounts: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(accounts[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _pval(p: float) -> str:
    if not np.isfinite(p):
        return "p unknown"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _money_text(x: float) -> str:
    return format_money(x, missing="unknown")


def _pct(x: float) -> str:
    return "unknown" if not np.isfinite(x) else f"{x:.0%}"


def _sources(rule_ids: str, pb: Playbook) -> str:
    seen = dict.fromkeys(
        f"[{pb.rules[r].confidence}] {pb.rules[r].source}"
        for r in (x.strip() for x in rule_ids.split(","))
        if r
    )
    return "; ".join(seen)
