"""The app's plotly figures, one module per page: pure functions of engine results.

``style`` holds what every chart shares (one colour per customer type, font, layout);
``segments``, ``team``, ``territory`` and ``market`` the charts of the Segments, Team plan,
Territories and Market pages. Money reads as ``$1.2M`` everywhere. These modules use plotly
only and never import streamlit: the pages put the figures on screen
(``tests/test_engine_imports.py`` checks it).
"""
