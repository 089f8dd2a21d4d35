"""Chart builders, table formats and what the app's controls mean: pure functions, small inputs."""

import io
import json
import zipfile

import pandas as pd
import pytest

from segmentation.ui import controls
from segmentation.ui.charts.segments import customer_type_map, k_selection_chart, segment_treemap
from segmentation.ui.charts.style import PALETTE, type_colors
from segmentation.ui.charts.team import (
    MOTION_COLORS,
    coverage_sunburst,
    headcount_chart,
    team_mix_chart,
)
from segmentation.ui.charts.territory import rep_balance_chart, rep_book
from segmentation.ui.exports import downloads
from segmentation.ui.tables import display_frame, money_format

TYPES = ["Enterprise customers", "Small prospects", "Mid-market customers"]


def _profiles():
    return pd.DataFrame(
        {
            "vertical": ["Tech", "Retail", "Tech", "Retail", "Tech"],
            "customer_type": [TYPES[0], TYPES[0], TYPES[1], TYPES[1], TYPES[2]],
            "accounts": [10, 5, 30, 0, 20],
            "total_revenue": [5e9, 1e9, 3e7, 0.0, 4e8],
        }
    )


# --- colours --------------------------------------------------------------------------------


def test_type_colors_are_fixed_by_rank_and_never_grey():
    colors = type_colors(TYPES + [TYPES[0]])
    assert list(colors) == TYPES
    assert colors == type_colors(pd.Series(TYPES))
    assert len(set(colors.values())) == 3
    assert all(c.lower() not in ("#7f7f7f", "#999999", "#bab0ac") for c in PALETTE)


def test_every_chart_gives_a_type_the_same_colour():
    colors = type_colors(TYPES)
    tree = segment_treemap(_profiles(), colors).data[0]
    roots = {i: c for i, p, c in zip(tree.ids, tree.parents, tree.marker.colors) if p == ""}
    assert roots == colors
    assert list(tree.labels[:1]) == ["Enterprise customers"]
    # A vertical tile takes its customer type's colour.
    for parent, colour in zip(tree.parents, tree.marker.colors, strict=True):
        if parent:
            assert colour == colors[parent]
    embedding = pd.DataFrame({"x": [0, 1, 2], "y": [0, 1, 2], "customer_type": TYPES})
    scatter = customer_type_map(embedding, colors)
    assert {t.hovertemplate.split("<")[0]: t.marker.color for t in scatter.data} == colors
    book = pd.DataFrame({"team": ["A", "A", "B"], "customer_type": TYPES, "value": [1.0, 2.0, 3.0]})
    mix = team_mix_chart(book, colors)
    assert {t.name: t.marker.color for t in mix.data} == colors


# --- treemap --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "root_total", "text"),
    [("accounts", 65, "10 accounts · 15%"), ("total_revenue", 6.43e9, "$5B · 78%")],
)
def test_treemap_sizes_add_up_and_read_as_money(size, root_total, text):
    tree = segment_treemap(_profiles(), type_colors(TYPES), size=size).data[0]
    values = dict(zip(tree.ids, tree.values))
    assert sum(v for i, v in values.items() if "/" not in i) == pytest.approx(root_total)
    assert values[TYPES[0]] == pytest.approx(
        values[f"{TYPES[0]}/Tech"] + values[f"{TYPES[0]}/Retail"]
    )
    assert f"{TYPES[1]}/Retail" not in values  # empty tiles are left out
    assert text in tree.customdata


# --- k selection, sunburst, headcount -------------------------------------------------------


def test_k_chart_marks_the_chosen_k_and_the_random_baseline():
    selection = pd.DataFrame(
        {"k": [2, 3, 4], "silhouette": [0.4, 0.5, 0.3], "stability": [1.0, 0.95, 0.7],
         "null_silhouette": [0.2, 0.2, 0.2], "chosen": [False, True, False]}
    )  # fmt: skip
    fig = k_selection_chart(selection)
    assert [t.name for t in fig.data] == [
        "Stability (same types on resampled data)", "Separation (silhouette)",
        "Separation of random data",
    ]  # fmt: skip
    assert [s.x0 for s in fig.layout.shapes] == [3]
    no_flag = k_selection_chart(selection.drop(columns="chosen"), {"k": 4})
    assert [s.x0 for s in no_flag.layout.shapes] == [4]


