"""Tests for the sample CRM data generator and the committed sample files."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts.sample_crm import (
    ACCOUNT_OWNERS,
    CUSTOMER_TYPES,
    EXPORT_COLUMNS,
    INDUSTRY_TYPOS,
    OPPORTUNITY_COLUMNS,
    PRODUCT_LINES,
    STAGES,
    TRUTH_COLUMNS,
    TYPE_PICKLIST,
    TYPE_STATUS,
    UNKNOWN_PRODUCTS,
    VERTICALS,
    generate_accounts,
    generate_opportunities,
)
from segmentation.errors import InputError
from segmentation.fields import STATUSES

ROOT = Path(__file__).resolve().parents[1]
N = 20_000  # big enough for rates to settle, fast enough to build once per module


def _load_script():
    path = ROOT / "scripts" / "make_sample_data.py"
    spec = importlib.util.spec_from_file_location("make_sample_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _money(text: pd.Series) -> pd.Series:
    """Parse the money forms the generator writes, independently of its own parser."""
    s = text.str.strip()
    mult = np.select(
        [s.str.endswith("B"), s.str.endswith("M"), s.str.endswith("K")], [1e9, 1e6, 1e3], 1.0
    )
    return pd.to_numeric(s.str.replace(r"[^0-9.\-]", "", regex=True), errors="coerce") * mult


def _checksum(id15: str) -> str:
    """Salesforce's 15 -> 18 character case-safe suffix, written the obvious way."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    out = ""
    for chunk in range(3):
        part = id15[5 * chunk : 5 * chunk + 5]
        bits = sum(1 << i for i, ch in enumerate(part) if "A" <= ch <= "Z")
        out += alphabet[bits]
    return out


@pytest.fixture(scope="module")
def dirty():
    return generate_accounts(N, seed=7, dirty=True)


@pytest.fixture(scope="module")
def clean():
    return generate_accounts(N, seed=7, dirty=False)


@pytest.fixture(scope="module")
def deals(dirty):
    export, truth = dirty
    return generate_opportunities(export, truth, seed=7)


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("dirty_flag", [True, False])
@pytest.mark.parametrize("n, seed", [(1, 0), (2, 7), (500, 7), (3000, 123)])
def test_same_arguments_give_identical_frames(n, seed, dirty_flag):
    export_a, truth_a = generate_accounts(n, seed=seed, dirty=dirty_flag)
    export_b, truth_b = generate_accounts(n, seed=seed, dirty=dirty_flag)
    pd.testing.assert_frame_equal(export_a, export_b)
    pd.testing.assert_frame_equal(truth_a, truth_b)
    pd.testing.assert_frame_equal(
        generate_opportunities(export_a, truth_a, seed=seed),
        generate_opportunities(export_b, truth_b, seed=seed),
    )


@pytest.mark.parametrize("column", ["Account ID", "Account Name", "Employees", "Annual Revenue"])
def test_different_seed_gives_different_data(column):
    a, _ = generate_accounts(500, seed=7)
    b, _ = generate_accounts(500, seed=8)
    assert (a[column] != b[column]).mean() > 0.5


def test_different_seed_gives_different_deals():
    export, truth = generate_accounts(500, seed=7)
    a = generate_opportunities(export, truth, seed=7)
    b = generate_opportunities(export, truth, seed=8)
    assert not a.equals(b)


def test_dirt_only_overlays_the_clean_draw(dirty, clean):
    # columns the dirt never touches are the clean draw's, and so is the planted truth
    untouched = ["Account ID", "Type", "Account Owner", "Billing State/Province", "Created Date"]
    pd.testing.assert_frame_equal(dirty[0][untouched], clean[0][untouched])
    pd.testing.assert_frame_equal(dirty[1], clean[1])


# ----------------------------------------------------------------------------- shape


@pytest.mark.parametrize("n", [1, 2, 37, 2000])
@pytest.mark.parametrize("dirty_flag", [True, False])
def test_columns_rows_and_truth_alignment(n, dirty_flag):
    export, truth = generate_accounts(n, seed=3, dirty=dirty_flag)
    assert (
        list(export.columns)
        == list(EXPORT_COLUMNS)
        == [
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
        ]
    )
    assert (
        list(truth.columns)
        == list(TRUTH_COLUMNS)
        == [
            "account_id",
            "customer_type",
            "vertical",
            "status",
        ]
    )
    assert len(export) == len(truth) == n
    assert export["Account ID"].tolist() == truth["account_id"].tolist()
    assert all(pd.api.types.is_string_dtype(export[c]) for c in export.columns)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "100", None])
def test_bad_n_is_an_input_error(bad):
    with pytest.raises(InputError, match="n must be"):
        generate_accounts(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, "7"])
