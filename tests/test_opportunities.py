"""Opportunities: deals aggregated per account, joined on id or name, nothing dropped silently."""

import json

import pandas as pd
import pytest

from segmentation.company_keys import normalise_name
from segmentation.errors import InputError
from segmentation.ingest import read_table
from segmentation.opportunities import aggregate_opportunities
from segmentation.opportunity_columns import map_opportunity_columns
from segmentation.pipeline import load_accounts
from tests.conftest import FIXTURES, SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES

ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["001A00000000001AAA", "001A00000000002AAA", "001A00000000003AAA"],
        "account_name": ["Acme Inc.", "Globex Corporation", "Initech"],
    }
)


def _deals(rows):
    return pd.DataFrame(
        rows, columns=["Account ID", "Account Name", "Stage", "Amount", "Product"]
    ).astype("str")


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
    assert (acme["deals"], acme["won_deals"], acme["lost_deals"], acme["open_deals"]) == (
        4,
        2,
        1,
        1,
    )
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
    deals = pd.DataFrame({"Company": ["Globex Corp", "Nobody Ltd"], "Amount": ["10", "20"]}).astype(
        "str"
    )
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
    assert result.deals_read == len(deals)
    assert result.matched_by_id + result.unmatched == len(deals)
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
    assert (
        loaded.accounts.loc[has_won, "deal_size"] == deals.per_account.loc[has_won, "avg_won_deal"]
    ).all()
    assert (
        loaded.accounts.loc[~has_won, "deal_size"].fillna(-1)
        == plain.accounts.loc[~has_won, "deal_size"].fillna(-1)
    ).all()
    assert list(loaded.prepared.extra_features.columns) == list(
        plain.prepared.extra_features.columns
    )
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
    pooled = result.product_revenue.loc[
        result.product_revenue["product"] == "Other products", "deals"
    ]
    assert pooled.sum() == sum(expected_other.values())
    assert any("outside the catalogue" in w for w in result.warnings)


def test_catalogue_names_outside_latin_letters_keep_their_identity():
    rows = [["001A00000000001AAA", "Acme", "Closed Won", "10", "製品A"]] * 3
    rows += [["001A00000000002AAA", "Globex", "Closed Won", "10", "製品 B"]] * 2
    result = aggregate_opportunities(
        _deals(rows), ACCOUNTS, catalogue=["製品A", "製品B", "Société"]
    )
    assert result.unrecognised_products == {}
    mix = result.product_revenue.groupby("product")["deals"].sum().to_dict()
    assert mix == {"製品A": 3, "製品B": 2}


# --- Opportunity files as CRMs and public samples shape them (issue 13, item 3) -------------
#
# One book of deals, written the way each CRM or sample exports it. The accounts are ACCOUNTS:
# Acme wins 10,000 and 30,000, loses 5,000 and has 7,000 open; Globex loses 1,000; Initech has
# nothing. One deal names no account, one an account that is not in the accounts file.

BOOK = [
    # (account, outcome, amount)
    ("acme", "won", 10_000),
    ("acme", "won", 30_000),
    ("acme", "lost", 5_000),
    ("acme", "open", 7_000),
    ("globex", "lost", 1_000),
    (None, "open", 2_000),
    ("umbrella", "won", 9_000),
]
NAMES = {"acme": "ACME, Inc", "globex": "Globex Corp", "umbrella": "Umbrella Corp", None: ""}
IDS = {
    "acme": "001A00000000001",
    "globex": "001A00000000002AAA",
    "umbrella": "001Z99999999999ZZZ",
    None: "",
}


def _shape(columns, render):
    """The book as one CRM exports it: ``render(i, account, outcome, amount)`` gives a row."""
    rows = [render(i, *deal) for i, deal in enumerate(BOOK)]
    return pd.DataFrame(rows, columns=columns).astype("str")


def _maven(i, account, outcome, amount):
    # Maven Analytics "CRM sales opportunities" sales_pipeline.csv: open deals have no value
    # and no close date; the account is a name.
    stage = {"won": "Won", "lost": "Lost", "open": "Engaging"}[outcome]
    value = "" if outcome == "open" else str(amount)
    closed = "" if outcome == "open" else "2017-03-01"
    return [
        f"1C1I7A6R{i}",
        "Moses Frase",
        "GTX Plus Basic",
        NAMES[account],
        stage,
        "2016-10-20",
        closed,
        value,
    ]


