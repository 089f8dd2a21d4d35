"""Market segmentation dashboard: ``streamlit run app.py``.

This script only configures the page and routes; each page lives in ``app_pages/``.
"""

import streamlit as st

from segmentation.ui.plans import close_if_data_changed, follow_url
from segmentation.ui.session import defaults

st.set_page_config(page_title="Sales segmentation planner", page_icon="📊", layout="wide")
defaults()
follow_url()  # ?plan=NAME reopens a saved plan after a refresh or from a shared link

pages = [
    st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", default=True),
    st.Page("app_pages/segments.py", title="Segments", icon=":material/category:"),
    st.Page("app_pages/team_plan.py", title="Team plan", icon=":material/groups:"),
    st.Page("app_pages/territories.py", title="Territories", icon=":material/map:"),
    st.Page("app_pages/market.py", title="Market", icon=":material/travel_explore:"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
    st.Page("app_pages/plans.py", title="Plans", icon=":material/bookmarks:"),
]
st.navigation(pages).run()
close_if_data_changed()  # a new upload on this run closes the opened plan (and its ?plan=)
