"""Deterministic, realistic CRM sample data with planted segments.

:func:`generate_accounts` builds what a sales-operations analyst downloads from a Salesforce
*Accounts* report (every cell a string, as a CSV holds it), plus a ``truth`` frame saying which
planted segment and vertical each account was drawn from, so tests and demos can check that the
app recovers them. :func:`generate_opportunities` builds the matching deals export.

Everything is vectorised (numpy, and pyarrow for the string columns, which is pandas 3's own
string storage): one million accounts take a few seconds. The same
``(n, seed, dirty)`` always gives the same frames; ``dirty`` only overlays mess on top of the
clean draw (the two random streams are independent), so ``dirty=False`` is the dirty frame
with its mess removed.

Planted customer types
----------------------
Five types with different size, deal and status profiles (:data:`CUSTOMER_TYPES`). Employees,
revenue per employee and average deal size are log-normal around each type's medians; the
clusters overlap a little but separate on a log scale. Measured on 100,000 clean accounts of
the "plain" verticals, as 5th percentile / median / 95th percentile:

``enterprise`` (12% of accounts): employees 1.4K / 6K / 26K; revenue $190M / $1B / $5.5B;
    average deal $67K / $149K / $344K; Type "Customer - Direct" 85%, "Customer - Channel" 15%.
``mid_market`` (23%): employees 130 / 350 / 960; revenue $15M / $53M / $180M;
    deal $16K / $32K / $65K; "Customer - Direct" 62%, "Customer - Channel" 33%,
    "Channel Partner / Reseller" 3%, "Installation Partner" 2%.
``smb_prospect`` (37%): employees 8 / 25 / 78; revenue $0.8M / $3.2M / $13M;
    deal $1.7K / $3.5K / $7.1K; "Prospect" 95%, "Other" 5%.
``smb_self_serve`` (16%): employees 3 / 9 / 29; revenue $0.24M / $1M / $4M;
    deal $410 / $700 / $1.2K; "Customer - Direct" 97%, "Other" 3%.
``former`` (12%): employees 115 / 375 / 1.3K; revenue $13M / $53M / $216M;
    deal $8.4K / $20K / $49K; "Former Customer" 100%.

Former customers look like mid-market accounts in size; what sets them apart is their status
(and older accounts). Revenue is employees times revenue per employee, so the two correlate;
deal size rises slowly with company size within a type. Shares are overall (after the vertical
tilts below); :attr:`CustomerType.share` holds the base shares.

Planted verticals
-----------------
Eight verticals plus a long tail (:data:`VERTICALS`). Each account's ``Industry`` is drawn from
several labels per vertical (the first listed is the most common); the ``truth`` frame holds
the canonical vertical name. Shares are of all accounts.

``Technology`` (18%): Technology, Information Technology, Computer Software, Software,
    Electronics.
``Healthcare`` (12%): Healthcare, Health Care, Hospital & Health Care, Biotechnology,
    Pharmaceuticals, Medical Devices.
``Financial Services`` (12%): Finance, Banking, Insurance, Financial Services.
``Manufacturing`` (14%): Manufacturing, Machinery, Chemicals, Engineering, Industrial Automation.
``Retail`` (11%): Retail, Apparel, Consumer Goods.
``Education`` (8%): Education, Higher Education, E-Learning.
``Government`` (6%): Government, Government Administration, Public Sector.
``Energy`` (7%): Energy, Utilities, Oil & Energy, Environmental.
``Other`` (12%, the long tail, no planted profile): Agriculture, Construction, Consulting,
    Entertainment, Food & Beverage, Hospitality, Media, Telecommunications, Communications,
    Recreation, Shipping, Transportation, Not For Profit, Other.

Each planted vertical's labels are ones any sensible taxonomy files under it; labels that
taxonomies disagree on (Telecommunications: technology or media? Food & Beverage: retail or
agriculture?) sit in the long tail, so a recovered vertical can be scored against the truth.

Labels outside the standard Salesforce picklist (:data:`INDUSTRY_PICKLIST`), such as
"Hospital & Health Care" or "Financial Services", are what customised org picklists and
LinkedIn-style enrichment put in the field.

Healthcare (employees x1.6, deals x1.8) and Financial Services (employees x1.5, revenue per
employee x1.6, deals x2.0) call for different coverage: bigger companies, bigger deals, and about
twice the enterprise share. Government has somewhat larger deals (x1.3) and Education smaller
(x0.75); both have few self-serve accounts. Company names lean on vertical words ("Capital",
"Health", "Energy"...) about half the time; Government and Education names carry no legal suffix.

Dirt (``dirty=True``)
---------------------
Rates are in :data:`DIRT_RATES` (shares of all rows unless said otherwise); every row keeps its
planted truth whatever the dirt:

- Industry: 3% blank; 4% case/spacing variants ("technology", " Technology ", "TECHNOLOGY",
  "Technology "); typos in 1.5% of the rows whose label has a known misspelling, about 0.8% of
  all rows ("Technolgy", "Helthcare", "Finanace"... see :data:`INDUSTRY_TYPOS`).
- Employees: 2% blank, 0.3% the "999999" sentinel.
- Annual Revenue: 1.5% blank, 0.3% negative ("USD -1,250,000.00"), 10% typed compactly
  ("$1.2M", "850K"). Average Deal Size: 1% blank, 5% compact.
- Billing Country: "USA" / "US" / "UK" for 3% of the United States and United Kingdom rows.
- Website: 4% blank, 10% "https://www....", 5% bare domain.
- Account Name: 0.4% of rows (at least one) copy another row's name (and website).

With ``dirty=False`` every cell is filled, money is always "USD 1,234.00", websites are
"www.<domain>" and account names are unique.

Opportunities
-------------
About 2 + Poisson deals per customer (means: enterprise 5.5, mid-market 4.5, self-serve and
former 3.5, partners 2), about one per prospect. Customers' and former customers' first deal is
Closed Won; prospects never win. Amounts scatter (log sigma 0.35) around the account's Average
Deal Size. About 1% of deals point at an account id that exists nowhere (orphans) and about
0.5% name a product outside :data:`PRODUCT_LINES` (:data:`UNKNOWN_PRODUCTS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segmentation.errors import InputError

__all__ = [
    "ACCOUNT_OWNERS",
    "CUSTOMER_TYPES",
    "DIRT_RATES",
    "EXPORT_COLUMNS",
    "INDUSTRY_PICKLIST",
    "INDUSTRY_TYPOS",
    "OPPORTUNITY_COLUMNS",
    "PRODUCT_LINES",
    "REFERENCE_DATE",
    "STAGES",
    "TRUTH_COLUMNS",
    "TYPE_PICKLIST",
    "TYPE_STATUS",
    "UNKNOWN_PRODUCTS",
    "VERTICALS",
    "CustomerType",
    "Vertical",
    "generate_accounts",
    "generate_opportunities",
]

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

REFERENCE_DATE = np.datetime64("2026-06-30", "D")
""""Today" for the sample: accounts are created before it, open deals close after it."""

EXPORT_COLUMNS: tuple[str, ...] = (
    "Account ID",
    "Account Name",
    "Industry",
    "Type",
    "Employees",
    "Annual Revenue",
    "Average Deal Size",
    "Account Owner",
    "Billing State/Province",
    "Billing Country",
    "Website",
    "Created Date",
)
"""Columns of the accounts export, Salesforce report labels, in order."""

TRUTH_COLUMNS: tuple[str, ...] = ("account_id", "customer_type", "vertical", "status")

OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "Opportunity ID",
    "Account ID",
    "Account Name",
    "Opportunity Name",
    "Stage",
    "Amount",
    "Close Date",
    "Created Date",
    "Product",
    "Opportunity Owner",
)

INDUSTRY_PICKLIST: tuple[str, ...] = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
"""The standard Salesforce Account ``Industry`` picklist."""

TYPE_PICKLIST: tuple[str, ...] = (
    "Customer - Direct",
    "Customer - Channel",
    "Prospect",
    "Former Customer",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Other",
)
"""The standard Salesforce Account ``Type`` picklist."""

TYPE_STATUS: dict[str, str] = {
    "Customer - Direct": "customer",
    "Customer - Channel": "customer",
    "Prospect": "prospect",
    "Former Customer": "former",
    "Channel Partner / Reseller": "partner",
    "Installation Partner": "partner",
    "Other": "other",
}
"""Salesforce ``Type`` -> normalised status (see :data:`segmentation.fields.STATUSES`)."""

STAGES: tuple[str, ...] = (
    "Closed Won",
    "Closed Lost",
    "Prospecting",
    "Qualification",
    "Proposal/Price Quote",
    "Negotiation/Review",
)

PRODUCT_LINES: tuple[str, ...] = (
    "Core Platform",
    "Analytics",
    "Integrations",
    "Security",
    "Premium Support",
    "Professional Services",
)

UNKNOWN_PRODUCTS: tuple[str, ...] = ("Legacy Suite", "Misc Services", "TBD", "Pilot Program")
"""Product names outside :data:`PRODUCT_LINES`, planted in about 0.5% of deals."""

DIRT_RATES: dict[str, float] = {
    "industry_blank": 0.03,
    "industry_case_spacing": 0.04,
    "industry_typo": 0.015,
    "employees_blank": 0.02,
    "employees_sentinel": 0.003,
    "revenue_blank": 0.015,
    "revenue_negative": 0.003,
    "revenue_compact": 0.10,
    "deal_blank": 0.01,
    "deal_compact": 0.05,
    "country_alias": 0.03,
    "website_blank": 0.04,
    "website_https": 0.10,
    "website_bare": 0.05,
    "duplicate_names": 0.004,
}
"""Share of rows hit by each kind of dirt when ``dirty=True``."""

EMPLOYEES_SENTINEL = "999999"

INDUSTRY_TYPOS: dict[str, tuple[str, ...]] = {
    "Technology": ("Technolgy", "Techology"),
    "Healthcare": ("Helthcare", "Healtcare"),
    "Finance": ("Finanace",),
    "Financial Services": ("Finanical Services",),
    "Banking": ("Bankng",),
    "Insurance": ("Insurence",),
    "Manufacturing": ("Manufacturng", "Manufactoring"),
    "Retail": ("Retial",),
    "Education": ("Eduction",),
    "Government": ("Goverment",),
    "Energy": ("Enery",),
    "Telecommunications": ("Telecomunications",),
    "Biotechnology": ("Biotechnolgy",),
}
"""Misspellings planted (dirty only) for labels that have one."""


@dataclass(frozen=True)
class CustomerType:
    """A planted customer type: who the accounts are and how they buy.

    Attributes
    ----------
    key : str
        Name in the ``truth`` frame.
    label : str
        What a sales leader would call the group.
    share : float
        Share of accounts before vertical tilts.
    employees_median, employees_sigma : float
        Log-normal employees (median, log-space standard deviation).
    revenue_per_employee : float
        Median annual revenue per employee in USD (log sigma 0.45).
    deal_median, deal_sigma : float
        Log-normal average deal size in USD.
    types : dict of str to float
        Salesforce ``Type`` picklist value -> probability.
    age_years : tuple of (float, float, float)
        Account age at :data:`REFERENCE_DATE`: ``(min, max, skew)``; ``skew > 1`` favours young.
    deals : tuple of (int, float)
        Opportunities per account: ``base + Poisson(lam)``.
    cycle_days : float
        Median sales cycle (created -> close) of its deals.
    """

    key: str
    label: str
    share: float
    employees_median: float
    employees_sigma: float
    revenue_per_employee: float
    deal_median: float
    deal_sigma: float
    types: dict[str, float]
    age_years: tuple[float, float, float]
    deals: tuple[int, float]
    cycle_days: float


CUSTOMER_TYPES: tuple[CustomerType, ...] = (
    CustomerType(
        "enterprise",
        "Enterprise customers",
        0.10,
        6000,
        0.9,
        170_000,
        150_000,
        0.45,
        {"Customer - Direct": 0.85, "Customer - Channel": 0.15},
        (1.0, 14.0, 1.0),
        (3, 2.5),
        120,
    ),
    CustomerType(
        "mid_market",
        "Mid-market customers",
        0.22,
        350,
        0.6,
        150_000,
        32_000,
        0.4,
        {
            "Customer - Direct": 0.62,
            "Customer - Channel": 0.33,
            "Channel Partner / Reseller": 0.03,
            "Installation Partner": 0.02,
        },
        (0.3, 12.0, 1.2),
        (2, 2.5),
        60,
    ),
    CustomerType(
        "smb_prospect",
        "SMB prospects",
        0.36,
        25,
        0.7,
        130_000,
        3_500,
        0.4,
        {"Prospect": 0.95, "Other": 0.05},
        (0.0, 8.0, 2.0),
        (0, 1.0),
        30,
    ),
    CustomerType(
        "smb_self_serve",
        "SMB self-serve customers",
        0.20,
        9,
        0.7,
        110_000,
        700,
        0.28,
        {"Customer - Direct": 0.97, "Other": 0.03},
        (0.0, 6.0, 1.7),
        (2, 1.5),
        7,
    ),
    CustomerType(
        "former",
        "Former customers",
        0.12,
        380,
        0.75,
        140_000,
        20_000,
        0.5,
        {"Former Customer": 1.0},
        (3.0, 14.0, 1.0),
        (2, 1.5),
        60,
    ),
)
"""The planted customer types (see the module docstring)."""


@dataclass(frozen=True)
class Vertical:
    """A planted vertical: its canonical name and the Industry labels it hides behind.

    Attributes
    ----------
    name : str
        Canonical name in the ``truth`` frame.
    share : float
        Share of accounts.
    labels : dict of str to float
        Industry label -> weight (normalised).
    employees_mult, revenue_mult, deal_mult : float
        Multipliers on the customer type's medians.
    type_tilt : dict of str to float
        Customer type key -> multiplier on its share within this vertical.
    name_words : tuple of str
        Second words of company names typical of the vertical.
    legal_suffix : bool
        Whether names carry Inc / Ltd / GmbH... (not for public bodies and schools).
    """

    name: str
    share: float
    labels: dict[str, float]
    employees_mult: float = 1.0
    revenue_mult: float = 1.0
    deal_mult: float = 1.0
    type_tilt: dict[str, float] = field(default_factory=dict)
    name_words: tuple[str, ...] = ()
    legal_suffix: bool = True


VERTICALS: tuple[Vertical, ...] = (
    Vertical(
        "Technology",
        0.18,
        {
            "Technology": 0.50,
            "Information Technology": 0.15,
            "Computer Software": 0.12,
            "Software": 0.10,
            "Electronics": 0.13,
        },
        name_words=(
            "Software",
            "Cloud",
            "Data",
            "Tech",
            "Computing",
            "Cyber",
            "Semiconductor",
            "Robotics",
            "Devices",
            "Networks",
        ),
    ),
    Vertical(
        "Healthcare",
        0.12,
        {
            "Healthcare": 0.40,
            "Health Care": 0.15,
            "Hospital & Health Care": 0.15,
            "Biotechnology": 0.15,
            "Pharmaceuticals": 0.10,
            "Medical Devices": 0.05,
        },
        employees_mult=1.6,
        deal_mult=1.8,
        type_tilt={"enterprise": 2.0, "mid_market": 1.2, "smb_self_serve": 0.6},
        name_words=(
            "Health",
            "Medical",
            "Pharma",
            "Biosciences",
            "Therapeutics",
            "Clinics",
            "Diagnostics",
            "Care",
            "Biologics",
        ),
    ),
    Vertical(
        "Financial Services",
        0.12,
        {"Finance": 0.30, "Banking": 0.25, "Insurance": 0.20, "Financial Services": 0.25},
        employees_mult=1.5,
        revenue_mult=1.6,
        deal_mult=2.0,
        type_tilt={"enterprise": 2.2, "mid_market": 1.2, "smb_self_serve": 0.6},
        name_words=(
            "Capital",
            "Financial",
            "Bancorp",
            "Insurance",
            "Investments",
            "Credit",
            "Securities",
            "Trust",
            "Wealth",
            "Assurance",
        ),
    ),
    Vertical(
        "Manufacturing",
        0.14,
        {
            "Manufacturing": 0.45,
            "Machinery": 0.20,
            "Chemicals": 0.15,
            "Engineering": 0.15,
            "Industrial Automation": 0.05,
        },
        name_words=(
            "Manufacturing",
            "Industries",
            "Machinery",
            "Fabrication",
            "Materials",
            "Components",
            "Tooling",
            "Plastics",
            "Metals",
            "Chemicals",
        ),
    ),
    Vertical(
        "Retail",
        0.11,
        {"Retail": 0.60, "Apparel": 0.22, "Consumer Goods": 0.18},
        name_words=(
            "Retail",
            "Foods",
            "Apparel",
            "Brands",
            "Outfitters",
            "Goods",
            "Markets",
            "Stores",
            "Beverages",
            "Home",
        ),
    ),
    Vertical(
        "Education",
        0.08,
        {"Education": 0.60, "Higher Education": 0.25, "E-Learning": 0.15},
        deal_mult=0.75,
        type_tilt={"smb_self_serve": 0.3},
        name_words=(
            "Learning",
            "Academy",
            "College",
            "Schools",
            "Institute",
            "Training",
            "University",
        ),
        legal_suffix=False,
    ),
    Vertical(
        "Government",
        0.06,
        {"Government": 0.60, "Government Administration": 0.25, "Public Sector": 0.15},
        employees_mult=1.3,
        deal_mult=1.3,
        type_tilt={"smb_self_serve": 0.2},
        name_words=(
            "Authority",
            "Agency",
            "Commission",
            "Council",
            "District",
            "Department",
            "Transit",
            "Municipality",
        ),
        legal_suffix=False,
    ),
    Vertical(
        "Energy",
        0.07,
        {"Energy": 0.45, "Utilities": 0.35, "Oil & Energy": 0.10, "Environmental": 0.10},
        name_words=(
            "Energy",
            "Power",
            "Utilities",
            "Solar",
            "Petroleum",
            "Oil",
            "Gas",
            "Renewables",
            "Electric",
            "Grid",
        ),
    ),
    Vertical(
        "Other",
        0.12,
        {
            "Agriculture": 0.08,
            "Construction": 0.10,
            "Consulting": 0.12,
            "Entertainment": 0.06,
            "Food & Beverage": 0.08,
            "Hospitality": 0.08,
            "Media": 0.07,
            "Telecommunications": 0.06,
            "Communications": 0.03,
            "Recreation": 0.04,
            "Shipping": 0.05,
            "Transportation": 0.08,
            "Not For Profit": 0.07,
            "Other": 0.08,
        },
    ),
)
"""The planted verticals (see the module docstring)."""

ACCOUNT_OWNERS: dict[str, tuple[str, ...]] = {
    "enterprise": (
        "Margaret Chen",
        "David Okafor",
        "Rachel Goldberg",
        "James Whitfield",
        "Priya Raman",
    ),
    "mid_market": (
        "Carlos Mendoza",
        "Emily Larsen",
        "Marcus Johnson",
        "Sophie Müller",
        "Kevin O'Brien",
        "Aisha Khan",
        "Tom Becker",
        "Laura Rossi",
    ),
    "inside": (
        "Jake Peterson",
        "Nina Petrova",
        "Brian Walsh",
        "Mei Lin",
        "Diego Hernández",
        "Hannah Schmidt",
        "Tyler Brooks",
        "Zoë Turner",
    ),
    "digital": ("Sam Patel", "Chloe Dubois"),
    "partner": ("Robert Nakamura", "Isabelle Fournier"),
}
"""The 25 account owners, by the team they sit in."""

# --------------------------------------------------------------------------------------------
# Private tables (built once from the constants above; loops here are over constant lists)
# --------------------------------------------------------------------------------------------

_TYPE_KEYS = tuple(t.key for t in CUSTOMER_TYPES)
_TYPE_INDEX = {k: i for i, k in enumerate(_TYPE_KEYS)}

# P(customer type | vertical): base shares tilted per vertical, cumulated for inverse sampling.
_TYPE_CUM = np.array(
    [
        np.cumsum(w / w.sum())
        for w in (
            np.array([t.share * v.type_tilt.get(t.key, 1.0) for t in CUSTOMER_TYPES])
            for v in VERTICALS
        )
    ]
)
_VERTICAL_CUM = np.cumsum([v.share for v in VERTICALS]) / sum(v.share for v in VERTICALS)

_LABELS: tuple[str, ...] = tuple(dict.fromkeys(lab for v in VERTICALS for lab in v.labels))
_LABEL_INDEX = {lab: i for i, lab in enumerate(_LABELS)}

# Per label: its misspellings, cycled to a fixed width (the label itself where it has none).
_TYPO_TABLE = np.array(
    [
        [
            INDUSTRY_TYPOS.get(lab, (lab,))[i % len(INDUSTRY_TYPOS.get(lab, (lab,)))]
            for i in range(2)
        ]
        for lab in _LABELS
    ],
    dtype=object,
)
_HAS_TYPO = np.array([lab in INDUSTRY_TYPOS for lab in _LABELS])

_TYPE_PICK_CUM = np.array(
    [np.cumsum([t.types.get(p, 0.0) for p in TYPE_PICKLIST]) for t in CUSTOMER_TYPES]
)
_STATUS_OF_PICK = np.array([TYPE_STATUS[p] for p in TYPE_PICKLIST], dtype=object)

_OWNER_TEAMS = tuple(ACCOUNT_OWNERS)
_OWNERS = tuple(o for team in _OWNER_TEAMS for o in ACCOUNT_OWNERS[team])
_TEAM_OFFSET = np.cumsum([0] + [len(ACCOUNT_OWNERS[t]) for t in _OWNER_TEAMS])[:-1]
_TEAM_SIZE = np.array([len(ACCOUNT_OWNERS[t]) for t in _OWNER_TEAMS])
# Team that owns each customer type: (team, probability) pairs.
_TYPE_TEAMS = {
    "enterprise": {"enterprise": 1.0},
    "mid_market": {"mid_market": 1.0},
    "smb_prospect": {"inside": 1.0},
    "smb_self_serve": {"digital": 0.7, "inside": 0.3},
    "former": {"mid_market": 0.6, "inside": 0.4},
}
_TEAM_CUM = np.array(
    [np.cumsum([_TYPE_TEAMS[k].get(team, 0.0) for team in _OWNER_TEAMS]) for k in _TYPE_KEYS]
)
_OWNER_REASSIGNED = 0.03  # accounts owned by someone outside the usual team

_COUNTRIES = ("United States", "Canada", "United Kingdom", "Germany", "France", "Australia")
_COUNTRY_CUM = np.cumsum(
    [
        [0.65, 0.08, 0.12, 0.08, 0.04, 0.03]
        if k == "enterprise"
        else [0.80, 0.07, 0.06, 0.04, 0.015, 0.015]
        for k in _TYPE_KEYS
    ],
    axis=1,
)
_COUNTRY_ALIASES = {"United States": ("USA", "US"), "United Kingdom": ("UK",)}
_STATES: dict[str, dict[str, float]] = {
    "United States": {
        "CA": 12,
        "TX": 9,
        "NY": 8,
        "FL": 6,
        "IL": 5,
        "PA": 4,
        "OH": 4,
        "GA": 3.5,
        "NC": 3.5,
        "MI": 3,
        "NJ": 3.5,
        "VA": 3,
        "WA": 3.5,
        "MA": 4,
        "AZ": 2.5,
        "CO": 2.5,
        "MN": 2.5,
        "TN": 2,
        "WI": 2,
        "MO": 2,
        "MD": 2,
        "OR": 1.5,
        "UT": 1.5,
        "IN": 1.5,
        "CT": 1.5,
    },
    "Canada": {"ON": 40, "QC": 22, "BC": 18, "AB": 14, "MB": 3, "NS": 3},
    "United Kingdom": {"England": 84, "Scotland": 9, "Wales": 5, "Northern Ireland": 2},
    "Germany": {
        "Bavaria": 22,
        "Berlin": 15,
        "North Rhine-Westphalia": 25,
        "Baden-Württemberg": 20,
        "Hesse": 12,
        "Hamburg": 6,
    },
    "France": {
        "Île-de-France": 55,
        "Auvergne-Rhône-Alpes": 20,
        "Provence-Alpes-Côte d'Azur": 12,
        "Occitanie": 13,
    },
    "Australia": {"NSW": 40, "VIC": 32, "QLD": 18, "WA": 10},
}
_STATE_NAMES = tuple(s for c in _COUNTRIES for s in _STATES[c])
_STATE_OFFSET = np.cumsum([0] + [len(_STATES[c]) for c in _COUNTRIES])[:-1]
_STATE_CUM = [np.cumsum(list(_STATES[c].values())) / sum(_STATES[c].values()) for c in _COUNTRIES]
_TLD = (".com", ".ca", ".co.uk", ".de", ".fr", ".com.au")
_ALIAS_TABLE = np.array(
    [
        [_COUNTRY_ALIASES.get(c, (c,))[i % len(_COUNTRY_ALIASES.get(c, (c,)))] for i in range(2)]
        for c in _COUNTRIES
    ],
    dtype=object,
)
_HAS_ALIAS = np.array([c in _COUNTRY_ALIASES for c in _COUNTRIES])


# Company names: first word (compound brand, surname or brand word) + second word + suffix.
_PREFIXES = (
    "North",
    "South",
    "East",
    "West",
    "Blue",
    "Red",
    "Green",
    "Silver",
    "Gold",
    "Iron",
    "Stone",
    "Bright",
    "Clear",
    "Swift",
    "True",
    "High",
    "Pine",
    "Oak",
    "Cedar",
    "Maple",
    "River",
    "Lake",
    "Harbor",
    "Bay",
    "Star",
    "Sun",
    "Moon",
    "Sky",
    "Cloud",
    "Crest",
    "Ever",
    "Fair",
    "Key",
    "Prime",
    "Nova",
    "Terra",
    "Aqua",
    "Frost",
    "Ash",
    "Elm",
)
_ROOTS = (
    "bridge",
    "field",
    "stone",
    "wave",
    "point",
    "gate",
    "line",
    "view",
    "ridge",
    "well",
    "brook",
    "haven",
    "wood",
    "path",
    "light",
    "core",
    "mark",
    "port",
    "shore",
    "vale",
    "forge",
    "spring",
    "star",
    "crest",
    "rock",
    "land",
    "side",
    "wind",
    "water",
    "peak",
)
_SURNAMES = (
    "Anderson",
    "Baxter",
    "Bennett",
    "Caldwell",
    "Carver",
    "Dalton",
    "Donovan",
    "Ellison",
    "Fletcher",
    "Garrison",
    "Hale",
    "Harper",
    "Hayes",
    "Holloway",
    "Jensen",
    "Keller",
    "Lambert",
    "Lawson",
    "Mercer",
    "Morrison",
    "Nolan",
    "Parker",
    "Porter",
    "Prescott",
    "Quinn",
    "Reed",
    "Sawyer",
    "Sinclair",
    "Sterling",
    "Thornton",
    "Vance",
    "Walker",
    "Whitman",
    "Winslow",
    "Young",
    "Hoffmann",
    "Schneider",
    "Wagner",
    "Fischer",
    "Moreau",
    "Laurent",
    "Kowalski",
    "Novak",
    "Bianchi",
    "Tanaka",
    "Nguyen",
    "Singh",
    "Gupta",
    "O'Connor",
    "McAllister",
    "Fitzgerald",
    "MacLeod",
    "Ashford",
    "Blackwell",
    "Crawford",
    "Everett",
    "Grayson",
    "Hollis",
    "Kensington",
    "Langley",
    "Montgomery",
    "Pemberton",
    "Radcliffe",
    "Stanton",
    "Templeton",
    "Underwood",
    "Wexford",
    "Ainsley",
    "Brennan",
    "Calloway",
    "Delaney",
    "Ellsworth",
)
_BRANDS = (
    "Meridian",
    "Vertex",
    "Pinnacle",
    "Zenith",
    "Horizon",
    "Catalyst",
    "Beacon",
    "Atlas",
    "Orion",
    "Vanguard",
    "Sentinel",
    "Paragon",
    "Quantum",
    "Fusion",
    "Synergy",
    "Nimbus",
    "Evergreen",
    "Lumen",
    "Vector",
    "Cobalt",
    "Onyx",
    "Titan",
    "Polaris",
    "Aurora",
    "Helix",
    "Cascade",
    "Frontier",
    "Summit",
    "Apex",
)
_COMPOUNDS = tuple(p + r for p in _PREFIXES for r in _ROOTS if p.lower() != r)
_FIRST_WORDS = _COMPOUNDS + _SURNAMES + _BRANDS
_FIRST_GROUPS = (  # (start, stop, probability)
    (0, len(_COMPOUNDS), 0.5),
    (len(_COMPOUNDS), len(_COMPOUNDS) + len(_SURNAMES), 0.3),
    (len(_COMPOUNDS) + len(_SURNAMES), len(_FIRST_WORDS), 0.2),
)
_GENERIC_WORDS = (
    "Systems",
    "Solutions",
    "Technologies",
    "Partners",
    "Enterprises",
    "Dynamics",
    "Labs",
    "Services",
    "Ventures",
    "Consulting",
    "Logistics",
    "Analytics",
    "Digital",
    "Resources",
    "Associates",
    "Works",
    "Concepts",
    "Innovations",
    "Management",
    "Company",
    "Design",
    "Supply",
    "Media",
)
# Second words are single tokens (the name-uniqueness argument below relies on it).
_SECOND_WORDS = tuple(
    dict.fromkeys(_GENERIC_WORDS + tuple(w for v in VERTICALS for w in v.name_words))
)
_SECOND_INDEX = {w: i for i, w in enumerate(_SECOND_WORDS)}
_VERTICAL_WORD_SHARE = 0.55
_SUFFIXES = (
    "",
    "Inc",
    "Inc.",
    "LLC",
    "Corp",
    "Corporation",
    "Co",
    "Ltd",
    "Limited",
    "PLC",
    "GmbH",
    "AG",
    "SA",
    "SAS",
    "Pty Ltd",
    "Group",
    "Holdings",
    "LLP",
)
_SUFFIX_INDEX = {s: i for i, s in enumerate(_SUFFIXES)}
_COUNTRY_SUFFIXES: dict[str, dict[str, float]] = {
    "United States": {
        "Inc": 0.30,
        "Inc.": 0.08,
        "LLC": 0.22,
        "Corp": 0.10,
        "Corporation": 0.04,
        "Co": 0.04,
        "Group": 0.08,
        "Holdings": 0.05,
        "": 0.09,
    },
    "Canada": {"Inc": 0.35, "Ltd": 0.25, "Corp": 0.15, "Group": 0.10, "": 0.15},
    "United Kingdom": {
        "Ltd": 0.45,
        "Limited": 0.10,
        "PLC": 0.12,
        "Group": 0.12,
        "Holdings": 0.08,
        "LLP": 0.05,
        "": 0.08,
    },
    "Germany": {"GmbH": 0.60, "AG": 0.20, "Group": 0.10, "": 0.10},
    "France": {"SA": 0.45, "SAS": 0.35, "Group": 0.10, "": 0.10},
    "Australia": {"Pty Ltd": 0.60, "Ltd": 0.15, "Group": 0.10, "": 0.15},
}
# Inserted before the suffix to keep names unique: "Vertex Capital Americas Inc".
# Disjoint from suffixes and single-token second words, so qualified names never collide.
_QUALIFIERS = (
    "International",
    "Americas",
    "EMEA",
    "Pacific",
    "Atlantic",
    "Central",
    "Northeast",
    "Southwest",
    "Midwest",
    "Northwest",
    "Southeast",
    "Mountain",
)


def _slug(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


_FIRST_SLUGS = tuple(_slug(w) for w in _FIRST_WORDS)
_SECOND_SLUGS = tuple(_slug(w) for w in _SECOND_WORDS)

_DEALS_PARTNER = (1, 1.0)
_DEALS_OTHER = (0, 0.5)
_STAGE_PROBS = {  # status -> probabilities over STAGES
    "customer": (0.60, 0.22, 0.04, 0.05, 0.05, 0.04),
    "partner": (0.60, 0.22, 0.04, 0.05, 0.05, 0.04),
    "former": (0.60, 0.40, 0.0, 0.0, 0.0, 0.0),
    "prospect": (0.0, 0.15, 0.40, 0.25, 0.13, 0.07),
    "other": (0.0, 0.15, 0.40, 0.25, 0.13, 0.07),
}
_STATUS_KEYS = tuple(_STAGE_PROBS)
_STAGE_CUM = np.cumsum([_STAGE_PROBS[s] for s in _STATUS_KEYS], axis=1)
_PRODUCT_CUM = np.cumsum(
    [
        {
            "enterprise": (0.20, 0.20, 0.10, 0.20, 0.15, 0.15),
            "mid_market": (0.30, 0.20, 0.15, 0.15, 0.10, 0.10),
            "smb_prospect": (0.50, 0.20, 0.20, 0.0, 0.10, 0.0),
            "smb_self_serve": (0.80, 0.10, 0.10, 0.0, 0.0, 0.0),
            "former": (0.30, 0.20, 0.15, 0.15, 0.10, 0.10),
        }[k]
        for k in _TYPE_KEYS
    ],
    axis=1,
)
_DEAL_KINDS = ("New Business", "Expansion", "Renewal", "Upsell")
_ORPHAN_RATE = 0.01
_UNKNOWN_PRODUCT_RATE = 0.005
_SAME_OWNER_RATE = 0.85
_DEAL_SIGMA = 0.35

_DATE_START = REFERENCE_DATE - np.timedelta64(16 * 366, "D")
_DATE_STOP = REFERENCE_DATE + np.timedelta64(400, "D")
_BASE62 = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
_CHECKSUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


# --------------------------------------------------------------------------------------------
# Vectorised helpers (string columns are built as pyarrow arrays, pandas' own "str" storage)
# --------------------------------------------------------------------------------------------


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling: index of the first cumulative weight above ``u``.

    ``cum`` is either one cumulative vector or one row per sample (n, k).
    """
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
    return np.minimum((u[:, None] >= cum / cum[:, -1:]).sum(axis=1), cum.shape[1] - 1)


