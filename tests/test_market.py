"""The market beyond the CRM: matching, typing with the CRM's models, penetration, plays, files.

The small fixture is checked by hand: 8 CRM accounts (too few to cluster, so typed by
firmographic tier) and 10 market companies whose names drift from the CRM's.
"""

import io
import json

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.market import MARKET_COLUMNS
from segmentation.market_list import match_companies
from segmentation.pipeline import run
from segmentation.plays import ATTACK_COLUMNS
from tests.conftest import SAMPLE_ACCOUNTS

CRM = pd.DataFrame(
    [
        ["A1", "Acme Inc", "Software", "50", "Customer", "acme.com"],
        ["A2", "Beta LLC", "Software", "60", "Prospect", ""],
        ["A3", "Gamma GmbH", "Software", "5000", "Customer", "gamma.de"],
        ["A4", "Delta Corp", "Healthcare", "40", "Customer", "delta.io"],
        ["A5", "Echo Ltd", "Healthcare", "30", "Prospect", "echo.co.uk"],
        ["A6", "Foxtrot", "Healthcare", "20", "Prospect", ""],
        ["A7", "ECHO Limited", "Healthcare", "30", "Prospect", ""],
        ["A8", "Golf Inc", "Software", "80", "Customer", "golf.com"],
    ],
    columns=["Account ID", "Account Name", "Industry", "Employees", "Type", "Website"],
)
MARKET = pd.DataFrame(
    [
        ["ACME", "https://www.acme.com/about", "Software", "55", "2000000"],
        ["beta", "", "Software", "60", "3000000"],
        ["Gamma", "gamma.de", "Software", "5200", ""],
        ["Delta Corporation", "http://delta.io", "Healthcare", "40", ""],
        ["Echo Limited", "", "Healthcare", "30", ""],
        ["Newco GmbH", "newco.com", "Software", "70", "4000000"],
        ["Zeta Health", "zeta.com", "Healthcare", "25", "1000000"],
        ["Golf", "golf.org", "Software", "80", ""],
        ["Omega Inc", "", "Software", "3000", ""],
        ["Kappa", "kappa.com", "Healthcare", "90", ""],
    ],
    columns=["Company", "Website", "Industry", "Employees", "Revenue"],
)
# Three deals per CRM account A1, one on A4; competitor cells with several names.
DEALS = pd.DataFrame(
    [
        ["A1", "Closed Won", "100", "Acme Rival; Globex"],
        ["A1", "Closed Lost", "100", "Acme Rival, Initech"],
        ["A4", "Closed Lost", "100", "ACME RIVAL Inc."],
        ["A4", "Closed Won", "100", ""],
        ["A2", "Prospecting", "100", "Globex"],
        ["A1", "Closed Won", "100", "Acme Rival; Acme Rival"],
    ],
    columns=["Account ID", "Stage", "Amount", "Competitor"],
)
TECH_SMALL = "Technology · Small business"
TECH_ENT = "Technology · Enterprise"
HEALTH_SMALL = "Healthcare & Life Sciences · Small business"


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _files(tmp_path, *extra) -> dict[str, pd.DataFrame]:
    (tmp_path / "crm.csv").write_bytes(_csv(CRM))
    (tmp_path / "market.csv").write_bytes(_csv(MARKET))
    (tmp_path / "deals.csv").write_bytes(_csv(DEALS))
    out = tmp_path / "out"
    args = [
        "run",
        str(tmp_path / "crm.csv"),
        "--min-vertical-size",
        "0",
        "--min-vertical-share",
        "0",
    ]
    assert main([*args, *extra, "--out", str(out)]) == 0
    return {
        p.name: pd.read_csv(p) if p.suffix == ".csv" else None for p in out.iterdir() if p.is_file()
    }


@pytest.fixture(scope="module")
def _both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("both")
    return _files(
        folder,
        "--market",
        str(folder / "market.csv"),
        "--opportunities",
        str(folder / "deals.csv"),
    )


@pytest.fixture
def both(_both):
    """The files of one run with a market list and deals (run once; each test gets copies)."""
    return {name: None if frame is None else frame.copy() for name, frame in _both.items()}


