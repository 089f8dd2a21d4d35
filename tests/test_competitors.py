"""Competitors: multi-name cells, win rates with Wilson intervals, calls only beyond noise."""

import numpy as np
import pandas as pd
import pytest

from segmentation.competitors import ALL, analyse_competitors, split_competitors, wilson_interval
from segmentation.opportunities import aggregate_opportunities
from segmentation.opportunity_columns import map_opportunity_columns
from segmentation.playbook import load_playbook

PLAYBOOK = load_playbook()


@pytest.mark.parametrize(
    ("cell", "named"),
    [
        ("Acme; Globex", ["Acme", "Globex"]),
        ("Acme, Initech", ["Acme", "Initech"]),
        ("Acme | Globex / Initech", ["Acme", "Globex", "Initech"]),
        ("Acme; acme", ["Acme"]),  # a competitor named twice counts once
        ("Acme, Inc.", ["Acme, Inc"]),  # a legal suffix after a comma is no second competitor
        ("Smith & Sons", ["Smith & Sons"]),
        ("None", []),
        ("N/A", []),
        ("", []),
    ],
)
def test_a_cell_names_each_competitor_once(cell, named):
    split = split_competitors(pd.Series([cell or None], dtype="str"))
    assert split["competitor"].tolist() == named


def test_display_name_is_the_most_used_spelling():
    cells = pd.Series(["Acme", "ACME Inc.", "Acme", "acme corp"], dtype="str")
    assert set(split_competitors(cells)["competitor"]) == {"Acme"}


@pytest.mark.parametrize(
    ("won", "n", "low", "high"),
    [
        # z = 1.96: centre (0.5 + 0.48) / 1.96 = 0.5, half 1.96 x 0.35 / 1.96 = 0.35
        (2, 4, 0.1500, 0.8500),
        # no win: upper bound z² / (n + z²) = 3.8415 / 13.8415
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),  # the mirror of 0 of 10
        (45, 100, 0.3561, 0.5476),
    ],
)
def test_wilson_interval(won, n, low, high):
    from scipy.stats import binomtest

    lo, hi = wilson_interval(np.array([won]), np.array([n]))
    assert (lo[0], hi[0]) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    reference = binomtest(won, n).proportion_ci(method="wilson")
    assert (lo[0], hi[0]) == (pytest.approx(reference.low), pytest.approx(reference.high))


def _deals(spec):
    """spec: (segment row, competitor cell, won deals, lost deals)."""
    rows = []
    for account, cell, won, lost in spec:
        rows += [(account, True, False, cell)] * won + [(account, False, True, cell)] * lost
    frame = pd.DataFrame(rows, columns=["account_row", "won", "lost", "competitor"])
    return frame.assign(
        account_row=frame["account_row"].astype("Int64"),
        competitor=frame["competitor"].astype("str"),
        loss_reason=pd.Series(pd.NA, index=frame.index, dtype="str"),
    )


SEGMENTS = pd.Series(["Tech · Big", "Health · Small"])


@pytest.mark.parametrize(
    ("spec", "competitor", "segment", "call"),
    [
        # 40 deals vs Acme at 20% against 40 others at 70%: beyond noise both ways.
        ([(0, "Acme", 8, 32), (0, "Globex", 28, 12)], "Acme", "Tech · Big", "we win less"),
        ([(0, "Acme", 8, 32), (0, "Globex", 28, 12)], "Globex", "Tech · Big", "we win more"),
        # Same rates on 10 deals each: too few to call.
        ([(0, "Acme", 2, 8), (0, "Globex", 7, 3)], "Acme", "Tech · Big", "too few closed deals to call (needs 30 on each side)"),
        # 40 v 40 but 50% against 55%: a gap within noise.
        ([(0, "Acme", 20, 20), (0, "Globex", 22, 18)], "Acme", "Tech · Big", "no difference beyond noise"),
        # Overall rows compare with every other closed deal, across segments.
        ([(0, "Acme", 8, 32), (1, "Globex", 28, 12)], "Acme", ALL, "we win less"),
    ],
)  # fmt: skip
def test_calls_only_beyond_noise(spec, competitor, segment, call):
    result = analyse_competitors(_deals(spec), SEGMENTS, PLAYBOOK)
    row = result.table.set_index(["competitor", "segment"]).loc[(competitor, segment)]
    assert row["call"] == call


