"""Small files: under 20 accounts a plan by firmographic tiers, with a warning and exit 0.

Also what every run prints (the top data-quality findings) and the vertical fold setting, on a
Fortune-list-style export whose industry labels are Fortune 500 industry names.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import TOP_FINDINGS, main
from segmentation.clustering import MIN_ACCOUNTS
from segmentation.playbook import load_playbook
from segmentation.tiers import TIERS, tier_ids, tier_types

HEADER = "Account ID,Account Name,Industry,Employees,Annual Revenue,Type"
# A Salesforce-style export of 12 accounts: (id, name, industry, employees, revenue, type,
# expected tier, expected vertical). Tier edges: < 100 employees small, >= 1,000 large; without
# employees, < $50M small and >= $1B large (the playbook's tier_* values).
ROWS = [
    ("A01", "Acme Bank", "Commercial Banks", "12000", "4500000000", "Customer",
     "Enterprise", "Financial Services"),
    ("A02", "Blue Mutual", "Insurance: Property and Casualty (Stock)", "1000", "900000000",
     "Prospect", "Enterprise", "Financial Services"),
    ("A03", "City Clinic", "Health Care: Medical Facilities", "999", "120000000", "Customer",
     "Mid-market", "Healthcare & Life Sciences"),
    ("A04", "Delta Securities", "Securities", "100", "60000000", "Prospect",
     "Mid-market", "Financial Services"),
    ("A05", "Eagle Motors", "Motor Vehicles and Parts", "99", "9000000", "Customer",
     "Small business", "Manufacturing"),
    ("A06", "Frontier Oil", '"Mining, Crude-Oil Production"', "2200", "5000000000", "Prospect",
     "Enterprise", "Energy & Utilities"),
    ("A07", "Green Grocer", "Food and Drug Stores", "60", "8000000", "Customer",
     "Small business", "Retail & Consumer"),
    ("A08", "Hill Software", "Computer Software", "40", "6000000", "Prospect",
     "Small business", "Technology"),
    ("A09", "Iron Works", "Industrial Machinery", "300", "75000000", "Customer",
     "Mid-market", "Manufacturing"),
    ("A10", "Jet Freight", '"Mail, Package, and Freight Delivery"', "", "20000000", "Prospect",
     "Small business", "Transportation & Logistics"),
    ("A11", "Kilo Foods", "Food Consumer Products", "", "2500000000", "Customer",
     "Enterprise", "Agriculture & Food"),
    ("A12", "Lima Labs", "Pharmaceuticals", "", "", "Prospect",
     "Size unknown", "Healthcare & Life Sciences"),
]  # fmt: skip


def _csv(rows) -> str:
    return "\n".join([HEADER, *(",".join(r[:6]) for r in rows)]) + "\n"


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "accounts.csv"
    path.write_text(_csv(ROWS), encoding="utf-8")
    return path


def _run(path, out, *args) -> int:
    return main(["run", str(path), "--out", str(out), *args])


def _read(out, name) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small_run(small_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("small-run")
    assert _run(small_file, out, "--min-vertical-size", "1", "--min-vertical-share", "0") == 0
    return out


def test_a_small_file_runs_with_exit_0_and_a_warning(small_file, tmp_path, capsys):
    assert len(ROWS) < MIN_ACCOUNTS
    assert _run(small_file, tmp_path / "out") == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    assert "12 accounts" in printed.out and "firmographic tiers" in printed.out
    warning = next(line for line in printed.out.splitlines() if "firmographic tier " in line)
    assert warning.startswith("warning: Only 12 accounts: customer types need at least 20")
    assert "vertical only" not in printed.out  # the old advice no option offered


def test_every_account_gets_its_tier_in_input_order(small_run):
    assignments = _read(small_run, "assignments.csv")
    assert len(assignments) == 12
    assert assignments["account_id"].tolist() == [r[0] for r in ROWS]
    assert assignments["customer_type"].tolist() == [r[6] for r in ROWS]
    segment = assignments["vertical"] + " · " + assignments["customer_type"]
    assert (assignments["segment"] == segment).all()


def test_fortune_industry_names_land_in_their_vertical(small_run):
    assignments = _read(small_run, "assignments.csv")
    assert assignments["vertical"].tolist() == [r[7] for r in ROWS]


def test_the_plan_counts_every_account_once(small_run):
    segments = _read(small_run, "segments.csv")
    teams = _read(small_run, "teams.csv")
    assert segments["accounts"].astype(int).sum() == len(ROWS)
    assert teams["accounts"].astype(int).sum() == len(ROWS)
    by_type = segments.groupby("customer_type")["accounts"].apply(lambda s: s.astype(int).sum())
    # the expected tier of each row, counted: 4 enterprise, 3 mid-market, 4 small, 1 unknown
    expected = pd.Series([r[6] for r in ROWS]).value_counts()
    assert by_type.to_dict() == expected.to_dict()
    report = json.loads((small_run / "report.json").read_text())
    assert report["quality"]["verdict"] == "tiers"
    assert report["quality"]["k"] == 4
    assert report["quality"]["silhouette"] is None  # nothing was clustered: no score to show
    assert [t["customer_type"] for t in report["customer_types"]] == list(TIERS)
    assert [t["accounts"] for t in report["customer_types"]] == [expected[t] for t in TIERS]
    assert report["settings"]["min_vertical_accounts"] == 1


def test_enterprise_is_covered_in_the_field_and_small_business_inside(small_run):
    # By size: Enterprise in the field, Small business inside or digital. Four enterprise
    # accounts' expected bookings pay for no field rep, so they are pooled into inside, say so,
    # and are never sent to self-serve.
    segments = _read(small_run, "segments.csv")
    enterprise = segments[segments["customer_type"] == "Enterprise"]
    assert (
        (enterprise["motion"] == "field")
        | enterprise["pooled_from"].fillna("").str.startswith("Field")
    ).all()
    assignments = _read(small_run, "assignments.csv")
    motion = assignments.groupby("customer_type")["motion"].agg(set).to_dict()
    assert motion["Enterprise"] <= {"field", "inside"}
    assert motion["Small business"] <= {"inside", "digital"}


def test_same_files_and_columns_as_a_clustered_run(small_run, tmp_path):
    # 30 accounts: enough to cluster. The small file's outputs must have the same shape.
    extra = [
        (f"B{i:02d}", f"Beta {i}", "Banking", str(20 * (i + 1) ** 2), str(3_000_000 * (i + 1) ** 2),
         "Customer" if i % 2 else "Prospect")
        for i in range(18)
    ]  # fmt: skip
    path = tmp_path / "thirty.csv"
    path.write_text(_csv([r[:6] for r in ROWS] + extra), encoding="utf-8")
    out = tmp_path / "out"
    assert _run(path, out) == 0
    assert {p.name for p in out.iterdir()} == {p.name for p in small_run.iterdir()}
    for name in ("assignments.csv", "segments.csv", "teams.csv"):
        assert list(_read(out, name).columns) == list(_read(small_run, name).columns), name
    assert json.loads((out / "report.json").read_text())["quality"]["verdict"] != "tiers"


def test_the_playbook_tier_limits_decide(small_file, tmp_path):
    playbook = tmp_path / "mine.toml"
    playbook.write_text("[rules.tier_small_max_employees]\nvalue = 50\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _run(small_file, out, "--playbook", str(playbook)) == 0
    tiers = _read(out, "assignments.csv").set_index("account_id")["customer_type"]
    assert tiers["A07"] == "Mid-market"  # 60 employees: small under 100, midsize under 50
    assert tiers["A08"] == "Small business"  # 40 employees


@pytest.mark.parametrize(
    "employees, revenue, tier",
    [
        (99, np.nan, "Small business"),
        (100, np.nan, "Mid-market"),
        (999, np.nan, "Mid-market"),
        (1000, np.nan, "Enterprise"),
        (np.nan, 49_999_999, "Small business"),
        (np.nan, 50_000_000, "Mid-market"),
        (np.nan, 1_000_000_000, "Enterprise"),
        (50, 5_000_000_000, "Small business"),  # employees decide when known
        (np.nan, np.nan, "Size unknown"),
    ],
)
def test_tier_edges(employees, revenue, tier):
    accounts = pd.DataFrame({"employees": [employees], "annual_revenue": [revenue]})
    assert TIERS[tier_ids(accounts, load_playbook())[0]] == tier


def test_tier_result_without_size_columns():
    accounts = pd.DataFrame({"account_id": ["a", "b"], "status": ["customer", "prospect"]})
    result = tier_types(accounts)
    assert result.labels.tolist() == ["Size unknown", "Size unknown"]
    assert result.ids.tolist() == [0, 0]  # ids stay contiguous from 0
    assert result.table["accounts"].tolist() == [2]


def test_run_prints_the_top_data_quality_findings(small_file, tmp_path, capsys):
    assert _run(small_file, tmp_path / "out") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Read 12 accounts")
    assert lines[1].startswith("Data quality")
    findings = [line for line in lines if line.startswith("  - ")]
    assert 1 <= len(findings) <= TOP_FINDINGS
    assert findings[0] == "  - 12 accounts read; 6 of 13 fields found."


def test_findings_beyond_the_top_five_are_counted(tmp_path, capsys):
    # Duplicated names and domains, placeholders, negatives, missing fields: many findings.
    rows = [
        f"A{i:02d},Same Name {'Inc' if i % 2 else 'LLC'},Banking,{'999999' if i < 3 else 50 + i},"
        f"{'-5' if i < 2 else 1_000_000 * (i + 1)},Customer,same.com"
        for i in range(15)
    ]
    path = tmp_path / "dirty.csv"
    path.write_text("\n".join([HEADER + ",Website", *rows]) + "\n", encoding="utf-8")
    assert _run(path, tmp_path / "out") == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    total = len([f for f in report["data_quality"]["findings"] if f not in report["warnings"]])
    assert total > TOP_FINDINGS
    assert f"Data quality (top {TOP_FINDINGS} of {total}; all in report.json" in out
    assert len([line for line in out.splitlines() if line.startswith("  - ")]) == TOP_FINDINGS


@pytest.mark.parametrize(
    "args, folded",
    [
        ([], 12),  # default: verticals under 20 accounts fold into Other
        (["--min-vertical-size", "2", "--min-vertical-share", "0"], 5),
        (["--min-vertical-size", "0", "--min-vertical-share", "0"], 0),
    ],
)
def test_the_fold_into_other_is_a_setting(small_file, tmp_path, capsys, args, folded):
    assert _run(small_file, tmp_path / "out", *args) == 0
    verticals = _read(tmp_path / "out", "assignments.csv")["vertical"]
    assert int((verticals == "Other").sum()) == folded
    if folded:
        assert "Lower the minimum vertical size" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--min-vertical-size", "-1"], "--min-vertical-size"),
        (["--min-vertical-share", "1.5"], "--min-vertical-share"),
        (["--min-vertical-size", "ten"], "--min-vertical-size"),
    ],
)
def test_bad_fold_settings_exit_2(small_file, tmp_path, capsys, args, expected):
    out = tmp_path / "out"
    assert _run(small_file, out, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and expected in err[0]
    assert not out.exists()


def test_summary_and_workbook_of_a_small_file(small_file):
    from segmentation.pipeline import run

    result = run(small_file)
    summary = result.summary()
    assert "**How strong the segments are:** tiers. Only 12 accounts" in summary
    assert "silhouette" not in summary and " nan" not in summary
    assert result.excel()[:2] == b"PK" and result.teams_zip()[:2] == b"PK"