def test_market_csv_is_one_row_per_company_in_input_order_matched_by_hand(both):
    market = both["market.csv"].fillna({"match": "", "account_id": "", "status": ""})
    assert list(market.columns) == list(MARKET_COLUMNS)
    assert market["name"].tolist() == MARKET["Company"].tolist()
    # website (scheme, www. and path dropped), name (case and legal suffix dropped), ambiguous
    # (two CRM accounts named Echo), and Golf: same name but another website, so not matched.
    assert market["match"].tolist() == [
        "website", "name", "website", "website", "ambiguous", "", "", "", "", "",
    ]  # fmt: skip
    assert market["account_id"].tolist() == ["A1", "A2", "A3", "A4", "A5; A7", "", "", "", "", ""]
    assert market["in_crm"].tolist() == [True] * 5 + [False] * 5
    assert market["status"].tolist()[:5] == [
        "customer",
        "prospect",
        "customer",
        "customer",
        "prospect",
    ]
    assert market["segment"].tolist() == [
        TECH_SMALL, TECH_SMALL, TECH_ENT, HEALTH_SMALL, HEALTH_SMALL,
        TECH_SMALL, HEALTH_SMALL, TECH_SMALL, TECH_ENT, HEALTH_SMALL,
    ]  # fmt: skip
    # Untouched companies are ranked within their team; companies in the CRM are not.
    ranked = market[market["whitespace_rank"].notna()]
    assert ranked["name"].tolist() == ["Newco GmbH", "Zeta Health", "Golf", "Omega Inc", "Kappa"]
    for _, team in ranked.groupby("team"):
        assert sorted(team["whitespace_rank"].astype(int)) == list(range(1, len(team) + 1))
        assert team.sort_values("whitespace_rank")["fit"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("segment", "market_accounts", "crm_accounts", "customers", "untouched", "play"),
    [
        # Technology: ACME, beta, Gamma in the CRM (2 customers), Newco, Golf, Omega untouched.
        ("all", 6, 3, 2, 3, "expand"),  # 2/6 = 33% ≥ the market's 3/10 = 30%
        (TECH_ENT, 2, 1, 1, 1, "expand"),  # 1/2 = 50%
        (TECH_SMALL, 4, 2, 1, 2, "attack whitespace"),  # 1/4 = 25% < 30%
        (HEALTH_SMALL, 4, 2, 1, 2, "attack whitespace"),  # Delta customer, Echo ambiguous prospect
    ],
)
def test_attack_csv_numbers_by_hand(
    both, segment, market_accounts, crm_accounts, customers, untouched, play
):
    attack = both["attack.csv"]
    assert list(attack.columns) == list(ATTACK_COLUMNS)
    row = attack[
        (attack["segment"] == segment)
        & (attack["vertical"] == ("Technology" if segment == "all" else attack["vertical"]))
    ].iloc[0]
    assert (row["market_accounts"], row["crm_accounts"], row["customers"], row["untouched"]) == (
        market_accounts,
        crm_accounts,
        customers,
        untouched,
    )
    assert row["penetration"] == pytest.approx(customers / market_accounts, abs=1e-4)
    assert row["play"] == play
    assert row["reason"]