def test_sunburst_is_motion_role_team_and_adds_up():
    segments = pd.DataFrame(
        {"motion": ["field", "field", "inside", "digital"],
         "role": ["farmer", "farmer", "hunter", "generalist"],
         "team": ["Field · Farmers", "Field · Farmers · Tech", "Inside · Hunters", "Digital"],
         "accounts": [10, 5, 20, 7]}
    )  # fmt: skip
    sun = coverage_sunburst(segments).data[0]
    values = dict(zip(sun.ids, sun.values))
    assert values["field"] == 15 and values["field/farmer"] == 15
    assert values["field/farmer/Field · Farmers · Tech"] == 5
    labels = dict(zip(sun.ids, sun.labels))
    assert labels["field/farmer/Field · Farmers · Tech"] == "Tech"
    assert labels["field/farmer/Field · Farmers"] == "All verticals"
    assert labels["digital/generalist/Digital"] == "Self-serve"
    assert sun.marker.colors[0] == MOTION_COLORS["field"]


def test_headcount_chart_shows_both_ways_and_the_recommendation():
    teams = pd.DataFrame(
        {"team": ["Field", "Inside", "Digital"], "headcount": [7, 3, 0],
         "headcount_workload": [6.2, 2.5, 0.0], "headcount_capacity": [4.1, 3.0, 0.0]}
    )  # fmt: skip
    fig = headcount_chart(teams)
    workload, capacity, recommended = fig.data
    assert list(workload.y) == ["Inside", "Field"]  # no-rep teams left out, top team on top
    assert list(capacity.x) == [3.0, 4.1]
    assert list(recommended.text) == ["3", "7"]


# --- reps -----------------------------------------------------------------------------------


def test_rep_book_and_balance_chart():
    book = pd.DataFrame(
        {"team": ["A"] * 5, "customer_type": [TYPES[0], TYPES[1], TYPES[1], TYPES[0], TYPES[1]],
         "value": [100.0, 10.0, 20.0, 50.0, 5.0]}
    )  # fmt: skip
    rep = pd.Series(["A rep 1", "A rep 1", "A rep 2", "A rep 2", None], dtype="str")
    books = rep_book(book, rep)
    assert books["accounts"].sum() == 4  # the account without a rep is left out
    per_rep = books.groupby("rep")["value"].sum().to_dict()
    assert per_rep == {"A rep 1": 110.0, "A rep 2": 70.0}
    fig = rep_balance_chart(books, type_colors(TYPES))
    assert len(fig.data) == 4  # value and count for each of the two types present
    assert list(fig.data[0].x) == ["A rep 1", "A rep 2"]  # largest book first
    assert list(fig.layout.xaxis2.ticktext) == ["rep 1", "rep 2"]
    assert [round(s.y0) for s in fig.layout.shapes] == [90, 2]  # the two means


# --- tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([500, 900], (1.0, "$%,.0f")),
        ([12_000, 40_000], (1e3, "$%.0fK")),
        ([736, 38_000, 193_000, 361_000], (1e3, "$%.1fK")),
        ([1.2e6, 3.4e6, 9.9e6, 50e6], (1e6, "$%.1fM")),
        ([840_000, 3_267_000, 83_000], (1e6, "$%.2fM")),
        ([2e9, 5e9], (1e9, "$%.1fB")),
        ([], (1.0, "$%,.0f")),
        ([0, float("nan")], (1.0, "$%,.0f")),
    ],
)
def test_money_format_picks_one_readable_unit(values, expected):
    assert money_format(values) == expected


def test_display_frame_scales_money_and_shares_and_labels_columns():
    frame = pd.DataFrame(
        {"customer_type": ["a"], "accounts": [12], "share": [0.4855], "median_revenue": [9.31e7],
         "distinguishing": [["x", "y"]]}
    )  # fmt: skip
    shown, formats = display_frame(frame)
    assert shown.loc[0, "share"] == pytest.approx(48.55)
    assert shown.loc[0, "median_revenue"] == pytest.approx(93.1)
    assert shown.loc[0, "distinguishing"] == "x, y"
    assert formats["median_revenue"] == {
        "label": "Median revenue",
        "kind": "money",
        "format": "$%.0fM",
    }
    assert formats["share"]["format"] == "%.0f%%"
    assert formats["accounts"]["format"] == "%,.0f"
    assert formats["customer_type"]["label"] == "Customer type"
    assert frame.loc[0, "share"] == 0.4855  # the engine's frame is untouched


# --- controls -------------------------------------------------------------------------------


def test_edited_values_apply_an_editor_delta():
    edits = {
        "edited_rows": {1: {"column": "Revenue"}, "2": {"column": "(none)"}, 9: {"column": "x"}}
    }
    current = {"a": "A", "b": "B", "c": "C"}
    assert controls.edited_values(edits, ["a", "b", "c"], current, column="column") == {
        "a": "A", "b": "Revenue", "c": None,
    }  # fmt: skip
    assert controls.edited_values({}, ["a"], {"a": " "}, column="column") == {"a": None}


