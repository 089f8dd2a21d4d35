"""The planner on hand-made segment profiles: motion, role, teams, headcount and reasons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.planner import PROFILE_COLUMNS, TEAM_COLUMNS, assign_accounts, plan_coverage
from segmentation.playbook import load_playbook

PB = load_playbook()


def profile(
    segment,
    accounts,
    customers,
    prospects,
    *,
    vertical=None,
    former=0,
    employees=np.nan,
    revenue=np.nan,
    deal=np.nan,
    known=None,
):
    """One segment row in the exact shape the segments stage produces."""
    known = (0 if math.isnan(deal) else accounts) if known is None else known
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
        "total_revenue": 0.0 if math.isnan(revenue) else revenue * accounts,
        "total_deal_value": 0.0 if math.isnan(deal) else deal * known,
    }


# Planted: enterprise customers with large deals, a sea of small prospects, a tiny mid-market
# segment, and self-serve sized deals.
PLANTED = pd.DataFrame(
    [
        profile(
            "Healthcare · Enterprise customers",
            400,
            370,
            30,
            employees=5_000,
            revenue=2e9,
            deal=180_000,
        ),
        profile(
            "Retail · Small prospects", 3_000, 200, 2_700, employees=40, revenue=5e6, deal=8_000
        ),
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
        # Field by deal size, but $300K of bookings pay for no field rep: pooled into inside.
        ("Manufacturing · Mid-market", "inside", "generalist"),
        ("Software · Micro", "digital", "generalist"),
    ],
)
def test_planted_segments_get_the_expected_motion_and_role(segment, motion, role):
    row = seg_row(PLAN, segment)
    assert (row["motion"], row["role"]) == (motion, role)


@pytest.mark.parametrize(
    ("segment", "phrases"),
    [
        (
            "Healthcare · Enterprise customers",
            ["$180K", "above the $25K field line", "92% are customers", "field farmer"],
        ),
        (
            "Retail · Small prospects",
            ["$8K", "between the $1K digital line and the $25K field line", "inside hunter"],
        ),
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
    added = [
        "motion",
        "role",
        "team",
        "deal_size_basis",
        "reps_workload",
        "reps_capacity",
        "reason",
        "rules",
        "sources",
    ]
    for col in [*PROFILE_COLUMNS, *added]:
        assert col in PLAN.segments.columns
    assert list(PLAN.teams.columns) == list(TEAM_COLUMNS)


def test_every_fired_rule_is_a_playbook_id_with_a_source():
    for row in PLAN.segments.itertuples():
        ids = [r.strip() for r in row.rules.split(",") if r.strip()]
        assert ids and all(r in PB.rules for r in ids), row.segment
        for r in ids:
            rule = PB.rules[r]
            assert f"[{rule.confidence}] {rule.source}" in row.sources, (row.segment, r)


# Deals a year per customer (renewal credit + expansion) and per prospect, without history.
CUSTOMER_RATE = PB.value("renewal_credit_rate") + PB.value("potential_customer_rate")
PROSPECT_RATE = PB.value("potential_prospect_rate")


def seat(motion):
    """What one seat books a year: quota x attainment, less what attrition costs (README)."""
    v = PB.value
    lost = v("time_to_fill_months") + v(f"ramp_months_{motion}") * (1 - v("ramp_productivity"))
    return v(f"quota_{motion}") * v("attainment") * (1 - v("attrition_annual") * lost / 12)


def test_workload_and_capacity_are_the_documented_formulas():
    row = seg_row(PLAN, "Healthcare · Enterprise customers")
    v = PB.value
    # 400 accounts x 24 touches x 2.5 h / 1,200 selling hours = 20 reps (shown for reference only)
    workload = 400 * v("touches_field_farmer") * v("hours_per_touch_field")
    assert row["reps_workload"] == pytest.approx(workload / v("selling_hours_per_rep"))
    # No opportunities: playbook rates. 370 customers renew 0.2 and expand 0.2 deals a year,
    # 30 prospects convert 0.1: $180K x (148 + 3) = $27.18M.
    bookings = 180_000 * (370 * CUSTOMER_RATE + 30 * PROSPECT_RATE)
    assert row["bookings"] == pytest.approx(bookings)
    # A field seat: $1M x 85%, less attrition 14% x (1.5 empty months + 6 ramp months x 50%) / 12
    # = 5.25% of a year: $805,375; 27.18M / 805,375 = 33.75 reps.
    assert seat("field") == pytest.approx(805_375)
    assert row["reps_capacity"] == pytest.approx(bookings / seat("field"))
    # Field reps own every account: 400 / 50 a rep = 8 reps of coverage.
    assert row["reps_coverage"] == pytest.approx(400 / v("coverage_field_max"))


def test_team_headcount_is_capacity_or_coverage_rounded_up_within_the_ceiling_and_digital_has_none():
    teams = PLAN.teams.set_index("team")
    for _, t in teams.iterrows():
        need = math.ceil(max(t["headcount_coverage"], t["headcount_capacity"]) - 1e-9)
        if t["motion"] == "digital":
            assert t["headcount"] == 0 and "0 reps" in t["reason"]
        else:
            assert t["headcount"] == min(need, math.floor(t["headcount_affordable"] + 1e-9))
            assert t["cost"] == pytest.approx(t["headcount"] * t["loaded_cost_per_rep"])
        assert t["gap"] == pytest.approx(t["headcount_capacity"] - t["headcount_workload"])
    assert teams.loc["Field · Farmers · Healthcare", "specialization"] == "Healthcare vertical pod"


@pytest.mark.parametrize(
    ("team", "motion", "bookings", "named", "reps"),
    [
        # 370 customers x (0.2 + 0.2) + 30 prospects x 0.1 = 151 deals x $180K = $27.18M;
        # $27.18M / $805,375 a field seat = 33.7 reps; floor 400 accounts / 50 = 8; ceiling
        # $27.18M x 50% / ($200K OTE x 1.25) = 54.4 reps: 34 reps.
        (
            "Field · Farmers · Healthcare",
            "field",
            180_000 * (370 * CUSTOMER_RATE + 30 * PROSPECT_RATE),
            400,
            34,
        ),
        # 200 customers x 0.4 + 2,700 prospects x 0.1 = 350 deals x $8K = $2.8M; an inside seat
        # $500K x 85% x (1 - 14% x (1.5 + 3 x 50%) / 12) = $410,125: 6.8 reps; floor 200
        # customers / 150 = 1.3; ceiling $2.8M x 50% / ($100K x 1.25) = 11.2: 7 reps.
        (
            "Inside · Hunters",
            "inside",
            8_000 * (200 * CUSTOMER_RATE + 2_700 * PROSPECT_RATE),
            200,
            7,
        ),
        # The mid-market segment pooled into inside: $40K x (15 x 0.4 + 15 x 0.1) = $300K,
        # 0.73 reps of capacity, floor 15 customers / 150 = 0.1, ceiling 1.2: 1 rep.
        (
            "Inside · Generalists",
            "inside",
            40_000 * (15 * CUSTOMER_RATE + 15 * PROSPECT_RATE),
            15,
            1,
        ),
    ],
)
def test_team_headcount_worked_by_hand(team, motion, bookings, named, reps):
    t = PLAN.teams.set_index("team").loc[team]
    v = PB.value
    loaded = v(f"ote_{motion}") * v("loaded_cost_multiplier")
    assert t["bookings"] == pytest.approx(bookings)
    assert t["headcount_capacity"] == pytest.approx(bookings / seat(motion))
    assert t["headcount_coverage"] == pytest.approx(named / v(f"coverage_{motion}_max"))
    assert t["headcount_affordable"] == pytest.approx(bookings * v("cost_of_sales_max") / loaded)
    assert t["headcount"] == reps
    assert t["cost"] == pytest.approx(reps * loaded)
    assert t["cost_of_sales"] == pytest.approx(reps * loaded / bookings)


@pytest.mark.parametrize(
    ("team", "motion", "role"),
    [
        ("Field · Farmers · Healthcare", "field", "farmer"),
        ("Inside · Hunters", "inside", "hunter"),
        ("Inside · Generalists", "inside", "generalist"),
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
        (
            {"motion_field_min": 500_000},
            "Healthcare · Enterprise customers",
            "motion",
            "field",
            "inside",
        ),
        (
            {"large_company_employees": 10_000, "motion_field_min": 250_000},
            "Healthcare · Enterprise customers",
            "motion",
            "field",
            "inside",
        ),
        # Inside from the start with the conservative line: nothing to pool.
        (
            {"use_conservative_field_line": 1},
            "Manufacturing · Mid-market",
            "pooled_from",
            "Field · Generalists",
            "",
        ),
        ({"motion_digital_max": 10_000}, "Retail · Small prospects", "motion", "inside", "digital"),
        (
            {"farmer_customer_share_min": 0.95},
            "Healthcare · Enterprise customers",
            "role",
            "farmer",
            "generalist",
        ),
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
        ({"deal": 60_000, "known": 2_000}, "deal size field", "field", "median deal $60K"),
        # Only 10% have a deal size and no won deals: the playbook's default for the tier of a
        # $30M company (small, < $50M): $5K, low confidence. Never a share of revenue.
        (
            {"deal": 2_000, "known": 200, "revenue": 30e6},
            "playbook tier default (small, low confidence)",
            "inside",
            "small company",
        ),
        (
            {"revenue": 5e8},
            "playbook tier default (midsize, low confidence)",
            "inside",
            "midsize company",
        ),
        (
            {"employees": 20_000},
            "playbook tier default (large, low confidence)",
            "field",
            "large company",
        ),
        (
            {"employees": 50},
            "playbook tier default (small, low confidence)",
            "inside",
            "low confidence",
        ),
        ({}, "no size data", "inside", "inside by default"),
    ],
)
def test_deal_size_basis_falls_back_and_says_so(kwargs, basis, motion, phrase):
    plan = plan_coverage(
        pd.DataFrame([profile("Any · Segment", 2_000, 1_000, 1_000, **kwargs)]), PB
    )
    row = plan.segments.iloc[0]
    assert (row["deal_size_basis"], row["motion"]) == (basis, motion)
    assert phrase in row["reason"]
    assert row["deal_size_confidence"] == (
        "medium" if basis == "deal size field" else "low" if "tier" in basis else "none"
    )


@pytest.mark.parametrize(
    ("kwargs", "basis", "motion", "phrase"),
    [
        # The tier defaults switched off: a revenue share is the last resort, said to be a guess.
        ({"revenue": 30e6}, "revenue proxy (low confidence)", "field", "no source supports it"),
        ({"employees": 20_000}, "employee tier (Gartner)", "field", "large enterprise"),
        ({"employees": 50}, "employee tier (Gartner)", "inside", "below Gartner"),
    ],
)
def test_revenue_share_only_as_the_last_resort(kwargs, basis, motion, phrase):
    pb = PB.with_values(deal_size_tier_small=0, deal_size_tier_midsize=0, deal_size_tier_large=0)
    row = plan_coverage(
        pd.DataFrame([profile("Any · Segment", 2_000, 1_000, 1_000, **kwargs)]), pb
    ).segments.iloc[0]
    assert (row["deal_size_basis"], row["motion"], row["deal_size_confidence"]) == (
        basis,
        motion,
        "low",
    )
    assert phrase in row["reason"]


def accounts_table(rows):
    """``[(segment, n, avg_won_deal or nan, deal_size or nan)]`` -> the per-account table."""
    return pd.DataFrame(
        [{"segment": s, "avg_won_deal": w, "deal_size": d} for s, n, w, d in rows for _ in range(n)]
    )


@pytest.mark.parametrize(
    ("rows", "basis", "deal"),
    [
        # 60 of 100 accounts won deals (median $40K): their own won deals.
        (
            [("A · Ent", 60, 40_000.0, np.nan), ("A · Ent", 40, np.nan, 90_000.0)],
            "won deals (60% of accounts)",
            40_000,
        ),
        # 30 won deals and 40 deal-size values: 70% have evidence, median of the 70 is $90K.
        (
            [
                ("A · Ent", 30, 40_000.0, np.nan),
                ("A · Ent", 40, np.nan, 90_000.0),
                ("A · Ent", 30, np.nan, np.nan),
            ],
            "deal size field",
            90_000,
        ),
        # No evidence in the segment; 12 accounts of the same customer type elsewhere won $70K.
        (
            [("A · Ent", 100, np.nan, np.nan), ("B · Ent", 12, 70_000.0, np.nan)],
            "won deals of similar accounts (customer type Ent)",
            70_000,
        ),
        # Only 5 similar accounts won (< 10): the playbook's tier default for 5,000 employees.
        (
            [("A · Ent", 100, np.nan, np.nan), ("B · Ent", 5, 70_000.0, np.nan)],
            "playbook tier default (large, low confidence)",
            75_000,
        ),
    ],
)
def test_deal_size_comes_from_the_best_evidence(rows, basis, deal):
    prof = pd.DataFrame(
        [
            profile("A · Ent", 100, 100, 0, employees=5_000),
            profile("B · Ent", 50, 50, 0, employees=5_000),
        ]
    )
    row = plan_coverage(prof, PB, accounts=accounts_table(rows)).segments.iloc[0]
    assert row["deal_size_basis"] == basis
    assert row["deal_size_used"] == pytest.approx(deal)


@pytest.mark.parametrize(
    ("employees", "deal", "motion"),
    [
        (5_000, 15_000, "field"),  # large buying committee near the $25K line moves up
        (5_000, 5_000, "inside"),  # too far below the line
        (200, 15_000, "inside"),  # not a large company
    ],
)
def test_large_companies_near_the_line_move_up_to_field(employees, deal, motion):
    plan = plan_coverage(
        pd.DataFrame([profile("X · Y", 200, 100, 100, employees=employees, deal=deal)]), PB
    )
    assert plan.segments.loc[0, "motion"] == motion


def test_deals_per_rep_sanity_check_sends_tiny_inside_deals_to_digital():
    prof = pd.DataFrame([profile("X · Y", 5_000, 1_000, 4_000, deal=1_500)])
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
        (
            [big("A · Customers", 0.9, 60_000), big("A · Prospects", 0.1, 60_000)],
            {"Field · Farmers", "Field · Hunters"},
        ),
        # The farmer side is small and 12% of the accounts: no split, and too little existing
        # business for generalists; the customers keep an account manager (roles follow the book).
        (
            [big("A · Prospects", 0.1, 60_000), profile("A · Customers", 40, 36, 4, deal=60_000)],
            {"Field · Hunters", "Field · Farmers"},
        ),
        # The farmer side is 4 reps but 26% of the accounts: no split, one generalist team.
        (
            [
                profile("A · Prospects", 320, 32, 288, deal=60_000),
                profile("A · Customers", 80, 72, 8, deal=60_000),
            ],
            {"Field · Generalists"},
        ),
        # Only hunters, and plenty of them: a hunter team.
        ([big("A · Prospects", 0.1, 60_000)], {"Field · Hunters"}),
        # Only customers, a small team: nothing to split and nothing to hunt, so farmers.
        ([profile("A · Customers", 60, 60, 0, deal=60_000)], {"Field · Farmers"}),
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


def test_assigned_columns_are_categorical_codes_of_the_used_plan_values():
    segments = PLAN.segments["segment"].tolist()
    accounts = pd.DataFrame(
        {"segment": [segments[1], segments[0], segments[1], None, "Ghost · Segment"]}
    )
    out = assign_accounts(accounts, PLAN)
    by_segment = PLAN.segments.set_index("segment")
    for col in ["team", "motion", "role", "reason"]:
        values = out[col]
        assert isinstance(values.dtype, pd.CategoricalDtype)
        # only the values some account has, sorted as text: sorting and sorted group-bys agree
        # with a text column
        categories = list(values.cat.categories)
        assert categories == sorted(set(values.dropna()))
        assert values.iloc[0] == by_segment.loc[segments[1], col] == values.iloc[2]
        assert values.iloc[1] == by_segment.loc[segments[0], col]
    assert out["team"].iloc[3:].isna().all()
    assert (
        out["reason"].iloc[3:] == "Not in the plan: this account has no segment the planner saw."
    ).all()


def test_assigned_columns_without_unknown_segments_have_no_missing_reason_category():
    accounts = pd.DataFrame({"segment": PLAN.segments["segment"].tolist() * 3})
    out = assign_accounts(accounts, PLAN)
    assert out.notna().all().all()
    assert not any("Not in the plan" in c for c in out["reason"].cat.categories)
    assert out["team"].astype("str").tolist() == PLAN.segments["team"].tolist() * 3


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


# --- reasons quote the final figures ---------------------------------------------------------
def test_generalist_reason_quotes_the_figure_that_decided():
    # Half customers, half prospects, $40K deals, no history: $40K x (15 x 0.4 + 15 x 0.1) = $300K,
    # 0.37 reps of capacity; 30 field accounts / 50 = 0.6 reps of coverage: the team needs 0.6.
    row = seg_row(PLAN, "Manufacturing · Mid-market")
    bookings = 40_000 * (15 * CUSTOMER_RATE + 15 * PROSPECT_RATE)
    assert row["bookings"] == pytest.approx(bookings)
    assert "the team needs only 0.6 reps (≤ 5)" in row["reason"]
    assert row["role"] == "generalist"


def test_a_sliver_of_the_other_side_keeps_its_own_role_with_the_figures():
    rows = [big("A · Prospects", 0.1, 60_000), profile("A · Customers", 40, 36, 4, deal=60_000)]
    plan = plan_coverage(pd.DataFrame(rows), PB)
    row = seg_row(plan, "A · Customers")
    assert row["role"] == "farmer" and row["team"] == "Field · Farmers"
    # $60K x (36 x 0.4 + 4 x 0.1) = $888K = 1.1 field reps; 200 + 36 customers of 2,040 accounts = 12%.
    assert (
        "the farmer side of this motion is only 1.1 reps (≤ 5) and 12% of its accounts"
        in row["reason"]
    )
    assert "generalist_min_other_share" in row["rules"]
    # Raise the bar for a sliver and the same motion becomes one generalist team.
    again = plan_coverage(pd.DataFrame(rows), PB.with_values(generalist_min_other_share=0.05))
    assert list(again.teams["team"]) == ["Field · Generalists"]


def test_small_mixed_remainder_joins_the_full_side():
    rows = [
        big("A · Customers", 0.9, 60_000),  # ~85 farmer reps of capacity
        # Partners and other statuses: neither side's ground, 0.8 reps of coverage.
        profile("A · Partners", 40, 5, 5, deal=60_000),
    ]
    plan = plan_coverage(pd.DataFrame(rows), PB)
    assert list(plan.teams["team"]) == ["Field · Farmers"]
    reason = seg_row(plan, "A · Partners")["reason"]
    assert "so the farmers cover it" in reason and "field farmer" in reason


def test_large_mixed_remainder_keeps_its_own_team():
    rows = [big("A · Customers", 0.9, 60_000), profile("A · Partners", 400, 50, 50, deal=60_000)]
    plan = plan_coverage(pd.DataFrame(rows), PB)
    assert set(plan.teams["team"]) == {"Field · Farmers", "Field · Generalists"}


# --- product overlays --------------------------------------------------------------------------
def products_table(rows):
    """``{segment: {product: won deals}}`` -> the long products table the planner reads."""
    return pd.DataFrame(
        [
            {"segment": s, "product": p, "won_revenue": 1_000.0 * d, "deals": d}
            for s, mix in rows.items()
            for p, d in mix.items()
        ]
    )


# Two verticals per customer type, so the product mix can differ by type and not by vertical.
MIX_PROFILES = pd.DataFrame(
    [
        profile("Healthcare · Enterprise customers", 400, 370, 30, employees=5_000, deal=180_000),
        profile("Retail · Enterprise customers", 400, 370, 30, employees=5_000, deal=170_000),
        profile("Healthcare · Small prospects", 3_000, 200, 2_800, employees=40, deal=8_000),
        profile("Retail · Small prospects", 3_000, 200, 2_800, employees=40, deal=8_000),
    ]
)
ENTERPRISE = ["Healthcare · Enterprise customers", "Retail · Enterprise customers"]
PROSPECTS = ["Healthcare · Small prospects", "Retail · Small prospects"]
# Security sells to enterprise customers and hardly anywhere else; Core Platform is most of the
# small prospects' deals (their core offer); Analytics sells everywhere alike.
SKEWED = products_table(
    {
        **{s: {"Core Platform": 50, "Analytics": 30, "Security": 45} for s in ENTERPRISE},
        **{s: {"Core Platform": 120, "Analytics": 30, "Security": 2} for s in PROSPECTS},
    }
)
ALIKE = products_table(
    {
        s: {"Core Platform": 50 * k, "Analytics": 30 * k, "Security": 20 * k}
        for s, k in zip([*ENTERPRISE, *PROSPECTS], (2, 3, 1, 4))
    }
)
FEW = products_table(
    {
        ENTERPRISE[0]: {"Core Platform": 2, "Security": 9},
        PROSPECTS[0]: {"Core Platform": 9, "Security": 1},
    }
)


def test_product_overlay_where_the_mix_differs_beyond_noise():
    plan = plan_coverage(MIX_PROFILES, PB, SKEWED)
    overlays = plan.overlays.set_index("product")
    assert list(overlays.index) == ["Security"]
    security = overlays.loc["Security"]
    assert security["dimension"] == "customer type"
    assert security["groups"] == "Enterprise customers"
    assert security["teams"] == "Field · Farmers"
    assert security["share_in_groups"] == pytest.approx(90 / 250)
    assert security["share_elsewhere"] == pytest.approx(4 / 304)
    teams = plan.teams.set_index("team")
    assert teams.loc["Field · Farmers", "overlays"] == "Security"
    assert teams.loc["Inside · Hunters", "overlays"] == ""
    assert (
        "Product overlay specialists work alongside this team for Security"
        in teams.loc["Field · Farmers", "reason"]
    )
    for segment in ENTERPRISE:
        reason = seg_row(plan, segment)["reason"]
        assert (
            "Overlay specialists: Security (36% of won deals in Enterprise customers vs 1% elsewhere)"
            in reason
        )
        assert "Cramér's V" in reason
        assert "product_mix_effect_min" in seg_row(plan, segment)["rules"]
    mix = plan.product_mix.set_index("dimension")
    assert (
        bool(mix.loc["customer type", "differs"])
        and "core offer" in mix.loc["customer type", "reason"]
    )
    assert not mix.loc["vertical", "differs"]  # both verticals buy the same mix


def test_product_mix_statistics_match_scipy():
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    plan = plan_coverage(MIX_PROFILES, PB, SKEWED)
    mix = plan.product_mix.set_index("dimension").loc["customer type"]
    table = SKEWED.assign(t=SKEWED["segment"].str.split(" · ").str[-1]).pivot_table(
        index="t", columns="product", values="deals", aggfunc="sum", fill_value=0
    )
    chi2, p, dof, _ = chi2_contingency(table.to_numpy(), correction=False)
    assert mix["chi2"] == pytest.approx(chi2) and mix["dof"] == dof
    assert mix["cramers_v"] == pytest.approx(association(table.to_numpy(), method="cramer"))
    assert mix["p_value"] == pytest.approx(min(1.0, 2 * p))  # Bonferroni over the two dimensions
    # The bias correction only ever shrinks V.
    assert mix["cramers_v_corrected"] <= mix["cramers_v"]


@pytest.mark.parametrize(
    ("products", "expected_reason"),
    [
        (None, None),  # no product data: nothing said about overlays
        (ALIKE, "does not differ beyond noise"),
        (FEW, "not tested"),  # a strong difference on 21 deals is not evidence
    ],
)
def test_no_product_overlay_without_evidence(products, expected_reason):
    plan = plan_coverage(MIX_PROFILES, PB, products)
    assert plan.overlays.empty
    assert (plan.teams["overlays"] == "").all()
    assert not plan.segments["reason"].str.contains("Overlay").any()
    if expected_reason is None:
        assert plan.product_mix.empty
    else:
        assert plan.product_mix["reason"].str.contains(expected_reason).all()


@pytest.mark.parametrize(
    ("overrides", "products_with_overlay"),
    [
        ({}, ["Security"]),
        ({"product_mix_effect_min": 0.95}, []),
        ({"product_overlay_min_deals": 100}, []),
        ({"product_overlay_lift_min": 50}, []),
        # Core Platform is 79% of the prospects' deals: an overlay only once that is allowed.
        ({"product_overlay_share_max": 0.95}, ["Core Platform", "Security"]),
    ],
)
def test_changing_a_product_threshold_changes_the_overlays(overrides, products_with_overlay):
    plan = plan_coverage(MIX_PROFILES, PB.with_values(**overrides), SKEWED)
    assert sorted(plan.overlays["product"]) == products_with_overlay


def test_products_table_without_its_columns_is_an_input_error():
    with pytest.raises(InputError, match="products"):
        plan_coverage(PLANTED, PB, SKEWED.drop(columns="deals"))


def test_segment_products_sums_won_deals_per_segment_and_product():
    from segmentation.planner import segment_products

    long = pd.DataFrame(
        {
            "account_row": [10, 10, 11, 12, 99],
            "product": ["A", "B", "A", "A", "A"],
            "won_revenue": [1.0, 2.0, 3.0, 4.0, 5.0],
            "deals": [1, 1, 2, 1, 1],
        }
    )
    segment = pd.Series(["S1", "S1", "S2"], index=[10, 11, 12])
    out = segment_products(long, segment)
    assert list(out.columns) == ["segment", "product", "won_revenue", "deals"]
    assert out.to_dict("records") == [
        {"segment": "S1", "product": "A", "won_revenue": 4.0, "deals": 3},
        {"segment": "S1", "product": "B", "won_revenue": 2.0, "deals": 1},
        {"segment": "S2", "product": "A", "won_revenue": 4.0, "deals": 1},
    ]  # row 99 matches no account: left out
    assert segment_products(None, segment) is None
    assert segment_products(long.iloc[:0], segment) is None


# --- vertical pods beyond noise ----------------------------------------------------------------
def book(verticals, *, seed=0, sigma=1.0, won_rate=None, deals_per_account=2):
    """Per-account field customers: ``{vertical: (accounts, median deal)}`` and matching profiles."""
    rng = np.random.default_rng(seed)
    frames = []
    for v, (n, median) in verticals.items():
        won = None
        if won_rate is not None:
            won = rng.binomial(deals_per_account, won_rate[v], n)
        frames.append(
            pd.DataFrame(
                {
                    "segment": f"{v} · Customers",
                    "vertical": v,
                    "deal_size": np.round(rng.lognormal(np.log(median), sigma, n), -2),
                    "won_deals": won if won is not None else 0,
                    "lost_deals": deals_per_account - won if won is not None else 0,
                }
            )
        )
    accounts = pd.concat(frames, ignore_index=True)
    g = accounts.groupby("segment", sort=False)
    profiles = pd.DataFrame(
        [
            profile(
                s,
                len(a),
                int(len(a) * 0.9),
                len(a) - int(len(a) * 0.9),
                vertical=a["vertical"].iloc[0],
                deal=float(a["deal_size"].median()),
            )
            for s, a in g
        ]
    )
    return profiles, accounts


def has_pod(plan, vertical):
    return bool(plan.teams["team"].str.endswith(f" · {vertical}").any())


def pod_row(plan, vertical):
    return plan.vertical_tests.set_index(["motion", "vertical"]).loc[("field", vertical)]


def test_deal_size_pod_needs_a_difference_beyond_noise():
    # Same distribution; the small vertical's median is 1.7x the rest by chance (seed 91).
    profiles, accounts = book(
        {"Energy": (35, 60_000), "Healthcare": (2_000, 60_000)}, seed=91, sigma=1.2
    )
    pb = PB.with_values(pod_min_reps=1)
    medians = profiles.set_index("vertical")["median_deal_size"]
    assert medians["Energy"] / medians["Healthcare"] >= 1.5  # the ratio alone would fire
    untested = plan_coverage(profiles, pb)
    assert has_pod(untested, "Energy")
    assert "not tested against noise" in seg_row(untested, "Energy · Customers")["reason"]
    tested = plan_coverage(profiles, pb, accounts=accounts)
    assert not has_pod(tested, "Energy")
    assert pod_row(tested, "Energy")["deal_p_value"] > pb.value("significance_level")


def test_deal_size_pod_when_the_difference_is_real():
    profiles, accounts = book({"Energy": (300, 200_000), "Healthcare": (2_000, 60_000)}, seed=1)
    plan = plan_coverage(profiles, PB, accounts=accounts)
    assert {"Field · Farmers · Energy", "Field · Farmers · Healthcare"} == set(plan.teams["team"])
    reason = seg_row(plan, "Energy · Customers")["reason"]
    assert "Mann-Whitney p < 0.001" in reason and "300 vs 2,000 accounts" in reason
    assert "pod_min_accounts" in seg_row(plan, "Energy · Customers")["rules"]


def test_mann_whitney_p_value_matches_scipy():
    from scipy.stats import mannwhitneyu

    profiles, accounts = book({"Energy": (80, 70_000), "Healthcare": (500, 60_000)}, seed=4)
    plan = plan_coverage(profiles, PB, accounts=accounts)
    a = accounts.loc[accounts["vertical"] == "Energy", "deal_size"]
    b = accounts.loc[accounts["vertical"] == "Healthcare", "deal_size"]
    p = mannwhitneyu(a, b, method="asymptotic", use_continuity=True).pvalue
    # Bonferroni over the two verticals tested in the motion.
    assert pod_row(plan, "Energy")["deal_p_value"] == pytest.approx(min(1.0, 2 * p))
    assert pod_row(plan, "Energy")["accounts_tested"] == 80


@pytest.mark.parametrize(
    ("energy_rate", "energy_accounts", "expect_pod"),
    [
        (0.3, 300, True),  # 30 points below the rest on 600 closed deals
        (0.5, 25, False),  # 10 points, but 50 closed deals cannot tell that from noise
        (0.6, 300, False),  # no difference
    ],
)
def test_win_rate_pod_only_beyond_noise(energy_rate, energy_accounts, expect_pod):
    profiles, accounts = book(
        {"Energy": (energy_accounts, 60_000), "Healthcare": (2_000, 60_000)},
        seed=2,
        won_rate={"Energy": energy_rate, "Healthcare": 0.6},
    )
    plan = plan_coverage(profiles, PB.with_values(pod_min_reps=1), accounts=accounts)
    row = pod_row(plan, "Energy")
    assert not row["deal_size_differs"]
    assert bool(row["win_rate_differs"]) is expect_pod
    assert has_pod(plan, "Energy") is expect_pod
    if expect_pod:
        assert (
            "vs 60% in the rest of field (p < 0.001, 600 vs 4,000 closed deals)"
            in seg_row(plan, "Energy · Customers")["reason"]
        )


def test_win_rate_p_value_matches_the_chi_square_on_the_two_by_two():
    from scipy.stats import chi2_contingency

    profiles, accounts = book(
        {"Energy": (300, 60_000), "Healthcare": (600, 60_000)},
        seed=3,
        won_rate={"Energy": 0.45, "Healthcare": 0.55},
    )
    plan = plan_coverage(profiles, PB, accounts=accounts)
    w = accounts.groupby("vertical")[["won_deals", "lost_deals"]].sum()
    p = chi2_contingency(w.to_numpy(), correction=False).pvalue
    assert pod_row(plan, "Energy")["win_rate_p_value"] == pytest.approx(min(1.0, 2 * p))


def test_accounts_table_without_a_segment_is_an_input_error():
    with pytest.raises(InputError, match="accounts"):
        plan_coverage(PLANTED, PB, accounts=pd.DataFrame({"deal_size": [1.0]}))


def test_accounts_outside_the_plan_are_ignored_by_the_pod_tests():
    profiles, accounts = book({"Energy": (300, 200_000), "Healthcare": (2_000, 60_000)}, seed=1)
    stray = pd.DataFrame(
        {
            "segment": ["Ghost · Segment", None],
            "deal_size": [1e9, 1e9],
            "won_deals": 0,
            "lost_deals": 0,
        }
    )
    with_stray = pd.concat([accounts, stray.astype({"segment": "string"})], ignore_index=True)
    a = plan_coverage(profiles, PB, accounts=accounts).vertical_tests
    b = plan_coverage(profiles, PB, accounts=with_stray).vertical_tests
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("rows", "segment", "role", "detail"),
    [
        # An all-customer segment next to a big hunter team keeps account managers.
        (
            [big("A · Prospects", 0.05, 8_000), profile("A · Customers", 60, 60, 0, deal=8_000)],
            "A · Customers",
            "farmer",
            "farmer",
        ),
        # Former customers next to a big farmer team are won back by hunters, never farmed.
        (
            [
                big("A · Customers", 0.95, 60_000),
                profile("A · Former", 300, 0, 0, former=300, deal=60_000),
            ],
            "A · Former",
            "hunter",
            "win-back hunter",
        ),
        # Prospect-heavy next to farmers: hunters.
        (
            [
                big("A · Customers", 0.95, 60_000),
                profile("A · Prospects", 300, 0, 300, deal=60_000),
            ],
            "A · Prospects",
            "hunter",
            "hunter",
        ),
        # Customer-heavy alone: farmers.
        ([big("A · Customers", 0.95, 60_000)], "A · Customers", "farmer", "farmer"),
    ],
)
def test_roles_follow_the_book(rows, segment, role, detail):
    row = seg_row(plan_coverage(pd.DataFrame(rows), PB), segment)
    # The role decided for the book, said in the reason even when a small team is later pooled
    # into a cheaper motion because its bookings pay for no rep.
    assert any(f"→ {m} {detail} (" in row["reason"] for m in ("field", "inside"))
    if not row["pooled_from"]:
        assert (row["role"], row["role_detail"]) == (role, detail)
