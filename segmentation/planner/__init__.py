"""From segment profiles to a team design: motion, role, teams, headcount and hiring, with reasons.

The planner is a package, one module per decision, each recording its reason, rule ids and
values where the decision is made:

- :mod:`~segmentation.planner.motion`: deal size from evidence and the motion (field, inside, digital);
- :mod:`~segmentation.planner.roles`: hunters, farmers or generalists from the book;
- :mod:`~segmentation.planner.specialists`: vertical pods and product overlay specialists;
- :mod:`~segmentation.planner.headcount`: bookings, capacity, coverage floor, affordability;
- :mod:`~segmentation.planner.sensitivity`: the total with deal size, attainment and quota ±20%;
- :mod:`~segmentation.planner.teams`: the teams table, each team sized and given its sentence;
- :mod:`~segmentation.planner.pooling`: teams whose bookings pay for no rep moved to a cheaper motion;
- :mod:`~segmentation.planner.hiring`: the month-by-month hiring plan;
- :mod:`~segmentation.planner.core`: :func:`plan_coverage` wiring them together;
- :mod:`~segmentation.planner.assignment`: every account given its segment's team.
"""

from segmentation.planner.assignment import assign_accounts
from segmentation.planner.core import (
    PRODUCT_COLUMNS,
    PROFILE_COLUMNS,
    Plan,
    plan_coverage,
    segment_products,
)
from segmentation.planner.motion import BASIS_DEAL, BASIS_NONE, BASIS_REVENUE, BASIS_TIER
from segmentation.planner.specialists import (
    OVERLAY_COLUMNS,
    PRODUCT_MIX_COLUMNS,
    VERTICAL_TEST_COLUMNS,
)
from segmentation.planner.teams import TEAM_COLUMNS

__all__ = [
    "BASIS_DEAL",
    "BASIS_NONE",
    "BASIS_REVENUE",
    "BASIS_TIER",
    "OVERLAY_COLUMNS",
    "PRODUCT_COLUMNS",
    "PRODUCT_MIX_COLUMNS",
    "PROFILE_COLUMNS",
    "TEAM_COLUMNS",
    "VERTICAL_TEST_COLUMNS",
    "Plan",
    "assign_accounts",
    "plan_coverage",
    "segment_products",
]