def test_bad_seed_is_an_input_error(bad):
    with pytest.raises(InputError, match="seed must be"):
        generate_accounts(10, seed=bad)


def test_truth_that_does_not_line_up_is_refused():
    export, truth = generate_accounts(50, seed=1)
    with pytest.raises(InputError, match="line up"):
        generate_opportunities(export, truth.iloc[::-1].reset_index(drop=True))


# ----------------------------------------------------------------------------- realism


def test_account_ids_look_like_salesforce(dirty):
    ids = dirty[0]["Account ID"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"001[0-9A-Za-z]{15}").all()
    assert all(i[15:] == _checksum(i[:15]) for i in ids.iloc[:500])


@pytest.mark.parametrize(
    "column, allowed",
    [
        ("Type", set(TYPE_PICKLIST)),
        (
            "Billing Country",
            {"United States", "Canada", "United Kingdom", "Germany", "France", "Australia"},
        ),
        ("Industry", {lab for v in VERTICALS for lab in v.labels}),
    ],
)
def test_clean_picklists(clean, column, allowed):
    assert set(clean[0][column]) <= allowed


def test_clean_values_are_well_formed(clean):
    export = clean[0]
    assert export.notna().all().all()
    assert export["Account Name"].is_unique
    assert export["Annual Revenue"].str.fullmatch(r"USD \d{1,3}(,\d{3})*\.00").all()
    assert export["Average Deal Size"].str.fullmatch(r"USD \d{1,3}(,\d{3})*\.00").all()
    assert export["Employees"].str.fullmatch(r"[1-9]\d*").all()
    assert export["Website"].str.fullmatch(r"www\.[a-z0-9]+\.[a-z.]+").all()
    dates = pd.to_datetime(export["Created Date"], format="%m/%d/%Y")
    assert dates.between("2010-01-01", "2026-06-30").all()
    assert export["Created Date"].str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").all()
    # every owner of the planted sales teams holds some accounts, and nobody else does
    owners = {name for team in ACCOUNT_OWNERS.values() for name in team}
    assert set(export["Account Owner"]) == owners


def test_status_follows_type(clean):
    export, truth = clean
    assert (export["Type"].map(TYPE_STATUS) == truth["status"]).all()
    assert set(truth["status"]) <= set(STATUSES)


def test_industry_label_belongs_to_planted_vertical(clean):
    export, truth = clean
    labels = {v.name: set(v.labels) for v in VERTICALS}
    assert all(lab in labels[v] for lab, v in zip(export["Industry"], truth["vertical"]))
    # several labels per planted vertical, so the app has something to merge
    per_vertical = export.groupby(truth["vertical"])["Industry"].nunique()
    assert (per_vertical.drop("Other") >= 3).all()


# ----------------------------------------------------------------------------- planted structure


def _profile(export, truth):
    frame = pd.DataFrame(
        {
            "type": truth["customer_type"],
            "vertical": truth["vertical"],
            "status": truth["status"],
            "employees": pd.to_numeric(export["Employees"]),
            "deal": _money(export["Average Deal Size"]),
            "revenue": _money(export["Annual Revenue"]),
        }
    )
    return frame


@pytest.mark.parametrize(
    "customer_type, employees, deal, status, min_share",
    [
        ("enterprise", (1000, 50_000), (80_000, 300_000), "customer", 0.99),
        ("mid_market", (100, 1000), (20_000, 50_000), "customer", 0.9),
        ("smb_prospect", (5, 100), (2_000, 6_000), "prospect", 0.9),
        ("smb_self_serve", (1, 50), (500, 1_000), "customer", 0.95),
        ("former", (100, 2000), (10_000, 40_000), "former", 1.0),
    ],
)
def test_planted_customer_types_have_their_profile(
    clean, customer_type, employees, deal, status, min_share
):
    frame = _profile(*clean)
    group = frame[
        (frame["type"] == customer_type)
        & ~frame["vertical"].isin(["Healthcare", "Financial Services", "Government", "Education"])
    ]
    assert employees[0] <= group["employees"].median() <= employees[1]
    assert deal[0] <= group["deal"].median() <= deal[1]
    assert (group["status"] == status).mean() >= min_share


def test_customer_types_separate_on_log_scale(clean):
    frame = _profile(*clean)
    medians = np.log(frame.groupby("type")[["employees", "deal"]].median())
    order = ["enterprise", "mid_market", "smb_prospect", "smb_self_serve"]
    # each step down the ladder is at least ~2x smaller in deal size
    assert (np.diff(medians.loc[order, "deal"]) < -0.7).all()
    assert (np.diff(medians.loc[order, "employees"]) < 0).all()


