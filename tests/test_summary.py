"""The one-page plan summary a VP forwards."""

import pytest

from segmentation.summary import MAX_CAVEATS, inert, plan_summary


def test_summary_names_types_teams_and_the_verdict(sample_run_accounts_only):
    text = plan_summary(sample_run_accounts_only)
    assert text.startswith("# Sales coverage plan")
    for name in sample_run_accounts_only.segmentation.types.table["customer_type"]:
        assert inert(name) in text
    for team in sample_run_accounts_only.team_plan.plan.teams["team"]:
        assert f"| {inert(team)} |" in text
    assert sample_run_accounts_only.segmentation.types.quality["verdict"] in text


@pytest.mark.parametrize("extra", [0, 3, 40])
def test_caveats_stay_on_one_page(sample_run_accounts_only, extra):
    warnings = [
        *sample_run_accounts_only.warnings,
        *(f"Rep {i} loses 3 accounts." for i in range(extra)),
    ]
    text = plan_summary(_WithWarnings(sample_run_accounts_only, warnings))
    listed = [line for line in text.split("## Caveats")[1].splitlines() if line.startswith("- ")]
    assert len(listed) == min(len(warnings), MAX_CAVEATS) + (len(warnings) > MAX_CAVEATS)
    if len(warnings) > MAX_CAVEATS:
        assert f"{len(warnings) - MAX_CAVEATS} more in report.json" in listed[-1]


class _WithWarnings:
    """The run with a different list of warnings."""

    def __init__(self, base, warnings):
        self._base, self.warnings = base, warnings

    def __getattr__(self, name):
        return getattr(self._base, name)


def test_playbook_changes_are_listed_with_the_default(sample_run_accounts_only):
    changed = sample_run_accounts_only.playbook.with_values(motion_field_min=50_000)
    text = plan_summary(_WithPlaybook(sample_run_accounts_only, changed))
    section = text.split("## Playbook changes from the defaults")[1]
    assert "$50,000 (default $25,000)" in section.splitlines()[2]
    assert "## Playbook changes" not in plan_summary(sample_run_accounts_only)


class _WithPlaybook(_WithWarnings):
    def __init__(self, base, playbook):
        self._base, self.playbook = base, playbook


def test_the_summary_and_the_workbook_carry_cost_bookings_and_hiring(sample_run):
    import io

    import openpyxl

    result = sample_run
    plan = result.team_plan.plan
    named = plan.teams[plan.teams["motion"] != "digital"]
    cost, bookings = named["cost"].sum(), named["bookings"].sum()
    line = next(ln for ln in plan_summary(result).splitlines() if ln.startswith("**Cost and"))
    assert f"{int(plan.teams['headcount'].sum())} reps cost" in line
    assert f"({cost / bookings:.0%} cost of sales)" in line
    assert f"{plan.hiring['hires'].sum():,.0f} hires over the first 12 months" in line
    book = openpyxl.load_workbook(io.BytesIO(result.excel()), read_only=True)
    hiring = list(book["Hiring"].iter_rows(values_only=True))
    assert list(hiring[0]) == list(plan.hiring.columns) and len(hiring) == len(plan.hiring) + 1
