"""Market segmentation dashboard: ``streamlit run app.py``.

This script only configures the page and routes; each page lives in ``app_pages/``.
"""

import streamlit as st

from segmentation.ui.state import defaults

st.set_page_config(
    page_title="Sales segmentation planner", page_icon="📊", layout="wide"
)
defaults()

pages = [
    st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", default=True),
    st.Page("app_pages/segments.py", title="Segments", icon=":material/category:"),
    st.Page("app_pages/team_plan.py", title="Team plan", icon=":material/groups:"),
    st.Page("app_pages/territories.py", title="Territories", icon=":material/map:"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
]
st.navigation(pages).run()