@pytest.mark.parametrize(
    ("edited", "overrides", "drop", "want_overrides", "want_drop"),
    [
        # nothing changed
        ({"employees": "Emp", "deal_size": "Deal"}, {}, [], {}, []),
        # a field to another column: an override
        ({"employees": "Emp", "deal_size": "Revenue"}, {}, [], {"deal_size": "Revenue"}, []),
        # a field to nothing: its column is kept out
        ({"employees": None, "deal_size": "Deal"}, {}, [], {}, ["Emp"]),
        # an overridden field to nothing: override gone, column kept out
        ({"employees": "Emp", "deal_size": None}, {"deal_size": "Deal"}, [], {}, ["Deal"]),
        # a dropped column mapped again: no longer dropped
        ({"employees": "Old", "deal_size": "Deal"}, {}, ["Old"], {"employees": "Old"}, []),
    ],
)
def test_mapping_settings(edited, overrides, drop, want_overrides, want_drop):
    current = {"employees": "Emp", "deal_size": "Deal"}
    assert controls.mapping_settings(current, edited, overrides, drop) == (
        want_overrides,
        want_drop,
    )


@pytest.mark.parametrize(
    ("edited", "message"),
    [
        ({"account_name": None}, "Account name needs a column"),
        ({"account_name": "Name", "employees": "X", "deal_size": "X"}, "chosen for both Employees"),
    ],
)
def test_mapping_settings_refuses_what_cannot_work(edited, message):
    labels = {"account_name": "Account name", "employees": "Employees", "deal_size": "Deal size"}
    with pytest.raises(ValueError, match=message):
        controls.mapping_settings({"account_name": "Name"}, edited, {}, [], labels=labels)


@pytest.mark.parametrize(
    ("renames", "merges", "want"),
    [
        ({"A": "Alpha", "B": " ", "C": "C"}, {}, ({"A": "Alpha"}, {})),
        ({}, {"A": "B", "B": "C"}, ({}, {"A": "C", "B": "C"})),  # chains end at the last one
        ({"A": "Alpha"}, {"A": "B"}, ({}, {"A": "B"})),  # a merged vertical's rename is moot
        ({}, {"A": "A", "B": "Nowhere", "C": None}, ({}, {})),
        ({"A": "B"}, {"B": "C"}, ({"A": "B"}, {"B": "C"})),  # B's name is free once B merged
    ],
)
def test_vertical_settings(renames, merges, want):
    assert controls.vertical_settings(["A", "B", "C"], renames, merges) == want


@pytest.mark.parametrize(
    ("renames", "merges", "message"),
    [({}, {"A": "B", "B": "A"}, "circle"), ({"A": "B"}, {}, "both be called 'B'")],
)
def test_vertical_settings_refuses_what_cannot_work(renames, merges, message):
    with pytest.raises(ValueError, match=message):
        controls.vertical_settings(["A", "B", "C"], renames, merges)


def test_feature_options_offer_used_and_ignored_features_only():
    features = pd.DataFrame({"employees": [1.0], "status": ["a"]})
    features.attrs["dropped"] = {"deal_size": "ignored", "won_revenue": "all missing"}
    assert controls.feature_options(features) == {
        "employees": "Employees", "status": "Status", "deal_size": "Deal size",
    }  # fmt: skip
    assert controls.unusable_features(features) == {"won_revenue": "all missing"}
    controls.check_features(["employees"], controls.feature_options(features))
    with pytest.raises(ValueError, match="at least one number"):
        controls.check_features(["status"], controls.feature_options(features))


# --- exports --------------------------------------------------------------------------------


def test_downloads_are_the_files_the_command_line_writes(
    sample_run, sample_cli_out_with_opportunities
):
    out = sample_cli_out_with_opportunities
    files = {d.file_name: d for d in downloads(sample_run)}
    for name in ("assignments.csv", "segments.csv", "teams.csv"):
        assert files[name].build() == (out / name).read_bytes(), name
    assert json.loads(files["report.json"].build())["rows_read"] == 2000
    with zipfile.ZipFile(io.BytesIO(files["teams.zip"].build())) as archive:
        assert len(archive.namelist()) >= 2
    assert files["segmentation-plan.xlsx"].build()[:2] == b"PK"
    assert files["plan-summary.md"].build().startswith(b"# Sales coverage plan")


def test_downloads_build_nothing_until_asked():
    class Boom:
        def __getattr__(self, name):
            raise AssertionError(f"built {name} too early")

    class FakeRun:
        team_plan = type("T", (), {"territories": None})()
        files = teams_zip = excel = summary = Boom()

    items = downloads(FakeRun())
    assert [d.key for d in items][:4] == [
        "download_assignments", "download_zip", "download_excel", "download_report_html",
    ]  # fmt: skip


def test_demote_headings_for_a_preview():
    from segmentation.ui.plan_views import demote_headings

    text = "# Title\n\n## Part\ntext\n```\n# not a heading\n```"
    assert demote_headings(text) == "### Title\n\n#### Part\ntext\n```\n# not a heading\n```"
