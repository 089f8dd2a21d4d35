"""Headcount a VP can defend: each formula worked by hand, the affordability property, the
hiring plan, the sensitivity, and the total against what won bookings imply."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.sample_crm import generate_accounts, generate_opportunities
from segmentation import pipeline
from segmentation.planner import TEAM_COLUMNS, plan_coverage
from segmentation.planner.headcount import (
    affordable_reps,
    capacity_reps,
    coverage_reps,
    per_rep_bookings,
    recommend,
    segment_bookings,
)
from segmentation.planner.hiring import HIRING_COLUMNS, ramp_share, team_hiring
from segmentation.playbook import load_playbook
from tests.conftest import SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES
from tests.test_planner import profile

PB = load_playbook()


# --- the formulas, worked by hand ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("quota", "attainment", "ramp", "productivity", "attrition", "fill", "expected"),
    [
        # Field: 14% leave; each costs 1.5 empty months + 6 ramp months at half speed = 4.5 months,
        # 0.14 x 4.5 / 12 = 5.25% of a seat-year: $1M x 0.85 x 0.9475.
        (1_000_000, 0.85, 6, 0.5, 0.14, 1.5, 805_375.0),
        # Inside: 0.14 x (1.5 + 3 x 0.5) / 12 = 3.5%: $500K x 0.85 x 0.965.
        (500_000, 0.85, 3, 0.5, 0.14, 1.5, 410_125.0),
        # Nobody leaves: quota x attainment.
        (150_000, 0.85, 4, 0.5, 0.0, 1.5, 127_500.0),
        # Everyone leaves, 2 empty months and a 4-month ramp at 25%: 5 lost months of 12.
        (120_000, 1.0, 4, 0.25, 1.0, 2, 70_000.0),
    ],
)
def test_one_seat_books_quota_times_attainment_less_ramp_and_attrition(
    quota, attainment, ramp, productivity, attrition, fill, expected
):
    got = per_rep_bookings(
        quota,
        attainment,
        ramp_months=ramp,
        ramp_productivity=productivity,
        attrition=attrition,
        time_to_fill_months=fill,
    )
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    (
        "bookings",
        "per_rep",
        "named",
        "per_rep_max",
        "csm",
        "loaded",
        "capacity",
        "floor",
        "ceiling",
        "reps",
    ),
    [
        # $4M at $805,375 a seat = 4.97 reps; 120 named / 50 = 2.4; 4M x 0.5 / 250K = 8: 5 reps.
        (4_000_000, 805_375, 120, 50, 0.5, 250_000, 4_000_000 / 805_375, 2.4, 8.0, 5),
        # A big book with little bookings: coverage asks 10, $1M pays for 2 at 50%: 2 reps.
        (1_000_000, 805_375, 500, 50, 0.5, 250_000, 1_000_000 / 805_375, 10.0, 2.0, 2),
        # $200K pays for 0.4 of a $250K rep: none, the accounts are pooled.
        (200_000, 805_375, 30, 50, 0.5, 250_000, 200_000 / 805_375, 0.6, 0.4, 0),
        # Exactly on the ceiling: 3 reps x $125K = $375K = 50% of $750K.
        (750_000, 410_125, 450, 150, 0.5, 125_000, 750_000 / 410_125, 3.0, 3.0, 3),
        # No bookings and no named accounts: nobody.
        (0.0, 410_125, 0, 150, 0.5, 125_000, 0.0, 0.0, 0.0, 0),
    ],
)
def test_capacity_coverage_ceiling_and_the_recommendation(
    bookings, per_rep, named, per_rep_max, csm, loaded, capacity, floor, ceiling, reps
):
    cap = capacity_reps(bookings, per_rep)
    cov = coverage_reps(named, per_rep_max)
    top = affordable_reps(bookings, csm, loaded)
    assert (cap, cov, top) == pytest.approx((capacity, floor, ceiling))
    assert recommend(cap, cov, top) == reps


@pytest.mark.parametrize(("age", "share"), [(1, 0.25), (2, 0.5), (3, 0.75), (4, 1.0), (12, 1.0)])
def test_ramp_is_linear_to_full_after_the_ramp_months(age, share):
    assert ramp_share(age, 3) == share


def book_profiles():
    return pd.DataFrame(
        [
            profile("A · Customers", 100, 100, 0, deal=50_000),
            profile("A · Prospects", 400, 0, 400, deal=5_000),
            profile("A · Former", 50, 0, 0, former=50, deal=20_000),
        ]
    )


def test_bookings_from_the_playbook_rates_without_history():
    seg = book_profiles()
    motion = np.array(["field", "inside", "inside"])
    out, why, rules = segment_bookings(
        seg, motion, np.array([50_000.0, 5_000.0, 20_000.0]), PB, None
    )
    # 100 customers renew 0.2 and expand 0.2 deals a year: $50K x 40 = $2M (farmers' credit);
    # 400 prospects convert 0.1: $5K x 40 = $200K; 50 former 0.05: $20K x 2.5 = $50K.
    assert list(out["bookings"]) == pytest.approx([2_000_000, 200_000, 50_000])
    assert set(out["bookings_basis"]) == {"playbook rates"}
    assert "renewal_credit_rate" in rules[0] and "renew 0.2 and expand 0.2" in why[0]


def test_bookings_from_history_won_value_then_pipeline_at_the_win_rate():
    seg = book_profiles()
    accounts = pd.DataFrame(
        {
            "segment": ["A · Customers"] * 2 + ["A · Prospects"] * 2 + ["A · Former"],
            # Customers won $300K + $200K in the window (renewals and expansions included).
            "won_revenue_recent": [300_000.0, 200_000.0, 0.0, 0.0, 0.0],
            # Prospects: 1 won and 3 lost deals ever (25%), $80K open: $20K expected.
            "won_deals": [4, 2, 1, 0, 0],
            "lost_deals": [0, 1, 1, 2, 0],
            "open_pipeline": [0.0, 0.0, 50_000.0, 30_000.0, 0.0],
        }
    )
    motion = np.array(["field", "inside", "inside"])
    out, why, _ = segment_bookings(
        seg, motion, np.array([50_000.0, 5_000.0, 20_000.0]), PB, accounts
    )
    assert out.loc[0, "bookings"] == pytest.approx(500_000)
    assert out.loc[0, "bookings_basis"] == "won last 12 months"
    assert out.loc[1, "bookings"] == pytest.approx(80_000 * 0.25)
    assert out.loc[1, "bookings_basis"] == "open pipeline × win rate"
    assert "25% win rate" in why[1]
    # Former customers have no deals in the file: the playbook's rates, and the sentence says why.
    assert (
        out.loc[2, "bookings_basis"] == "playbook rates"
        and "no deals in the opportunities file" in why[2]
    )


def test_a_shorter_window_is_scaled_to_a_year():
    seg = book_profiles().iloc[:1]
    accounts = pd.DataFrame(
        {
            "segment": ["A · Customers"],
            "won_revenue_recent": [300_000.0],
            "won_deals": [3],
            "lost_deals": [0],
        }
    )
    pb = PB.with_values(bookings_history_months=6)
    out, _, _ = segment_bookings(seg, np.array(["field"]), np.array([50_000.0]), pb, accounts)
    assert out.loc[0, "bookings"] == pytest.approx(600_000)


def test_the_window_ends_at_the_latest_closed_deal_not_an_open_deals_future_date():
    from segmentation.opportunities import aggregate_opportunities

    deals = pd.DataFrame(
        {
            "Account ID": ["a", "a", "a", "a"],
            "Stage": ["Closed Won", "Closed Won", "Closed Lost", "Negotiation"],
            "Amount": ["100", "200", "300", "400"],
            "Close Date": ["2024-01-15", "2024-12-01", "2025-06-30", "2027-01-01"],
        },
        dtype="str",
    )
    accounts = pd.DataFrame({"account_id": ["a"], "account_name": ["Acme"]})
    revenue, end = aggregate_opportunities(deals, accounts).recent_won_revenue(12)
    assert end == pd.Timestamp("2025-06-30")
    # 2024-01-15 is before the window (2024-06-30, 2025-06-30]: only the 200 won counts
    assert revenue.tolist() == [200.0]


# --- affordability: a property -----------------------------------------------------------------
@st.composite
def plans(draw):
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(n):
        accounts = draw(st.integers(1, 3_000))
        customers = draw(st.integers(0, accounts))
        prospects = draw(st.integers(0, accounts - customers))
        former = draw(st.integers(0, accounts - customers - prospects))
        deal = draw(st.floats(200, 2_000_000))
        rows.append(
            profile(
                f"V{i % 3} · T{i}",
                accounts,
                customers,
                prospects,
                former=former,
                deal=deal,
                employees=draw(st.floats(1, 50_000)),
            )
        )
    values = {
        "cost_of_sales_max": draw(st.floats(0.05, 1.5)),
        "quota_field": draw(st.floats(200_000, 3_000_000)),
        "quota_inside": draw(st.floats(100_000, 1_500_000)),
        "ote_field": draw(st.floats(80_000, 400_000)),
        "attainment": draw(st.floats(0.3, 1.0)),  # the playbook range is (0, 1]
        "coverage_field_max": draw(st.floats(2, 200)),
        "renewal_credit_rate": draw(st.floats(0, 1)),
    }
    return pd.DataFrame(rows), PB.with_values(**values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_no_recommended_team_costs_more_than_cost_of_sales_max(case):
    profiles, pb = case
    teams = plan_coverage(profiles, pb).teams
    csm = pb.value("cost_of_sales_max")
    for t in teams.itertuples():
        assert t.headcount >= 0
        assert t.cost == pytest.approx(t.headcount * t.loaded_cost_per_rep)
        assert t.cost <= csm * t.bookings * (1 + 1e-9) + 1e-6, t.reason
        # a team the bookings cannot pay for is pooled, except large companies (never self-serve),
        # whose team then says so
        assert t.motion == "digital" or t.headcount > 0 or "are not moved to self-serve" in t.reason
        if t.headcount < math.ceil(round(max(t.headcount_capacity, t.headcount_coverage), 6)):
            # Fewer reps than coverage asks for: the plan says what changed and who hands over.
            assert t.coverage_change and "Hand-over" in t.transition


def test_a_team_its_bookings_cannot_pay_for_is_pooled_into_the_cheaper_motion():
    rows = [
        profile("A · Customers", 2_000, 2_000, 0, deal=60_000),
        profile("A · Former", 40, 0, 0, former=40, deal=60_000),
    ]
    plan = plan_coverage(pd.DataFrame(rows), PB)
    row = plan.segments.set_index("segment").loc["A · Former"]
    # Win-back hunters of their own: 40 x 0.05 x $60K = $120K a year pays for 0.24 of a $250K
    # field rep at 50%, so Inside · Hunters; there 0.48 of a $125K inside rep, so digital.
    assert (
        row["bookings"] == 0
        and row["team"] == "Digital"
        and row["pooled_from"] == "Field · Hunters"
    )
    assert (
        "pooled into Inside · Hunters" in row["reason"] and "pooled into Digital" in row["reason"]
    )
    assert "within 4 months" in row["transition"]
    assert list(plan.teams["team"]) == ["Field · Farmers", "Digital"]


# --- the hiring plan ----------------------------------------------------------------------------
def test_hiring_from_zero_worked_by_hand():
    pb = PB.with_values(attrition_annual=0, time_to_fill_months=1, attainment=1.0)
    plan = team_hiring(4, 0, 1_200_000, 120_000, pb, ramp_months=3, months=6)
    # 4 hires start in month 1 (one month to fill), at 25/50/75/100% of $10K a month each.
    assert list(plan["hires"]) == [4, 0, 0, 0, 0, 0]
    assert list(plan["reps"]) == [4] * 6
    assert list(plan["ramped_reps"]) == [0, 0, 0, 4, 4, 4]
    assert list(plan["capacity"]) == pytest.approx([10_000, 20_000, 30_000, 40_000, 40_000, 40_000])
    assert list(plan["bookings_target"]) == pytest.approx([100_000] * 6)


def test_hiring_from_a_roster_hires_the_gap_and_backfills_attrition():
    pb = PB.with_values(attrition_annual=0.12, time_to_fill_months=1.5, attainment=1.0)
    plan = team_hiring(5, 3, 600_000, 120_000, pb, ramp_months=3, months=4)
    # 3 ramped reps in seat; 1% leave each month (0.12 / 12); the 2-rep gap starts in month 2
    # (1.5 months to fill, rounded up), the month-1 leavers' backfill in month 3.
    assert plan.loc[0, "hires"] == 0
    assert plan.loc[1, "hires"] == pytest.approx(2)
    assert plan.loc[2, "hires"] == pytest.approx(3 * 0.01)
    assert plan.loc[0, "reps"] == pytest.approx(3 * 0.99)
    assert plan.loc[0, "capacity"] == pytest.approx(3 * 0.99 * 10_000)


# --- the whole run on the sample, and on a generated CRM with pipeline -------------------------
def test_output_contract_adds_columns_and_hiring_csv(sample_cli_out_with_opportunities):
    teams = pd.read_csv(sample_cli_out_with_opportunities / "teams.csv")
    old = [
        "team",
        "motion",
        "role",
        "specialization",
        "overlays",
        "segments",
        "accounts",
        "headcount_workload",
        "headcount_capacity",
        "headcount",
        "gap",
        "reason",
    ]
    assert list(teams.columns[: len(old)]) == old  # nothing dropped or renamed
    assert {"deal_size_basis", "bookings", "cost", "cost_of_sales"} <= set(teams.columns)
    assert list(teams.columns) == list(TEAM_COLUMNS)
    assert "bookings" in pd.read_csv(sample_cli_out_with_opportunities / "segments.csv").columns
    hiring = pd.read_csv(sample_cli_out_with_opportunities / "hiring.csv")
    assert list(hiring.columns) == list(HIRING_COLUMNS)
    for _, rows in hiring.groupby("team"):
        assert list(rows["month"]) == list(range(1, 13))
    report = json.loads((sample_cli_out_with_opportunities / "report.json").read_text())
    rules = {r["id"]: r for r in report["playbook"]}
    for rule in (
        "cost_of_sales_max",
        "ote_field",
        "ote_inside",
        "quota_ote_min",
        "attrition_annual",
        "loaded_cost_multiplier",
        "renewal_credit_rate",
        "bookings_history_months",
    ):
        assert {"value", "unit", "source", "confidence"} <= set(rules[rule])
    assert report["headcount"]["total_headcount"] == int(teams["headcount"].sum())


def test_sensitivity_moves_the_right_way(sample_cli_out_with_opportunities):
    report = json.loads((sample_cli_out_with_opportunities / "report.json").read_text())
    sens = pd.DataFrame(report["sensitivity"]).set_index(["parameter", "change"])
    base = sens.loc[("base", "0%")]
    assert len(sens) == 7
    # Bigger deals: more bookings, more reps; a higher quota or attainment: fewer reps.
    assert sens.loc[("deal size", "+20%"), "bookings"] == pytest.approx(base["bookings"] * 1.2)
    assert (
        sens.loc[("deal size", "+20%"), "headcount"]
        >= base["headcount"]
        >= sens.loc[("deal size", "-20%"), "headcount"]
    )
    for p in ("quota", "attainment"):
        assert (
            sens.loc[(p, "+20%"), "headcount"]
            <= base["headcount"]
            <= sens.loc[(p, "-20%"), "headcount"]
        )


def won_bookings_imply(accounts_csv, deals, assignments: pd.DataFrame, pb) -> float:
    """Reps that last 12 months' won deals imply at the playbook's quota and attainment, worked
    from the raw deals (not from the plan): won amount per account by its team's motion."""
    close = pd.to_datetime(deals["Close Date"], format="mixed")
    closed = deals["Stage"].str.startswith("Closed")
    end = close[closed].max()
    won = deals[(deals["Stage"] == "Closed Won") & (close > end - pd.DateOffset(months=12))]
    amount = won["Amount"].str.replace(r"[^0-9.]", "", regex=True).astype(float)
    motion = dict(zip(assignments["account_id"], assignments["motion"]))
    by_motion = amount.groupby(won["Account ID"].map(motion)).sum()
    return sum(
        by_motion.get(m, 0.0) / (pb.value(f"quota_{m}") * pb.value("attainment"))
        for m in ("field", "inside")
    )


