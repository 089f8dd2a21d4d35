"""Data-quality report: how complete and trustworthy the uploaded accounts are.

Everything returned is plain JSON (ints, floats, strings, lists, dicts) so the app, the CLI
and exports can show it as is. ``findings`` are sentences a sales leader can act on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation.accounts import PreparedAccounts
from segmentation.company_keys import normalise_name, website_domain
from segmentation.fields import FIELDS_BY_NAME
from segmentation.schema import Mapping

_NUMERIC_FIELDS = ("employees", "annual_revenue", "deal_size")


def quality_report(raw: pd.DataFrame, mapping: Mapping, prepared: PreparedAccounts) -> dict:
    """Summarise completeness, parse problems, outliers, duplicates and hierarchy.

    Parameters
    ----------
    raw : pandas.DataFrame
        The all-text table as read.
    mapping : Mapping
        The column mapping used.
    prepared : PreparedAccounts
        The cleaned accounts.

    Returns
    -------
    dict
        ``rows``, ``columns`` (per mapped field: column, fill_rate, parse_failures,
        negatives, sentinels, outliers), ``extra_features`` (same for feature columns),
        ``duplicates``, ``hierarchy``, ``exact_duplicate_rows`` and ``findings``.
    """
    acc = prepared.accounts
    n = len(acc)
    changes = _changes_by_column(prepared.changes)
    columns: dict[str, dict] = {}
    for f, col in mapping.columns.items():
        raw_col = raw[col] if col in raw.columns else pd.Series(dtype="str")
        filled = int(acc[f].notna().sum()) if f in acc.columns else 0
        entry = {
            "column": col,
            "label": FIELDS_BY_NAME[f].label,
            "filled": filled,
            "fill_rate": _rate(filled, n),
            "raw_filled": int(raw_col.notna().sum()),
            **_problem_counts(changes.get(col, [])),
        }
        if f in _NUMERIC_FIELDS:
            entry["outliers"] = _outliers(acc[f], acc["account_name"])
        columns[f] = entry
    extras = {}
    for c in prepared.extra_features.columns:
        values = prepared.extra_features[c]
        extras[c] = {
            "filled": int(values.notna().sum()),
            "fill_rate": _rate(int(values.notna().sum()), n),
            **_problem_counts(changes.get(c, [])),
            "outliers": _outliers(values, acc["account_name"]),
        }
    exact = _exact_duplicate_rows(raw)
    dupes = _duplicates(acc, "account_id" in mapping.columns)
    hierarchy = _hierarchy(acc)
    report = {
        "rows": n,
        "columns": columns,
        "extra_features": extras,
        "unmapped_fields": [f for f in FIELDS_BY_NAME if f not in mapping.columns],
        "exact_duplicate_rows": exact,
        "duplicates": dupes,
        "hierarchy": hierarchy,
        "cleaning_warnings": list(prepared.warnings),
    }
    report["findings"] = _findings(report, mapping)
    return report


def _rate(k: int, n: int) -> float:
    return round(k / n, 4) if n else 0.0


def _changes_by_column(changes: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ch in changes:
        if ch.get("column"):
            out.setdefault(ch["column"], []).append(ch)
    return out


def _problem_counts(changes: list[dict]) -> dict:
    def total(word: str) -> int:
        return int(sum(c["count"] for c in changes if word in c["what"]))

    return {
        "parse_failures": total("could not be read"),
        "negatives": total("negative"),
        "sentinels": total("placeholder"),
        "missing_tokens": total("missing-value text"),
        "ranges": total("range"),
        "unknown_status": total("unrecognised status"),
    }


def _outliers(values: pd.Series, names: pd.Series) -> dict:
    """Values above Q3 + 3·IQR on the log scale (money and counts are heavily skewed)."""
    positive = values[values > 0]
    if len(positive) < 8:
        return {"count": 0, "threshold": None, "examples": []}
    logs = np.log10(positive)
    q1, q3 = logs.quantile([0.25, 0.75])
    limit = q3 + 3 * (q3 - q1)
    high = positive[logs > limit].sort_values(ascending=False)
    examples = [
        {"account_name": str(names.loc[i]), "value": float(v)} for i, v in high.head(5).items()
    ]
    # float power: 10**limit with a Python float overflows (OverflowError) past 1e308, where
    # a file holds absurd values such as 1e300 employees; numpy gives inf, reported as null.
    with np.errstate(over="ignore"):
        threshold = float(np.power(10.0, limit))
    return {"count": int(len(high)), "threshold": threshold, "examples": examples}


def _duplicates(acc: pd.DataFrame, has_ids: bool) -> dict:
    out = {}
    if has_ids:
        out["same_id"] = _groups(acc["account_id"], acc["account_name"])
    out["same_name"] = _groups(normalise_name(acc["account_name"]), acc["account_name"])
    out["same_website"] = _groups(website_domain(acc["website"]), acc["account_name"])
    return out


def _groups(key: pd.Series, names: pd.Series) -> dict:
    """Keys shared by more than one row: how many, and the largest groups as examples.

    Groups are ordered by size, ties by first appearance. One hash pass over ``key``
    (``pd.factorize``) and integer counting; ``key`` and ``names`` are aligned row by row.
    """
    codes, uniques = pd.factorize(key, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    dup = np.flatnonzero(counts > 1)
    dup = dup[np.argsort(-counts[dup], kind="stable")]
    examples = []
    top = dup[:5]
    if len(top):
        rows = np.flatnonzero(np.isin(codes, top))
        for code in top:
            members = names.iloc[rows[codes[rows] == code][:5]].astype(str).tolist()
            examples.append(
                {"key": str(uniques[code]), "count": int(counts[code]), "accounts": members}
            )
    return {
        "groups": len(dup),
        "rows": int(counts[dup].sum()),
        "examples": examples,
    }


def _hierarchy(acc: pd.DataFrame) -> dict:
    parent = acc["parent_id"].dropna()
    if parent.empty:
        return {"with_parent": 0, "parent_in_file": 0, "parent_missing": 0, "parents": 0}
    # Arrow's hash lookup: pandas' str ``isin`` walks the value set in Python (10 s at 1M rows).
    known = pc.unique(
        pa.chunked_array(
            [_arrow_text(acc["account_id"].dropna()), _arrow_text(acc["account_name"].dropna())],
            type=pa.large_string(),
        )
    )
    found = pc.is_in(_arrow_text(parent), value_set=known).to_numpy(zero_copy_only=False)
    return {
        "with_parent": len(parent),
        "parent_in_file": int(found.sum()),
        "parent_missing": int((~found).sum()),
        "parents": int(parent[found].nunique()),
    }


def _arrow_text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("str"), from_pandas=True).cast(pa.large_string())


def _exact_duplicate_rows(raw: pd.DataFrame) -> int:
    """Rows that repeat an earlier row exactly: ``int(raw.duplicated().sum())``, cheaply.

    A repeated row repeats its value in every column, so only rows whose value in a
    high-cardinality column occurs more than once can be copies; the full-row comparison runs
    on those few (the same rows in the same order, so the count is the same).
    """
    n = len(raw)
    if n < 2 or raw.shape[1] == 0:
        return 0
    head = raw.iloc[: min(n, 2000)]
    order = sorted(range(raw.shape[1]), key=lambda i: -head.iloc[:, i].nunique(dropna=False))
    candidates = np.arange(n)
    for i in order[:3]:
        if len(candidates) <= 5000:
            break
        column = raw.iloc[candidates, i]
        candidates = candidates[column.duplicated(keep=False).to_numpy()]
    if len(candidates) < 2:
        return 0
    return int(raw.iloc[candidates].duplicated().sum())


def _findings(report: dict, mapping: Mapping) -> list[str]:
    n = report["rows"]
    out = [f"{n:,} accounts read; {len(mapping.columns)} of {len(FIELDS_BY_NAME)} fields found."]
    for f, info in report["columns"].items():
        if f in ("account_id", "account_name"):
            continue
        if info["fill_rate"] < 0.5 and f not in ("parent_id", "website", "created"):
            out.append(
                f"{info['label']} ({info['column']!r}) is filled for only "
                f"{info['fill_rate']:.0%} of accounts; segments will lean on other fields."
            )
        bad = info["parse_failures"] + info["negatives"] + info["sentinels"]
        if bad:
            out.append(
                f"{bad} {info['label'].lower()} values were unreadable, negative or placeholders "
                "and were treated as missing."
            )
        if info.get("outliers", {}).get("count"):
            o = info["outliers"]
            out.append(
                f"{o['count']} accounts have unusually large {info['label'].lower()} "
                f"(above {o['threshold']:,.0f}), e.g. {o['examples'][0]['account_name']}."
            )
    for c, info in report["extra_features"].items():
        bad = info["parse_failures"] + info["negatives"] + info["sentinels"]
        if bad:
            out.append(
                f"{bad} {c} values were unreadable, negative or placeholders and were treated as missing."
            )
    missing = [FIELDS_BY_NAME[f].label for f in report["unmapped_fields"]]
    if missing:
        out.append("Not in this file: " + ", ".join(missing) + ".")
    d = report["duplicates"]
    if report["exact_duplicate_rows"]:
        out.append(f"{report['exact_duplicate_rows']} rows are exact copies of an earlier row.")
    if d.get("same_id", {}).get("groups"):
        out.append(
            f"{d['same_id']['rows']} rows share an account ID with another row ({d['same_id']['groups']} IDs)."
        )
    if d["same_name"]["groups"]:
        ex = d["same_name"]["examples"][0]["accounts"]
        out.append(
            f"{d['same_name']['rows']} accounts share a name with another account "
            f"(e.g. {' / '.join(ex[:2])}): possible duplicates to merge."
        )
    if d["same_website"]["groups"]:
        ex = d["same_website"]["examples"][0]
        out.append(
            f"{d['same_website']['rows']} accounts share a website domain with another account "
            f"(e.g. {ex['key']}): subsidiaries or duplicates."
        )
    h = report["hierarchy"]
    if h["with_parent"]:
        out.append(
            f"{h['with_parent']} accounts name a parent account; "
            f"{h['parent_in_file']} of those parents are in this file."
        )
    return out