def test_attack_win_rates_and_main_competitor_by_hand(both):
    attack = both["attack.csv"].set_index(["vertical", "segment"])
    small = attack.loc[("Technology", TECH_SMALL)]
    # A1's closed deals: won, lost, won → 2/3; each names Acme Rival (once, though one cell
    # names it twice).
    assert small["win_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert small["main_competitor"] == "Acme Rival"
    assert small["main_competitor_deals"] == 3
    assert small["win_rate_vs_main"] == pytest.approx(2 / 3, abs=1e-4)
    health = attack.loc[("Healthcare & Life Sciences", HEALTH_SMALL)]
    assert health["win_rate"] == pytest.approx(0.5)  # A4: one lost, one won
    assert health["win_rate_vs_main"] == 0.0  # the one deal naming Acme Rival there was lost
    # Far too few deals for any difference to be called beyond noise.
    assert "too few" in small["main_competitor_call"]


def test_competitors_csv_by_hand(both):
    comp = both["competitors.csv"]
    rows = {(r.competitor, r.segment): r for r in comp.itertuples()}
    acme = rows[("Acme Rival", "all")]
    assert (acme.deals, acme.won, acme.lost) == (4, 2, 2)
    assert acme.win_rate == pytest.approx(0.5)
    # Wilson 95% interval of 2 of 4: 0.150 to 0.850.
    assert (acme.win_rate_low, acme.win_rate_high) == (
        pytest.approx(0.15, abs=1e-3),
        pytest.approx(0.85, abs=1e-3),
    )
    assert acme.rest_win_rate == 1.0  # the one closed deal naming no Acme Rival was won
    globex = rows[("Globex", "all")]
    assert (globex.deals, globex.won, globex.open_deals) == (1, 1, 1)
    assert rows[("Initech", "all")].won == 0
    assert (rows[("Acme Rival", TECH_SMALL)].deals, rows[("Acme Rival", HEALTH_SMALL)].deals) == (
        3,
        1,
    )
    assert comp["competitor"].iloc[0] == "Acme Rival" and comp["segment"].iloc[0] == "all"


def test_segments_reason_says_hunters_follow_the_whitespace(both):
    segments = both["segments.csv"].set_index("segment")
    assert "2 companies of this segment are in no CRM record" in segments.loc[TECH_SMALL, "reason"]
    assert "follow this untouched market" in segments.loc[TECH_SMALL, "reason"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), set()),
        (("--opportunities", "deals.csv"), {"competitors.csv"}),
        (("--market", "market.csv"), {"market.csv", "attack.csv"}),
    ],
)
def test_which_files_are_written(tmp_path, extra, expected):
    extra = [str(tmp_path / a) if a.endswith(".csv") else a for a in extra]
    files = _files(tmp_path, *extra)
    assert {"market.csv", "competitors.csv", "attack.csv"} & set(files) == expected


def test_market_does_not_refit_the_crm_segments(sample_run_accounts_only):
    # Same segments and teams with and without a market list: the CRM's models are only used.
    accounts = SAMPLE_ACCOUNTS.read_bytes()
    crm = pd.read_csv(io.BytesIO(accounts), dtype=str)
    market = crm.sample(300, random_state=0)[
        ["Account Name", "Website", "Industry", "Employees", "Annual Revenue"]
    ]
    market["Account Name"] = (
        market["Account Name"].str.upper().str.replace(" LLC", ", Llc.", regex=False)
    )
    market["Website"] = "https://" + market["Website"].fillna("").str.removeprefix("www.")
    new = market.assign(**{"Account Name": "New " + market["Account Name"], "Website": ""})
    market_csv = _csv(pd.concat([market, new]))
    plain = sample_run_accounts_only
    with_market = run(accounts, name="a.csv", market=market_csv, market_name="m.csv")
    assert with_market.files()["assignments.csv"] == plain.files()["assignments.csv"]
    companies = with_market.battlefield.market.companies
    # Every company drawn from the CRM is found again (or reported ambiguous); none of the new.
    assert companies["in_crm"].iloc[:300].all()
    assert not companies["in_crm"].iloc[300:].any()
    # A company found in the CRM keeps its CRM segment.
    book = plain.team_plan.book.set_index("account_id")["segment"]
    found = companies.iloc[:300][companies["match"].iloc[:300] != "ambiguous"]
    assert (found["segment"].to_numpy() == book.reindex(found["account_id"]).to_numpy()).all()
    # New companies are typed by the fitted model into the CRM's own customer types.
    assert set(companies["customer_type"].iloc[300:]) <= set(plain.segmentation.types.labels)
    report = json.loads(with_market.files()["report.json"])
    assert report["market"]["matching"]["not_in_crm"] == 300


