"""quality_report: JSON-ready, counts what a sales leader needs to trust the data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from segmentation.accounts import prepare_accounts
from segmentation.ingest import read_table
from segmentation.quality import quality_report
from segmentation.schema import infer_mapping

FIX = Path(__file__).parent / "fixtures"


def _report(df):
    mapping = infer_mapping(df)
    return quality_report(df, mapping, prepare_accounts(df, mapping))


@pytest.mark.parametrize(
    "file",
    [
        "real/sf_devorg_Account.csv",
        "real/sf_datacloud_Account.csv",
        "real/adventureworks_resellers.csv",
        "real/wholesale.csv",
        "real/wholesale_dirty_outliers_blanks.csv",
        "tools/salesforce_report_accounts.csv",
        "tools/hubspot_companies.xlsx",
        "tools/dynamics365_accounts_eu.csv",
        "tools/zoho_accounts.csv",
    ],
)
def test_report_is_json_serialisable_with_findings(file):
    df, _ = read_table(FIX / file)
    report = _report(df)
    json.dumps(report)
    assert report["rows"] == len(df)
    assert report["findings"] and all(isinstance(s, str) for s in report["findings"])


def test_fill_rates_and_problem_counts():
    df = pd.DataFrame(
        {
            "Account Name": ["A", "B", "C", "D"],
            "Annual Revenue": ["100", None, "-5", "abc"],
        },
        dtype="str",
    )
    col = _report(df)["columns"]["annual_revenue"]
    assert col["column"] == "Annual Revenue"
    assert col["fill_rate"] == 0.25
    assert (col["parse_failures"], col["negatives"], col["sentinels"]) == (1, 1, 0)


def test_duplicates_by_id_name_and_domain():
    df = pd.DataFrame(
        {
            "Account ID": ["1", "1", "2", "3"],
            "Account Name": ["Acme Inc.", "ACME, Inc", "Beta", "Beta West"],
            "Website": ["https://www.acme.com/x", "acme.com", "beta.io", "http://beta.io"],
        },
        dtype="str",
    )
    d = _report(df)["duplicates"]
    assert d["same_id"]["groups"] == 1 and d["same_id"]["rows"] == 2
    assert d["same_name"]["groups"] == 1 and d["same_name"]["examples"][0]["accounts"] == [
        "Acme Inc.",
        "ACME, Inc",
    ]
    assert d["same_website"]["groups"] == 2


def test_exact_duplicate_rows_in_dirty_wholesale():
    df, _ = read_table(FIX / "real" / "wholesale_dirty_outliers_blanks.csv")
    report = _report(df)
    # counted in the file itself: rows equal to an earlier row, and Fresh cells of 999999
    copies = int(df.duplicated().sum())
    assert copies > 0 and report["exact_duplicate_rows"] == copies
    assert any("exact copies" in f for f in report["findings"])
    fresh = report["extra_features"]["Fresh"]
    assert fresh["sentinels"] == (df["Fresh"] == "999999").sum()
    assert fresh["negatives"] == df["Fresh"].str.startswith("-").sum()


def test_outliers_on_log_scale():
    revenue = [str(v) for v in [1e6, 1.2e6, 0.9e6, 1.1e6, 1.3e6, 0.8e6, 1e6, 1.05e6, 5e12]]
    df = pd.DataFrame(
        {"Account Name": [f"Co {i}" for i in range(9)], "Revenue": revenue}, dtype="str"
    )
    out = _report(df)["columns"]["annual_revenue"]["outliers"]
    assert out["count"] == 1 and out["examples"][0]["account_name"] == "Co 8"


def test_parent_child_links():
    df, _ = read_table(FIX / "tools" / "salesforce_report_accounts.csv")
    h = _report(df)["hierarchy"]
    assert h == {"with_parent": 1, "parent_in_file": 1, "parent_missing": 0, "parents": 1}


def test_dirty_wholesale_planted_outliers_found():
    df, _ = read_table(FIX / "real" / "wholesale_dirty_outliers_blanks.csv")
    frozen = _report(df)["extra_features"]["Frozen"]["outliers"]
    # The planted outlier is the file's largest Frozen spend, thousands of times the median.
    spend = pd.to_numeric(df["Frozen"], errors="coerce")
    assert spend.max() > 1_000 * spend.median()
    assert frozen["count"] >= 1 and frozen["examples"][0]["value"] == spend.max()