def test_sample_headcount_is_within_a_factor_of_two_of_won_bookings(
    sample_cli_out_with_opportunities,
):
    deals = pd.read_csv(SAMPLE_OPPORTUNITIES, dtype=str)
    implied = won_bookings_imply(
        SAMPLE_ACCOUNTS,
        deals,
        pd.read_csv(sample_cli_out_with_opportunities / "assignments.csv"),
        PB,
    )
    total = pd.read_csv(sample_cli_out_with_opportunities / "teams.csv")["headcount"].sum()
    assert implied > 10  # the sample books ~$44M a year
    assert implied / 2 <= total <= implied * 2


def test_generated_crm_with_pipeline_is_within_a_factor_of_two(tmp_path):
    export, truth = generate_accounts(3_000, seed=23)
    deals = generate_opportunities(export, truth, seed=23)
    accounts = tmp_path / "accounts.csv"
    export.to_csv(accounts, index=False)
    deals_path = tmp_path / "deals.csv"
    deals.to_csv(deals_path, index=False)
    result = pipeline.run(accounts, opportunities=deals_path)
    teams = result.team_plan.plan.teams
    implied = won_bookings_imply(
        accounts, deals.astype(str), result.team_plan.assignments.astype(str), PB
    )
    assert implied > 10
    assert implied / 2 <= teams["headcount"].sum() <= implied * 2
    assert (teams["cost"] <= PB.value("cost_of_sales_max") * teams["bookings"] + 1e-6).all()