def _salesforce_report(i, account, outcome, amount):
    # A multi-currency Salesforce report: Amount in the deal's currency, Amount (converted) in
    # the corporate currency (what the figures must use).
    stage = {"won": "Closed Won", "lost": "Closed Lost", "open": "Negotiation/Review"}[outcome]
    return [
        f"Deal {i}",
        NAMES[account],
        stage,
        "EUR",
        f"EUR {amount / 1.1:,.2f}",
        f"USD {amount:,.2f}",
        "3/1/2024",
        "1/5/2024",
    ]


def _salesforce_api(i, account, outcome, amount):
    # Data Loader / API names: 15- or 18-character AccountId, IsWon and IsClosed checkboxes.
    closed, won = outcome != "open", outcome == "won"
    return [
        f"006A0000000{i:04d}AAA",
        IDS[account],
        f"Deal {i}",
        "Closed" if closed else "Prospecting",
        str(amount),
        str(closed).upper(),
        str(won).upper(),
    ]


def _salesforce_api_no_isclosed(i, account, outcome, amount):
    stage = {"won": "Closed Won", "lost": "Closed Lost", "open": "Qualification"}[outcome]
    return [IDS[account], stage, str(amount), "1" if outcome == "won" else "0"]


def _hubspot_internal(i, account, outcome, amount):
    # HubSpot deals with the default pipeline's internal stage names.
    stage = {"won": "closedwon", "lost": "closedlost", "open": "contractsent"}[outcome]
    return [str(9_000_000 + i), f"Deal {i}", stage, "default", str(amount), NAMES[account]]


def _hubspot_labels(i, account, outcome, amount):
    stage = {"won": "Closed won", "lost": "Closed lost", "open": "Meeting booked"}[outcome]
    return [
        str(9_000_000 + i),
        f"Deal {i}",
        "Sales Pipeline",
        stage,
        f"{amount}.00",
        f"{amount}.00",
        NAMES[account],
    ]


def _dynamics(i, account, outcome, amount):
    # Dynamics 365 opportunities: "Status" says Open/Won/Lost; "Pipeline Phase" and "Status
    # Reason" are not the outcome column.
    status = {"won": "Won", "lost": "Lost", "open": "Open"}[outcome]
    reason = {"won": "Won", "lost": "Out-Sold", "open": "In Progress"}[outcome]
    return [
        f"guid-{i}",
        f"Deal {i}",
        NAMES[account],
        "3-Propose",
        reason,
        status,
        f"${amount:,.2f}",
    ]


def _dynamics_statecode(i, account, outcome, amount):
    code = {"won": "1", "lost": "2", "open": "0"}[outcome]
    return [NAMES[account], code, str(amount)]


def _pipedrive(i, account, outcome, amount):
    # Pipedrive: "Deal - Stage" is a pipeline step, "Deal - Status" says won / lost / open.
    stage = {"won": "Negotiations Started", "lost": "Qualified", "open": "Proposal Made"}[outcome]
    return [str(i), f"Deal {i}", NAMES[account], str(amount), "USD", stage, outcome]


def _zoho(i, account, outcome, amount):
    stage = {
        "won": "Closed Won",
        "lost": "Closed-Lost to Competition",
        "open": "Value Proposition",
    }[outcome]
    return [
        f"Deal {i}",
        NAMES[account],
        stage,
        f"$ {amount:,.2f}",
        "2024-03-01",
        "2024-01-05 10:00:00",
    ]


