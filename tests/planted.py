"""Small planted-structure account tables for tests: the truth is known, so recovery is measurable.

``planted_accounts`` draws accounts from a few customer types that differ in size, deal size
and status mix, and gives each account a vertical written the way CRM users write it (case,
spacing, typos, synonyms, picklist values). ``random_accounts`` has no structure at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# (name, share, log10 employees, log10 revenue, log10 deal size, status mix c/p/f/partner)
TYPES = (
    ("enterprise customers", 0.20, 3.8, 9.0, 5.3, (0.92, 0.03, 0.02, 0.03)),
    ("mid-market customers", 0.30, 2.6, 7.7, 4.4, (0.92, 0.04, 0.04, 0.00)),
    ("smb prospects", 0.35, 1.2, 6.1, 3.1, (0.03, 0.94, 0.03, 0.00)),
    ("lapsed small customers", 0.15, 1.8, 6.8, 3.8, (0.03, 0.03, 0.94, 0.00)),
)

# True vertical -> ways people write it in a CRM.
DIRTY_LABELS = {
    "Technology": [
        "Technology",
        "technolgy",
        "TECH",
        " Software ",
        "SaaS",
        "Information Technology and Services",
        "IT services",
        "computer software",
    ],
    "Healthcare & Life Sciences": [
        "Healthcare",
        "Helthcare",
        "hospital & health care",
        "Pharmaceuticals",
        "medical devices",
        "Health Care",
        "biotech",
    ],
    "Financial Services": [
        "Financial Services",
        "Banking",
        "finance",
        "Insurance",
        "Insurence",
        "fin serv",
        "financial servces",
    ],
    "Manufacturing": [
        "Manufacturing",
        "manufactoring",
        "MFG",
        "Industrial Automation",
        "automotive",
        "Machinery",
    ],
    "Retail & Consumer": [
        "Retail",
        "retial",
        "E-commerce",
        "consumer goods",
        "CPG",
        "Apparel & Fashion",
    ],
    "Education": ["Education", "Higher Education", "edu", "university", "Eduction", "E-Learning"],
    "Energy & Utilities": [
        "Energy",
        "Oil & Energy",
        "utilities",
        "oil and gas",
        "Renewables & Environment",
    ],
}
STATUS_NAMES = ("customer", "prospect", "former", "partner")


def planted_accounts(
    n: int = 2000, seed: int = 0, spread: float = 0.12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts with planted customer types and verticals.

    Parameters
    ----------
    n : int
        Number of accounts.
    seed : int
        Random seed.
    spread : float
        Standard deviation of the log10 numbers within a type (smaller = better separated).

    Returns
    -------
    accounts : pandas.DataFrame
        Canonical account table.
    truth : pandas.DataFrame
        ``customer_type`` (int) and ``vertical`` (str) per account.
    """
    rng = np.random.default_rng(seed)
    shares = np.array([t[1] for t in TYPES])
    types = rng.choice(len(TYPES), size=n, p=shares / shares.sum())
    emp = np.array([t[2] for t in TYPES])[types] + rng.normal(0, spread, n)
    rev = np.array([t[3] for t in TYPES])[types] + rng.normal(0, spread, n)
    deal = np.array([t[4] for t in TYPES])[types] + rng.normal(0, spread, n)
    status = np.empty(n, dtype=object)
    for k, t in enumerate(TYPES):
        idx = np.flatnonzero(types == k)
        status[idx] = rng.choice(STATUS_NAMES, size=len(idx), p=t[5])

    verticals = list(DIRTY_LABELS)
    true_vertical = rng.choice(verticals, size=n)
    industry = np.array([rng.choice(DIRTY_LABELS[v]) for v in true_vertical], dtype=object)

    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:06d}" for i in range(n)],
            "account_name": [f"Account {i}" for i in range(n)],
            "industry": pd.array(industry, dtype="str"),
            "employees": np.round(10**emp),
            "annual_revenue": np.round(10**rev, -3),
            "deal_size": np.round(10**deal, -1),
            "status": pd.array(status, dtype="str"),
            "owner": pd.array(rng.choice(["Ana", "Ben", "Chloe"], size=n), dtype="str"),
            "country": pd.array(["US"] * n, dtype="str"),
            "region": pd.array([None] * n, dtype="str"),
            "created": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
            "parent_id": pd.array([None] * n, dtype="str"),
            "website": pd.array([None] * n, dtype="str"),
        }
    )
    truth = pd.DataFrame({"customer_type": types, "vertical": true_vertical})
    return accounts, truth


def random_accounts(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Accounts with random industries and unstructured (single-blob) numbers."""
    rng = np.random.default_rng(seed)
    labels = [label for group in DIRTY_LABELS.values() for label in group]
    z = rng.normal(size=(n, 3))
    return pd.DataFrame(
        {
            "account_id": [f"R{i:06d}" for i in range(n)],
            "account_name": [f"Random {i}" for i in range(n)],
            "industry": pd.array(rng.choice(labels, size=n), dtype="str"),
            "employees": np.round(10 ** (2.5 + 0.6 * z[:, 0])),
            "annual_revenue": np.round(10 ** (7.5 + 0.6 * z[:, 1]), -3),
            "deal_size": np.round(10 ** (4 + 0.5 * z[:, 2]), -1),
            "status": pd.array(
                rng.choice(["customer", "prospect"], size=n, p=[0.3, 0.7]), dtype="str"
            ),
        }
    )