def test_hiring_starts_from_the_roster_so_hires_are_the_gap(sample_run):
    teams = sample_run.team_plan.plan.teams
    target = teams[teams["headcount"] > 0].iloc[0]
    in_seat = int(target["headcount"]) - 2  # two seats short of the recommendation
    roster = pd.DataFrame({"rep": [f"r{i}" for i in range(in_seat)], "team": target["team"]})
    again = pipeline.run(SAMPLE_ACCOUNTS, opportunities=SAMPLE_OPPORTUNITIES, roster=roster)
    hiring = again.team_plan.plan.hiring
    rows = hiring[hiring["team"] == target["team"]].set_index("month")
    delay = math.ceil(PB.value("time_to_fill_months"))
    # The roster's reps are in seat (and ramped) in month 1; the two missing seats start after
    # the time to fill, alongside the first backfills.
    assert rows.loc[1, "reps"] == pytest.approx(in_seat * (1 - PB.value("attrition_annual") / 12))
    assert rows.loc[1, "ramped_reps"] == pytest.approx(rows.loc[1, "reps"])
    assert rows.loc[delay, "hires"] == pytest.approx(2, abs=0.1)
    # A team without anyone in the roster starts from zero.
    other = hiring[hiring["team"] != target["team"]]
    assert other.groupby("team")["reps"].first().eq(0).all()