SHAPES = {
    "maven_sales_pipeline": (
        ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"],
        _maven, {"account_name": "account", "amount": "close_value", "stage": "deal_stage"}, 0,
    ),
    "salesforce_report_multicurrency": (
        ["Opportunity Name", "Account Name", "Stage", "Amount Currency", "Amount", "Amount (converted)", "Close Date", "Created Date"],
        _salesforce_report, {"account_name": "Account Name", "amount": "Amount (converted)", "stage": "Stage"}, 7_000,
    ),
    "salesforce_api": (
        ["Id", "AccountId", "Name", "StageName", "Amount", "IsClosed", "IsWon"],
        _salesforce_api, {"account_id": "AccountId", "amount": "Amount", "is_won": "IsWon", "is_closed": "IsClosed"}, 7_000,
    ),
    "salesforce_report_won_flag_only": (
        ["Account ID", "Stage", "Amount", "Won"],
        _salesforce_api_no_isclosed, {"account_id": "Account ID", "is_won": "Won", "stage": "Stage"}, 7_000,
    ),
    "hubspot_internal_names": (
        ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Associated Company (Primary)"],
        _hubspot_internal, {"account_name": "Associated Company (Primary)", "stage": "Deal Stage"}, 7_000,
    ),
    "hubspot_labels": (
        ["Record ID", "Deal Name", "Pipeline", "Deal Stage", "Amount", "Amount in company currency", "Associated Company"],
        _hubspot_labels, {"amount": "Amount in company currency", "stage": "Deal Stage"}, 7_000,
    ),
    "dynamics_365": (
        ["(Do Not Modify) Opportunity", "Topic", "Potential Customer", "Pipeline Phase", "Status Reason", "Status", "Est. Revenue"],
        _dynamics, {"account_name": "Potential Customer", "stage": "Status", "amount": "Est. Revenue"}, 7_000,
    ),
    "dynamics_statecode": (
        ["Account", "statecode", "estimatedvalue"],
        _dynamics_statecode, {"stage": "statecode", "amount": "estimatedvalue"}, 7_000,
    ),
    "pipedrive": (
        ["Deal - ID", "Deal - Title", "Deal - Organization", "Deal - Value", "Deal - Currency", "Deal - Stage", "Deal - Status"],
        _pipedrive, {"account_name": "Deal - Organization", "amount": "Deal - Value", "stage": "Deal - Status"}, 7_000,
    ),
    "zoho": (
        ["Deal Name", "Account Name", "Stage", "Amount", "Closing Date", "Created Time"],
        _zoho, {"stage": "Stage", "amount": "Amount", "close_date": "Closing Date", "created": "Created Time"}, 7_000,
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", list(SHAPES))
def test_crm_opportunity_shapes_give_the_right_figures_per_account(shape):
    columns, render, expected_mapping, acme_pipeline = SHAPES[shape]
    result = aggregate_opportunities(_shape(columns, render), ACCOUNTS)
    assert {k: result.mapping.get(k) for k in expected_mapping} == expected_mapping
    per = result.per_account
    acme, globex, initech = (per.iloc[i] for i in range(3))
    assert (acme["won_deals"], acme["lost_deals"], acme["open_deals"]) == (2, 1, 1)
    assert acme["won_revenue"] == pytest.approx(40_000) and acme["avg_won_deal"] == pytest.approx(
        20_000
    )
    assert acme["win_rate"] == pytest.approx(2 / 3)
    assert acme["open_pipeline"] == pytest.approx(acme_pipeline)
    assert (globex["won_deals"], globex["lost_deals"], globex["win_rate"]) == (0, 1, 0)
    assert initech["deals"] == 0 and pd.isna(initech["win_rate"])
    # Nothing dropped silently: the two deals without an account are counted and shown.
    assert (result.unmatched_blank, result.unmatched_unknown, result.ambiguous) == (1, 1, 0)
    assert result.matched_by_id + result.matched_by_name + result.unmatched == len(BOOK)
    assert {e["reason"] for e in result.examples} == {"blank", "unknown"}
    assert any("2 of 7 deals match no account" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [
        ("Won", "won"), ("Closed Won", "won"), ("closedwon", "won"), ("won", "won"), ("Closed-Won", "won"),
        ("Gewonnen", "won"), ("Gagné", "won"), ("Ganado", "won"), ("Contract signed", "won"),
        ("Lost", "lost"), ("Closed Lost", "lost"), ("closedlost", "lost"), ("lost", "lost"),
        ("Closed-Lost to Competition", "lost"), ("Out-Sold", "lost"), ("Canceled", "lost"),
        ("Disqualified", "lost"), ("Closed - Not Won", "lost"), ("Verloren", "lost"), ("Perdido", "lost"),
        ("Engaging", "open"), ("Prospecting", "open"), ("appointmentscheduled", "open"),
        ("qualifiedtobuy", "open"), ("contractsent", "open"), ("Meeting booked", "open"),
        ("Negotiation/Review", "open"), ("Open", "open"), ("In Progress", "open"), ("Wonderland pilot", "open"),
    ],
)  # fmt: skip
def test_stage_words_of_each_crm_read_as_won_lost_or_open(stage, outcome):
    deals = pd.DataFrame({"Account": ["Acme"], "Stage": [stage], "Amount": ["100"]}).astype("str")
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert result.outcomes == {"won": 0, "lost": 0, "open": 0} | {outcome: 1}


def test_iswon_without_isclosed_takes_lost_deals_from_the_stage():
    columns, render, _, _ = SHAPES["salesforce_report_won_flag_only"]
    result = aggregate_opportunities(_shape(columns, render), ACCOUNTS)
    assert result.outcomes == {"won": 3, "lost": 2, "open": 2}


def test_an_unreadable_won_flag_falls_back_to_the_stage_and_says_so():
    deals = pd.DataFrame(
        {"Account": ["Acme", "Acme"], "Won": ["see notes", "n/a"], "Stage": ["Closed Won", "Closed Lost"], "Amount": ["100", "50"]}
    ).astype("str")  # fmt: skip
    result = aggregate_opportunities(deals, ACCOUNTS)
    assert result.outcomes == {"won": 1, "lost": 1, "open": 0}
    assert any("'Won' holds values other than yes/no" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"Account": ["Acme"], "Stage": ["Angebot"], "Amount": ["100"]}, "No deal's 'Stage' reads as won or lost"),
        ({"Account": ["Acme"], "Amount": ["100"]}, "no stage or won/lost column"),
    ],
)  # fmt: skip
def test_deals_with_no_readable_outcome_are_all_open_with_a_warning(columns, message):
    result = aggregate_opportunities(pd.DataFrame(columns).astype("str"), ACCOUNTS)
    assert result.outcomes["open"] == 1
    assert any(message in w and "--opp-map stage=COLUMN" in w for w in result.warnings)


