"""The playbook: every rule documented and sourced, overrides that only touch what they name."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import pytest

from segmentation.errors import InputError
from segmentation.playbook import (
    ANY,
    CONFIDENCE_TAGS,
    FRAME_COLUMNS,
    Playbook,
    Range,
    load_playbook,
)
from segmentation.ui import controls

SHIPPED = load_playbook()
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _script():
    spec = importlib.util.spec_from_file_location(
        "playbook_table", ROOT / "scripts" / "playbook_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLE = _script()

# The ids the planner and territory balancer read; losing one would break them silently.
REQUIRED_IDS = [
    "motion_digital_max",
    "motion_field_min",
    "motion_field_conservative",
    "use_conservative_field_line",
    "large_company_employees",
    "large_company_near_line",
    "deal_size_min_coverage",
    "proxy_deal_share_of_revenue",
    "inside_deals_per_rep_max",
    "field_deals_per_rep_max",
    "tier_small_max_employees",
    "tier_large_min_employees",
    "tier_small_max_revenue",
    "tier_large_min_revenue",
    "farmer_customer_share_min",
    "hunter_prospect_share_min",
    "generalist_team_max",
    "pod_min_reps",
    "pod_deal_size_ratio_min",
    "coverage_field_min",
    "coverage_field_max",
    "coverage_inside_min",
    "coverage_inside_max",
    "touches_field_hunter",
    "touches_field_farmer",
    "touches_field_generalist",
    "touches_inside_hunter",
    "touches_inside_farmer",
    "touches_inside_generalist",
    "hours_per_touch_field",
    "hours_per_touch_inside",
    "selling_hours_per_rep",
    "quota_inside",
    "quota_field",
    "attainment",
    "ramp_months_inside",
    "ramp_months_field",
    "ramp_productivity",
    "potential_customer_rate",
    "potential_prospect_rate",
    "potential_former_rate",
    "balance_tolerance",
    "max_turnover_share",
    "significance_level",
    "pod_min_accounts",
    "pod_win_rate_diff_min",
    "pod_min_closed_deals",
    "product_min_group_deals",
    "product_min_expected",
    "product_mix_effect_min",
    "product_overlay_lift_min",
    "product_overlay_share_max",
    "product_overlay_min_deals",
]


@pytest.mark.parametrize("rule_id", REQUIRED_IDS)
def test_required_rule_exists(rule_id):
    assert math.isfinite(SHIPPED.value(rule_id))


@pytest.mark.parametrize("rule_id", list(SHIPPED.rules))
def test_every_rule_is_documented_and_sourced(rule_id):
    rule = SHIPPED.rules[rule_id]
    assert rule.id == rule_id
    assert rule.label.strip() and rule.unit.strip() and rule.source.strip()
    assert rule.confidence in CONFIDENCE_TAGS


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        ("motion_digital_max", 1_000),
        ("motion_field_min", 25_000),
        ("motion_field_conservative", 50_000),
        ("large_company_employees", 1_000),
        ("generalist_team_max", 5),
        ("selling_hours_per_rep", 1_200),
        ("attainment", 0.85),
    ],
)
def test_defaults_match_the_sourced_rules(rule_id, expected):
    assert SHIPPED.value(rule_id) == expected


def test_to_frame_lists_every_rule_with_its_source():
    frame = SHIPPED.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert list(frame.columns[:6]) == ["id", "label", "value", "unit", "source", "confidence"]
    assert list(frame["id"]) == list(SHIPPED.rules)
    assert frame["source"].str.len().min() > 0


@pytest.mark.parametrize("tag", list(CONFIDENCE_TAGS))
def test_to_frame_flags_low_confidence_rules_for_the_app(tag):
    frame = SHIPPED.to_frame()
    rows = frame[frame["confidence"] == tag]
    assert (rows["low_confidence"] == (tag == "LC")).all()
    assert (rows["confidence_label"] == CONFIDENCE_TAGS[tag]).all()
    assert frame["low_confidence"].dtype == bool


def test_a_user_changed_value_keeps_its_row_and_flags():
    frame = SHIPPED.with_values(quota_field=900_000).to_frame().set_index("id")
    assert frame.loc["quota_field", "value"] == 900_000
    assert frame.loc["quota_field", "source"].startswith("set by user")


# --- the README shows every rule, as shipped ----------------------------------------------------
def test_readme_playbook_table_is_the_shipped_playbook():
    text = README.read_text(encoding="utf-8")
    assert TABLE.region(text) == SHIPPED.to_markdown(), "run: python scripts/playbook_table.py"


@pytest.mark.parametrize("rule_id", list(SHIPPED.rules))
def test_every_rule_is_in_the_readme_with_its_value_and_source(rule_id):
    rule = SHIPPED.rules[rule_id]
    rows = [
        line
        for line in TABLE.region(README.read_text(encoding="utf-8")).splitlines()
        if f"| `{rule_id}` |" in line
    ]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split(" | ")]
    assert cells[0] == f"`{rule_id}`"
    assert cells[2].replace(" ⚠", "") == f"{rule.value:,.10g}"
    assert cells[2].endswith("⚠") is (rule.confidence == "LC")
    assert cells[4] == str(rule.valid)
    assert cells[5] == rule.source.replace("|", "\\|")
    assert cells[6] == rule.confidence


def test_check_fails_when_a_rule_is_missing_from_the_readme(tmp_path):
    text = README.read_text(encoding="utf-8")
    table = SHIPPED.to_markdown()
    dropped = "\n".join(line for line in table.splitlines() if "`quota_field`" not in line) + "\n"
    path = tmp_path / "README.md"
    path.write_text(TABLE.splice(text, dropped), encoding="utf-8")
    assert TABLE.main(["--check", str(path)]) == 1
    assert TABLE.main([str(path)]) == 0  # rewrites the region...
    assert TABLE.main(["--check", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == TABLE.splice(text, table)  # ...and only the region


@pytest.mark.parametrize(
    "text",
    [
        "# Title\n\nno markers at all\n",
        "<!-- playbook:end -->\n<!-- playbook:start -->\n",
        "<!-- playbook:start -->\n<!-- playbook:start -->\n<!-- playbook:end -->\n",
    ],
)
def test_readme_without_one_ordered_pair_of_markers_is_refused(text):
    with pytest.raises(ValueError, match="playbook"):
        TABLE.splice(text, "x\n")


def test_markdown_cells_cannot_break_the_table():
    rule = SHIPPED.rules["quota_field"]
    odd = Playbook(
        {"quota_field": type(rule)(**{**rule.__dict__, "source": "a | b\nc", "label": "x|y"})}
    )
    row = odd.to_markdown().splitlines()[2]
    assert row.count(" | ") == 6 and "a \\| b c" in row and "x\\|y" in row


def test_with_values_changes_only_named_rule_and_says_user_set_it():
    changed = SHIPPED.with_values(quota_field=900_000)
    assert changed.value("quota_field") == 900_000
    assert "set by user" in changed.rules["quota_field"].source
    assert changed.value("quota_inside") == SHIPPED.value("quota_inside")
    assert SHIPPED.value("quota_field") == 1_000_000  # the original is untouched (frozen)
    assert isinstance(changed, Playbook)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quota_feild": 1.0}, "quota_field"),  # typo -> suggestion
        ({"quota_field": "lots"}, "number"),
        ({"quota_field": float("nan")}, "finite"),
        ({"quota_field": -5}, "negative"),
        ({"attainment": True}, "number"),
    ],
)
def test_with_values_rejects_bad_input(values, message):
    with pytest.raises(InputError, match=message):
        SHIPPED.with_values(**values)


def test_value_of_unknown_id_is_an_input_error():
    with pytest.raises(InputError, match="Unknown playbook rule"):
        SHIPPED.value("nope")


@pytest.mark.parametrize(
    "text",
    [
        "[rules.quota_field]\nvalue = 750000\nsource = 'our 2027 comp plan'\n",
        "[rules]\nquota_field = 750000\n",
    ],
)
def test_user_file_overrides_only_the_ids_it_names(tmp_path, text):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    for source in (path, str(path), text.encode()):
        pb = load_playbook(source)
        assert pb.value("quota_field") == 750_000
        assert pb.value("quota_inside") == SHIPPED.value("quota_inside")
        assert len(pb.rules) == len(SHIPPED.rules)


def test_overrides_apply_after_the_user_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[rules]\nquota_field = 750000\n", encoding="utf-8")
    assert load_playbook(path, overrides={"quota_field": 1.0}).value("quota_field") == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules\nquota_field = 1", "not valid TOML"),
        ("[rules]\nquota_feild = 1\n", "Unknown playbook rule"),
        ("[rules]\nquota_field = 'a lot'\n", "must be a number"),
        ("[rules.quota_field]\nunit = 'USD'\n", "no 'value'"),
        ("quota_field = 1\n", "no \\[rules\\] table"),
    ],
)
def test_bad_user_file_is_an_input_error_that_says_what_to_do(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_playbook(path)


def test_missing_user_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="Cannot read"):
        load_playbook(tmp_path / "missing.toml")


def test_shipped_playbook_loads_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_playbook().value("motion_field_min") == 25_000


# --- valid ranges (issue 19): a value the planner cannot use is refused, wherever it comes from --
@pytest.mark.parametrize(
    ("text", "shown", "inside", "outside"),
    [
        ("(0, 1]", "(0, 1]", [1e-9, 0.5, 1], [0, -0.1, 1.0000001]),
        ("[0, 1]", "[0, 1]", [0, 1], [-1e-9, 1.5]),
        ("[1, inf)", "[1, ∞)", [1, 30, 1e300], [0, 0.999]),
        ("(0, inf)", "(0, ∞)", [1e-300, 1e12], [0]),
        ("(0, 8760]", "(0, 8760]", [8760], [0, 8761]),
        ("[0, 12]", "[0, 12]", [0, 12], [12.5]),
        ("0 or 1", "0 or 1", [0, 1], [0.5, 2, -1]),
        ("[1, inf]", "[1, ∞)", [1], [0]),  # an infinite end is open whatever its bracket
    ],
)
def test_a_range_reads_interval_notation(text, shown, inside, outside):
    valid = Range.parse(text)
    assert str(valid) == shown
    assert all(v in valid for v in inside)
    assert not any(v in valid for v in outside)


@pytest.mark.parametrize("text", ["0 to 1", "(1, 0]", "(1, 1]", "[a, 1]", "", "[0, nan]"])
def test_a_malformed_range_is_refused(text):
    with pytest.raises(ValueError):
        Range.parse(text)


@pytest.mark.parametrize("rule_id", list(SHIPPED.rules))
def test_every_shipped_rule_has_a_bounded_range_holding_its_value(rule_id):
    rule = SHIPPED.rules[rule_id]
    assert rule.value in rule.valid
    assert rule.valid.low >= 0  # no rule of a sales plan is negative
    assert rule.valid != ANY


# Shares at most 1, hours/attainment/quotas above 0, counts at least 1, flags 0 or 1.
RANGE_KINDS = [
    ("share of", lambda v: v.high == 1),
    ("hours", lambda v: v.low == 0 and v.low_open),
    ("USD per rep", lambda v: v.low == 0 and v.low_open),
    ("flag", lambda v: v.choices == (0, 1)),
    ("accounts per rep", lambda v: v.low == 1),
    ("won deals", lambda v: v.low == 1),
    ("closed deals", lambda v: v.low == 1),
]


@pytest.mark.parametrize(("unit", "fits"), RANGE_KINDS)
def test_rules_of_one_kind_share_the_kind_of_range(unit, fits):
    rules = [r for r in SHIPPED.rules.values() if r.unit.startswith(unit)]
    assert rules
    assert [r.id for r in rules if not fits(r.valid)] == []


OUT_OF_RANGE = [
    ("attainment", 0, "(0, 1]"),  # was "inf reps ... Recommend 1"
    ("attainment", 1.2, "(0, 1]"),
    ("selling_hours_per_rep", 0, "(0, 8760]"),  # was inf reps by workload
    ("selling_hours_per_rep", 10_000, "(0, 8760]"),
    ("hours_per_touch_field", 0, "(0, ∞)"),
    ("quota_field", 0, "(0, ∞)"),
    ("farmer_customer_share_min", 1.5, "(0, 1]"),
    ("use_conservative_field_line", 0.5, "0 or 1"),
    ("pod_min_accounts", 0, "[1, ∞)"),
    ("ramp_months_field", 13, "[0, 12]"),
    ("ramp_productivity", 0, "(0, 1]"),
]


@pytest.mark.parametrize(("rule_id", "value", "shown"), OUT_OF_RANGE)
def test_a_value_out_of_range_is_refused_naming_rule_value_and_range(
    tmp_path, rule_id, value, shown
):
    expected = rf"Rule '{rule_id}'.* is {value:,g}, outside its valid range {re.escape(shown)}"
    with pytest.raises(InputError, match=expected):
        SHIPPED.with_values(**{rule_id: value})
    for text in (f"[rules]\n{rule_id} = {value}\n", f"[rules.{rule_id}]\nvalue = {value}\n"):
        path = tmp_path / "mine.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=expected.replace(".* is", " in the playbook file is")):
            load_playbook(path)
    with pytest.raises(InputError, match=expected):
        load_playbook(overrides={rule_id: value})


@pytest.mark.parametrize(
    ("rule_id", "value"),
    [
        ("attainment", 1),
        ("motion_digital_max", 0),
        ("generalist_team_max", 0),
        ("ramp_months_field", 12),
        ("selling_hours_per_rep", 8760),
        ("use_conservative_field_line", 1),
        ("pod_min_accounts", 1),
    ],
)
def test_the_ends_of_a_closed_range_are_accepted(rule_id, value):
    assert SHIPPED.with_values(**{rule_id: value}).value(rule_id) == value


def test_a_user_file_cannot_change_a_range(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[rules.attainment]\nvalue = 0.9\nrange = '[0, 5]'\n", encoding="utf-8")
    assert load_playbook(path).rules["attainment"].valid == SHIPPED.rules["attainment"].valid
    path.write_text("[rules.attainment]\nvalue = 2\nrange = '[0, 5]'\n", encoding="utf-8")
    with pytest.raises(InputError, match="attainment"):
        load_playbook(path)


def test_the_playbook_table_carries_each_rules_range():
    frame = SHIPPED.to_frame().set_index("id")
    assert frame.loc["attainment", "valid_range"] == "(0, 1]"
    assert frame.loc["use_conservative_field_line", "valid_range"] == "0 or 1"


# --- the app's inputs are bounded by the same ranges --------------------------------------------
@pytest.mark.parametrize("rule_id", list(SHIPPED.rules))
def test_the_apps_input_bounds_are_the_rules_range(rule_id):
    rule = SHIPPED.rules[rule_id]
    bounds = controls.rule_input_bounds(rule)
    low, high = bounds["min_value"], bounds["max_value"]
    assert low is not None and low in rule.valid and rule.value >= low
    assert (
        math.nextafter(low, -math.inf) not in rule.valid
    )  # nothing below the input's minimum is valid
    if math.isinf(rule.valid.high):
        assert high is None
    else:
        assert high in rule.valid and rule.value <= high
        assert math.nextafter(high, math.inf) not in rule.valid
    assert controls.rule_value_error(rule, rule.value) is None


@pytest.mark.parametrize(("rule_id", "value", "shown"), OUT_OF_RANGE)
def test_the_app_refuses_what_the_input_bounds_let_through(rule_id, value, shown):
    error = controls.rule_value_error(SHIPPED.rules[rule_id], value)
    assert error and rule_id in error and shown in error


@pytest.mark.usefixtures("fresh_caches", "warm_engine")
def test_the_team_plan_sidebar_bounds_every_rule_and_refuses_a_value_outside_its_range():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/team_plan.py").run()
    assert not at.exception
    inputs = {
        w.key.removeprefix("rule_"): w
        for w in at.number_input
        if w.key and w.key.startswith("rule_")
    }
    assert set(inputs) == set(SHIPPED.rules)
    for rule_id, widget in inputs.items():
        bounds = controls.rule_input_bounds(SHIPPED.rules[rule_id])
        assert (widget.min, widget.max) == (bounds["min_value"], bounds["max_value"]), rule_id
    # A value typed past the bounds by other means is refused before it reaches the plan.
    at.number_input(key="rule_use_conservative_field_line").set_value(0.5).run()
    assert not at.exception
    assert at.session_state["playbook_values"] == {}
    assert at.number_input(key="rule_use_conservative_field_line").value == 0
    assert any("valid range 0 or 1" in w.value for w in at.warning)