def _take(words, idx: np.ndarray) -> pa.Array:
    """``words[idx]`` as a pyarrow string array."""
    return pa.array(list(words), type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and/or scalars."""
    return pc.binary_join_element_wise(*parts, "")


def _put(arr: pa.Array, mask: np.ndarray, values) -> pa.Array:
    """``arr`` with the rows in ``mask`` replaced by ``values`` (one per masked row, in order)."""
    if not mask.any():
        return arr
    if isinstance(values, str) or values is None:
        return pc.if_else(pa.array(mask), pa.scalar(values, type=pa.string()), arr)
    return pc.replace_with_mask(arr, pa.array(mask), values)


def _chars(mat: np.ndarray) -> pa.Array:
    """Rows of an ASCII byte matrix (n, width) as strings; zero bytes are dropped (padding)."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n = mat.shape[0]
    keep = mat != 0
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    data = mat[keep]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _salesforce_ids(prefix: bytes, seq: np.ndarray) -> pa.Array:
    """18-character Salesforce-style ids: key prefix + pod + zeros + base62 sequence + checksum.

    The last three characters are Salesforce's real case-safe suffix: for each 5-character
    chunk, the bit pattern of which characters are upper-case letters indexes ``A-Z0-5``.
    """
    seq = np.asarray(seq, dtype=np.int64)
    mat = np.empty((len(seq), 18), dtype=np.uint8)
    mat[:, :8] = np.frombuffer(prefix.ljust(8, b"0"), dtype=np.uint8)  # e.g. b"001Dn000"
    rest = seq.copy()
    for col in range(14, 7, -1):  # 7 base62 digits, least significant last
        mat[:, col] = _BASE62[rest % 62]
        rest //= 62
    if np.any(rest):
        raise InputError("too many ids for the sample generator")
    upper = (mat[:, :15] >= ord("A")) & (mat[:, :15] <= ord("Z"))
    weights = 1 << np.arange(5)
    for chunk in range(3):
        mat[:, 15 + chunk] = _CHECKSUM[upper[:, 5 * chunk : 5 * chunk + 5] @ weights]
    return _chars(mat)


def _format_usd(dollars: np.ndarray) -> pa.Array:
    """Whole dollars as Salesforce multi-currency text: "USD 1,250,000.00", "USD -5.00"."""
    d = np.asarray(dollars, dtype=np.int64)
    v = np.abs(d)
    powers = 15
    if v.size and v.max() >= 10**powers:
        raise ValueError("value out of range for money formatting")
    ndig = np.ones(len(v), dtype=np.int64)
    for k in range(1, powers):
        ndig += v >= 10**k
    mat = np.zeros((len(v), 5 + powers + (powers - 1) // 3 + 3), dtype=np.uint8)
    mat[:, :4] = np.frombuffer(b"USD ", dtype=np.uint8)
    mat[d < 0, 4] = ord("-")
    col = 5
    for p in range(powers - 1, -1, -1):
        shown = p < ndig
        mat[shown, col] = ((v[shown] // 10**p) % 10 + ord("0")).astype(np.uint8)
        col += 1
        if p % 3 == 0 and p > 0:
            mat[shown, col] = ord(",")
            col += 1
    mat[:, col:] = np.frombuffer(b".00", dtype=np.uint8)
    return _chars(mat)


def _format_compact(dollars: np.ndarray) -> pa.Array:
    """Positive amounts as people type them: "$2.3B", "$1.2M", "850K", "$700"."""
    v = np.asarray(dollars, dtype=np.float64)
    unit = np.where(v >= 1e9, 1e9, np.where(v >= 1e6, 1e6, 1e3))
    tenths = np.rint(v / unit * 10).astype(np.int64)
    big = _join(
        "$",
        pc.cast(pa.array(tenths // 10), pa.string()),
        ".",
        pc.cast(pa.array(tenths % 10), pa.string()),
        pa.array(np.where(unit == 1e9, "B", "M")),
    )
    thousands = _join(pc.cast(pa.array(np.rint(v / 1e3).astype(np.int64)), pa.string()), "K")
    units = _join("$", pc.cast(pa.array(np.rint(v).astype(np.int64)), pa.string()))
    return pc.if_else(pa.array(unit > 1e3), big, pc.if_else(pa.array(v >= 1000), thousands, units))


def _sig_round(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Round positive values to ``digits`` significant figures (as people enter them)."""
    v = np.asarray(values, dtype=np.float64)
    mag = np.maximum(10.0 ** (np.floor(np.log10(np.maximum(v, 1.0))) - (digits - 1)), 1.0)
    return np.maximum(np.rint(v / mag) * mag, 1.0)


def _date_table() -> pa.Array:
    days = np.arange(_DATE_START, _DATE_STOP, dtype="datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    text = [pc.cast(pa.array(x), pa.string()) for x in (month, day, year)]
    return _join(text[0], "/", text[1], "/", text[2])


_DATE_TEXT = _date_table()


def _format_dates(days: np.ndarray) -> pa.Array:
    """Days (datetime64[D]) as Salesforce US report dates "M/D/YYYY"."""
    offset = (np.asarray(days, dtype="datetime64[D]") - _DATE_START).astype(np.int64)
    return _DATE_TEXT.take(pa.array(offset))


def _parse_money(text: pd.Series) -> np.ndarray:
    """Inverse of the formats this module writes ("USD 1,234.00", "$1.2M", "850K"); NaN else."""
    s = text.astype("str").str.strip()
    mult = np.select(
        [
            s.str.endswith("B").to_numpy(bool, na_value=False),
            s.str.endswith("M").to_numpy(bool, na_value=False),
            s.str.endswith("K").to_numpy(bool, na_value=False),
        ],
        [1e9, 1e6, 1e3],
        1.0,
    )
    digits = s.str.replace(r"[^0-9.\-]", "", regex=True)
    return pd.to_numeric(digits, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan) * mult


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _vertical_index(name: str) -> int:
    return [v.name for v in VERTICALS].index(name)


def _col(series: pd.Series) -> pa.Array:
    """A pandas string column as a pyarrow ``string`` array (missing -> null)."""
    return pa.array(series.astype("str"), from_pandas=True).cast(pa.string())


def _frame(columns: dict[str, pa.Array]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in columns.items()})


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate_accounts(
    n: int = 2000, seed: int = 7, dirty: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a Salesforce-like accounts report export with planted segments.

    Parameters
    ----------
    n : int, default 2000
        Number of accounts (rows), at least 1.
    seed : int, default 7
        Seed for :func:`numpy.random.default_rng`; same ``(n, seed, dirty)``, same frames.
    dirty : bool, default True
        Overlay realistic mess (blanks, label variants and typos, sentinels, negative revenue,
        compact money, duplicate names; rates in :data:`DIRT_RATES`). The clean values
        underneath are the same either way.

    Returns
    -------
    export : pandas.DataFrame
        One row per account, columns :data:`EXPORT_COLUMNS`, every column of string dtype
        (missing cells are NaN, as ``read_csv`` gives for ``""``).
    truth : pandas.DataFrame
        Same rows and order, columns :data:`TRUTH_COLUMNS`: ``account_id``,
        ``customer_type`` (a key of :data:`CUSTOMER_TYPES`), ``vertical`` (canonical name from
        :data:`VERTICALS`) and ``status`` (customer / prospect / former / partner / other,
        implied by ``Type``).

    Raises
    ------
    segmentation.errors.InputError
        If ``n`` or ``seed`` is not a suitable integer.

    Examples
    --------
    >>> export, truth = generate_accounts(5, seed=1)
    >>> list(export.columns) == list(EXPORT_COLUMNS), len(truth)
    (True, 5)
    """
    n = _check_int("n", n, 1)
    seed = _check_int("seed", seed, 0)
    clean_ss, dirt_ss = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(clean_ss)

    # Who the account is: vertical, then customer type given the vertical.
    vert = _pick(_VERTICAL_CUM, rng.random(n))
    ctype = _pick(_TYPE_CUM[vert], rng.random(n))

    # Size, revenue and deal size (log-normal around the type's medians, vertical multipliers).
    emp_sigma = np.array([t.employees_sigma for t in CUSTOMER_TYPES])[ctype]
    z_emp = rng.standard_normal(n)
    employees_f = (
        np.array([t.employees_median for t in CUSTOMER_TYPES])[ctype]
        * np.array([v.employees_mult for v in VERTICALS])[vert]
        * np.exp(emp_sigma * z_emp)
    )
    employees = np.clip(np.rint(employees_f), 1, 400_000)
    employees = np.where(employees >= 1000, np.rint(employees / 10) * 10, employees)
    employees = employees.astype(np.int64)
    rpe = (
        np.array([t.revenue_per_employee for t in CUSTOMER_TYPES])[ctype]
        * np.array([v.revenue_mult for v in VERTICALS])[vert]
        * np.exp(0.45 * rng.standard_normal(n))
    )
    revenue = _sig_round(np.maximum(employees_f, 1.0) * rpe, 3).astype(np.int64)
    deal_med = (
        np.array([t.deal_median for t in CUSTOMER_TYPES])[ctype]
        * np.array([v.deal_mult for v in VERTICALS])[vert]
    )
    deal_sigma = np.array([t.deal_sigma for t in CUSTOMER_TYPES])[ctype]
    deal = deal_med * np.exp(0.25 * emp_sigma * z_emp + deal_sigma * rng.standard_normal(n))
    deal = _sig_round(deal, 3).astype(np.int64)

    # Salesforce Type and the status it implies.
    pick = _pick(_TYPE_PICK_CUM[ctype], rng.random(n))
    status = _STATUS_OF_PICK[pick]

    # Owner: usually from the team that covers the type; partners by partner managers.
    team = _pick(_TEAM_CUM[ctype], rng.random(n))
    team = np.where(status == "partner", _OWNER_TEAMS.index("partner"), team)
    owner = _TEAM_OFFSET[team] + np.floor(rng.random(n) * _TEAM_SIZE[team]).astype(np.int64)
    stray = rng.random(n) < _OWNER_REASSIGNED
    owner = np.where(stray, rng.integers(0, len(_OWNERS), n), owner)

    # Geography.
    country = _pick(_COUNTRY_CUM[ctype], rng.random(n))
    u_state = rng.random(n)
    state = np.zeros(n, dtype=np.int64)
    for c in range(len(_COUNTRIES)):
        m = country == c
        state[m] = _STATE_OFFSET[c] + _pick(_STATE_CUM[c], u_state[m])

    # Created date: age in years within the type's window, skewed towards recent.
    age_min, age_max, skew = (
        np.array([t.age_years[i] for t in CUSTOMER_TYPES])[ctype] for i in range(3)
    )
    age_days = np.rint((age_min + (age_max - age_min) * rng.random(n) ** skew) * 365.25)
    created = REFERENCE_DATE - age_days.astype(np.int64).astype("timedelta64[D]")
    # Ids increase with creation time, with gaps (other records share the sequence).
    seq = np.empty(n, dtype=np.int64)
    seq[np.argsort(created, kind="stable")] = int(rng.integers(10**6, 10**8)) + np.cumsum(
        rng.integers(1, 40, n)
    )
    account_id = _salesforce_ids(b"001Dn", seq)

    # Names: first word + (vertical or generic) second word + country-typical legal suffix.
    grp = _pick(np.cumsum([g[2] for g in _FIRST_GROUPS]), rng.random(n))
    u_first = rng.random(n)
    starts = np.array([g[0] for g in _FIRST_GROUPS])[grp]
    sizes = np.array([g[1] - g[0] for g in _FIRST_GROUPS])[grp]
    first = starts + np.floor(u_first * sizes).astype(np.int64)
    use_vertical_word = rng.random(n) < _VERTICAL_WORD_SHARE
    u_second = rng.random(n)
    second = np.floor(u_second * len(_GENERIC_WORDS)).astype(np.int64)
    for v_i, v in enumerate(VERTICALS):
        if not v.name_words:
            continue
        m = (vert == v_i) & use_vertical_word
        words = np.array([_SECOND_INDEX[w] for w in v.name_words])
        second[m] = words[np.floor(u_second[m] * len(words)).astype(np.int64)]
    u_suffix = rng.random(n)
    suffix = np.zeros(n, dtype=np.int64)
    for c_i, c in enumerate(_COUNTRIES):
        m = country == c_i
        options = _COUNTRY_SUFFIXES[c]
        codes = np.array([_SUFFIX_INDEX[s] for s in options])
        suffix[m] = codes[_pick(np.cumsum(list(options.values())), u_suffix[m])]
    suffix[np.array([not v.legal_suffix for v in VERTICALS])[vert]] = _SUFFIX_INDEX[""]

    # Unique names: repeats of one (first, second, suffix) get a regional qualifier before the
    # suffix ("Vertex Capital Americas Inc"), numbered once the qualifiers run out.
    key = (first * len(_SECOND_WORDS) + second) * len(_SUFFIXES) + suffix
    rank = pd.Series(key).groupby(key, sort=False).cumcount().to_numpy()
    nq = len(_QUALIFIERS)
    qual = _take(
        ("",) + tuple(" " + q for q in _QUALIFIERS), np.where(rank > 0, (rank - 1) % nq + 1, 0)
    )
    lap = np.maximum((rank - 1) // nq + 1, 1)
    lap_text = pc.if_else(pa.array(lap > 1), _join(" ", pc.cast(pa.array(lap), pa.string())), "")
    name = _join(
        _take(_FIRST_WORDS, first),
        " ",
        _take(_SECOND_WORDS, second),
        qual,
        lap_text,
        _take(tuple(" " + s if s else "" for s in _SUFFIXES), suffix),
    )

    tld = np.asarray(_TLD, dtype=object)[country]
    is_us = country == _COUNTRIES.index("United States")
    tld[is_us & (vert == _vertical_index("Government"))] = ".gov"
    tld[is_us & (vert == _vertical_index("Education"))] = ".edu"
    domain = _join(
        _take(_FIRST_SLUGS, first), _take(_SECOND_SLUGS, second), pa.array(tld, pa.string())
    )

    u_label = rng.random(n)
    label = np.zeros(n, dtype=np.int64)
    for v_i, v in enumerate(VERTICALS):
        m = vert == v_i
        codes = np.array([_LABEL_INDEX[lab] for lab in v.labels])
        label[m] = codes[_pick(np.cumsum(list(v.labels.values())), u_label[m])]

    columns = {
        "Account ID": account_id,
        "Account Name": name,
        "Industry": _take(_LABELS, label),
        "Type": _take(TYPE_PICKLIST, pick),
        "Employees": pc.cast(pa.array(employees), pa.string()),
        "Annual Revenue": _format_usd(revenue),
        "Average Deal Size": _format_usd(deal),
        "Account Owner": _take(_OWNERS, owner),
        "Billing State/Province": _take(_STATE_NAMES, state),
        "Billing Country": _take(_COUNTRIES, country),
        "Website": _join("www.", domain),
        "Created Date": _format_dates(created),
    }
    if dirty:
        _add_dirt(
            columns,
            np.random.default_rng(dirt_ss),
            revenue=revenue,
            deal=deal,
            label=label,
            country=country,
            domain=domain,
        )
    truth = {
        "account_id": account_id,
        "customer_type": _take(_TYPE_KEYS, ctype),
        "vertical": _take([v.name for v in VERTICALS], vert),
        "status": _take(_STATUS_OF_PICK, pick),
    }
    return _frame(columns), _frame(truth)


def _add_dirt(
    columns: dict[str, pa.Array],
    rng: np.random.Generator,
    *,
    revenue: np.ndarray,
    deal: np.ndarray,
    label: np.ndarray,
    country: np.ndarray,
    domain: pa.Array,
) -> None:
    """Overlay the planted dirt on the export ``columns`` in place (see :data:`DIRT_RATES`)."""
    n = len(revenue)
    r = DIRT_RATES

    def bands(*rates: float) -> list[np.ndarray]:
        """One uniform draw per row cut into consecutive, mutually exclusive bands."""
        u = rng.random(n)
        edges = np.cumsum((0.0,) + rates)
        return [(u >= lo) & (u < hi) for lo, hi in zip(edges[:-1], edges[1:])]

    # Industry: blank, case/spacing variant, or typo (one at most per row).
    blank, cased, typo = bands(r["industry_blank"], r["industry_case_spacing"], r["industry_typo"])
    variant = rng.integers(0, 4, n)
    typo_pick = rng.integers(0, _TYPO_TABLE.shape[1], n)
    industry = columns["Industry"]
    sub = industry.filter(pa.array(cased))
    forms = (pc.utf8_lower(sub), _join(" ", sub, " "), pc.utf8_upper(sub), _join(sub, " "))
    industry = _put(industry, cased, pc.choose(pa.array(variant[cased]), *forms))
    typo &= _HAS_TYPO[label]
    rows = label[typo] * _TYPO_TABLE.shape[1] + typo_pick[typo]
    industry = _put(industry, typo, _take(_TYPO_TABLE.ravel(), rows))
    columns["Industry"] = _put(industry, blank, None)

    # Employees: blanks and the "999999" sentinel.
    blank, sentinel = bands(r["employees_blank"], r["employees_sentinel"])
    employees = _put(columns["Employees"], blank, None)
    columns["Employees"] = _put(employees, sentinel, EMPLOYEES_SENTINEL)

    # Annual revenue: compact forms, negatives, blanks.
    compact, negative, blank = bands(
        r["revenue_compact"], r["revenue_negative"], r["revenue_blank"]
    )
    rev = _put(columns["Annual Revenue"], compact, _format_compact(revenue[compact]))
    rev = _put(rev, negative, _format_usd(-revenue[negative]))
    columns["Annual Revenue"] = _put(rev, blank, None)

    # Average deal size: compact forms and blanks.
    compact, blank = bands(r["deal_compact"], r["deal_blank"])
    dl = _put(columns["Average Deal Size"], compact, _format_compact(deal[compact]))
    columns["Average Deal Size"] = _put(dl, blank, None)

    # Country aliases ("USA", "US", "UK").
    (alias,) = bands(r["country_alias"])
    alias_pick = rng.integers(0, _ALIAS_TABLE.shape[1], n)
    alias &= _HAS_ALIAS[country]
    rows = country[alias] * _ALIAS_TABLE.shape[1] + alias_pick[alias]
    aliases = _take(_ALIAS_TABLE.ravel(), rows)
    columns["Billing Country"] = _put(columns["Billing Country"], alias, aliases)

    # Website: https:// form, bare domain, blank.
    https, bare, blank = bands(r["website_https"], r["website_bare"], r["website_blank"])
    web = _put(columns["Website"], https, _join("https://www.", domain.filter(pa.array(https))))
    web = _put(web, bare, domain.filter(pa.array(bare)))
    columns["Website"] = _put(web, blank, None)

    # Duplicate account names (and their website): a few rows copy another row's name.
    k = max(1, int(round(r["duplicate_names"] * n))) if n >= 2 else 0
    if k:
        rows = np.sort(rng.choice(n, size=k, replace=False))
        source = (rows + rng.integers(1, n, size=k)) % n  # never the row itself
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        for col in ("Account Name", "Website"):
            columns[col] = _put(columns[col], mask, columns[col].take(pa.array(source)))


def generate_opportunities(
    accounts_export: pd.DataFrame, truth: pd.DataFrame, seed: int = 7
) -> pd.DataFrame:
    """Generate the opportunities (deals) export for generated accounts.

    Parameters
    ----------
    accounts_export : pandas.DataFrame
        The ``export`` frame of :func:`generate_accounts` (dirty or clean).
    truth : pandas.DataFrame
        The matching ``truth`` frame (same rows, same order).
    seed : int, default 7
        Seed; same inputs and seed, same frame.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OPPORTUNITY_COLUMNS`, all strings, sorted by ``Opportunity ID`` (which
        follows creation time). ``Stage`` is one of :data:`STAGES`; ``Amount`` is
        "USD 12,500.00"; dates are "M/D/YYYY"; ``Product`` is one of :data:`PRODUCT_LINES`
        except about 0.5% from :data:`UNKNOWN_PRODUCTS`; about 1% of rows (at least one once
        there are 20 deals) carry an ``Account ID`` that matches no account. The owner is the
        account's owner 85% of the time.

    Raises
    ------
    segmentation.errors.InputError
        If the two frames do not line up, or ``seed`` is not a suitable integer.
    """
    seed = _check_int("seed", seed, 0)
    needed = ("Account ID", "Account Name", "Average Deal Size", "Account Owner", "Created Date")
    missing = [c for c in needed if c not in accounts_export.columns]
    if missing:
        raise InputError(f"accounts_export lacks columns {missing}")
    acc_ids = _col(accounts_export["Account ID"])
    if len(truth) != len(accounts_export) or not acc_ids.equals(_col(truth["account_id"])):
        raise InputError("truth does not line up with accounts_export (same rows, same order)")
    ctype = _codes(truth["customer_type"], _TYPE_KEYS, "customer_type")
    status_idx = _codes(truth["status"], _STATUS_KEYS, "status")
    vert = _codes(truth["vertical"], [v.name for v in VERTICALS], "vertical")
    created_codes = pc.index_in(_col(accounts_export["Created Date"]), value_set=_DATE_TEXT)
    if created_codes.null_count:
        raise InputError("accounts_export has Created Date values this generator never writes")
    acc_created = _DATE_START + created_codes.to_numpy().astype("timedelta64[D]")

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    n_acc = len(truth)

    # How many deals each account has.
    base = np.array([t.deals[0] for t in CUSTOMER_TYPES])[ctype]
    lam = np.array([t.deals[1] for t in CUSTOMER_TYPES], dtype=float)[ctype]
    is_partner = status_idx == _STATUS_KEYS.index("partner")
    is_other = status_idx == _STATUS_KEYS.index("other")
    base = np.where(is_partner, _DEALS_PARTNER[0], np.where(is_other, _DEALS_OTHER[0], base))
    lam = np.where(is_partner, _DEALS_PARTNER[1], np.where(is_other, _DEALS_OTHER[1], lam))
    counts = np.minimum(base + rng.poisson(lam), 12)
    total = int(counts.sum())
    acc = np.repeat(np.arange(n_acc), counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    a_type = ctype[acc]
    a_status = status_idx[acc]

    # Stage: customers' (and former customers') first deal is a win; prospects never win.
    stage = _pick(_STAGE_CUM[a_status], rng.random(total))
    wins_first = np.isin(
        a_status, [_STATUS_KEYS.index(s) for s in ("customer", "former", "partner")]
    )
    stage = np.where(wins_first & (within == 0), 0, stage)
    closed = stage <= 1

    # Amount around the account's average deal size (fallback: its planted median).
    avg = _parse_money(accounts_export["Average Deal Size"])
    fallback = (
        np.array([t.deal_median for t in CUSTOMER_TYPES])[ctype]
        * np.array([v.deal_mult for v in VERTICALS])[vert]
    )
    avg = np.where(np.isfinite(avg) & (avg > 0), avg, fallback)
    amount = avg[acc] * np.exp(_DEAL_SIGMA * rng.standard_normal(total) - _DEAL_SIGMA**2 / 2)
    step = np.where(amount < 10_000, 10, np.where(amount < 100_000, 100, 1000))
    amount = np.maximum(np.rint(amount / step) * step, 50).astype(np.int64)

    # Dates: closed deals between the account's creation and their horizon (former customers
    # stopped buying over a year ago), open deals created in the last six months.
    a_created = acc_created[acc]
    cycle_days = np.array([t.cycle_days for t in CUSTOMER_TYPES])[a_type]
    cycle = np.maximum(np.rint(cycle_days * np.exp(0.5 * rng.standard_normal(total))), 1)
    cycle = cycle.astype(np.int64).astype("timedelta64[D]")
    former = a_status == _STATUS_KEYS.index("former")
    horizon = np.where(former, REFERENCE_DATE - np.timedelta64(400, "D"), REFERENCE_DATE)
    earliest_close = a_created + cycle
    span = np.maximum((horizon - earliest_close).astype(np.int64), 0)
    u = rng.random(total)
    first_span = np.minimum(span, 90)  # the first deal comes soon after the account
    offset = np.rint(np.where(within == 0, u * first_span, u * span)).astype(np.int64)
    close_closed = np.minimum(earliest_close + offset.astype("timedelta64[D]"), horizon)
    created_closed = np.maximum(close_closed - cycle, a_created)
    recent = np.maximum(a_created, REFERENCE_DATE - np.timedelta64(180, "D"))
    window = (REFERENCE_DATE - recent).astype(np.int64)
    created_open = recent + np.rint(rng.random(total) * window).astype(np.int64).astype(
        "timedelta64[D]"
    )
    close_open = REFERENCE_DATE + rng.integers(14, 200, total).astype("timedelta64[D]")
    created = np.where(closed, created_closed, created_open)
    close = np.where(closed, close_closed, close_open)

    # Products (index into PRODUCT_LINES + UNKNOWN_PRODUCTS): a few outside the catalogue.
    product = _pick(_PRODUCT_CUM[a_type], rng.random(total))
    unknown = rng.random(total) < _UNKNOWN_PRODUCT_RATE
    product[unknown] = len(PRODUCT_LINES) + rng.integers(
        0, len(UNKNOWN_PRODUCTS), int(unknown.sum())
    )

    # Owners: usually the account owner (-1), else anyone on the team.
    moved = rng.random(total) >= _SAME_OWNER_RATE
    owner = np.full(total, -1, dtype=np.int64)
    owner[moved] = rng.integers(0, len(_OWNERS), int(moved.sum()))

    # Orphans: account ids that exist nowhere (another pod prefix, so never a real account).
    k = int(round(_ORPHAN_RATE * total))
    k = max(k, 1) if total >= 20 else k
    orphan = np.zeros(total, dtype=bool)
    orphan[rng.choice(total, size=k, replace=False)] = True
    orphan_seq = rng.integers(0, 62**7, k)

    # The first deal of each account (by date) is new business; prospects only have new business.
    by_acc = np.lexsort((created, acc))
    sorted_acc = acc[by_acc]
    first_of_acc = np.zeros(total, dtype=bool)
    first_of_acc[by_acc[np.r_[True, sorted_acc[1:] != sorted_acc[:-1]][:total]]] = True
    never_won = np.isin(a_status, [_STATUS_KEYS.index(s) for s in ("prospect", "other")])
    kind = np.where(first_of_acc | never_won, 0, rng.integers(1, len(_DEAL_KINDS), total))
    id_gaps = rng.integers(1, 30, total)
    id_start = int(rng.integers(10**6, 10**8))

    # Rows in creation order; ids follow it. Strings are built once, already in that order.
    order = np.lexsort((acc, created))
    acc, stage, amount, close, created, product, owner, orphan, kind = (
        x[order] for x in (acc, stage, amount, close, created, product, owner, orphan, kind)
    )
    take = pa.array(acc)
    account_id = _put(acc_ids.take(take), orphan, _salesforce_ids(b"001Dm", orphan_seq))
    names = _col(accounts_export["Account Name"]).take(take)
    product_text = _take(PRODUCT_LINES + UNKNOWN_PRODUCTS, product)
    acc_owner = _col(accounts_export["Account Owner"]).take(take)
    columns = {
        "Opportunity ID": _salesforce_ids(b"006Dn", id_start + np.cumsum(id_gaps)),
        "Account ID": account_id,
        "Account Name": names,
        "Opportunity Name": _join(names, " - ", product_text, " - ", _take(_DEAL_KINDS, kind)),
        "Stage": _take(STAGES, stage),
        "Amount": _format_usd(amount),
        "Close Date": _format_dates(close),
        "Created Date": _format_dates(created),
        "Product": product_text,
        "Opportunity Owner": _put(acc_owner, owner >= 0, _take(_OWNERS, owner[owner >= 0])),
    }
    return _frame(columns)


def _codes(series: pd.Series, vocabulary, what: str) -> np.ndarray:
    """Positions of ``series`` values in ``vocabulary``; unknown values are an input error."""
    codes = pc.index_in(_col(series), value_set=pa.array(list(vocabulary), pa.string()))
    if codes.null_count:
        raise InputError(f"truth has unknown {what} values")
    return codes.to_numpy().astype(np.int64)
