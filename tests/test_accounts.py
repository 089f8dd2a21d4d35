"""prepare_accounts: the canonical table, and that every change is counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation.accounts import PreparedAccounts, normalise_name, prepare_accounts, website_domain
from segmentation.fields import FIELD_NAMES, STATUSES
from segmentation.ingest import read_table
from segmentation.schema import infer_mapping

FIX = Path(__file__).parent / "fixtures"


def _prepare(df, **kw):
    return prepare_accounts(df, infer_mapping(df, **kw))


def _table(**cols):
    return pd.DataFrame(cols, dtype="str")


def _change(prepared, field, word):
    return [c for c in prepared.changes if c["field"] == field and word in c["what"]]


ALL_FIXTURES = [
    "real/sf_devorg_Account.csv", "real/sf_datacloud_Account.csv", "real/adventureworks_resellers.csv",
    "real/wholesale.csv", "real/wholesale_dirty_outliers_blanks.csv", "real/wholesale_with_CustomerID.csv",
    "real/wholesale_semicolon_delimited.csv", "real/wholesale_latin1_trailing_notes_cols.csv",
    "real/wholesale_renamed_headers.csv",
    "tools/salesforce_report_accounts.csv", "tools/salesforce_dataloader_accounts.csv",
    "tools/hubspot_companies.xlsx", "tools/dynamics365_accounts_eu.csv", "tools/excel_unicode_text.txt",
    "tools/pipedrive_organizations.csv", "tools/zoho_accounts.csv",
]


@pytest.mark.parametrize("file", ALL_FIXTURES)
def test_canonical_table_shape_and_types(file):
    df, info = read_table(FIX / file)
    prepared = _prepare(df)
    acc = prepared.accounts
    assert isinstance(prepared, PreparedAccounts)
    assert list(acc.columns) == list(FIELD_NAMES)
    assert len(acc) == info.rows and isinstance(acc.index, pd.RangeIndex)
    for f in ("employees", "annual_revenue", "deal_size"):
        assert acc[f].dtype == np.float64
        assert not (acc[f] < 0).any()
    assert str(acc["created"].dtype).startswith("datetime64")
    assert set(acc["status"].dropna()) <= set(STATUSES)
    assert acc["account_id"].notna().all()
    assert prepared.extra_features.index.equals(acc.index)
    assert all(prepared.extra_features.dtypes == np.float64)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Customer - Direct", "customer"), ("Customer - Channel", "customer"), ("Prospect", "prospect"),
        ("Former Customer", "former"), ("Channel Partner / Reseller", "partner"),
        ("Installation Partner", "partner"), ("Technology Partner", "partner"),
        ("subscriber", "prospect"), ("lead", "prospect"), ("marketingqualifiedlead", "prospect"),
        ("salesqualifiedlead", "prospect"), ("opportunity", "prospect"), ("customer", "customer"),
        ("evangelist", "customer"), ("Marketing Qualified Lead", "prospect"),
        ("Competitor", "other"), ("Consultant", "partner"), ("Reseller", "partner"),
        ("Hot lead", "prospect"), ("Other", "other"), ("Something odd", "other"),
    ],
)
def test_status_mapping(raw, expected):
    prepared = _prepare(_table(**{"Account Name": ["Acme"], "Type": [raw]}))
    assert prepared.accounts.loc[0, "status"] == expected


def test_unknown_status_counted_with_examples():
    prepared = _prepare(_table(**{"Account Name": ["A", "B", "C"], "Type": ["Prospect", "Weird", "Weird"]}))
    [change] = _change(prepared, "status", "unrecognised")
    assert change["count"] == 2 and change["examples"] == ["Weird"]
    assert any("'Weird'" in w for w in prepared.warnings)


def test_missing_tokens_negatives_and_sentinels_blanked_and_counted():
    df = _table(**{
        "Account Name": ["A", "B", "C", "D", "E", "F"],
        "Annual Revenue": ["1000", "N/A", "-5", "999999", "null", "$2M"],
        "Employees": ["10", "-1", "9999999", "-", "51-200", "abc"],
    })
    prepared = _prepare(df)
    acc = prepared.accounts
    assert acc["annual_revenue"].tolist()[:1] == [1000.0] and acc.loc[5, "annual_revenue"] == 2e6
    assert acc["annual_revenue"].isna().tolist() == [False, True, True, True, True, False]
    assert acc["employees"].tolist()[0] == 10 and acc.loc[4, "employees"] == 125.5
    assert acc["employees"].isna().tolist() == [False, True, True, True, False, True]
    assert _change(prepared, "annual_revenue", "missing-value")[0]["count"] == 2
    assert _change(prepared, "annual_revenue", "negative")[0]["count"] == 1
    assert _change(prepared, "annual_revenue", "placeholder")[0]["count"] == 1
    assert _change(prepared, "employees", "placeholder")[0]["count"] == 2
    assert _change(prepared, "employees", "could not be read")[0]["examples"] == ["abc"]
    assert "1 Annual Revenue values were negative and were treated as missing." in prepared.warnings


def test_revenue_bands_become_midpoints_and_are_counted():
    df = _table(**{
        "Account Name": ["A", "B", "C", "D"],
        "Annual Revenue": ["$10M - $50M", "$1B+", "$2M", "< $1M"],
    })
    prepared = _prepare(df)
    assert prepared.accounts["annual_revenue"].tolist()[:3] == [3e7, 1e9, 2e6]
    assert np.isnan(prepared.accounts.loc[3, "annual_revenue"])
    assert _change(prepared, "annual_revenue", "midpoint")[0]["count"] == 2
    assert _change(prepared, "annual_revenue", "could not be read")[0]["examples"] == ["< $1M"]
    assert "2 Annual Revenue values were ranges such as '$1M-$5M'; the midpoint was used." in prepared.warnings


def test_ids_generated_when_missing_and_counted():
    prepared = _prepare(_table(**{"Account ID": ["A1", None, "A3"], "Account Name": ["a", "b", "c"]}))
    assert prepared.accounts["account_id"].tolist() == ["A1", "ROW-000002", "A3"]
    assert _change(prepared, "account_id", "generated")[0]["count"] == 1
    unmapped = _prepare(_table(**{"Account Name": ["a", "b"]}))
    assert unmapped.accounts["account_id"].tolist() == ["ROW-000001", "ROW-000002"]


@pytest.mark.parametrize(
    "values, expected",
    [
        (["3/14/2021", "11/2/2022"], ["2021-03-14", "2022-11-02"]),
        (["02/23/26", "12/01/25"], ["2026-02-23", "2025-12-01"]),
        (["14/03/2021", "02/11/2022"], ["2021-03-14", "2022-11-02"]),
        (["14.03.2021", "02.11.2022 14:30"], ["2021-03-14", "2022-11-02"]),
        (["2024-01-22T14:26:21.000+0000", "2023-01-05"], ["2024-01-22", "2023-01-05"]),
        (["2021-09-01 12:00:00", "not a date"], ["2021-09-01", None]),
    ],
)
def test_dates_parsed_per_column(values, expected):
    prepared = _prepare(_table(**{"Account Name": ["a", "b"], "Created Date": values}))
    got = [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in prepared.accounts["created"]]
    assert got == expected


def test_salesforce_report_fixture_end_to_end():
    df, _ = read_table(FIX / "tools" / "salesforce_report_accounts.csv")
    prepared = _prepare(df)
    acc = prepared.accounts
    assert acc.loc[0, "account_name"] == "Acme Robotics, Inc."
    assert acc.loc[0, "annual_revenue"] == 12_500_000
    assert acc["status"].tolist() == ["customer", "prospect", "customer", "former", "partner", "other"]
    assert pd.isna(acc.loc[3, "annual_revenue"])  # USD 999,999.00 placeholder
    assert pd.isna(acc.loc[5, "annual_revenue"])  # negative


def test_dynamics_eu_money_and_dates():
    df, _ = read_table(FIX / "tools" / "dynamics365_accounts_eu.csv")
    acc = _prepare(df).accounts
    assert acc["annual_revenue"].tolist()[:3] == [1234567.89, 850000.0, 2500000.0]
    assert acc.loc[2, "employees"] == 1200
    assert acc.loc[1, "created"] == pd.Timestamp("2021-12-25 14:30")


def test_wholesale_dirty_keeps_every_row_and_cleans_spend():
    df, _ = read_table(FIX / "real" / "wholesale_dirty_outliers_blanks.csv")
    prepared = _prepare(df)
    assert len(prepared.accounts) == 500
    extra = prepared.extra_features
    assert list(extra.columns) == ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    assert (extra.min() >= 0).all() and not extra.isin([999999.0]).any().any()
    assert sum(c["count"] for c in prepared.changes if "placeholder" in c["what"]) == 6
    assert prepared.accounts["account_name"].tolist()[:2] == ["ROW-000001", "ROW-000002"]


def test_customer_id_wholesale_names_accounts_by_id():
    df, _ = read_table(FIX / "real" / "wholesale_with_CustomerID.csv")
    acc = _prepare(df).accounts
    assert acc.loc[0, "account_id"] == "101" and acc.loc[0, "account_name"] == "101"


def test_text_fields_stripped_and_industry_kept_raw():
    prepared = _prepare(_table(**{"Account Name": ["  Acme  "], "Industry": [" COMPUTER_SOFTWARE "]}))
    assert prepared.accounts.loc[0, "account_name"] == "Acme"
    assert prepared.accounts.loc[0, "industry"] == "COMPUTER_SOFTWARE"


# Two spellings of one company must give one key; different companies must not. Each case is
# also run inside one mixed column (ASCII and non-ASCII cells together), which takes the
# pyarrow path for some cells and Python's ``re`` for others.
NAME_PAIRS = [
    ("Smith & Sons Ltd", "SMITH AND SONS", True),
    ("Acme, Inc.", "acme inc", True),
    ("Acme\u00a0Corp", "ACME  corporation", True),  # NBSP, double space
    ("Straße Bau GmbH", "STRASSE BAU", True),  # ß casefolds to ss
    ("MÜLLER STRAẞE AG", "Müller Strasse", True),  # capital ẞ
    ("İZMİR TİCARET LTD", "İZMİR TİCARET", True),  # Turkish dotted capital I
    ("Ölwerke Süd GmbH", "ÖLWERKE SÜD", True),
    ("Café\u3000Noir", "café noir", True),  # ideographic space
    ("Nestlé SA", "NESTLÉ", True),
    ("株式会社 東京", "株式会社\u3000東京", True),
    ("😀 Emoji Ltd", "Emoji", True),
    ("\tTab\x0bCo\x1c", "tab", True),  # ASCII whitespace Python's \s knows
    ("Nestlé", "Nestle", False),  # accents are kept
    ("Smith & Sons", "Smith Sons", False),
    ("Acme", "Acne", False),
    ("東京", "京都", False),
    ("Straße", "Strase", False),
]

NAME_KEYS = [
    ("Smith & Sons Ltd", "smith and sons"),
    ("  The Acme Company  ", "acme"),
    ("O'Brien & Co.", "o brien and"),
    ("Straße Bau GmbH", "strasse bau"),
    ("Café\u00a0Noir", "café noir"),
    ("", None), ("   ", None), ("\u00a0", None), (None, None), ("Ltd.", None), ("The Company", None),
]


def _keys(func, values):
    one_by_one = [func(pd.Series([v], dtype="str")).iloc[0] for v in values]
    together = func(pd.Series(values, dtype="str", index=range(10, 10 + len(values)), name="x"))
    assert together.dtype == "str" and together.name == "x"
    assert list(together.index) == list(range(10, 10 + len(values)))
    assert [None if pd.isna(k) else k for k in together] == [None if pd.isna(k) else k for k in one_by_one]
    return together.tolist()


@pytest.mark.parametrize("a, b, same", NAME_PAIRS)
def test_normalise_name_pairs(a, b, same):
    everything = [x for pair in NAME_PAIRS for x in pair[:2]] + [a, b]
    key_a, key_b = _keys(normalise_name, everything)[-2:]
    assert pd.notna(key_a) and pd.notna(key_b)
    assert (key_a == key_b) is same, (key_a, key_b)


@pytest.mark.parametrize("name, key", NAME_KEYS)
def test_normalise_name_keys(name, key):
    got = _keys(normalise_name, [n for n, _ in NAME_KEYS] + [name])[-1]
    assert (None if pd.isna(got) else got) == key


@pytest.mark.parametrize(
    "url, domain",
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("ACME.COM", "acme.com"),
        ("http://acme.com:8080", "acme.com"),
        ("\u00a0www.acme.com?ref=crm\u00a0", "acme.com"),  # NBSP around
        ("acme.co.uk/#contact", "acme.co.uk"),
        ("HTTPS://MÜNCHEN.DE", "münchen.de"),
        ("https://münchen.de/x", "münchen.de"),
        ("WWW.STRAẞE.DE", "strasse.de"),
        ("www.straße.de", "strasse.de"),
        ("\tacme.com/path\n", "acme.com"),
        ("acme", None), ("", None), ("   ", None), (None, None), ("mailto:x", None),
    ],
)
def test_website_domain(url, domain):
    got = _keys(website_domain, ["https://www.Ölwerke.de/", "plain.com", None, url])[-1]
    assert (None if pd.isna(got) else got) == domain
