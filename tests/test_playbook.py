"""The playbook: every rule documented and sourced, overrides that only touch what they name."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from segmentation.errors import InputError
from segmentation.playbook import CONFIDENCE_TAGS, FRAME_COLUMNS, Playbook, load_playbook

SHIPPED = load_playbook()
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _script():
    spec = importlib.util.spec_from_file_location("playbook_table", ROOT / "scripts" / "playbook_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLE = _script()

# The ids the planner and territory balancer read; losing one would break them silently.
REQUIRED_IDS = [
    "motion_digital_max", "motion_field_min", "motion_field_conservative", "use_conservative_field_line",
    "large_company_employees", "large_company_near_line", "deal_size_min_coverage",
    "proxy_deal_share_of_revenue", "inside_deals_per_rep_max", "field_deals_per_rep_max",
    "tier_small_max_employees", "tier_large_min_employees", "tier_small_max_revenue", "tier_large_min_revenue",
    "farmer_customer_share_min", "hunter_prospect_share_min", "generalist_team_max", "pod_min_reps",
    "pod_deal_size_ratio_min", "coverage_field_min", "coverage_field_max", "coverage_inside_min",
    "coverage_inside_max", "touches_field_hunter", "touches_field_farmer", "touches_field_generalist",
    "touches_inside_hunter", "touches_inside_farmer", "touches_inside_generalist", "hours_per_touch_field",
    "hours_per_touch_inside", "selling_hours_per_rep", "quota_inside", "quota_field", "attainment",
    "ramp_months_inside", "ramp_months_field", "ramp_productivity", "ramping_share",
    "potential_customer_rate", "potential_prospect_rate", "potential_former_rate", "balance_tolerance",
    "max_turnover_share", "significance_level", "pod_min_accounts", "pod_win_rate_diff_min",
    "pod_min_closed_deals", "product_min_group_deals", "product_min_expected", "product_mix_effect_min",
    "product_overlay_lift_min", "product_overlay_share_max", "product_overlay_min_deals",
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
    rows = [line for line in TABLE.region(README.read_text(encoding="utf-8")).splitlines() if f"| `{rule_id}` |" in line]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split(" | ")]
    assert cells[0] == f"`{rule_id}`"
    assert cells[2].replace(" ⚠", "") == f"{rule.value:,.10g}"
    assert cells[2].endswith("⚠") is (rule.confidence == "LC")
    assert cells[4] == rule.source.replace("|", "\\|")
    assert cells[5] == rule.confidence


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
    odd = Playbook({"quota_field": type(rule)(**{**rule.__dict__, "source": "a | b\nc", "label": "x|y"})})
    row = odd.to_markdown().splitlines()[2]
    assert row.count(" | ") == 5 and "a \\| b c" in row and "x\\|y" in row


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