def test_a_name_shared_by_two_accounts_is_reported_not_credited_to_either():
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "account_name": ["Rangreen Inc", "RANGREEN GmbH", "Initech"],
        }
    )
    deals = pd.DataFrame(
        {"account": ["Rangreen", "Rangreen", "Initech"], "deal_stage": ["Won", "Won", "Won"], "close_value": ["500", "700", "300"]}
    ).astype("str")  # fmt: skip
    result = aggregate_opportunities(deals, accounts)
    assert (result.matched_by_name, result.ambiguous, result.unmatched) == (1, 2, 2)
    assert result.per_account["won_revenue"].tolist() == [0, 0, 300]
    assert result.examples == [
        {
            "reason": "ambiguous",
            "row": 1,
            "deal": None,
            "account": "Rangreen",
            "candidates": ["A1", "A2"],
        }
    ]
    assert any("'Rangreen' fits 2 accounts" in w for w in result.warnings)
    report = result.to_dict()
    assert {k: report[k] for k in ("rows_read", "matched", "unmatched_blank", "unmatched_unknown", "ambiguous")} == {
        "rows_read": 3, "matched": 1, "unmatched_blank": 0, "unmatched_unknown": 0, "ambiguous": 2,
    }  # fmt: skip


GERMAN = pd.DataFrame(
    {
        "Firma": ["Acme Inc.", "Acme Inc.", "Globex Corporation", "Initech"],
        "Phase": ["Gewonnen", "Verloren", "Angebot", "Gewonnen"],
        "Betrag": ["1.200,00 €", "800,00 €", "5.000,00 €", "300,00 €"],
    }
)


def test_opp_map_names_the_columns_the_synonyms_do_not_know():
    with pytest.raises(InputError, match="no amount column.*--opp-map amount=COLUMN"):
        aggregate_opportunities(GERMAN, ACCOUNTS)
    result = aggregate_opportunities(
        GERMAN, ACCOUNTS, overrides={"account_name": "Firma", "amount": "betrag", "stage": "Phase"}
    )
    assert result.mapping == {"account_name": "Firma", "amount": "Betrag", "stage": "Phase"}
    assert result.per_account["won_revenue"].tolist() == [1_200, 0, 300]
    assert result.per_account["win_rate"].tolist()[0] == 0.5
    assert result.per_account["open_pipeline"].tolist() == [0, 5_000, 0]