@pytest.mark.parametrize("vertical", ["Healthcare", "Financial Services"])
def test_some_verticals_call_for_different_coverage(clean, vertical):
    frame = _profile(*clean)
    plain = frame[frame["vertical"].isin(["Technology", "Manufacturing", "Retail"])]
    this = frame[frame["vertical"] == vertical]
    for customer_type in ("enterprise", "mid_market"):
        ratio = (
            this.loc[this["type"] == customer_type, "deal"].median()
            / plain.loc[plain["type"] == customer_type, "deal"].median()
        )
        assert ratio > 1.5
    assert (this["type"] == "enterprise").mean() > 1.5 * (plain["type"] == "enterprise").mean()


def test_all_planted_groups_are_present(clean):
    _, truth = clean
    assert set(truth["customer_type"]) == {t.key for t in CUSTOMER_TYPES}
    assert set(truth["vertical"]) == {v.name for v in VERTICALS}
    assert len(VERTICALS) - 1 == 8  # eight planted verticals plus the "Other" long tail


# ----------------------------------------------------------------------------- dirt


def _industry_variant(export, truth):
    labels = {lab for v in VERTICALS for lab in v.labels}
    s = export["Industry"]
    lowered = {lab.lower() for lab in labels}
    return s.notna() & ~s.isin(labels) & s.str.strip().str.lower().isin(lowered)


def _typo(export, truth):
    return export["Industry"].isin({t for typos in INDUSTRY_TYPOS.values() for t in typos})


DIRT_CHECKS = [
    # name, row predicate, expected share of rows (roughly)
    ("blank industry", lambda e, t: e["Industry"].isna(), 0.03),
    ("industry case/spacing", _industry_variant, 0.04),
    ("industry typo", _typo, 0.008),  # 1.5% of the rows whose label has a known typo
    ("blank employees", lambda e, t: e["Employees"].isna(), 0.02),
    ("999999 employees", lambda e, t: e["Employees"] == "999999", 0.003),
    ("blank revenue", lambda e, t: e["Annual Revenue"].isna(), 0.015),
    ("negative revenue", lambda e, t: e["Annual Revenue"].str.startswith("USD -", na=False), 0.003),
    (
        "compact revenue",
        lambda e, t: e["Annual Revenue"].str.fullmatch(r"\$?[\d.]+[KMB]", na=False),
        0.10,
    ),
    ("blank deal size", lambda e, t: e["Average Deal Size"].isna(), 0.01),
    ("country alias", lambda e, t: e["Billing Country"].isin({"USA", "US", "UK"}), 0.025),
    ("blank website", lambda e, t: e["Website"].isna(), 0.04),
    ("duplicate names", lambda e, t: e["Account Name"].duplicated(), 0.004),
]


@pytest.mark.parametrize("name, predicate, rate", DIRT_CHECKS, ids=[c[0] for c in DIRT_CHECKS])
def test_planted_dirt_present_when_dirty(dirty, name, predicate, rate):
    share = predicate(*dirty).mean()
    assert 0.5 * rate <= share <= 1.5 * rate, f"{name}: {share:.4f}"


@pytest.mark.parametrize("name, predicate, rate", DIRT_CHECKS, ids=[c[0] for c in DIRT_CHECKS])
def test_planted_dirt_absent_when_clean(clean, name, predicate, rate):
    assert not predicate(*clean).any(), name


@pytest.mark.parametrize(
    "example", ["technology", " Technology ", "Technolgy", "Helthcare", "Finanace"]
)
def test_named_dirt_examples_occur(dirty, example):
    assert (dirty[0]["Industry"] == example).any()


def test_dirt_keeps_truth_for_every_row(dirty):
    export, truth = dirty
    assert truth.notna().all().all()
    assert len(truth) == len(export)


@pytest.mark.parametrize("n", [2, 50])
def test_small_dirty_samples_still_have_a_duplicate_name(n):
    export, _ = generate_accounts(n, seed=5)
    assert export["Account Name"].duplicated().sum() >= 1


# ----------------------------------------------------------------------------- opportunities


def test_opportunity_columns_and_values(deals):
    assert (
        list(deals.columns)
        == list(OPPORTUNITY_COLUMNS)
        == [
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
        ]
    )
    assert deals.notna().all().all()
    assert set(deals["Stage"]) == set(STAGES)
    assert deals["Opportunity ID"].is_unique and deals["Opportunity ID"].is_monotonic_increasing
    assert deals["Opportunity ID"].str.fullmatch(r"006[0-9A-Za-z]{15}").all()
    assert deals["Amount"].str.fullmatch(r"USD \d{1,3}(,\d{3})*\.00").all()
    created = pd.to_datetime(deals["Created Date"], format="%m/%d/%Y")
    close = pd.to_datetime(deals["Close Date"], format="%m/%d/%Y")
    assert (close >= created).all()


