"""Column content: what a column's values look like, and which field they suggest.

Cheap facts on a sample of each column (numbers, money strings, company-like names, web
addresses, dates, status words), the fields they point to where the headers leave a column
open, and the veto on header matches the values contradict (an all-text "Revenue").
"""

from __future__ import annotations

import re

import pandas as pd

from segmentation.fields import FIELDS
from segmentation.numbers import parse_money, parse_money_range

_STATUS_WORDS = re.compile(
    r"^(?:customer|prospect|former|partner|reseller|lead|subscriber|opportunity|evangelist|"
    r"vendor|competitor|investor|press|other|active|inactive|churned|client|"
    r"customer - (?:direct|channel)|former customer|channel partner / reseller|"
    r"installation partner|technology partner|marketingqualifiedlead|salesqualifiedlead|"
    # the same in German, French, Spanish, Portuguese, Italian and Dutch exports
    r"kunde|bestandskunde|neukunde|interessent|ehemaliger kunde|ex-kunde|vertriebspartner|"
    r"händler|ancien client|partenaire|revendeur|cliente|prospecto|ex-cliente|excliente|"
    r"cliente potencial|antiguo cliente|socio|parceiro|distribuidor|klant|ex-klant|oud-klant)$",
    re.IGNORECASE,
)
_COMPANY_SUFFIX = re.compile(
    r"\b(?:inc|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|ag|sa|sas|srl|bv|nv|"
    r"oy|ab|as|kg|pty|group|holdings?|partners|industries|bank|university|hotels?)\b\.?",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?$", re.I
)
_DATEISH = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T].*)?$")


def profile_column(s: pd.Series) -> dict:
    """Cheap facts about a column, computed on at most 2,000 non-blank cells."""
    values = s.dropna()
    values = values[values.str.strip() != ""]
    n = len(values)
    sample = values.sample(min(n, 2000), random_state=0) if n > 2000 else values
    sample = sample.str.strip()
    prof = {"n": n, "rows": len(s), "distinct": int(values.nunique()) if n else 0}
    if not n:
        return prof | {
            "numeric": 0.0,
            "max": 0.0,
            "spaced": 0.0,
            "email": 0.0,
            "year_like": False,
            "money_marked": 0.0,
            "company": 0.0,
            "domain": 0.0,
            "date": 0.0,
            "status": 0.0,
            "avg_len": 0.0,
            "alpha": 0.0,
            "ints": False,
        }
    prof["sample"] = sample
    nums, failed = parse_money(sample)
    prof["numeric"] = float(nums.notna().mean())
    prof["ints"] = bool(prof["numeric"] > 0.99 and (nums.dropna() % 1 == 0).all())
    prof["max"] = float(nums.max()) if nums.notna().any() else 0.0
    prof["spaced"] = float(sample.str.contains(" ", regex=False).mean())
    prof["year_like"] = bool(prof["ints"] and nums.dropna().between(1900, 2100).all())
    prof["money_marked"] = float(
        (
            nums.notna()
            & sample.str.contains(r"[$€£¥]|\b(?:USD|EUR|GBP)\b|\d\s*[KkMmBb]\b", regex=True)
        ).mean()
    )
    prof["company"] = float(sample.str.contains(_COMPANY_SUFFIX, regex=True).mean())
    prof["domain"] = float(sample.str.match(_DOMAIN).mean())
    prof["date"] = float(sample.str.match(_DATEISH).mean())
    prof["status"] = float(sample.str.match(_STATUS_WORDS).mean())
    prof["avg_len"] = float(sample.str.len().mean())
    prof["alpha"] = float(sample.str.contains(r"[^\W\d_]", regex=True).mean())
    prof["email"] = float(
        sample.str.contains(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", case=False, regex=True).mean()
    )
    return prof


def content_candidates(
    cols: list[str], profiles: dict[str, dict], keys: dict[str, str]
) -> list[tuple[float, str, str, str]]:
    """Field candidates the values suggest: ``(confidence, field, column, evidence)``.

    ``keys`` are the columns' normalised headers (see :func:`segmentation.schema.normalise_header`),
    for the few candidates a header ending backs up ("... ID", "... Name").
    """
    out = []
    for col in cols:
        p = profiles[col]
        if not p["n"]:
            continue
        unique = p["distinct"] / p["n"]
        if p["money_marked"] >= 0.8:
            out.append(
                (0.55, "annual_revenue", col, f"content: {p['money_marked']:.0%} money strings")
            )
        if p["domain"] >= 0.8 and p["email"] < 0.5:
            out.append((0.55, "website", col, f"content: {p['domain']:.0%} web addresses"))
        if p["status"] >= 0.6 and p["distinct"] <= 30:
            out.append(
                (
                    0.5,
                    "status",
                    col,
                    f"content: {p['status']:.0%} status words (customer, prospect, ...)",
                )
            )
        if (
            re.search(r"(id|key)$", keys[col])
            and unique >= 0.99
            and p["n"] == p["rows"]
            and p.get("spaced", 1) < 0.05
        ):
            out.append(
                (0.5, "account_id", col, f"header {col!r} ends in id/key and every value is unique")
            )
        name_like = (
            p["alpha"] >= 0.9
            and p["numeric"] < 0.1
            and p["date"] < 0.1
            and p["domain"] < 0.2
            and p["email"] < 0.2
            and unique >= 0.8
            and 2 <= p["avg_len"] <= 80
        )
        if name_like and p["company"] >= 0.2:
            out.append(
                (0.5, "account_name", col, f"content: {p['company']:.0%} company-like names")
            )
        elif name_like and keys[col].endswith("name"):
            out.append(
                (
                    0.45,
                    "account_name",
                    col,
                    f"header {col!r} ends in 'name' and values are unique text",
                )
            )
    return out


def content_agrees(f: str, p: dict) -> bool:
    """Veto header matches the data contradicts (e.g. an all-empty or all-text 'Revenue')."""
    if not p["n"]:
        return True  # an empty column still maps; the quality report shows 0% filled
    kind = next(x.kind for x in FIELDS if x.name == f)
    if kind in ("money", "count"):
        if p["numeric"] >= 0.3 or p["alpha"] < 0.9 or f == "employees":
            return True
        # Revenue bands ("$10M - $50M") are numbers to the money fields (not to the features);
        # asked only here, as parsing them costs as much as profiling the column.
        return float(parse_money_range(p["sample"])[0].notna().mean()) >= 0.3
    return True
