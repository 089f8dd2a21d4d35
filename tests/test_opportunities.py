"""Opportunities: deals aggregated per account, joined on id or name, nothing dropped silently."""

import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.ingest import read_table
from segmentation.opportunities import (
    aggregate_opportunities,
    map_opportunity_columns,
    normalise_name,
)
from segmentation.pipeline import load_accounts
from tests.conftest import FIXTURES, SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["001A00000000001AAA", "001A00000000002AAA", "001A00000000003AAA"],
        "account_name": ["Acme Inc.", "Globex Corporation", "Initech"],
    }
)


def _deals(rows):
    return pd.DataFrame(rows, columns=["Account ID", "Account Name", "Stage", "Amount", "Product"]).astype("str")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["AccountId", "StageName", "Amount", "CloseDate", "CreatedDate", "IsWon", "IsClosed"],
         {"account_id": "AccountId", "stage": "StageName", "amount": "Amount", "close_date": "CloseDate",
          "created": "CreatedDate", "is_won": "IsWon", "is_closed": "IsClosed"}),
        (["Account Name", "Stage", "Amount", "Close Date", "Product"],
         {"account_name": "Account Name", "stage": "Stage", "amount": "Amount", "close_date": "Close Date",
          "product": "Product"}),
        (["Associated Company", "Deal Stage", "Amount", "Create Date"],
         {"account_name": "Associated Company", "stage": "Deal Stage", "amount": "Amount", "created": "Create Date"}),
        (["Potential Customer", "Est. Revenue", "Status"],
         {"account_name": "Potential Customer", "amount": "Est. Revenue", "stage": "Status"}),
    ],
)  # fmt: skip
def test_headers_map_across_crms(headers, expected):
    assert map_opportunity_columns(headers) == expected


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme Inc.", "acme"),
        ("ACME, Inc", "acme"),
        ("Globex Corporation", "globex"),
        ("Smith & Sons Ltd", "smith and sons"),
        ("  Initech  ", "initech"),
    ],
)
def test_normalised_names_match_across_spellings(name, key):
    assert normalise_name(pd.Series([name])).iloc[0] == key


def test_aggregates_per_account_by_hand():
    deals = _deals(
        [
            ["001A00000000001AAA", "Acme Inc.", "Closed Won", "USD 10,000.00", "Core"],
            ["001A00000000001AAA", "Acme Inc.", "Closed Won", "$30K", "Security"],
            ["001A00000000001AAA", "Acme Inc.", "Closed Lost", "5000", "Core"],
            ["001A00000000001AAA", "Acme Inc.", "Negotiation/Review", "7000", "Core"],
            ["001A00000000002AAA", "Globex", "Closed Lost", "1000", "Core"],
        ]
    )
    result = aggregate_opportunities(deals, ACCOUNTS)
    acme, globex, initech = (result.per_account.iloc[i] for i in range(3))
    assert (acme["deals"], acme["won_deals"], acme["lost_deals"], acme["open_deals"]) == (4, 2, 1, 1)
    assert acme["won_revenue"] == 40_000 and acme["avg_won_deal"] == 20_000
    assert acme["win_rate"] == pytest.approx(2 / 3)
    assert acme["open_pipeline"] == 7_000
    assert acme["products"] == "Core; Security"
    assert globex["win_rate"] == 0 and globex["won_revenue"] == 0
    assert initech["deals"] == 0 and pd.isna(initech["win_rate"])


def test_15_character_ids_match_18_character_ids():
    deals = _deals([["001A00000000003", "", "Closed Won", "100", "Core"]])
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert result.matched_by_id == 1
    assert result.per_account.iloc[2]["won_revenue"] == 100


def test_orphan_ids_are_counted_not_rematched_by_name():
    deals = _deals(
        [
            ["001A00000000001AAA", "Acme Inc.", "Closed Won", "100", "Core"],
            ["001A00000000002AAA", "Globex", "Closed Won", "100", "Core"],
            ["001Z99999999999ZZZ", "Acme Inc.", "Closed Won", "999", "Core"],
        ]
    )
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert (result.matched_by_id, result.matched_by_name, result.unmatched) == (2, 0, 1)
    assert result.unmatched_examples == ["Acme Inc."]
    assert "1 of 3 deals match no account" in result.warnings[0]
    assert result.per_account.iloc[0]["won_revenue"] == 100