def test_deals_reference_accounts_except_planted_orphans(dirty, deals):
    known = deals["Account ID"].isin(dirty[0]["Account ID"])
    assert 0.005 <= (~known).mean() <= 0.015
    # orphans still look like account ids
    assert deals.loc[~known, "Account ID"].str.fullmatch(r"001[0-9A-Za-z]{15}").all()


def test_a_few_unknown_products(deals):
    unknown = ~deals["Product"].isin(PRODUCT_LINES)
    assert set(deals.loc[unknown, "Product"]) <= set(UNKNOWN_PRODUCTS)
    assert 0.002 <= unknown.mean() <= 0.01


@pytest.mark.parametrize(
    "customer_type, low, high",
    [
        ("enterprise", 4, 7),
        ("mid_market", 3, 6),
        ("smb_self_serve", 2.5, 5),
        ("former", 2.5, 5),
        ("smb_prospect", 0.5, 1.5),
    ],
)
def test_deals_per_account(dirty, deals, customer_type, low, high):
    export, truth = dirty
    counts = deals["Account ID"].value_counts().reindex(truth["account_id"], fill_value=0)
    mean = counts[(truth["customer_type"] == customer_type).to_numpy()].mean()
    assert low <= mean <= high


def test_won_deals_by_status(dirty, deals):
    _, truth = dirty
    status = deals["Account ID"].map(dict(zip(truth["account_id"], truth["status"])))
    won = deals["Stage"] == "Closed Won"
    assert not won[status == "prospect"].any()
    customers = truth.loc[truth["status"] == "customer", "account_id"]
    assert customers.isin(deals.loc[won, "Account ID"]).mean() > 0.98


def test_deal_amounts_follow_account_deal_size(dirty, deals):
    export, _ = dirty
    avg = _money(export.set_index("Account ID")["Average Deal Size"])
    won = deals[deals["Stage"] == "Closed Won"]
    mean_won = _money(won["Amount"]).groupby(won["Account ID"].to_numpy()).mean()
    joined = pd.concat([np.log(mean_won), np.log(avg)], axis=1, join="inner").dropna()
    assert joined.corr().iloc[0, 1] > 0.9


# ----------------------------------------------------------------------------- files and scale


def test_committed_sample_files_match_the_script():
    script = _load_script()
    for name, data in script.build().items():
        stale = f"data/{name} is stale: run scripts/make_sample_data.py"
        assert (ROOT / "data" / name).read_bytes() == data, stale


def test_accounts_file_is_a_salesforce_report_export():
    text = (ROOT / "data/sample_accounts.csv").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == '"' + '","'.join(EXPORT_COLUMNS) + '"'
    assert lines[-7:] == [
        "",
        '"Grand Totals (2000 records)"',
        "",
        '"Confidential Information - Do Not Distribute"',
        "",
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
        "",
    ]
    body = "\n".join(lines[:2001]) + "\n"
    assert all(line.startswith('"') and line.endswith('"') for line in lines[:2001])
    parsed = pd.read_csv(io.StringIO(body), dtype="str", keep_default_na=False, na_values=[""])
    export, _ = generate_accounts(2000, seed=7)
    pd.testing.assert_frame_equal(parsed, export, check_dtype=False)


def test_opportunities_file_matches_the_accounts_file():
    opps = pd.read_csv(ROOT / "data/sample_opportunities.csv", dtype="str")
    assert list(opps.columns) == list(OPPORTUNITY_COLUMNS)
    accounts = pd.read_csv(
        ROOT / "data/sample_accounts.csv", dtype="str", skipfooter=5, engine="python"
    )
    assert len(accounts) == 2000
    assert 0.005 <= (~opps["Account ID"].isin(accounts["Account ID"])).mean() <= 0.015


def test_script_writes_identical_bytes_twice(tmp_path):
    script = _load_script()
    first, second = tmp_path / "a", tmp_path / "b"
    assert script.main(["--out-dir", str(first), "--n", "300"]) == 0
    assert script.main(["--out-dir", str(second), "--n", "300"]) == 0
    for name in ("sample_accounts.csv", "sample_opportunities.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert '"Grand Totals (300 records)"' in (first / "sample_accounts.csv").read_text()


def test_two_hundred_thousand_accounts_generate():
    export, truth = generate_accounts(200_000, seed=11, dirty=False)
    assert len(export) == len(truth) == 200_000
    assert export["Account ID"].is_unique and export["Account Name"].is_unique
    dirty_export, _ = generate_accounts(200_000, seed=11)
    assert dirty_export["Industry"].isna().any()


def test_generator_does_not_import_streamlit():
    code = "import sys, scripts.sample_crm; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