def test_a_chosen_stage_wins_over_the_detected_won_flag():
    deals = pd.DataFrame(
        {"Account": ["Acme"] * 2, "IsWon": ["FALSE", "FALSE"], "Outcome": ["Won", "Lost"], "Amount": ["10", "20"]}
    ).astype("str")  # fmt: skip
    assert aggregate_opportunities(deals, ACCOUNTS).outcomes["won"] == 0
    chosen = aggregate_opportunities(deals, ACCOUNTS, overrides={"stage": "Outcome"})
    assert chosen.outcomes == {"won": 1, "lost": 1, "open": 0}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amout": "Betrag"}, "unknown opportunity field 'amout'; use one of account_id, account_name, amount"),
        ({"amount": "Umsatz"}, "--opp-map amount='Umsatz': the opportunities file has no such column .*Firma, Phase, Betrag"),
    ],
)  # fmt: skip
def test_bad_opp_map_overrides_are_input_errors(overrides, message):
    with pytest.raises(InputError, match=message):
        aggregate_opportunities(GERMAN, ACCOUNTS, overrides=overrides)


# --- End to end: a Maven-style accounts.csv + sales_pipeline.csv through the whole plan -----

MAVEN_ACCOUNTS = [
    # Invented names in the style of the public "CRM sales opportunities" sample (accounts.csv:
    # account, sector, year_established, revenue in $ millions, employees, office_location,
    # subsidiary_of). Two namesakes in two countries make one name ambiguous.
    "Acmeplex", "Betasoft Inc", "Bluthwell Company", "Cheerstar", "Codeworth", "Condaxa",
    "Dalttech", "Dambyte", "Domzen", "Donquad", "Fasetix", "Faxwell", "Finhighland",
    "Funcorp Holding", "Gankoflex", "Golddexa", "Goodsilver", "Groovestreak", "Hatfield Fans",
    "Hotteck", "Inity Group", "Isdom", "Iselectrix", "Kanbix", "Konmatrix", "Labdrill",
    "Lexiqvolax", "Mathbyte", "Newex", "Namzim", "Rangreen Inc", "Rangreen GmbH",
]  # fmt: skip
SECTORS = ["technolgy", "medical", "retail", "software", "marketing", "finance", "entertainment"]


def _maven_files(folder):
    """Write accounts.csv and sales_pipeline.csv; return the expected per-account figures and
    the pipeline written."""
    accounts = pd.DataFrame(
        {
            "account": MAVEN_ACCOUNTS,
            "sector": [SECTORS[k % len(SECTORS)] for k in range(len(MAVEN_ACCOUNTS))],
            "year_established": [1980 + k for k in range(len(MAVEN_ACCOUNTS))],
            "revenue": [f"{(k + 1) * 137.29:.2f}" for k in range(len(MAVEN_ACCOUNTS))],
            "employees": [(k + 1) * 211 for k in range(len(MAVEN_ACCOUNTS))],
            "office_location": [
                "Germany" if "GmbH" in n else "United States" for n in MAVEN_ACCOUNTS
            ],
            "subsidiary_of": [""] * len(MAVEN_ACCOUNTS),
        }
    )
    rows, expected = [], {}
    for k, name in enumerate(MAVEN_ACCOUNTS[:30]):
        won = [] if k % 5 == 4 else [400 * (k + 1) + 100 * j for j in range(k % 3 + 1)]
        lost = 1 + k % 2
        spelled = name.upper() + "." if k == 1 else name  # "BETASOFT INC." joins "Betasoft Inc"
        rows += [(spelled, "Won", str(v)) for v in won]
        rows += [(spelled, "Lost", "0")] * lost  # Maven's lost deals carry a close value of 0
        rows += [(spelled, "Engaging", "")]
        expected[name] = {
            "won_revenue": float(sum(won)),
            "win_rate": len(won) / (len(won) + lost),
            "avg_won_deal": sum(won) / len(won) if won else float("nan"),
        }
    rows += [("", "Prospecting", "")] * 3 + [("", "Engaging", "")]  # blank accounts, as in Maven
    rows += [("Zencorp", "Won", "999")]  # not in accounts.csv
    rows += [("Rangreen", "Won", "5000"), ("Rangreen", "Lost", "0")]  # fits two accounts
    pipeline = pd.DataFrame(
        [
            {
                "opportunity_id": f"{i:08X}",
                "sales_agent": "Moses Frase",
                "product": ["GTX Basic", "MG Special", "GTXPro"][i % 3],
                "account": account,
                "deal_stage": stage,
                "engage_date": "" if stage == "Prospecting" else "2016-10-20",
                "close_date": "2017-03-01" if stage in ("Won", "Lost") else "",
                "close_value": value,
            }
            for i, (account, stage, value) in enumerate(rows)
        ]
    )
    accounts.to_csv(folder / "accounts.csv", index=False)
    pipeline.to_csv(folder / "sales_pipeline.csv", index=False)
    return expected, pipeline


