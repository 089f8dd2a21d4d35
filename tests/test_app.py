"""The app through Streamlit's AppTest: every page renders on the sample, controls change results."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, ROOT

TIMEOUT = 120
PAGES = [
    "app_pages/data.py",
    "app_pages/segments.py",
    "app_pages/team_plan.py",
    "app_pages/territories.py",
    "app_pages/export.py",
]


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(x.value) for x in at.info] + [str(x.value) for x in at.warning]
    parts += [str(x.value) for x in at.success]
    return "\n".join(parts)


def test_app_opens_on_the_sample():
    at = _app()
    assert not at.exception
    assert "sample" in _texts(at).lower()
    assert at.metric[0].value == "2,000"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page):
    at = _app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_segments_page_shows_customer_types_and_charts():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    assert int(at.metric[1].value) >= 2
    charts = at.get("plotly_chart")
    assert len(charts) >= 3
    treemap = json.loads(charts[0].proto.spec)
    assert treemap["data"][0]["type"] == "treemap"


def test_upload_replaces_the_sample():
    data = (FIXTURES / "uci_wholesale.csv").read_bytes()
    at = _app()
    at.file_uploader(key="accounts_upload").set_value(("wholesale.csv", data, "text/csv")).run()
    assert not at.exception
    assert at.metric[0].value == "440"


def test_changing_k_changes_the_customer_types():
    at = _app()
    at.switch_page("app_pages/segments.py").run()
    at.checkbox(key="auto_k").uncheck()
    at.number_input(key="k_input").set_value(2)
    at.button[0].click().run()
    assert not at.exception
    assert at.metric[1].value == "2"
    assert at.session_state["n_types"] == 2


def test_mapping_change_is_applied():
    at = _app()
    at.selectbox(key="map_deal_size").set_value("Annual Revenue")
    at.button[0].click().run()  # the form's submit
    assert not at.exception
    assert at.session_state["overrides"] == {"deal_size": "Annual Revenue"}
    mapping = at.dataframe[0].value.set_index("field")
    assert mapping.loc["deal_size", "column"] == "Annual Revenue"


def test_playbook_change_changes_the_plan_without_reclustering():
    at = _app()
    at.switch_page("app_pages/team_plan.py").run()
    teams_before = at.dataframe[0].value
    # A field line of $1B sends every segment to inside or digital.
    at.number_input(key="rule_motion_field_min").set_value(1e9)
    at.button[0].click().run()
    assert not at.exception
    teams_after = at.dataframe[0].value
    assert "field" in set(teams_before["motion"])
    assert "field" not in set(teams_after["motion"])
