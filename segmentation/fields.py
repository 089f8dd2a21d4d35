"""The canonical fields the engine understands, and their roles.

A CRM export's columns are mapped onto these names (see :mod:`segmentation.schema`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One canonical field.

    Attributes
    ----------
    name : str
        Canonical name used throughout the engine.
    kind : {"id", "text", "category", "money", "count", "date"}
        How values are parsed.
    label : str
        What a sales leader calls it.
    required : bool
        Whether the pipeline refuses to run without it.
    """

    name: str
    kind: str
    label: str
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field("account_id", "id", "Account ID"),
    Field("account_name", "text", "Account name", required=True),
    Field("industry", "category", "Industry"),
    Field("employees", "count", "Employees"),
    Field("annual_revenue", "money", "Annual revenue"),
    Field("deal_size", "money", "Typical deal size"),
    Field("status", "category", "Status (customer / prospect / ...)"),
    Field("owner", "text", "Account owner"),
    Field("country", "category", "Country"),
    Field("region", "category", "Region / state"),
    Field("created", "date", "Created date"),
    Field("parent_id", "id", "Parent account"),
    Field("website", "text", "Website / domain"),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

MONEY_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "money")
"""Fields holding amounts of money: their scale and currency are read (``units`` in the report)."""

NON_NEGATIVE_FIELDS: frozenset[str] = frozenset({"employees", "annual_revenue", "deal_size"})
"""Fields that cannot be negative: a negative value there is an error, blanked and counted."""

STATUSES: tuple[str, ...] = ("customer", "prospect", "former", "partner", "other")
"""Normalised account statuses; ``other`` holds anything unrecognised (counted)."""

STATUS_PLURALS: dict[str, str] = {
    "customer": "customers",
    "prospect": "prospects",
    "former": "former customers",
    "partner": "partners",
    "other": "accounts",
}
"""How a group of accounts of one status is said ("mostly former customers")."""

MOTIONS: tuple[str, ...] = ("digital", "inside", "field")
"""Sales motions, from the lightest touch to the heaviest."""

ROLES: tuple[str, ...] = ("hunter", "farmer", "generalist")
"""Sales roles: new logos, account management, or both."""

MOTION_LABELS: dict[str, str] = {"digital": "Digital", "inside": "Inside", "field": "Field"}
ROLE_LABELS: dict[str, str] = {
    "hunter": "Hunters",
    "farmer": "Farmers",
    "generalist": "Generalists",
}
"""How team names and charts say a motion and a role (plural: a team of them)."""
