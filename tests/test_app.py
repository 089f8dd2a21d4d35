"""The app through Streamlit's AppTest: every page renders on the sample, controls change results."""

import html
import json

import pytest
from streamlit.testing.v1 import AppTest

from segmentation.ui import stages
from tests.conftest import FIXTURES, ROOT, shared_string_bomb

TIMEOUT = 180
PAGES = [
    "app_pages/data.py",
    "app_pages/segments.py",
    "app_pages/team_plan.py",
    "app_pages/territories.py",
    "app_pages/export.py",
]
ROSTER = (
    "rep,motion,role\n"
    + "".join(f"Field rep {i},field,farmer\n" for i in range(1, 9))
    + "".join(f"Inside rep {i},inside,generalist\n" for i in range(1, 5))
).encode()


pytestmark = pytest.mark.usefixtures("fresh_caches", "warm_engine")


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(x.value) for x in at.info] + [str(x.value) for x in at.warning]
    parts += [str(x.value) for x in at.success] + [str(x.value) for x in at.error]
    return "\n".join(parts)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _chart(at: AppTest, key: str) -> dict:
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id)


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _edit(at: AppTest, prefix: str, rows: dict) -> None:
    """Seed a data editor's edits (AppTest can't type into one)."""
    key = f"{prefix}_{at.session_state['editor_version']}"
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def test_app_opens_on_the_sample():
    at = _app()
    _ok(at)
    assert "the sample" in _texts(at)
    assert _metric(at, "Accounts") == "2,000"
    assert "report footer rows" in _texts(at)


def test_territories_page_renders_a_preview_with_placeholder_reps_on_the_sample():
    # The other pages are opened on the sample, each in a session of its own, by the tests of
    # what they show (test_app_opens_on_the_sample for the Data page).
    at = _app()
    at.switch_page("app_pages/territories.py").run()
    _ok(at)
    assert any("placeholder reps" in str(i.value) for i in at.info)


def test_segments_page_shows_cards_charts_and_one_colour_per_type():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    _ok(at)
    k = int(_metric(at, "Customer types"))
    assert k >= 2
    treemap, type_map = _chart(at, "treemap"), _chart(at, "type_map")
    assert treemap["data"][0]["type"] == "treemap"
    assert _chart(at, "k_chart")["data"]
    # Each customer type: the same colour in the treemap, the map and on its profile card.
    tiles = treemap["data"][0]
    tile_colour = {
        name: colour
        for name, parent, colour in zip(tiles["ids"], tiles["parents"], tiles["marker"]["colors"])
        if parent == ""
    }
    map_colour = {
        t["hovertemplate"].split("<extra>")[0]: t["marker"]["color"] for t in type_map["data"]
    }
    assert len(tile_colour) == k
    assert map_colour == tile_colour
    cards = [m.value for m in at.markdown if "border-radius:3px" in m.value]
    assert len(cards) == k
    assert all(tile_colour[name] in "".join(cards) for name in tile_colour)
    assert "What sets it apart" in _texts(at) and "Rule:" in _texts(at)


def test_upload_replaces_the_sample():
    data = (FIXTURES / "real" / "wholesale.csv").read_bytes()
    at = _app()
    at.file_uploader(key="accounts_upload").set_value(("wholesale.csv", data, "text/csv")).run()
    _ok(at)
    assert _metric(at, "Accounts") == "440"
    assert "In use: **wholesale\\.csv**" in _texts(at)  # file names are shown escaped
    at.switch_page("app_pages/segments.py").run()
    _ok(at)


