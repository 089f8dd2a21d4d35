"""What a first look at an upload should tell the user: key fields missing, mappings that look wrong.

The mapping is found by headers and content; these checks read the result as a user would, so
the Data page (and ``inspect``) can say "only 2 of the 5 fields a plan leans on were found" or
"Employees is read from a checksum column" before anyone trusts a plan built on it.
"""

from __future__ import annotations

from segmentation.features import never_offered
from segmentation.fields import FIELDS_BY_NAME, MONEY_FIELDS
from segmentation.schema import Mapping

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "account name": ("account_name",),
    "industry": ("industry",),
    "company size (employees)": ("employees",),
    "revenue or deal size": ("annual_revenue", "deal_size"),
    "status (customer / prospect)": ("status",),
}
"""The fields a plan leans on; a group counts as found when any of its fields is mapped."""

KEY_FIELDS_ENOUGH = 4
"""Fewer key fields than this and the plan is mostly guesswork: the user is told first."""

_NUMBER_FIELDS = ("employees", "annual_revenue", "deal_size")
_NOT_FOR_MONEY = ("code", "identifier")  # content tests that real revenue columns can pass


def missing_key_fields(mapping: Mapping) -> list[str]:
    """The key fields (:data:`KEY_FIELDS`) the mapping did not find, in their order.

    Parameters
    ----------
    mapping : Mapping
        From :func:`segmentation.schema.infer_mapping`.

    Returns
    -------
    list of str
        Plain names of the missing groups, e.g. ``["industry", "status (customer / prospect)"]``.
    """
    return [
        name for name, fields in KEY_FIELDS.items() if not any(f in mapping.columns for f in fields)
    ]


def key_fields_alert(mapping: Mapping) -> str | None:
    """A sentence for the user when fewer than :data:`KEY_FIELDS_ENOUGH` key fields were found."""
    missing = missing_key_fields(mapping)
    found = len(KEY_FIELDS) - len(missing)
    if found >= KEY_FIELDS_ENOUGH:
        return None
    return (
        f"Only {found} of the {len(KEY_FIELDS)} fields a plan leans on were found; missing: "
        f"{', '.join(missing)}. If your file has them under other names, map them below; "
        "otherwise the segments and the plan rest on what is there, and say so."
    )


def mapping_doubts(raw, mapping: Mapping, accounts) -> list[str]:
    """Mappings that look wrong by their content: a number field read from an identifier,
    a checksum, a code, a row number, or a column that is mostly blank.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file as read (text cells).
    mapping : Mapping
        The mapping in use.
    accounts : pandas.DataFrame
        The canonical accounts (numbers parsed).

    Returns
    -------
    list of str
        One sentence per doubtful mapping, naming the field, the column and why.
    """
    doubts = []
    for field_name in _NUMBER_FIELDS:
        column = mapping.columns.get(field_name)
        if column is None or field_name not in accounts.columns:
            continue
        values = accounts[field_name].to_numpy(dtype="float64", na_value=float("nan"))
        why = never_offered(str(column), values, raw[column].reset_index(drop=True))
        if why and field_name in MONEY_FIELDS and why.startswith(_NOT_FOR_MONEY):
            why = None  # amounts of one order of magnitude share a width and are often unique
        if why:
            doubts.append(
                f"{FIELDS_BY_NAME[field_name].label} is read from {column!r}: {why}. "
                "Check the mapping."
            )
    return doubts
