"""What the app's controls mean for the engine: pure functions, no streamlit (tested directly).

The pages draw widgets; these functions turn what the user entered into engine settings
(mapping overrides, columns left out, vertical renames and merges, features in or out, the
playbook inputs' bounds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from segmentation.errors import InputError
from segmentation.naming import feature_label
from segmentation.playbook import Rule

NONE = "(none)"
"""What the mapping editor shows for a field no column feeds."""


def edited_values(
    edits: Mapping, rows: Sequence[str], current: Mapping[str, object], *, column: str
) -> dict[str, object]:
    """Apply a ``st.data_editor`` delta to one column of a table keyed by row name.

    Parameters
    ----------
    edits : mapping
        The editor's session value: ``{"edited_rows": {position: {column: value}}, ...}``.
    rows : sequence of str
        The row names in the order the editor showed them.
    current : mapping
        ``{row name: value}`` before the edits.
    column : str
        The edited column to read.

    Returns
    -------
    dict
        ``{row name: value}`` after the edits; blank text and :data:`NONE` become ``None``.
    """
    out = {name: _clean(current.get(name)) for name in rows}
    for position, change in (edits.get("edited_rows") or {}).items():
        i = int(position)
        if 0 <= i < len(rows) and column in change:
            out[rows[i]] = _clean(change[column])
    return out


def _clean(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        return None if value in ("", NONE) else value
    return value


def mapping_settings(
    current: Mapping[str, str | None],
    edited: Mapping[str, str | None],
    overrides: Mapping[str, str],
    drop_columns: Sequence[str],
    *,
    required: Sequence[str] = ("account_name",),
    labels: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Turn an edited column mapping into the engine's overrides and dropped columns.

    A field set to a column becomes an override (and that column is no longer dropped); a field
    set to nothing drops the column that fed it, so inference can't pick it again.

    Parameters
    ----------
    current : mapping
        ``{field: column or None}`` as the engine mapped the file.
    edited : mapping
        ``{field: column or None}`` after the user's edits.
    overrides : mapping
        The overrides in force (``{field: column}``).
    drop_columns : sequence of str
        The columns kept out of mapping in force.
    required : sequence of str
        Fields that must keep a column.
    labels : mapping, optional
        ``{field: label}`` for messages.

    Returns
    -------
    overrides : dict
    drop_columns : list of str

    Raises
    ------
    ValueError
        A required field left without a column, or one column chosen for two fields; the
        message is for the user.
    """
    labels = labels or {}

    def name(field: str) -> str:
        return labels.get(field, field)

    for field in required:
        if field in edited and edited[field] is None:
            raise ValueError(f"{name(field)} needs a column: pick the column that holds it.")
    chosen: dict[str, str] = {}
    for field, column in edited.items():
        if column is None:
            continue
        if column in chosen:
            raise ValueError(
                f"Column '{column}' is chosen for both {name(chosen[column])} and {name(field)}: "
                "pick one."
            )
        chosen[column] = field
    out = dict(overrides)
    drop = list(drop_columns)
    for field, column in edited.items():
        before = current.get(field)
        if column == before:
            continue
        if column is None:
            out.pop(field, None)
            if before is not None and before not in drop:
                drop.append(before)
        else:
            out[field] = column
            if column in drop:
                drop.remove(column)
    # A column the user mapped can't also be dropped, nor stay an override of a field that left it.
    drop = [c for c in drop if c not in out.values()]
    return out, drop


