"""Charts of the Team plan page: coverage, headcount, team mix, hiring and sensitivity.

How the plan covers the accounts and what it costs; plotly only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from segmentation.fields import MOTION_LABELS, MOTIONS, ROLE_LABELS
from segmentation.naming import format_money
from segmentation.ui.charts.style import shorten, style_figure

MOTION_COLORS = {"field": "#1f4e79", "inside": "#2e86c1", "digital": "#a9cce3"}


def coverage_sunburst(segments: pd.DataFrame) -> go.Figure:
    """Motion → role → team, sized by accounts and coloured by motion."""
    data = segments.groupby(["motion", "role", "team"], as_index=False, observed=True)[
        "accounts"
    ].sum()
    data = data[data["accounts"] > 0]
    rank = {m: i for i, m in enumerate(reversed(MOTIONS))}  # field first
    data = data.sort_values("motion", key=lambda m: m.map(rank).fillna(len(rank)), kind="stable")
    ids, labels, parents, values, colours = [], [], [], [], []
    for motion, by_motion in data.groupby("motion", sort=False):
        ids.append(motion)
        labels.append(MOTION_LABELS.get(motion, str(motion)))
        parents.append("")
        values.append(int(by_motion["accounts"].sum()))
        colours.append(MOTION_COLORS.get(motion, "#999999"))
        for role, by_role in by_motion.groupby("role", sort=False):
            role_id = f"{motion}/{role}"
            ids.append(role_id)
            labels.append(ROLE_LABELS.get(role, str(role)))
            parents.append(motion)
            values.append(int(by_role["accounts"].sum()))
            colours.append(MOTION_COLORS.get(motion, "#999999"))
            for row in by_role.itertuples(index=False):
                ids.append(f"{role_id}/{row.team}")
                labels.append(_team_leaf(str(row.team)))
                parents.append(role_id)
                values.append(int(row.accounts))
                colours.append(MOTION_COLORS.get(motion, "#999999"))
    fig = go.Figure(
        go.Sunburst(
            ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
            marker={"colors": colours, "line": {"color": "white", "width": 2}},
            hovertemplate="%{label}: %{value:,} accounts<extra></extra>",
            texttemplate="%{label}<br>%{value:,}", insidetextorientation="horizontal",
        )
    )  # fmt: skip
    fig.update_layout(uniformtext={"minsize": 10, "mode": "hide"})
    return style_figure(fig, height=420, legend=False)


def _team_leaf(team: str) -> str:
    # "Field · Farmers · Healthcare & Life Sciences" → the pod's vertical; "Field · Farmers" → "All verticals".
    parts = [p.strip() for p in team.split("·")]
    return (
        parts[2] if len(parts) > 2 else ("Self-serve" if parts[0] == "Digital" else "All verticals")
    )


def headcount_chart(teams: pd.DataFrame) -> go.Figure:
    """Reps per team two ways — by workload and by quota capacity — with the recommendation."""
    data = teams[teams["headcount"] > 0] if (teams["headcount"] > 0).any() else teams
    data = data.iloc[::-1]  # plotly draws horizontal bars bottom-up
    names = [shorten(str(t), 40) for t in data["team"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(y=names, x=data["headcount_workload"], name="By workload (accounts × touches)",
               orientation="h", marker_color="#2e86c1",
               hovertemplate="%{y}: %{x:.1f} reps by workload<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Bar(y=names, x=data["headcount_capacity"], name="By quota capacity (bookings ÷ quota)",
               orientation="h", marker_color="#a9cce3",
               hovertemplate="%{y}: %{x:.1f} reps by quota capacity<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(y=names, x=data["headcount"], name="Recommended", mode="markers+text",
                   marker={"symbol": "diamond", "size": 12, "color": "#1f4e79"},
                   text=[f"{int(h)}" for h in data["headcount"]], textposition="middle right",
                   hovertemplate="%{y}: %{x} reps recommended<extra></extra>")
    )  # fmt: skip
    fig.update_layout(barmode="group", bargap=0.3)
    fig.update_xaxes(title="Reps", rangemode="tozero")
    fig.update_yaxes(title=None)
    return style_figure(fig, height=max(300, 70 * len(data) + 80))


def team_mix_chart(book: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Accounts per team, stacked by customer type (each type in its colour)."""
    counts = (
        book.assign(customer_type=book["customer_type"].astype(str), team=book["team"].astype(str))
        .groupby(["team", "customer_type"], observed=True)
        .size()
        .rename("accounts")
        .reset_index()
    )
    order = counts.groupby("team")["accounts"].sum().sort_values().index.tolist()
    fig = go.Figure()
    for name, color in colors.items():
        part = counts[counts["customer_type"] == name].set_index("team").reindex(order)
        if part["accounts"].fillna(0).sum() == 0:
            continue
        fig.add_trace(
            go.Bar(y=[shorten(t, 40) for t in order], x=part["accounts"], orientation="h",
                   name=shorten(name, 40), marker_color=color,
                   hovertemplate=f"%{{y}}<br>{name}: %{{x:,}} accounts<extra></extra>")
        )  # fmt: skip
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(title="Accounts", tickformat=",")
    fig.update_yaxes(automargin=True)
    return style_figure(fig, height=max(300, 50 * len(order) + 80), legend=False)