def test_multi_competitor_deals_count_once_each_and_once_in_the_rest():
    # 30 deals name both Acme and Globex (all lost), 30 name nobody (all won).
    result = analyse_competitors(
        _deals([(0, "Acme; Globex", 0, 30), (0, None, 30, 0)]), SEGMENTS, PLAYBOOK
    )
    table = result.table.set_index(["competitor", "segment"])
    for name in ("Acme", "Globex"):
        row = table.loc[(name, ALL)]
        assert (row["deals"], row["won"], row["win_rate"]) == (30, 0, 0.0)
        # The rest: the 30 won deals naming nobody, not the other competitor's 30 again.
        assert row["rest_win_rate"] == 1.0
        assert row["call"] == "we win less"
    assert result.segment_win.set_index("segment").loc["Tech · Big", "closed_deals"] == 60


def test_lost_to_column_warns_that_wins_name_no_competitor():
    result = analyse_competitors(_deals([(0, "Acme", 0, 5), (0, None, 5, 0)]), SEGMENTS, PLAYBOOK)
    assert any("No won deal names a competitor" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("headers", "competitor", "loss_reason"),
    [
        (["Account Name", "Amount", "Stage", "Competitor", "Loss Reason"], "Competitor", "Loss Reason"),
        (["Account Name", "Amount", "Stage", "Main Competitor(s)", "Closed Lost Reason"], "Main Competitor(s)", "Closed Lost Reason"),
        (["Account Name", "Amount", "Stage", "Competitors"], "Competitors", None),
        (["Account Name", "Amount", "Stage", "Lost To", "Lost Reason"], "Lost To", "Lost Reason"),
        (["Account Name", "Amount", "Stage", "Competitor__c", "Loss_Reason__c"], "Competitor__c", "Loss_Reason__c"),
    ],
)  # fmt: skip
def test_competitor_columns_recognised(headers, competitor, loss_reason):
    mapping = map_opportunity_columns(headers)
    assert mapping.get("competitor") == competitor
    assert mapping.get("loss_reason") == loss_reason


def test_opp_map_names_a_competitor_column_and_loss_reasons_by_segment():
    accounts = pd.DataFrame({"account_id": ["A", "B"], "account_name": ["Acme Inc", "Beta"]})
    deals = pd.DataFrame(
        {
            "Account Name": ["Acme", "Acme", "Beta", "Beta"],
            "Amount": ["10", "10", "10", "10"],
            "Stage": ["Closed Lost", "Closed Lost", "Closed Won", "Closed Lost"],
            "Rival": ["Globex", "Globex, Initech", "", "Initech"],
            "Why": ["Price", "Price", "", "Features"],
        }
    ).astype("str")
    agg = aggregate_opportunities(
        deals, accounts, overrides={"competitor": "Rival", "loss_reason": "Why"}
    )
    assert agg.mapping["competitor"] == "Rival"
    result = analyse_competitors(agg.competition, pd.Series(["S1", "S2"]), PLAYBOOK)
    table = result.table.set_index(["competitor", "segment"])
    assert table.loc[("Initech", ALL), "deals"] == 2
    assert table.loc[("Globex", "S1"), "deals"] == 2
    reasons = result.loss_reasons.set_index(["segment", "loss_reason"])["lost_deals"]
    assert reasons.to_dict() == {
        (ALL, "Price"): 2, (ALL, "Features"): 1, ("S1", "Price"): 2, ("S2", "Features"): 1,
    }  # fmt: skip


def test_without_competitor_columns_nothing_is_kept():
    accounts = pd.DataFrame({"account_id": ["A"], "account_name": ["Acme"]})
    deals = pd.DataFrame({"Account Name": ["Acme"], "Amount": ["1"], "Stage": ["Closed Won"]})
    assert aggregate_opportunities(deals.astype("str"), accounts).competition is None