def test_maven_style_files_plan_with_the_right_won_revenue_and_win_rates(tmp_path):
    from segmentation.pipeline import run

    expected, pipeline = _maven_files(tmp_path)
    n_deals = len(pipeline)
    result = run(tmp_path / "accounts.csv", opportunities=tmp_path / "sales_pipeline.csv", seed=0)
    per = result.loaded.opportunities.per_account.set_axis(result.loaded.accounts["account_name"])
    for name, figures in expected.items():
        assert per.loc[name, "won_revenue"] == figures["won_revenue"], name
        assert per.loc[name, "win_rate"] == pytest.approx(figures["win_rate"]), name
    assert per.loc[["Rangreen Inc", "Rangreen GmbH"], "deals"].tolist() == [0, 0]
    # The plan's deal sizes are the average won deals, and the segment figures follow.
    book = result.team_plan.book.set_axis(result.loaded.accounts["account_name"])
    average = pd.Series({name: f["avg_won_deal"] for name, f in expected.items()})
    pd.testing.assert_series_equal(
        book.loc[average.index, "deal_size"], average, check_names=False, check_dtype=False
    )
    segments = result.team_plan.plan.segments.set_index("segment")
    for segment, group in book.groupby("segment", observed=True):
        known = group["deal_size"].dropna()
        assert segments.loc[segment, "deal_size_known"] == len(known)
        if len(known):
            assert segments.loc[segment, "median_deal_size"] == pytest.approx(known.median())
    report = result.report()["opportunities"]
    assert {k: report[k] for k in ("rows_read", "matched", "unmatched_blank", "unmatched_unknown", "ambiguous")} == {
        "rows_read": n_deals, "matched": n_deals - 7, "unmatched_blank": 4, "unmatched_unknown": 1, "ambiguous": 2,
    }  # fmt: skip
    assert [(e["reason"], e["account"]) for e in report["examples"]] == [
        ("blank", ""), ("unknown", "Zencorp"), ("ambiguous", "Rangreen"),
    ]  # fmt: skip
    assert report["examples"][2]["candidates"] == ["ROW-000031", "ROW-000032"]


