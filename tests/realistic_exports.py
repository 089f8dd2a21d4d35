"""Realistic third-party export shapes, generated (deterministically) for the unit and status tests.

Each builder returns CSV bytes shaped like a file a new user brings: a Fortune-style list with
`Revenues ($M)`, a spreadsheet whose plain `Revenue` column holds millions, a German CRM export
with `Umsatz (Mio. €)` and German status words, and a HubSpot-style export with `Avg Deal Value`.
The companies and figures are invented; revenue per employee follows real companies' range
($100K-$1M per employee).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INDUSTRIES = ["Software", "Commercial Banks", "Retail", "Manufacturing", "Healthcare", "Utilities"]


def _companies(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    employees = np.round(10 ** rng.uniform(1.3, 5.3, n)).astype(int)  # 20 .. 200,000
    per_employee = 10 ** rng.uniform(5.0, 6.0, n)  # $100K .. $1M per employee
    revenue = employees * per_employee  # dollars
    return pd.DataFrame(
        {
            "name": [
                f"Company {i:03d} {s}"
                for i, s in zip(range(n), rng.choice(["Inc", "Corp", "LLC", "plc"], n))
            ],
            "industry": rng.choice(INDUSTRIES, n),
            "employees": employees,
            "revenue": revenue,
            "profit": revenue * rng.uniform(-0.15, 0.25, n),
        }
    )


def fortune_csv(n: int = 120, seed: int = 1) -> bytes:
    """A Fortune-list CSV: Rank, Name, Revenues ($M), Revenue Change, Profits ($M), Employees, Sector."""
    c = _companies(n, seed).sort_values("revenue", ascending=False).reset_index(drop=True)
    rng = np.random.default_rng(seed + 1)
    frame = pd.DataFrame(
        {
            "Rank": np.arange(1, n + 1),
            "Name": c["name"],
            "Revenues ($M)": [f"{v / 1e6:,.1f}" for v in c["revenue"]],
            "Revenue Change": [f"{v:.1f}" for v in rng.normal(3, 8, n)],
            "Profits ($M)": [f"{v / 1e6:,.1f}" for v in c["profit"]],
            "Employees": [f"{v:,}" for v in c["employees"]],
            "Sector": c["industry"],
        }
    )
    return frame.to_csv(index=False).encode("utf-8")


def plain_millions_csv(n: int = 150, seed: int = 2) -> bytes:
    """A spreadsheet whose plain `Revenue` column holds millions (1,100.04 for 4,800 employees)."""
    c = _companies(n, seed)
    c.loc[0, ["employees", "revenue"]] = [4800, 1_100_040_000.0]
    rng = np.random.default_rng(seed + 1)
    frame = pd.DataFrame(
        {
            "Account Name": c["name"],
            "Industry": c["industry"],
            "Employees": c["employees"],
            "Revenue": [f"{v / 1e6:,.2f}" for v in c["revenue"]],
            "Type": rng.choice(["Customer", "Prospect"], n, p=[0.4, 0.6]),
        }
    )
    return frame.to_csv(index=False).encode("utf-8")


GERMAN_STATUS = {"Kunde": "customer", "Interessent": "prospect", "ehemaliger Kunde": "former"}


def german_csv(n: int = 120, seed: int = 3) -> bytes:
    """A German CRM export: `;`, decimal comma, `Umsatz (Mio. €)`, `Status` Kunde/Interessent/..."""
    c = _companies(n, seed)
    rng = np.random.default_rng(seed + 1)

    def de(v: float) -> str:  # 1.234,56
        return f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")

    frame = pd.DataFrame(
        {
            "Firmenname": [s.replace("Inc", "GmbH").replace("Corp", "AG") for s in c["name"]],
            "Branche": c["industry"],
            "Mitarbeiter": c["employees"],
            "Umsatz (Mio. €)": [de(v / 1e6) for v in c["revenue"]],
            "Status": rng.choice(list(GERMAN_STATUS), n, p=[0.45, 0.45, 0.1]),
        }
    )
    return frame.to_csv(index=False, sep=";").encode("utf-8")


def hubspot_csv(n: int = 120, seed: int = 4) -> bytes:
    """A HubSpot companies export with `Avg Deal Value` in dollars and revenue in dollars."""
    c = _companies(n, seed)
    rng = np.random.default_rng(seed + 1)
    frame = pd.DataFrame(
        {
            "Record ID": np.arange(9001, 9001 + n),
            "Company name": c["name"],
            "Industry": c["industry"],
            "Number of Employees": c["employees"],
            "Annual Revenue": [f"{v:.0f}" for v in c["revenue"]],
            "Lifecycle Stage": rng.choice(["customer", "lead", "opportunity"], n),
            "Avg Deal Value": [
                f"{v:.2f}" for v in np.clip(c["revenue"] * 10 ** rng.uniform(-4.5, -3, n), 500, 2e6)
            ],
        }
    )
    return frame.to_csv(index=False).encode("utf-8")