@pytest.mark.parametrize(
    ("crm_name", "crm_site", "market_name", "market_site", "expected"),
    [
        ("Acme Inc", "acme.com", "ACME", "https://www.acme.com/x", "website"),
        ("Acme Inc", "", "acme, inc.", "", "name"),
        ("Müller GmbH", "", "MÜLLER", "mueller.de", "name"),  # no CRM website: the name decides
        ("Acme Inc", "acme.com", "Acme", "acme.de", ""),  # websites contradict: namesakes
        ("Smith & Sons Ltd", "", "Smith and Sons", "", "name"),
        ("Initech", "", "Initrode", "", ""),
    ],
)  # fmt: skip
def test_match_drifted_names(crm_name, crm_site, market_name, market_site, expected):
    crm = pd.DataFrame(
        {"account_name": [crm_name, "Other Co"], "website": [crm_site or None, None]}, dtype="str"
    )
    market = pd.DataFrame(
        {"account_name": [market_name], "website": [market_site or None]}, dtype="str"
    )
    pos, how, _ = match_companies(market, crm)
    assert how[0] == expected
    assert (pos[0] == 0) == (expected != "")


def test_shared_website_settled_by_name_else_ambiguous():
    crm = pd.DataFrame(
        {"account_name": ["Acme East", "Acme West"], "website": ["acme.com", "acme.com"]},
        dtype="str",
    )
    market = pd.DataFrame(
        {"account_name": ["Acme West LLC", "Acme North"], "website": ["acme.com", "www.acme.com"]},
        dtype="str",
    )
    pos, how, candidates = match_companies(market, crm)
    assert how.tolist() == ["website", "ambiguous"]
    assert pos.tolist() == [1, -1]
    assert candidates == [[0, 1]]


def test_market_file_gets_the_accounts_quality_checks(tmp_path):
    market = MARKET.assign(Employees=["999999", *MARKET["Employees"].iloc[1:]])
    (tmp_path / "m.csv").write_bytes(_csv(market))
    result = run(
        _csv(CRM),
        name="crm.csv",
        market=tmp_path / "m.csv",
        min_vertical_accounts=0,
        min_vertical_share=0,
    )
    assert any(w.startswith("Market file:") and "999999" in w for w in result.warnings)
    assert np.isnan(result.battlefield.loaded_market.companies["employees"].iloc[0])


@pytest.mark.usefixtures("fresh_caches", "warm_engine")
def test_market_page_renders_without_and_with_a_market_list():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/market.py").run()
    assert not at.exception, at.exception
    assert any("Upload a market list" in str(i.value) for i in at.info) or at.get("plotly_chart")
    crm = pd.read_csv(SAMPLE_ACCOUNTS, dtype=str).head(400)
    market = crm[["Account Name", "Website", "Industry", "Employees", "Annual Revenue"]]
    data = _csv(
        pd.concat(
            [
                market,
                market.assign(**{"Account Name": "New " + market["Account Name"], "Website": ""}),
            ]
        )
    )
    at.session_state["market_file"] = ("market.csv", "digest-1", data)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert next(m.value for m in at.metric if m.label == "Market companies") == "800"
    assert any("market_bubbles" in c.proto.id for c in at.get("plotly_chart"))


def _attack_inputs():
    from segmentation.competitors import CompetitionResult

    segments = ["V · big won", "V · big lost", "V · tiny lost", "V · high"]
    penetration = pd.DataFrame(
        {
            "vertical": "V",
            "segment": ["all", *segments],
            "market_accounts": [1000, 400, 400, 20, 180],
            "crm_accounts": [300, 100, 100, 10, 90],
            "customers": [100, 20, 20, 2, 58],
            "untouched": [700, 300, 300, 10, 90],
            "untouched_value": [7e6, 3e6, 3e6, 1e5, 9e5],
        }
    )
    penetration["penetration"] = penetration["customers"] / penetration["market_accounts"]
    calls = ["we win more", "we win less", "we win less", "no difference beyond noise"]
    table = pd.DataFrame(
        {
            "competitor": ["Acme", "Globex", "Globex", "Acme"],
            "segment": segments,
            "deals": [60, 60, 40, 40],
            "won": [45, 9, 6, 20],
            "win_rate": [0.75, 0.15, 0.15, 0.5],
            "rest_win_rate": [0.4, 0.5, 0.5, 0.5],
            "call": calls,
        }
    )
    segment_win = pd.DataFrame(
        {
            "segment": ["all", *segments],
            "closed_deals": [400, 100, 100, 50, 150],
            "won": [160, 50, 20, 10, 80],
        }
    )
    empty = pd.DataFrame(columns=["segment", "loss_reason", "lost_deals", "share"])
    return penetration, segment_win, CompetitionResult(table, empty, segment_win)


