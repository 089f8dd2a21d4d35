"""Market: penetration by segment, where we win against whom, the play per segment, whitespace."""

import hashlib
import io
import re
import zipfile

import streamlit as st

from segmentation.battlefield import analyse_battlefield
from segmentation.errors import InputError
from segmentation.export import to_csv_bytes
from segmentation.markdown import escape as md
from segmentation.market_list import load_market
from segmentation.ui import stages
from segmentation.ui.charts.market import competitor_heatmap, market_bubbles
from segmentation.ui.tables import show

st.title("Market")
st.caption(
    "The market beyond the CRM: upload a market list (every company in your target regions, "
    "from a data provider or a public register) to see penetration and the untouched companies "
    "per segment. Opportunities that name competitors add win rates against each of them."
)
stages.prepare("plan")
loaded = stages.loaded()
segmentation = stages.segmentation()
team_plan = stages.team_plan()
playbook = stages.playbook()

upload = st.file_uploader(
    "Market list: company name, website, industry, employees, revenue, country (CSV or Excel)",
    type=["csv", "tsv", "txt", "xlsx"],
    # A new key empties the uploader when the list is forgotten.
    key=f"market_upload_{st.session_state.get('market_upload_version', 0)}",
)
if upload is not None:
    data = upload.getvalue()
    st.session_state["market_file"] = (upload.name, hashlib.sha256(data).hexdigest(), data)
market_file = st.session_state.get("market_file")
if market_file is not None:
    left, right = st.columns([4, 1])
    left.caption(f"In use: **{md(market_file[0])}**")
    if right.button("Forget the market list", key="forget_market"):
        st.session_state.pop("market_file", None)
        st.session_state["market_upload_version"] = (
            st.session_state.get("market_upload_version", 0) + 1
        )
        st.rerun()


# Per session and bounded, like the app's other stages: the result holds customer data.
@st.cache_resource(
    scope="session", max_entries=4, ttl="2h", show_spinner="Typing and matching the market…"
)
def _battlefield(key: tuple, *, _loaded, _segmentation, _team_plan, _playbook, _market):
    market = None if _market is None else load_market(_market[2], name=_market[0])
    return analyse_battlefield(_loaded, _segmentation, _team_plan, _playbook, market)


try:
    # The stages' objects are cached by the app, so their ids say when they changed.
    key = (
        id(loaded),
        id(segmentation),
        id(team_plan),
        id(playbook),
        market_file and market_file[1],
    )
    battlefield, _ = _battlefield(
        key,
        _loaded=loaded,
        _segmentation=segmentation,
        _team_plan=team_plan,
        _playbook=playbook,
        _market=market_file,
    )
except InputError as error:
    st.error(f"The market list could not be used: {md(error)}")
    st.stop()

if battlefield is None:
    st.info(
        "Upload a market list above for penetration and whitespace; upload opportunities with a "
        "Competitor column on the Data page for win rates against competitors."
    )
    st.stop()
for note in battlefield.warnings:
    st.warning(md(note))

market, competition, attack = battlefield.market, battlefield.competition, battlefield.attack
if market is not None:
    companies = market.companies
    cols = st.columns(5)
    cols[0].metric("Market companies", f"{len(companies):,}")
    cols[1].metric("In the CRM", f"{int(companies['in_crm'].sum()):,}")
    customers = int((companies["status"] == "customer").fillna(False).sum())
    cols[2].metric("Customers", f"{customers:,}")
    cols[3].metric("Penetration", f"{customers / max(len(companies), 1):.0%}")
    cols[4].metric("Untouched", f"{int((~companies['in_crm']).sum()):,}")

    st.subheader("Market size vs penetration")
    st.caption(
        "One bubble per segment: right is a big market, up is a market already won, the bubble "
        "is its untouched companies; the colour is the play. Big bubbles low down are the whitespace."
    )
    st.plotly_chart(market_bubbles(attack), key="market_bubbles")

    st.subheader("The play per segment")
    show(
        attack,
        ["vertical", "segment", "market_accounts", "crm_accounts", "customers", "penetration",
         "win_rate", "main_competitor", "win_rate_vs_main", "play", "reason"],
        key="attack_table",
    )  # fmt: skip

if competition is not None and len(competition.table):
    st.subheader("Win rate against each competitor, per segment")
    st.caption(
        "Win rate on the closed deals naming the competitor (deals in brackets). A difference "
        "is called out only when it is beyond noise — the test the planner uses for vertical pods."
    )
    st.plotly_chart(competitor_heatmap(competition.table), key="competitor_heatmap")
    with st.expander("Every competitor, with confidence intervals and calls"):
        show(competition.table, key="competitor_table")
    if len(competition.loss_reasons):
        with st.expander("Loss reasons by segment"):
            show(competition.loss_reasons, key="loss_reasons")

if market is not None:
    st.subheader("Whitespace per team")
    st.caption(
        "The untouched companies of each team's segments, best fit with the customers already "
        "won first (then the largest)."
    )
    whitespace = market.whitespace()
    teams = sorted(whitespace["team"].dropna().unique())
    if not teams:
        st.caption("Every market company is already in the CRM.")
    else:
        team = st.selectbox("Team", teams, key="whitespace_team")
        chosen = market.whitespace(team)
        show(
            chosen,
            ["whitespace_rank", "name", "website", "segment", "fit", "value"],
            key="whitespace",
        )
        left, right = st.columns(2)
        left.download_button(
            f"Download {md(team)} whitespace (CSV)",
            to_csv_bytes(chosen),
            file_name="whitespace-" + re.sub(r"[^\w.-]+", "-", str(team)).strip("-") + ".csv",
            mime="text/csv",
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, part in whitespace.groupby("team", sort=True):
                archive.writestr(
                    re.sub(r"[^\w.-]+", "-", str(name)).strip("-") + ".csv", to_csv_bytes(part)
                )
        right.download_button(
            "Download every team's whitespace (ZIP)",
            buffer.getvalue(),
            file_name="whitespace.zip",
            mime="application/zip",
        )
