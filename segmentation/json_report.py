"""A report as JSON: every JSON file the tool writes goes through here.

report.json, compare.json and a saved plan's settings mix numpy scalars, pandas NA and
timestamps; :func:`jsonable` reduces them to plain JSON values, :func:`records` turns a table
into row dicts, :func:`report_json` gives the deterministic bytes.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd


def report_json(report: dict) -> bytes:
    """Serialise a report deterministically (key order kept, NaN as null)."""
    return (json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def records(frame: pd.DataFrame | None) -> list[dict]:
    """A table as a list of row dicts for a report, or an empty list for no table.

    Parameters
    ----------
    frame : pandas.DataFrame or None

    Returns
    -------
    list of dict
    """
    if frame is None:
        return []
    return frame.to_dict(orient="records")


def jsonable(value):
    """A report reduced to plain JSON values, for every JSON file the tool writes.

    Reports mix numpy scalars, pandas NA and timestamps: numbers become ``int`` or ``float``
    (rounded to 6 decimals; NaN and infinity become ``None``), tables lists of row dicts,
    timestamps ISO text, keys text.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.ndarray, pd.Series, pd.Index)):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)
