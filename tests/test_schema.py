"""infer_mapping: every tool's headers, content inference, overrides and refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.fields import FIELD_NAMES
from segmentation.ingest import read_table
from segmentation.schema import Mapping, infer_mapping, normalise_header
from tests import realistic_exports as exports

FIX = Path(__file__).parent / "fixtures"


def _frame(headers, rows=None):
    rows = rows or [["x"] * len(headers)]
    return pd.DataFrame(rows, columns=headers, dtype="str")


HEADER_TABLE = [
    # Salesforce API names (Data Loader)
    ("Id", "account_id"),
    ("Name", "account_name"),
    ("AnnualRevenue", "annual_revenue"),
    ("NumberOfEmployees", "employees"),
    ("Type", "status"),
    ("OwnerId", "owner"),
    ("Industry", "industry"),
    ("BillingState", "region"),
    ("BillingCountry", "country"),
    ("CreatedDate", "created"),
    ("ParentId", "parent_id"),
    ("Website", "website"),
    # Salesforce report labels
    ("Account Name", "account_name"),
    ("Account Owner", "owner"),
    ("Annual Revenue", "annual_revenue"),
    ("Employees", "employees"),
    ("Billing State/Province", "region"),
    ("Billing Country", "country"),
    ("Created Date", "created"),
    ("Parent Account", "parent_id"),
    ("Account ID", "account_id"),
    # HubSpot
    ("Company name", "account_name"),
    ("Number of Employees", "employees"),
    ("Lifecycle Stage", "status"),
    ("Company owner", "owner"),
    ("Record ID", "account_id"),
    ("Country/Region", "country"),
    ("State/Region", "region"),
    ("Create Date", "created"),
    ("Company Domain Name", "website"),
    ("Website URL", "website"),
    ("Parent Company", "parent_id"),
    # Dynamics 365
    ("(Do Not Modify) Account", "account_id"),
    ("Relationship Type", "status"),
    ("Owner", "owner"),
    ("Address 1: State/Province", "region"),
    ("Address 1: Country/Region", "country"),
    ("Created On", "created"),
    # Pipedrive
    ("Organization - ID", "account_id"),
    ("Organization - Name", "account_name"),
    ("Organization - Owner", "owner"),
    ("Organization - Annual revenue", "annual_revenue"),
    ("Organization - Number of employees", "employees"),
    ("Organization - Website", "website"),
    ("Organization - Organization created", "created"),
    ("Organization - Industry", "industry"),
    # Zoho
    ("Record Id", "account_id"),
    ("Account Type", "status"),
    ("Created Time", "created"),
    ("Billing State", "region"),
    # plain spreadsheets
    ("Company", "account_name"),
    ("Customer", "account_name"),
    ("Customer Name", "account_name"),
    ("Revenue", "annual_revenue"),
    ("Sales", "annual_revenue"),
    ("Turnover", "annual_revenue"),
    ("Segment", "industry"),
    ("Sector", "industry"),
    ("Vertical", "industry"),
    ("Headcount", "employees"),
    ("Deal Size", "deal_size"),
    ("Avg Deal Size", "deal_size"),
    ("Amount", "deal_size"),
    ("Sales Rep", "owner"),
    ("State", "region"),
    ("Region", "region"),
    ("Country", "country"),
    ("Domain", "website"),
    ("Customer ID", "account_id"),
    # case and punctuation do not matter
    ("ANNUAL_REVENUE", "annual_revenue"),
    ("account-name", "account_name"),
    ("  website  ", "website"),
]


@pytest.mark.parametrize("header, field", HEADER_TABLE)
def test_header_maps_to_field(header, field):
    if field == "account_name":
        df = _frame([header], [["Acme Inc"], ["Beta LLC"]])
    else:
        df = _frame(["Account Name", header], [["Acme Inc", "100"], ["Beta LLC", "200"]])
    mapping = infer_mapping(df)
    assert mapping.columns.get(field) == header
    assert mapping.matches[field].confidence > 0.5
    assert "header" in mapping.matches[field].evidence


@pytest.mark.parametrize(
    "raw, key",
    [
        ("Address 1: State/Province", "address1stateprovince"),
        ("Number_of_Employees", "numberofemployees"),
    ],
)
def test_normalise_header(raw, key):
    assert normalise_header(raw) == key


@pytest.mark.parametrize(
    "file, expected",
    [
        (
            "real/sf_devorg_Account.csv",
            {
                "account_id": "Id",
                "account_name": "Name",
                "status": "Type",
                "annual_revenue": "AnnualRevenue",
                "parent_id": "ParentId",
            },
        ),
        (
            "real/sf_datacloud_Account.csv",
            {
                "account_name": "Name",
                "owner": "OwnerId",
                "country": "BillingCountry",
                "created": "CreatedDate",
            },
        ),
        (
            "real/adventureworks_resellers.csv",
            {
                "account_id": "ResellerKey",
                "account_name": "ResellerName",
                "employees": "NumberEmployees",
                "annual_revenue": "AnnualRevenue",
                "country": "EnglishCountryRegionName",
            },
        ),
        (
            "tools/salesforce_report_accounts.csv",
            {
                "account_name": "Account Name",
                "owner": "Account Owner",
                "region": "Billing State/Province",
            },
        ),
        (
            "tools/hubspot_companies.xlsx",
            {
                "account_id": "Record ID",
                "status": "Lifecycle Stage",
                "website": "Company Domain Name",
            },
        ),
        (
            "tools/dynamics365_accounts_eu.csv",
            {
                "account_id": "(Do Not Modify) Account",
                "status": "Relationship Type",
                "owner": "Owner",
            },
        ),
        (
            "tools/excel_unicode_text.txt",
            {"account_name": "Company", "annual_revenue": "Revenue", "industry": "Segment"},
        ),
        (
            "tools/pipedrive_organizations.csv",
            {
                "account_name": "Organization - Name",
                "employees": "Organization - Number of employees",
            },
        ),
        (
            "tools/zoho_accounts.csv",
            {
                "account_id": "Record Id",
                "owner": "Account Owner",
                "status": "Account Type",
                "parent_id": "Parent Account",
            },
        ),
    ],
)
def test_real_and_tool_exports_map_sensibly(file, expected):
    df, _ = read_table(FIX / file)
    mapping = infer_mapping(df)
    for field, column in expected.items():
        assert mapping.columns[field] == column


WHOLESALE_FEATURES = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


@pytest.mark.parametrize(
    "file, features, account_id",
    [
        ("wholesale.csv", WHOLESALE_FEATURES, None),
        ("wholesale_semicolon_delimited.csv", WHOLESALE_FEATURES, None),
        ("wholesale_dirty_outliers_blanks.csv", WHOLESALE_FEATURES, None),
        ("wholesale_latin1_trailing_notes_cols.csv", WHOLESALE_FEATURES, None),
        ("wholesale_renamed_headers.csv", ["Fresh goods"] + WHOLESALE_FEATURES[1:], None),
        ("wholesale_with_CustomerID.csv", WHOLESALE_FEATURES, "CustomerID"),
    ],
)
def test_wholesale_variants_use_spend_as_features(file, features, account_id):
    df, _ = read_table(FIX / "real" / file)
    mapping = infer_mapping(df)
    assert mapping.feature_columns == features
    assert mapping.columns.get("account_id") == account_id
    assert mapping.columns.get("region") == "Region"
    assert "Channel" in mapping.excluded  # the label to recover, not an input
    assert any("no text columns" in w for w in mapping.warnings)


def test_content_inference_for_unknown_headers():
    df = _frame(
        ["Kunde", "Volumen", "Web", "Art"],  # "Umsatz" is now a known header
        [
            ["Acme Inc", "$1.2M", "acme.com", "Customer"],
            ["Beta GmbH", "$850K", "beta.de", "Prospect"],
            ["Gamma Ltd", "USD 2,000,000", "gamma.co.uk", "Customer"],
            ["Delta Corp", "$3M", "https://delta.io", "Prospect"],
        ],
    )
    mapping = infer_mapping(df)
    assert mapping.columns["account_name"] == "Kunde"
    assert mapping.columns["annual_revenue"] == "Volumen"
    assert mapping.columns["website"] == "Web"
    assert mapping.columns["status"] == "Art"
    assert "content" in mapping.matches["annual_revenue"].evidence


def test_plain_numbers_are_not_guessed_as_revenue():
    df = _frame(["Company", "Score"], [["Acme Inc", "12"], ["Beta LLC", "40"], ["Gamma Co", "7"]])
    mapping = infer_mapping(df)
    assert "annual_revenue" not in mapping.columns
    assert mapping.feature_columns == ["Score"]


def test_overrides_win_and_ignore_excludes():
    df = _frame(
        ["Company", "Legal Name", "Spend", "Notes"],
        [["a", "A Inc", "1", "x"], ["b", "B Inc", "2", "y"]],
    )
    mapping = infer_mapping(df, overrides={"account_name": "Legal Name"}, ignore=["Spend"])
    assert mapping.columns["account_name"] == "Legal Name"
    assert mapping.matches["account_name"].confidence == 1.0
    assert mapping.excluded["Spend"] == "user --ignore"
    assert "Spend" not in mapping.feature_columns


@pytest.mark.parametrize(
    "overrides, ignore, message",
    [
        ({"revenue": "Spend"}, None, "Valid fields: account_id, account_name"),
        ({"account_name": "Nope"}, None, "no column 'Nope'. Columns: Company, Spend"),
        ({"account_name": "Spend", "annual_revenue": "Spend"}, None, "more than one field"),
        (None, ["Nope"], "--ignore Nope"),
        ({"annual_revenue": "Spend"}, ["Spend"], "both mapped"),
    ],
)
def test_bad_overrides_raise(overrides, ignore, message):
    df = _frame(["Company", "Spend"])
    with pytest.raises(InputError, match=message):
        infer_mapping(df, overrides=overrides, ignore=ignore)


def test_missing_account_name_names_candidates():
    df = _frame(
        ["Notes", "Code"], [["called twice", "A1"], ["no answer", "B2"], ["follow up", "C3"]]
    )
    with pytest.raises(InputError, match=r"Candidates: .*'Notes'.*--map account_name=COLUMN"):
        infer_mapping(df)


def test_real_opportunity_history_is_refused_with_candidates():
    df, _ = read_table(FIX / "real" / "sf_devorg_OpportunityHistory.csv")
    with pytest.raises(InputError, match="account name"):
        infer_mapping(df)


def test_each_column_and_field_used_once_and_dict_is_json_ready():
    import json

    df, _ = read_table(FIX / "tools" / "hubspot_companies.xlsx")
    mapping = infer_mapping(df)
    assert isinstance(mapping, Mapping)
    assert len(set(mapping.columns.values())) == len(mapping.columns)
    assert set(mapping.columns) <= set(FIELD_NAMES)
    assert list(mapping.columns) == [f for f in FIELD_NAMES if f in mapping.columns]
    json.dumps(mapping.to_dict())
    assert set(mapping.unmapped) == set(df.columns) - set(mapping.columns.values())


@pytest.mark.parametrize(
    "column, values, reason",
    [
        ("CreatedById", ["005A", "005A", "005A"], "constant"),
        ("Notes", [None, None, None], "empty"),
        ("LastActivityDate", ["2024-01-02", "2024-02-03", "2024-03-04"], "date"),
        ("YearOpened", ["1974", "1980", "2001"], "year"),
        ("PostalCode", ["98104", "10001", "60601"], "identifier"),
        ("Tier", ["1", "2", "1"], "code with 2 values"),
    ],
)
def test_exclusion_reasons(column, values, reason):
    df = pd.DataFrame({"Company": ["A Inc", "B Inc", "C Inc"], column: values}, dtype="str")
    mapping = infer_mapping(df)
    assert reason in mapping.excluded[column]


# --- issue 13: money headers with units, deal-size columns, exports in other languages --------


@pytest.mark.parametrize(
    "header, field",
    [
        # units in the header: the column is still revenue / deal size
        ("Revenues ($M)", "annual_revenue"),
        ("Revenue (in millions)", "annual_revenue"),
        ("Umsatz (Mio. €)", "annual_revenue"),
        ("Revenue in thousands", "annual_revenue"),
        ("Umsatz k€", "annual_revenue"),
        ("Sales (000s)", "annual_revenue"),
        ("ARR $K", "annual_revenue"),
        ("Revenue MM", "annual_revenue"),
        ("Annual Revenue (USD)", "annual_revenue"),
        ("Turnover £bn", "annual_revenue"),
        ("Jahresumsatz", "annual_revenue"),
        ("Chiffre d'affaires", "annual_revenue"),
        ("Omzet", "annual_revenue"),
        ("Revenues", "annual_revenue"),
        # deal size, as CRMs and reports name it
        ("Avg Opportunity Amount", "deal_size"),
        ("Average Deal Size", "deal_size"),
        ("ACV", "deal_size"),
        ("Avg Deal Value", "deal_size"),
        ("Average Won Deal Size", "deal_size"),
        ("Median Opportunity Amount", "deal_size"),
        ("Annual Contract Value", "deal_size"),
        ("Avg Deal Value ($K)", "deal_size"),
        ("Typical ACV", "deal_size"),
        # German and other exports
        ("Mitarbeiter", "employees"),
        ("Anzahl Mitarbeiter", "employees"),
        ("Branche", "industry"),
        ("Firmenname", "account_name"),
        ("Kundenstatus", "status"),
        ("Land", "country"),
        ("Bundesland", "region"),
        ("Kundenbetreuer", "owner"),
    ],
)
def test_headers_with_units_and_other_languages_map(header, field):
    if field == "account_name":
        df = _frame(["Id", header], [["1", "Acme Inc"], ["2", "Beta LLC"]])
    else:
        df = _frame(["Account Name", header], [["Acme Inc", "100"], ["Beta LLC", "200"]])
    mapping = infer_mapping(df)
    assert mapping.columns.get(field) == header
    assert "header" in mapping.matches[field].evidence


@pytest.mark.parametrize("header", ["Profits ($M)", "Assets ($M)", "Revenue Change", "Mill Name"])
def test_unit_words_do_not_make_other_columns_money(header):
    mapping = infer_mapping(_frame(["Account Name", header], [["Acme", "12"], ["Beta", "-3"]]))
    assert header not in mapping.columns.values()


@pytest.mark.parametrize(
    "build, expected",
    [
        (
            exports.fortune_csv,
            {
                "account_name": "Name",
                "annual_revenue": "Revenues ($M)",
                "employees": "Employees",
                "industry": "Sector",
            },
        ),
        (
            exports.german_csv,
            {
                "account_name": "Firmenname",
                "annual_revenue": "Umsatz (Mio. €)",
                "employees": "Mitarbeiter",
                "industry": "Branche",
                "status": "Status",
            },
        ),
        (
            exports.hubspot_csv,
            {
                "deal_size": "Avg Deal Value",
                "annual_revenue": "Annual Revenue",
                "status": "Lifecycle Stage",
            },
        ),
    ],
)
def test_realistic_exports_map_their_money_and_status(build, expected):
    df, _ = read_table(build(), name="export.csv")
    mapping = infer_mapping(df)
    assert {f: mapping.columns.get(f) for f in expected} == expected


def test_status_words_of_other_languages_are_found_by_content():
    df = _frame(
        ["Firma", "Art"],
        [
            ["Acme GmbH", "Kunde"],
            ["Beta AG", "Interessent"],
            ["Gamma KG", "ehemaliger Kunde"],
            ["Delta SA", "Cliente"],
        ],
    )
    assert infer_mapping(df).columns["status"] == "Art"