def vertical_settings(
    names: Sequence[str],
    renames: Mapping[str, str | None],
    merges: Mapping[str, str | None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Clean the vertical editor's renames and merges into what the engine applies.

    Merges follow chains (A → B and B → C send A to C); a merge into itself or into a vertical
    that doesn't exist is dropped, and so is the rename of a vertical merged away (its
    accounts take the target's name).

    Parameters
    ----------
    names : sequence of str
        The verticals as found (before any rename or merge).
    renames : mapping
        ``{vertical: new name or None}``.
    merges : mapping
        ``{vertical: vertical it joins, or None}``.

    Returns
    -------
    renames : dict
        ``{vertical: new name}``.
    merges : dict
        ``{vertical: final vertical}``.

    Raises
    ------
    ValueError
        Merges that go round in a circle, or two verticals renamed to the same name.
    """
    known = set(names)
    direct = {
        v: t for v, t in merges.items() if v in known and t is not None and t in known and t != v
    }
    final: dict[str, str] = {}
    for vertical, first in direct.items():
        seen = [vertical]
        target = first
        while target in direct:
            if target in seen:
                raise ValueError(f"Merges go round in a circle: {' → '.join([*seen, target])}.")
            seen.append(target)
            target = direct[target]
        final[vertical] = target
    clean_renames = {
        v: str(new).strip()
        for v, new in renames.items()
        if v in known and v not in final and new is not None and str(new).strip() not in ("", v)
    }
    shown = [clean_renames.get(v, v) for v in names if v not in final]
    dup = sorted({n for n in shown if shown.count(n) > 1})
    if dup:
        raise ValueError(f"Two verticals would both be called '{dup[0]}': merge them instead.")
    return clean_renames, final


def feature_options(features: pd.DataFrame) -> dict[str, str]:
    """The customer-type features the user can switch on or off, with their labels.

    Parameters
    ----------
    features : pandas.DataFrame
        :attr:`segmentation.pipeline.Segmentation.features` (its ``attrs`` say which columns
        were left out and why, and which numeric columns are offered but off).

    Returns
    -------
    dict
        ``{feature name: label}``: the features in use, those the user left out, then the
        offered columns that are off, in the engine's order; columns that can't be used (all
        missing, constant) or are never offered (identifiers, codes, mostly blank) are not.
    """
    dropped = features.attrs.get("dropped", {})
    names = [str(c) for c in features.columns]
    names += [str(c) for c, why in dropped.items() if why == "ignored" and str(c) not in names]
    names += [str(c) for c in features.attrs.get("offered", {}) if str(c) not in names]
    return {name: feature_label(name) for name in names}


def default_features(features: pd.DataFrame) -> list[str]:
    """The features on when the user has chosen nothing (canonical fields, as a rule)."""
    return [str(c) for c in features.attrs.get("defaults", features.columns)]


def feature_settings(
    chosen: Sequence[str], options: Sequence[str], defaults: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Turn the ticked features into engine settings: ``(ignore, features)``.

    Parameters
    ----------
    chosen : sequence of str
        The features the user ticked.
    options : sequence of str
        Every feature offered (:func:`feature_options`).
    defaults : sequence of str
        The features on by default (:func:`default_features`).

    Returns
    -------
    ignore : list of str
        Features on by default that the user switched off.
    features : list of str
        Offered columns, off by default, that the user switched on.
    """
    chosen = set(chosen)
    ignore = [name for name in options if name in defaults and name not in chosen]
    features = [name for name in options if name not in defaults and name in chosen]
    return ignore, features


def unusable_features(features: pd.DataFrame) -> dict[str, str]:
    """Features the engine left out on its own (``{label: why}``), to explain the control."""
    dropped = features.attrs.get("dropped", {})
    return {feature_label(str(c)): why for c, why in dropped.items() if why != "ignored"}


def never_offered_features(features: pd.DataFrame) -> dict[str, str]:
    """Numeric columns never offered as features (``{column: why}``), to explain the control."""
    return {str(c): str(why) for c, why in features.attrs.get("not_offered", {}).items()}


def check_features(chosen: Sequence[str], options: Mapping[str, str]) -> None:
    """Refuse a feature choice the engine can't cluster on (no numeric feature left).

    Raises
    ------
    ValueError
        With a message for the user.
    """
    numeric = [name for name in options if name != "status"]
    if numeric and not any(name in numeric for name in chosen):
        raise ValueError(
            "Customer types need at least one number to work from: keep "
            + " or ".join(options[n] for n in numeric[:3])
            + "."
        )


def rule_input_bounds(rule: Rule) -> dict[str, float | None]:
    """``min_value`` and ``max_value`` for a playbook rule's number input, from its valid range.

    An open bound (a share above 0) becomes the nearest number inside it, so the input refuses
    the bound itself; no bound becomes ``None``.

    Parameters
    ----------
    rule : segmentation.playbook.Rule

    Returns
    -------
    dict
        ``{"min_value": float or None, "max_value": float or None}``.
    """
    valid = rule.valid
    low = math.nextafter(valid.low, math.inf) if valid.low_open else valid.low
    high = math.nextafter(valid.high, -math.inf) if valid.high_open else valid.high
    return {
        "min_value": None if math.isinf(valid.low) else low,
        "max_value": None if math.isinf(valid.high) else high,
    }


def rule_value_error(rule: Rule, value: float) -> str | None:
    """Why a value entered for a playbook rule is refused (``None`` when the rule may take it).

    The inputs' bounds stop most of these in the browser; a flag's 0.5, or a value set by other
    means, is caught here before it reaches the plan.
    """
    try:
        rule.checked(float(value))
    except (InputError, TypeError, ValueError) as error:
        return str(error)
    return None
