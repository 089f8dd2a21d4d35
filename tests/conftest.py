"""Shared fixtures: paths to the sample data and small real-format exports."""

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
