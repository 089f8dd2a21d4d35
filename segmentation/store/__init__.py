"""Saved plans: a versioned store (SQLite or PostgreSQL) and the comparison of two plans.

The engine side only: no streamlit here (the app's page uses :mod:`segmentation.ui.plans`).
"""

from segmentation.store.compare import Comparison, compare_plans
from segmentation.store.connection import store_url
from segmentation.store.db import (
    DERIVED,
    INPUT,
    OUTPUT,
    PlanStore,
    PlanSummary,
    StoredFile,
    StoredPlan,
    check_name,
    fingerprint,
    plan_totals,
)
from segmentation.store.plans import plan_files_from_run, playbook_values

__all__ = [
    "DERIVED",
    "INPUT",
    "OUTPUT",
    "Comparison",
    "PlanStore",
    "PlanSummary",
    "StoredFile",
    "StoredPlan",
    "check_name",
    "compare_plans",
    "fingerprint",
    "plan_files_from_run",
    "plan_totals",
    "playbook_values",
    "store_url",
]
