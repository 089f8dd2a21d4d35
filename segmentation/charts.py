"""Plotly figure builders: pure functions of engine results, shared by the app and reports.

Each customer type keeps one colour on every chart (:func:`type_colors`).
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
)  # fmt: skip
MOTION_COLORS = {"field": "#1f4e79", "inside": "#2e86c1", "digital": "#85c1e9"}


def type_colors(names: pd.Series | list[str]) -> dict[str, str]:
    """A fixed colour per customer type, in the order the engine ranks them."""
    ordered = list(dict.fromkeys(str(n) for n in names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def customer_type_map(embedding: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Scatter of accounts on two principal components, coloured by customer type.

    Parameters
    ----------
    embedding : pandas.DataFrame
        Columns ``x``, ``y``, ``customer_type`` (already sampled by the engine).
    colors : dict of str to str
        From :func:`type_colors`.
    """
    fig = px.scatter(
        embedding,
        x="x",
        y="y",
        color="customer_type",
        color_discrete_map=colors,
        category_orders={"customer_type": list(colors)},
        opacity=0.6,
        labels={"x": "Component 1", "y": "Component 2", "customer_type": "Customer type"},
    )
    fig.update_traces(marker={"size": 5})
    fig.update_layout(legend={"orientation": "h", "y": -0.2}, margin={"t": 30})
    return fig


def segment_treemap(profiles: pd.DataFrame, colors: dict[str, str], size: str = "accounts") -> go.Figure:
    """Treemap of customer type → vertical, sized by accounts or value.

    Parameters
    ----------
    profiles : pandas.DataFrame
        One row per segment (see :func:`segmentation.profiles.segment_profiles`).
    colors : dict of str to str
    size : str
        Column to size the tiles by, e.g. ``"accounts"`` or ``"total_revenue"``.
    """
    data = profiles.assign(_size=profiles[size].fillna(0).clip(lower=0))
    data = data[data["_size"] > 0]
    fig = px.treemap(
        data,
        path=[px.Constant("All accounts"), "customer_type", "vertical"],
        values="_size",
        color="customer_type",
        color_discrete_map={"(?)": "#dddddd", **colors},
        hover_data={"accounts": True},
    )
    fig.update_traces(root_color="#f4f4f4")
    fig.update_layout(margin={"t": 30, "l": 5, "r": 5, "b": 5})
    return fig


def k_selection_chart(selection: pd.DataFrame) -> go.Figure:
    """Silhouette and stability by number of customer types, the chosen k marked."""
    long = selection.melt(
        id_vars=["k"], value_vars=["silhouette", "stability"], var_name="measure", value_name="score"
    )
    fig = px.line(long, x="k", y="score", color="measure", markers=True)
    if "chosen" in selection:
        chosen = selection.loc[selection["chosen"].astype(bool), "k"]
        for k in chosen:
            fig.add_vline(x=k, line_dash="dash", line_color="grey", annotation_text="chosen")
    fig.update_layout(yaxis_range=[min(0, long["score"].min()), 1], margin={"t": 30})
    return fig


def coverage_sunburst(segments: pd.DataFrame) -> go.Figure:
    """Motion → role → team → segment, sized by accounts."""
    fig = px.sunburst(
        segments,
        path=["motion", "role", "team", "segment"],
        values="accounts",
        color="motion",
        color_discrete_map=MOTION_COLORS,
    )
    fig.update_layout(margin={"t": 30, "l": 5, "r": 5, "b": 5})
    return fig


def headcount_chart(teams: pd.DataFrame) -> go.Figure:
    """Headcount by workload and by capacity, side by side per team."""
    long = teams.melt(
        id_vars=["team"],
        value_vars=["headcount_workload", "headcount_capacity"],
        var_name="method",
        value_name="reps",
    )
    long["method"] = long["method"].map(
        {"headcount_workload": "workload", "headcount_capacity": "capacity"}
    )
    fig = px.bar(long, x="team", y="reps", color="method", barmode="group")
    fig.update_layout(xaxis_title=None, margin={"t": 30})
    return fig


def rep_balance_chart(reps: pd.DataFrame) -> go.Figure:
    """Value per rep, grouped by team, with each rep's account count on hover."""
    fig = px.bar(
        reps,
        x="rep",
        y="value",
        color="team",
        hover_data=["accounts", "kept", "moved_in", "moved_out"],
    )
    fig.update_layout(xaxis_title=None, margin={"t": 30})
    return fig