def test_a_report_with_a_title_line_and_revenue_bands_is_read_and_says_so():
    rows = "".join(
        f"Acct {i},{'Technology' if i % 2 else 'Retail'},{'$10M - $50M' if i % 3 else '$1B+'},{20 + i}\n"
        for i in range(60)
    )
    data = (
        "Accounts by revenue band\n\nAccount Name,Industry,Annual Revenue,Employees\n" + rows
    ).encode()
    at = _app()
    at.file_uploader(key="accounts_upload").set_value(("bands.csv", data, "text/csv")).run()
    _ok(at)
    assert _metric(at, "Accounts") == "60"
    texts = _texts(at).replace("\\", "")  # the page shows them Markdown-escaped
    assert "Skipped 2 title row(s) above the header." in texts
    changes = next(d.value for d in at.dataframe if "what" in d.value.columns)
    bands = changes[changes["what"].str.startswith("range replaced by its midpoint")]
    assert bands["count"].tolist() == [60]  # every revenue band became a midpoint, and was counted


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "is empty"),
        # a few-KB workbook whose cells all point at one 5-million-character text
        ("bomb.xlsx", shared_string_bomb(5_000_000, 2_000), "more than the 32,767"),
    ],
)
def test_unreadable_upload_is_a_message_not_a_traceback(name, data, message):
    at = _app()
    at.file_uploader(key="accounts_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1
    assert message in at.error[0].value


def test_too_few_accounts_get_a_plan_by_firmographic_tiers():
    data = (FIXTURES / "tools" / "salesforce_report_accounts.csv").read_bytes()
    at = _app()
    at.file_uploader(key="accounts_upload").set_value(("report.csv", data, "text/csv")).run()
    _ok(at)
    assert _metric(at, "Accounts") == "6"
    assert "3 report footer rows" in _texts(at)
    at.switch_page("app_pages/segments.py").run()
    _ok(at)
    assert "Only 6 accounts" in at.warning[0].value and "firmographic tier" in at.warning[0].value
    assert _metric(at, "Verticals") == "1"  # every vertical is under 20 accounts: all in Other
    # The fold is a setting: keep verticals of one account or more.
    at.number_input(key="fold_accounts_input").set_value(1).run()
    at.number_input(key="fold_share_input").set_value(0.0).run()
    _ok(at)
    assert at.session_state["min_vertical_accounts"] == 1
    assert int(_metric(at, "Verticals")) == 5
    for page in PAGES[2:]:
        at.switch_page(page).run()
        _ok(at)
    assert at.session_state["min_vertical_accounts"] == 1  # kept across pages


def test_mapping_change_is_applied():
    at = _app()
    _edit(at, "mapping_editor", {5: {"column": "Annual Revenue"}, 4: {"column": "(none)"}})
    at.button(key="apply_mapping").click().run()
    _ok(at)
    assert at.session_state["overrides"] == {"deal_size": "Annual Revenue"}
    assert at.session_state["drop_columns"] == []
    at.switch_page("app_pages/segments.py").run()
    _ok(at)


def test_mapping_field_to_none_keeps_the_column_out():
    at = _app()
    _edit(at, "mapping_editor", {3: {"column": "(none)"}})  # Employees
    at.button(key="apply_mapping").click().run()
    _ok(at)
    assert at.session_state["drop_columns"] == ["Employees"]
    at.switch_page("app_pages/segments.py").run()
    _ok(at)
    assert "Employees" not in next(c.value for c in at.caption if c.value.startswith("Built from"))


def test_one_column_for_two_fields_is_refused_with_a_message():
    at = _app()
    _edit(at, "mapping_editor", {5: {"column": "Annual Revenue"}})  # revenue stays mapped too
    at.button(key="apply_mapping").click().run()
    assert not at.exception
    assert "chosen for both" in at.error[0].value
    assert at.session_state["overrides"] == {}


def test_changing_k_changes_the_customer_types():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    at.checkbox(key="auto_k").uncheck()
    at.number_input(key="k_input").set_value(2)
    at.button(key="apply_segments").click().run()
    _ok(at)
    assert _metric(at, "Customer types") == "2"
    assert at.session_state["n_types"] == 2


def test_features_can_be_left_out():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    at.pills(key="features_in").unselect("status")
    at.button(key="apply_segments").click().run()
    _ok(at)
    assert at.session_state["ignore"] == ["status"]
    built_from = next(c.value for c in at.caption if c.value.startswith("Built from"))
    assert "Status" not in built_from and "Employees" in built_from


def test_leaving_out_every_number_is_refused_with_a_message():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    at.pills(key="features_in").set_value(["status"])
    at.button(key="apply_segments").click().run()
    assert not at.exception
    assert "at least one number" in at.error[0].value
    assert at.session_state["ignore"] == []


def test_verticals_can_be_renamed_and_merged(sample_run_accounts_only):
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    before = int(_metric(at, "Verticals"))
    names = list(_base_verticals(sample_run_accounts_only).table["vertical"])
    _edit(
        at, "verticals_editor", {0: {"rename_to": "Tech & Software"}, 1: {"merge_into": names[0]}}
    )
    at.button(key="apply_segments").click().run()
    _ok(at)
    assert at.session_state["vertical_renames"] == {names[0]: "Tech & Software"}
    assert at.session_state["vertical_merges"] == {names[1]: names[0]}
    assert int(_metric(at, "Verticals")) == before - 1
    labels = set(_chart(at, "treemap")["data"][0]["labels"])
    assert "Tech & Software" in labels and names[1] not in labels
    # The plan and the exports follow the new names.
    at.switch_page("app_pages/team_plan.py").run()
    _ok(at)
    plan = next(d.value for d in at.dataframe if "segment" in d.value.columns)
    assert plan["segment"].astype(str).str.startswith("Tech & Software").any()


def _base_verticals(sample_run):
    from segmentation.verticals import assign_verticals

    return assign_verticals(sample_run.loaded.accounts["industry"])


def test_playbook_change_changes_the_plan_without_reclustering(monkeypatch):
    calls = []
    real = stages.segment_accounts
    monkeypatch.setattr(
        stages, "segment_accounts", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    at = _app()
    at.switch_page("app_pages/team_plan.py").run()
    _ok(at)
    teams_before = at.dataframe[0].value
    assert calls == [1]
    # A field line of $1B sends every segment to inside or digital.
    at.number_input(key="rule_motion_field_min").set_value(1e9).run()
    _ok(at)
    teams_after = at.dataframe[0].value
    assert calls == [1]  # the plan changed, the segments were not recomputed
    assert any("Field" in t for t in teams_before["team"])
    assert not any("Field" in t for t in teams_after["team"])
    assert at.session_state["playbook_values"] == {"motion_field_min": 1e9}
    assert "1 value changed" in _texts(at)
    at.button(key="reset_playbook").click().run()
    _ok(at)
    assert at.session_state["playbook_values"] == {}
    assert any("Field" in t for t in at.dataframe[0].value["team"])


def test_roster_upload_on_the_data_page_names_reps():
    at = _app()
    at.file_uploader(key="roster_upload_data").set_value(("roster.csv", ROSTER, "text/csv")).run()
    _ok(at)
    assert "(12 reps)" in _texts(at)
    at.switch_page("app_pages/territories.py").run()
    assert not at.exception
    assert _metric(at, "Reps") == "12"
    assert not any("placeholder reps" in str(i.value) for i in at.info)
    balance = _chart(at, "rep_balance")
    teams = at.selectbox(key="balance_team").options
    assert len(teams) >= 2 and balance["data"]
    at.selectbox(key="balance_team").set_value(teams[1]).run()
    assert not at.exception
    assert _chart(at, "rep_balance") != balance
    at.switch_page("app_pages/export.py").run()
    assert _metric(at, "Accounts with a rep") != "No roster"


def test_bad_roster_is_refused_with_a_message():
    at = _app()
    at.file_uploader(key="roster_upload_data").set_value(
        ("roster.csv", b"name\n", "text/csv")
    ).run()
    assert not at.exception
    assert "roster" in at.error[0].value.lower()
    assert at.session_state["roster"] is None


def test_export_page_offers_every_file_and_the_summary():
    at = _app()
    at.switch_page("app_pages/export.py").run()
    _ok(at)
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels[:4] == [
        "assignments.csv",
        "Team CSVs (zip)",
        "Excel workbook",
        "Executive report (.html)",
    ]
    assert {"Plan summary (.md)", "segments.csv", "teams.csv", "report.json"} <= set(labels)
    assert "Sales coverage plan" in _texts(at)
    assert _metric(at, "Accounts in the plan") == "2,000"


def test_undo_offered_when_a_setting_breaks_a_stage():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    at.session_state["ignore"] = ["employees", "annual_revenue", "deal_size"]  # no number left
    at.run()
    assert not at.exception
    assert at.error
    at.button(key="undo_all").click().run()
    _ok(at)
    assert at.session_state["ignore"] == []


def test_treemap_can_be_sized_by_revenue():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    assert "accounts" in _chart(at, "treemap")["data"][0]["customdata"][0]
    at.button_group(key="treemap_size").set_value("total_revenue").run()
    _ok(at)
    assert _chart(at, "treemap")["data"][0]["customdata"][0].startswith("$")


def test_opportunities_as_maven_shapes_them_are_mapped_on_the_data_page():
    # A Maven-style sales_pipeline.csv for the sample's accounts: names, deal_stage, close_value.
    accounts = (ROOT / "data" / "sample_accounts.csv").read_text().splitlines()[1:41]
    names = [line.split('","')[1] for line in accounts]
    rows = "".join(
        f'{i:08X},Moses Frase,GTX Basic,"{name}",{"Won" if i % 3 else "Lost"},2016-10-20,2017-03-01,'
        f"{1000 + i if i % 3 else 0}\n"
        for i, name in enumerate(names)
    )
    header = (
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    )
    at = _app()
    at.file_uploader(key="opportunities_upload").set_value(
        ("sales_pipeline.csv", (header + rows).encode(), "text/csv")
    ).run()
    _ok(at)
    assert "Opportunities: 40 deals read" in _texts(at)
    assert "26 won, 14 lost, 0 open" in _texts(at)


def test_opportunity_columns_the_app_did_not_recognise_can_be_mapped():
    rows = "".join(f'Globex {i},Gewonnen,"1.200,00 €"\n' for i in range(5))
    at = _app()
    at.file_uploader(key="opportunities_upload").set_value(
        ("chancen.csv", ("Firma,Phase,Betrag\n" + rows).encode(), "text/csv")
    ).run()
    assert not at.exception
    assert "no amount column" in at.error[0].value
    # Fields in OPPORTUNITY_LABELS order: account_id, account_name, amount, stage, ...
    _edit(
        at,
        "opp_mapping_editor",
        {1: {"column": "Firma"}, 2: {"column": "Betrag"}, 3: {"column": "Phase"}},
    )
    at.button(key="apply_opp_mapping").click().run()
    _ok(at)
    assert at.session_state["opp_overrides"] == {
        "account_name": "Firma",
        "amount": "Betrag",
        "stage": "Phase",
    }
    assert "Opportunities: 5 deals read" in _texts(at)
    assert "5 won, 0 lost, 0 open" in _texts(at)


def test_units_and_status_of_an_upload_are_shown_and_can_be_changed():
    from segmentation.pipeline import load_accounts
    from tests import realistic_exports as exports

    data = exports.german_csv().replace(b";Interessent\n", b";Lead-Kandidat\n")
    at = _app()
    at.file_uploader(key="accounts_upload").set_value(("de.csv", data, "text/csv")).run()
    _ok(at)
    texts = _texts(at).replace("\\", "")
    assert "x1,000,000, EUR" in texts and "says 'Mio. €' (millions)" in texts
    assert "have a value we did not recognise" in texts
    # the status editor lists the values as the engine does: "Lead-Kandidat" becomes a prospect
    shown = [v["value"] for v in load_accounts(data, name="de.csv").prepared.status["values"]]
    _edit(at, "status_editor", {shown.index("Lead-Kandidat"): {"status": "prospect"}})
    at.button(key="apply_status").click().run()
    _ok(at)
    assert at.session_state["status_values"] == {"Lead-Kandidat": "prospect"}
    assert "have a value we did not recognise" not in _texts(at)
    # the scale control: thousands instead of the header's millions
    at.selectbox[0].set_value("thousands (x1,000)").run()
    _ok(at)
    assert at.session_state["units"] == {"annual_revenue": 1000.0}
    assert "set by you" in _texts(at).replace("\\", "")


def test_team_plan_shows_cost_hiring_and_sensitivity():
    at = _app()
    at.switch_page("app_pages/team_plan.py").run()
    _ok(at)
    sizing, hiring, tornado = _chart(at, "sizing"), _chart(at, "hiring"), _chart(at, "tornado")
    assert [t["name"].split(" (")[0] for t in sizing["data"]] == [
        "Capacity",
        "Coverage floor",
        "Affordable",
        "Recommended",
    ]
    # Twelve months of reps and capacity against the bookings target.
    assert (
        len(hiring["data"][0]["x"]) == 12 and hiring["data"][3]["name"] == "Bookings target a month"
    )
    assert {t["name"] for t in tornado["data"]} == {"-20%", "+20%"}
    assert "cost of sales" in next(m.help for m in at.metric if m.label == "Reps recommended")


def test_the_data_page_says_first_when_key_fields_are_missing_or_a_mapping_looks_wrong():
    from tests.test_guidance import DOUBTFUL, NAMES_AND_SIZES

    at = _app()
    at.file_uploader(key="accounts_upload").set_value(
        ("names.csv", NAMES_AND_SIZES, "text/csv")
    ).run()
    assert not at.exception
    warnings = [str(w.value).replace("\\", "") for w in at.warning]
    assert any(w.startswith("Only 2 of the 5 fields a plan leans on were found") for w in warnings)
    at.file_uploader(key="accounts_upload").set_value(("doubtful.csv", DOUBTFUL, "text/csv")).run()
    assert not at.exception
    warnings = [html.unescape(str(w.value).replace("\\", "")) for w in at.warning]
    assert "Employees is read from 'Employees': code (7 digits). Check the mapping." in warnings