def test_a_quota_too_low_for_the_ote_is_flagged_and_the_ceiling_holds():
    pb = PB.with_values(quota_field=600_000)
    team = plan_coverage(
        pd.DataFrame([profile("A · Customers", 2_000, 2_000, 0, deal=60_000)]), pb
    ).teams.iloc[0]
    # $60K x 2,000 x 0.4 = $48M. A seat books $600K x 0.85 x 0.9475 = $483,225, so capacity asks
    # 99.3 reps; at $250K loaded a seat costs 52% of what it books: the ceiling is 48M x 0.5 / 250K = 96.
    assert team["headcount_capacity"] == pytest.approx(48_000_000 / 483_225)
    assert team["headcount"] == 96
    assert "Check the quota: 3.0× OTE is below the 5×" in team["reason"]
    assert "Even capacity alone asks for more reps than the bookings pay for" in team["reason"]


def test_absurd_deal_sizes_do_not_overflow_the_headcount():
    # Found by the fuzz test: a broken export's $5e26 deal once overflowed the integer column.
    plan = plan_coverage(pd.DataFrame([profile("A · Customers", 40, 40, 0, deal=5e26)]), PB)
    team = plan.teams.iloc[0]
    assert 0 < team["headcount"] <= 1e12
    assert team["cost"] <= PB.value("cost_of_sales_max") * team["bookings"]
