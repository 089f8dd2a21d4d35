"""The planner on hand-made segment profiles: motion, role, teams, headcount and reasons."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.planner import PROFILE_COLUMNS, TEAM_COLUMNS, assign_accounts, plan_coverage
from segmentation.playbook import load_playbook

PB = load_playbook()


def profile(segment, accounts, customers, prospects, *, vertical=None, former=0, employees=np.nan,
            revenue=np.nan, deal=np.nan, known=None):
    """One segment row in the exact shape the segments stage produces."""
    known = (accounts if deal == deal else 0) if known is None else known
    return {
        "segment": segment,
        "vertical": vertical or segment.split(" · ")[0],
        "customer_type": segment.split(" · ")[-1],
        "accounts": accounts,
        "customers": customers,
        "prospects": prospects,
        "former": former,
        "partners": 0,
        "other_status": accounts - customers - prospects - former,
        "customer_share": customers / accounts,
        "median_employees": employees,
        "median_revenue": revenue,
        "median_deal_size": deal,
        "deal_size_known": known,
        "total_revenue": 0.0 if revenue != revenue else revenue * accounts,
        "total_deal_value": 0.0 if deal != deal else deal * known,
    }


# Planted: enterprise customers with large deals, a sea of small prospects, a tiny mid-market
# segment, and self-serve sized deals.
PLANTED = pd.DataFrame(
    [
        profile("Healthcare · Enterprise customers", 400, 370, 30, employees=5_000, revenue=2e9, deal=180_000),
        profile("Retail · Small prospects", 3_000, 200, 2_700, employees=40, revenue=5e6, deal=8_000),
        profile("Manufacturing · Mid-market", 30, 15, 15, employees=300, revenue=1e8, deal=40_000),
        profile("Software · Micro", 5_000, 500, 4_500, employees=10, revenue=1e6, deal=400),
    ]
)
PLAN = plan_coverage(PLANTED, PB)


def seg_row(plan, segment):
    return plan.segments.set_index("segment").loc[segment]


@pytest.mark.parametrize(
    ("segment", "motion", "role"),
    [
        ("Healthcare · Enterprise customers", "field", "farmer"),
        ("Retail · Small prospects", "inside", "hunter"),
        ("Manufacturing · Mid-market", "field", "generalist"),
        ("Software · Micro", "digital", "generalist"),
    ],
)
def test_planted_segments_get_the_expected_motion_and_role(segment, motion, role):
    row = seg_row(PLAN, segment)
    assert (row["motion"], row["role"]) == (motion, role)


@pytest.mark.parametrize(
    ("segment", "phrases"),
    [
        ("Healthcare · Enterprise customers", ["$180K", "above the $25K field line", "92% are customers", "field farmer"]),
        ("Retail · Small prospects", ["$8K", "between the $1K digital line and the $25K field line", "inside hunter"]),
        ("Manufacturing · Mid-market", ["generalist", "≤ 5"]),
        ("Software · Micro", ["below the $1K digital line", "digital"]),
    ],
)
def test_reason_is_a_sentence_with_the_numbers_that_decided(segment, phrases):
    reason = seg_row(PLAN, segment)["reason"]
    assert reason.startswith(segment + ":") and reason.endswith(".")
    for phrase in phrases:
        assert phrase in reason


def test_segments_keep_profiles_and_add_the_contract_columns():
    added = ["motion", "role", "team", "deal_size_basis", "reps_workload", "reps_capacity", "reason", "rules", "sources"]
    for col in [*PROFILE_COLUMNS, *added]:
        assert col in PLAN.segments.columns
    assert list(PLAN.teams.columns) == list(TEAM_COLUMNS)


@pytest.mark.parametrize("col", ["rules", "sources"])
def test_every_fired_rule_is_a_playbook_id_with_a_source(col):
    for rules in PLAN.segments["rules"]:
        ids = [r.strip() for r in rules.split(",") if r.strip()]
        assert ids and all(r in PB.rules for r in ids)
    assert PLAN.segments[col].str.len().min() > 0


def test_workload_and_capacity_are_the_documented_formulas():
    row = seg_row(PLAN, "Healthcare · Enterprise customers")
    # 400 accounts x 24 touches x 2.5 h / 1,200 selling hours
    assert row["reps_workload"] == pytest.approx(400 * 24 * 2.5 / 1_200)
    potential = 180_000 * (370 * 0.2 + 30 * 0.1)
    ramp_loss = 0.2 * 6 * (1 - 0.5) / 12
    assert row["reps_capacity"] == pytest.approx(potential / (1_000_000 * 0.85 * (1 - ramp_loss)))


def test_team_headcount_is_the_larger_of_the_two_rounded_up_and_digital_has_none():
    teams = PLAN.teams.set_index("team")
    for name, t in teams.iterrows():
        expected = math.ceil(max(t["headcount_workload"], np.nan_to_num(t["headcount_capacity"])) - 1e-9)
        if t["motion"] == "digital":
            assert t["headcount"] == 0 and "0 reps" in t["reason"]
        else:
            assert t["headcount"] == max(expected, 1)
        assert t["gap"] == pytest.approx(t["headcount_capacity"] - t["headcount_workload"])
    assert teams.loc["Field · Farmers · Healthcare", "specialization"] == "Healthcare vertical pod"


@pytest.mark.parametrize(
    ("team", "motion", "role"),
    [
        ("Field · Farmers · Healthcare", "field", "farmer"),
        ("Inside · Hunters", "inside", "hunter"),
        ("Field · Generalists", "field", "generalist"),
        ("Digital", "digital", "generalist"),
    ],
)
def test_team_names_are_readable(team, motion, role):
    teams = PLAN.teams.set_index("team")
    assert team in teams.index
    assert (teams.loc[team, "motion"], teams.loc[team, "role"]) == (motion, role)


@pytest.mark.parametrize(
    ("overrides", "segment", "column", "before", "after"),
    [
        # Past twice the deal size even the large-company modifier no longer lifts it to field.
        ({"motion_field_min": 500_000}, "Healthcare · Enterprise customers", "motion", "field", "inside"),
        ({"large_company_employees": 10_000, "motion_field_min": 250_000},
         "Healthcare · Enterprise customers", "motion", "field", "inside"),
        ({"use_conservative_field_line": 1}, "Manufacturing · Mid-market", "motion", "field", "inside"),
        ({"motion_digital_max": 10_000}, "Retail · Small prospects", "motion", "inside", "digital"),
        ({"farmer_customer_share_min": 0.95}, "Healthcare · Enterprise customers", "role", "farmer", "generalist"),
        ({"generalist_team_max": 0}, "Manufacturing · Mid-market", "role", "generalist", "farmer"),
    ],
)
def test_changing_a_playbook_value_changes_the_plan(overrides, segment, column, before, after):
    assert seg_row(PLAN, segment)[column] == before
    assert seg_row(plan_coverage(PLANTED, PB.with_values(**overrides)), segment)[column] == after


@pytest.mark.parametrize(
    ("overrides", "column", "direction"),
    [
        ({"quota_field": 2_000_000}, "reps_capacity", -1),
        ({"selling_hours_per_rep": 1_500}, "reps_workload", -1),
        ({"touches_field_farmer": 36}, "reps_workload", 1),
        ({"attainment": 0.6}, "reps_capacity", 1),
    ],
)
def test_headcount_moves_the_right_way_with_rates(overrides, column, direction):
    seg = "Healthcare · Enterprise customers"
    new = seg_row(plan_coverage(PLANTED, PB.with_values(**overrides)), seg)[column]
    assert np.sign(new - seg_row(PLAN, seg)[column]) == direction


@pytest.mark.parametrize(
    ("kwargs", "basis", "motion", "phrase"),
    [
        (dict(deal=60_000, known=100), "deal size field", "field", "median deal $60K"),
        # Only 10% have a deal size: fall back to 0.1% of a $30M median revenue = $30K.
        (dict(deal=2_000, known=10, revenue=30e6), "revenue proxy", "field", "revenue proxy"),
        (dict(revenue=5e6), "revenue proxy", "inside", "revenue proxy"),
        (dict(employees=20_000), "employee tier (Gartner)", "field", "large enterprise"),
        (dict(employees=50), "employee tier (Gartner)", "inside", "below Gartner"),
        (dict(), "no size data", "inside", "inside by default"),
    ],
)
def test_deal_size_basis_falls_back_and_says_so(kwargs, basis, motion, phrase):
    plan = plan_coverage(pd.DataFrame([profile("Any · Segment", 100, 50, 50, **kwargs)]), PB)
    row = plan.segments.iloc[0]
    assert (row["deal_size_basis"], row["motion"]) == (basis, motion)
    assert phrase in row["reason"]


@pytest.mark.parametrize(
    ("employees", "deal", "motion"),
    [
        (5_000, 15_000, "field"),  # large buying committee near the $25K line moves up
        (5_000, 5_000, "inside"),  # too far below the line
        (200, 15_000, "inside"),  # not a large company
    ],
)
def test_large_companies_near_the_line_move_up_to_field(employees, deal, motion):
    plan = plan_coverage(pd.DataFrame([profile("X · Y", 200, 100, 100, employees=employees, deal=deal)]), PB)
    assert plan.segments.loc[0, "motion"] == motion


def test_deals_per_rep_sanity_check_sends_tiny_inside_deals_to_digital():
    prof = pd.DataFrame([profile("X · Y", 500, 100, 400, deal=1_500)])
    assert plan_coverage(prof, PB).segments.loc[0, "motion"] == "inside"  # 333 deals a year: fine
    plan = plan_coverage(prof, PB.with_values(quota_inside=1_000_000))  # 667 deals: not a rep's job
    assert plan.segments.loc[0, "motion"] == "digital"
    assert "inside_deals_per_rep_max" in plan.segments.loc[0, "rules"]


def big(segment, customers_share, deal, vertical=None):
    accounts = 2_000
    cust = int(accounts * customers_share)
    return profile(segment, accounts, cust, accounts - cust, deal=deal, vertical=vertical)


@pytest.mark.parametrize(
    ("rows", "teams"),
    [
        # Both sides are full teams: split hunters and farmers.
        ([big("A · Customers", 0.9, 60_000), big("A · Prospects", 0.1, 60_000)], {"Field · Farmers", "Field · Hunters"}),
        # The farmer side is tiny: no split, one generalist team.
        (
            [big("A · Prospects", 0.1, 60_000), profile("A · Customers", 40, 36, 4, deal=60_000)],
            {"Field · Generalists"},
        ),
        # Only hunters, and plenty of them: a hunter team.
        ([big("A · Prospects", 0.1, 60_000)], {"Field · Hunters"}),
    ],
)
def test_hunters_and_farmers_split_only_when_both_sides_are_full_teams(rows, teams):
    assert set(plan_coverage(pd.DataFrame(rows), PB).teams["team"]) == teams


@pytest.mark.parametrize(
    ("deal_b", "expect_pod"),
    [(300_000, True), (70_000, False)],
)
def test_vertical_pod_only_when_deal_size_differs_beyond_noise(deal_b, expect_pod):
    rows = [
        big("Healthcare · Customers", 0.9, 60_000, vertical="Healthcare"),
        big("Energy · Customers", 0.9, deal_b, vertical="Energy"),
    ]
    teams = plan_coverage(pd.DataFrame(rows), PB).teams
    if expect_pod:
        assert {"Field · Farmers · Healthcare", "Field · Farmers · Energy"} == set(teams["team"])
        assert set(teams["specialization"]) == {"Healthcare vertical pod", "Energy vertical pod"}
    else:
        assert list(teams["team"]) == ["Field · Farmers"]
        assert teams.loc[0, "specialization"] == "generalist across verticals"


def test_assign_accounts_keeps_index_and_order_and_flags_unknown_segments():
    accounts = pd.DataFrame(
        {"segment": ["Software · Micro", "Healthcare · Enterprise customers", "Ghost · Segment"]},
        index=[10, 5, 7],
    )
    out = assign_accounts(accounts, PLAN)
    assert list(out.index) == [10, 5, 7]
    assert list(out.columns) == ["team", "motion", "role", "reason"]
    assert out.loc[5, "team"] == "Field · Farmers · Healthcare"
    assert out.loc[5, "reason"] == seg_row(PLAN, "Healthcare · Enterprise customers")["reason"]
    assert out.loc[10, "motion"] == "digital"
    assert pd.isna(out.loc[7, "team"]) and "Not in the plan" in out.loc[7, "reason"]


def test_to_dict_is_json_ready():
    data = PLAN.to_dict()
    json.dumps(data)
    assert data["total_headcount"] == int(PLAN.teams["headcount"].sum())
    assert len(data["segments"]) == len(PLANTED)


@pytest.mark.parametrize("drop", ["accounts", "median_deal_size", "customer_share"])
def test_missing_profile_columns_are_an_input_error(drop):
    with pytest.raises(InputError, match=drop):
        plan_coverage(PLANTED.drop(columns=drop), PB)


def test_empty_profiles_give_an_empty_plan():
    plan = plan_coverage(PLANTED.iloc[:0], PB)
    assert plan.segments.empty and plan.teams.empty


def test_plan_is_a_pure_function_of_its_inputs():
    again = plan_coverage(PLANTED.copy(), PB)
    pd.testing.assert_frame_equal(again.segments, PLAN.segments)
    pd.testing.assert_frame_equal(again.teams, PLAN.teams)


def test_engine_modules_do_not_import_streamlit():
    code = (
        "import sys, segmentation.playbook, segmentation.planner, segmentation.territories;"
        "sys.exit(1 if 'streamlit' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
