"""Shared fixtures: paths to the sample data and small real-format exports."""

import io
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ACCOUNTS = ROOT / "data" / "sample_accounts.csv"
SAMPLE_OPPORTUNITIES = ROOT / "data" / "sample_opportunities.csv"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def sample_accounts() -> Path:
    return SAMPLE_ACCOUNTS


@pytest.fixture(scope="session")
def sample_opportunities() -> Path:
    return SAMPLE_OPPORTUNITIES


@pytest.fixture
def fresh_caches():
    """Streamlit's caches empty before and after an app test (no result leaks between tests)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def rewrite_member(data: bytes, member: str, change) -> bytes:
    """A copy of a zip (an .xlsx) with one member's bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            content = source.read(name)
            archive.writestr(name, change(content) if name == member else content)
    return out.getvalue()


def shared_string_bomb(text_length: int, rows: int) -> bytes:
    """A small workbook whose every cell points at one shared string of ``text_length`` chars."""
    import pandas as pd

    from segmentation.export import excel_workbook

    frame = pd.DataFrame({"Account Name": ["x"] * rows, "Industry": ["x"] * rows})
    long_text = b"A" * text_length
    return rewrite_member(
        excel_workbook({"S": frame}),
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(b"<t>x</t>", b"<t>" + long_text + b"</t>"),
    )