def test_blank_ids_fall_back_to_the_name():
    deals = _deals(
        [
            ["001A00000000001AAA", "Acme Inc.", "Closed Won", "100", "Core"],
            ["", "ACME, Inc", "Closed Won", "50", "Core"],
        ]
    )
    deals.loc[1, "Account ID"] = pd.NA
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert (result.matched_by_id, result.matched_by_name, result.unmatched) == (1, 1, 0)
    assert result.per_account.iloc[0]["won_revenue"] == 150


def test_without_an_id_column_names_join():
    deals = pd.DataFrame({"Company": ["Globex Corp", "Nobody Ltd"], "Amount": ["10", "20"]}).astype("str")
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert (result.matched_by_name, result.unmatched) == (1, 1)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"Account ID": ["x"], "Stage": ["Won"]}, "no amount column"),
        ({"Amount": ["1"], "Stage": ["Won"]}, "no account id or account name"),
    ],
)
def test_unusable_exports_are_input_errors(columns, message):
    with pytest.raises(InputError, match=message):
        aggregate_opportunities(pd.DataFrame(columns).astype("str"), ACCOUNTS)


def test_real_salesforce_api_export_uses_iswon_and_isclosed():
    accounts = load_accounts(FIXTURES / "real" / "sf_devorg_Account.csv").accounts
    deals, _ = read_table(FIXTURES / "real" / "sf_devorg_Opportunity.csv")
    result = aggregate_opportunities(deals, accounts)
    assert result.deals_read == 36
    assert result.matched_by_id + result.unmatched == 36
    won = (deals["IsWon"] == "TRUE").sum()
    assert result.per_account["won_deals"].sum() <= won
    assert result.per_account["won_deals"].sum() > 0
    # This org was loaded in 2026 with close dates in 2024: cycles are unknown, and said so.
    assert result.per_account["sales_cycle_days"].isna().all()
    assert any("close before they were created" in w for w in result.warnings)


def test_sample_opportunities_feed_the_deal_size():
    plain = load_accounts(SAMPLE_ACCOUNTS)
    loaded = load_accounts(SAMPLE_ACCOUNTS, opportunities=SAMPLE_OPPORTUNITIES)
    deals = loaded.opportunities
    assert deals.deals_read == deals.matched_by_id + deals.matched_by_name + deals.unmatched
    assert deals.unmatched > 0  # the sample plants orphan deals
    has_won = deals.per_account["won_deals"] > 0
    assert (loaded.accounts.loc[has_won, "deal_size"] == deals.per_account.loc[has_won, "avg_won_deal"]).all()
    assert (loaded.accounts.loc[~has_won, "deal_size"].fillna(-1) == plain.accounts.loc[~has_won, "deal_size"].fillna(-1)).all()
    assert list(loaded.prepared.extra_features.columns) == list(plain.prepared.extra_features.columns)
    change = loaded.prepared.changes[-1]
    assert change["field"] == "deal_size" and change["count"] == int(has_won.sum())


@pytest.mark.parametrize(
    ("catalogue", "expected_other"),
    [
        (None, {"TBD": 1}),  # below 1% of deals: outside the inferred catalogue
        (["core", "Security"], {"TBD": 1, "Analytics": 5}),
    ],
)
def test_products_outside_the_catalogue_are_counted_and_pooled(catalogue, expected_other):
    rows = [["001A00000000001AAA", "Acme", "Closed Won", "10", "Core"]] * 144
    rows += [["001A00000000002AAA", "Globex", "Closed Won", "10", "Analytics"]] * 5
    rows += [["001A00000000003AAA", "Initech", "Closed Won", "10", "TBD"]]
    deals = _deals(rows)
    if catalogue:
        deals["Product"] = deals["Product"].str.replace("Core", "CORE ")
    result = aggregate_opportunities(deals, ACCOUNTS, catalogue=catalogue)
    assert result.unrecognised_products == expected_other
    assert "Other products" in set(result.product_revenue["product"])
    pooled = result.product_revenue.loc[result.product_revenue["product"] == "Other products", "deals"]
    assert pooled.sum() == sum(expected_other.values())
    assert any("outside the catalogue" in w for w in result.warnings)


def test_catalogue_names_outside_latin_letters_keep_their_identity():
    rows = [["001A00000000001AAA", "Acme", "Closed Won", "10", "製品A"]] * 3
    rows += [["001A00000000002AAA", "Globex", "Closed Won", "10", "製品 B"]] * 2
    result = aggregate_opportunities(_deals(rows), ACCOUNTS, catalogue=["製品A", "製品B", "Société"])
    assert result.unrecognised_products == {}
    mix = result.product_revenue.groupby("product")["deals"].sum().to_dict()
    assert mix == {"製品A": 3, "製品B": 2}