@pytest.mark.parametrize(
    ("segment", "play", "says"),
    [
        ("V · big won", "displace", "We beat Acme here beyond noise"),
        ("V · tiny lost", "avoid or partner", "the segment is small"),
        ("V · big lost", "attack whitespace", "We lose to Globex here beyond noise: qualify hard"),
        ("V · high", "expand", "High penetration 32%"),
        # One vertical is the whole market: its penetration is the market's.
        ("all", "expand", "High penetration 10% (100 customers; the market's 10%)"),
    ],
)
def test_plays(segment, play, says):
    from segmentation.plays import attack_plan

    attack = attack_plan(*_attack_inputs()).set_index("segment")
    assert attack.loc[segment, "play"] == play
    assert says in attack.loc[segment, "reason"]


def test_attack_main_competitor_and_win_rates():
    from segmentation.plays import attack_plan

    attack = attack_plan(*_attack_inputs()).set_index("segment")
    assert attack.loc["V · big won", "win_rate"] == 0.5
    assert attack.loc["V · big won", "win_rate_vs_main"] == 0.75
    # The vertical row pools its segments: Acme on 60 + 40 deals beats Globex's 60 + 40 by name.
    assert attack.loc["all", "main_competitor"] == "Acme"
    assert attack.loc["all", "win_rate_vs_main"] == pytest.approx(65 / 100)
    assert attack.loc["all", "win_rate"] == pytest.approx(160 / 400)


@pytest.mark.usefixtures("fresh_caches", "warm_engine")
def test_market_page_forgets_the_market_list():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/market.py").run()
    at.session_state["market_file"] = ("market.csv", "digest-2", _csv(MARKET))
    at.run()
    assert not at.exception, at.exception
    at.button(key="forget_market").click().run()
    assert not at.exception, at.exception
    assert "market_file" not in at.session_state
    assert not any(m.label == "Market companies" for m in at.metric)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (("--market-map", "account_name=Firma"), 2, "give it with --market"),
        (("--market", "MARKET", "--market-map", "account_name=Nope"), 2, "Nope"),
        (("--market", "MARKET", "--market-map", "account_name=Firma"), 0, ""),
    ],
)
def test_market_map(tmp_path, capsys, extra, code, message):
    (tmp_path / "crm.csv").write_bytes(_csv(CRM))
    (tmp_path / "m.csv").write_bytes(_csv(MARKET.rename(columns={"Company": "Firma"})))
    extra = [str(tmp_path / "m.csv") if a == "MARKET" else a for a in extra]
    args = ["run", str(tmp_path / "crm.csv"), *extra, "--out", str(tmp_path / "out")]
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err
    if code == 0:
        market = pd.read_csv(tmp_path / "out" / "market.csv")
        assert market["name"].tolist() == MARKET["Company"].tolist()


def test_whitespace_of_a_segment_the_plan_never_saw_goes_to_the_team_hunting_its_type():
    market = pd.DataFrame({"Company": ["Shopco"], "Industry": ["Retail"], "Employees": ["30"]})
    result = run(
        _csv(CRM), name="crm.csv", market=_csv(market), market_name="m.csv",
        min_vertical_accounts=0, min_vertical_share=0,
    )  # fmt: skip
    row = result.battlefield.market.companies.iloc[0]
    assert row["segment"] == "Other · Small business"  # no CRM account is in Retail
    book = result.team_plan.book
    small = book[book["customer_type"] == "Small business"]
    assert row["team"] in set(small["team"])