def sizing_chart(teams: pd.DataFrame) -> go.Figure:
    """Reps per team: capacity, the coverage floor and the affordability ceiling, with the recommendation."""
    named = teams[teams["motion"] != "digital"]
    data = named.iloc[::-1]  # plotly draws horizontal bars bottom-up
    names = [shorten(str(t), 40) for t in data["team"]]
    fig = go.Figure()
    for col, label, color in (
        ("headcount_capacity", "Capacity (bookings ÷ what a rep books)", "#2e86c1"),
        ("headcount_coverage", "Coverage floor (named accounts ÷ accounts a rep owns)", "#a9cce3"),
        (
            "headcount_affordable",
            "Affordable (bookings × max cost of sales ÷ loaded cost)",
            "#d5dbdb",
        ),
    ):
        fig.add_trace(
            go.Bar(y=names, x=data[col], name=label, orientation="h", marker_color=color,
                   hovertemplate="%{y}: %{x:.1f} reps<extra>" + label.split(" (")[0] + "</extra>")
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(y=names, x=data["headcount"], name="Recommended", mode="markers+text",
                   marker={"symbol": "diamond", "size": 12, "color": "#1f4e79"},
                   text=[f"{int(h)}" for h in data["headcount"]], textposition="middle right",
                   customdata=np.stack([data["deal_size_basis"].astype(str), data["cost"].map(format_money)], axis=-1)
                   if len(data) else None,
                   hovertemplate="%{y}: %{x} reps, %{customdata[1]} a year (deal size from %{customdata[0]})<extra></extra>")
    )  # fmt: skip
    fig.update_layout(barmode="group", bargap=0.3)
    fig.update_xaxes(title="Reps", rangemode="tozero")
    fig.update_yaxes(title=None)
    return style_figure(fig, height=max(300, 80 * len(data) + 80))


def hiring_chart(hiring: pd.DataFrame) -> go.Figure:
    """The hiring plan, all teams together: reps and ramped reps (bars), capacity against target (lines)."""
    total = (
        hiring.groupby("month", sort=True)[
            ["hires", "reps", "ramped_reps", "capacity", "bookings_target"]
        ].sum()
        if len(hiring)
        else pd.DataFrame(columns=["hires", "reps", "ramped_reps", "capacity", "bookings_target"])
    )
    months = [f"M{m}" for m in total.index]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=months, y=total["ramped_reps"], name="Ramped reps", marker_color="#1f4e79",
                         hovertemplate="%{x}: %{y:.1f} ramped reps<extra></extra>"), secondary_y=False)  # fmt: skip
    fig.add_trace(go.Bar(x=months, y=total["reps"] - total["ramped_reps"], name="Ramping reps",
                         marker_color="#a9cce3", hovertemplate="%{x}: %{y:.1f} ramping reps<extra></extra>"),
                  secondary_y=False)  # fmt: skip
    fig.add_trace(go.Scatter(x=months, y=total["capacity"], name="Capacity a month", mode="lines+markers",
                             line={"color": "#F58518"}, hovertemplate="%{x}: capacity $%{y:,.0f}<extra></extra>"),
                  secondary_y=True)  # fmt: skip
    fig.add_trace(go.Scatter(x=months, y=total["bookings_target"], name="Bookings target a month", mode="lines",
                             line={"color": "#555555", "dash": "dot"},
                             hovertemplate="%{x}: target $%{y:,.0f}<extra></extra>"), secondary_y=True)  # fmt: skip
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(title="Reps", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title="Bookings a month",
        tickprefix="$",
        tickformat=".2~s",
        rangemode="tozero",
        secondary_y=True,
    )
    return style_figure(fig, height=380)


def tornado_chart(sensitivity: pd.DataFrame) -> go.Figure:
    """Sensitivity: how total headcount moves with each parameter down and up (a tornado)."""
    base = sensitivity[sensitivity["parameter"] == "base"]
    base_hc = int(base["headcount"].iloc[0]) if len(base) else 0
    rest = sensitivity[sensitivity["parameter"] != "base"]
    params = list(dict.fromkeys(rest["parameter"]))
    # Widest swing on top, as a tornado reads.
    swing = {p: rest.loc[rest["parameter"] == p, "headcount_delta"].abs().max() for p in params}
    params = sorted(params, key=lambda p: swing[p])
    fig = go.Figure()
    for change, color in (("-", "#E45756"), ("+", "#54A24B")):
        rows = (
            rest[rest["change"].astype(str).str.startswith(change)]
            .set_index("parameter")
            .reindex(params)
        )
        fig.add_trace(
            go.Bar(y=params, x=rows["headcount_delta"], base=base_hc, orientation="h",
                   name=f"{rows['change'].iloc[0] if len(rows) else change}", marker_color=color,
                   customdata=np.stack([rows["headcount"], rows["cost"].map(format_money)], axis=-1) if len(rows) else None,
                   hovertemplate="%{y} " + change + ": %{customdata[0]} reps, %{customdata[1]} a year<extra></extra>")
        )  # fmt: skip
    fig.add_vline(
        x=base_hc,
        line_color="#31333F",
        annotation_text=f"base {base_hc} reps",
        annotation_position="top",
    )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="Total reps")
    fig.update_yaxes(title=None)
    return style_figure(fig, height=max(260, 70 * len(params) + 110))