def test_maven_style_files_run_from_the_command_line(tmp_path, capsys):
    from segmentation.cli import main

    _, pipeline = _maven_files(tmp_path)
    args = [
        "run",
        str(tmp_path / "accounts.csv"),
        "--opportunities",
        str(tmp_path / "sales_pipeline.csv"),
    ]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"warning: 7 of {len(pipeline)} deals match no account" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["opportunities"]["mapping"]["amount"] == "close_value"
    stages = pipeline["deal_stage"].value_counts()
    assert report["opportunities"]["outcomes"] == {
        "won": stages["Won"], "lost": stages["Lost"], "open": stages["Engaging"] + stages["Prospecting"],
    }  # fmt: skip
    assert report["settings"]["opportunity_overrides"] == {}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--opp-map", "amount=Umsatz"], "error: --opp-map amount='Umsatz': the opportunities file has no such column"),
        (["--opp-map", "amount"], "error: --opp-map takes FIELD=COLUMN"),
        (["--opp-map", "value=close_value"], "error: --opp-map: unknown opportunity field 'value'"),
    ],
)  # fmt: skip
def test_bad_opp_map_exits_2_with_one_error_line_and_writes_nothing(
    tmp_path, capsys, extra, message
):
    from segmentation.cli import main

    _maven_files(tmp_path)
    args = [
        "run",
        str(tmp_path / "accounts.csv"),
        "--opportunities",
        str(tmp_path / "sales_pipeline.csv"),
    ]
    assert main([*args, *extra, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_opp_map_on_the_command_line_plans_with_the_mapped_deals(tmp_path, capsys):
    from segmentation.cli import main

    _maven_files(tmp_path)
    deals = pd.DataFrame(
        {
            "Firma": ["Acmeplex", "Acmeplex", "Acmeplex", "Kanbix"],
            "Phase": ["Gewonnen", "Gewonnen", "Verloren", "Angebot"],
            "Betrag": ["1.200,00 €", "1.800,00 €", "800,00 €", "5.000,00 €"],
        }
    )
    deals.to_csv(tmp_path / "chancen.csv", index=False, sep=";")
    args = ["run", str(tmp_path / "accounts.csv"), "--opportunities", str(tmp_path / "chancen.csv")]
    assert main([*args, "--out", str(tmp_path / "before")]) == 2
    assert "no amount column" in capsys.readouterr().err
    opp_map = [
        "--opp-map",
        "account_name=Firma",
        "--opp-map",
        "amount=Betrag",
        "--opp-map",
        "stage=Phase",
    ]
    assert main([*args, *opp_map, "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["opportunities"]["outcomes"] == {"won": 2, "lost": 1, "open": 1}
    assert report["settings"]["opportunity_overrides"] == {
        "account_name": "Firma",
        "amount": "Betrag",
        "stage": "Phase",
    }
    assignments = pd.read_csv(tmp_path / "out" / "assignments.csv", dtype=str).set_index(
        "account_name"
    )
    segments = pd.read_csv(tmp_path / "out" / "segments.csv").set_index("segment")
    row = segments.loc[assignments.loc["Acmeplex", "segment"]]
    assert row["deal_size_known"] == 1 and row["median_deal_size"] == 1_500  # (1,200 + 1,800) / 2


def test_an_override_of_none_leaves_a_field_unmapped():
    columns, render, _, _ = SHAPES["salesforce_api"]
    deals = _shape(columns, render)
    assert map_opportunity_columns(list(deals.columns), {"is_won": None, "is_closed": None}, deals) == {
        "account_id": "AccountId", "amount": "Amount", "stage": "StageName", "deal": "Name",
    }  # fmt: skip
    # Without the flags, this export's StageName ("Closed") says nothing: all open, and said so.
    result = aggregate_opportunities(deals, ACCOUNTS, overrides={"is_won": None, "is_closed": None})
    assert result.outcomes == {"won": 0, "lost": 0, "open": 7}
    assert any("reads as won or lost" in w for w in result.warnings)


def test_dates_with_and_without_a_time_zone_give_a_cycle_not_a_traceback():
    # Salesforce Data Loader: CreatedDate carries an offset, CloseDate is a plain date.
    accounts = pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]})
    deals = pd.DataFrame(
        {
            "AccountId": ["A1", "A1"],
            "StageName": ["Closed Won", "Closed Won"],
            "Amount": ["1000", "3000"],
            "CloseDate": ["2024-03-11", "2024-01-31"],
            "CreatedDate": ["2024-01-01T16:14:25.000+0000", "2024-01-01T23:00:00.000-0200"],
        },
        dtype="str",
    )
    result = aggregate_opportunities(deals, accounts)
    # whole days: 69 (Jan 1 16:14 UTC to Mar 11) and 28 (Jan 2 01:00 UTC to Jan 31), median 48.5
    assert result.per_account.loc[0, "won_deals"] == 2
    assert result.per_account.loc[0, "sales_cycle_days"] == 48.5


def test_the_data_loader_workshop_export_runs_with_its_deals():
    # Real Salesforce Data Loader files (tests/fixtures/LICENSES.md): CreatedDate "...+0000"
    # beside a plain CloseDate stopped the run with a traceback.
    from segmentation.pipeline import run

    result = run(
        FIXTURES / "real" / "sf_datacloud_Account.csv",
        opportunities=FIXTURES / "real" / "sf_datacloud_Opportunity.csv",
    )
    report = result.report()
    # Every account row and every deal of the export, each deal naming an account in the file.
    accounts = pd.read_csv(
        FIXTURES / "real" / "sf_datacloud_Account.csv", dtype=str, encoding="utf-8-sig"
    )
    deals = pd.read_csv(
        FIXTURES / "real" / "sf_datacloud_Opportunity.csv", dtype=str, encoding="utf-8-sig"
    )
    assert deals["AccountId"].isin(accounts["Id"]).all()
    assert report["rows_read"] == len(accounts)
    assert report["opportunities"]["matched"] == report["opportunities"]["rows_read"] == len(deals)
