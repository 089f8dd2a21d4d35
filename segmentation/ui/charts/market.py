"""Charts of the Market page: market size against penetration, win rates by competitor.

Where to play and against whom; plotly only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from segmentation.ui.charts.style import shorten, style_figure

PLAY_COLORS = {
    "expand": "#54A24B",
    "attack whitespace": "#4C78A8",
    "displace": "#F58518",
    "avoid or partner": "#9D9D9D",
}
"""One colour per play (:data:`segmentation.plays.PLAYS`): grey for the one to stay out of."""


def market_bubbles(attack: pd.DataFrame) -> go.Figure:
    """Market size vs penetration per segment, bubble = untouched companies, colour = play.

    Read it in five seconds: right is big, up is won; big bubbles low down are the whitespace.
    """
    data = attack[attack["segment"] != "all"]
    fig = go.Figure()
    biggest = max(float(data["untouched"].max()) if len(data) else 1.0, 1.0)
    for play, color in PLAY_COLORS.items():
        part = data[data["play"] == play]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["market_accounts"], y=part["penetration"], mode="markers", name=play.capitalize(),
                marker={"size": part["untouched"], "sizemode": "area", "sizeref": 2.0 * biggest / 45**2,
                        "sizemin": 5, "color": color, "opacity": 0.75, "line": {"width": 1, "color": "white"}},
                customdata=np.column_stack([part["segment"], part["untouched"], part["customers"]]),
                hovertemplate="%{customdata[0]}<br>%{x:,} companies, penetration %{y:.0%}<br>"
                "%{customdata[2]:,} customers, %{customdata[1]:,} untouched<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(
        title="Market companies in the segment",
        type="log"
        if len(data) and data["market_accounts"].max() > 50 * max(data["market_accounts"].min(), 1)
        else "linear",
    )
    fig.update_yaxes(title="Penetration (customers ÷ market)", tickformat=".0%", rangemode="tozero")
    return style_figure(fig, height=440)


def competitor_heatmap(table: pd.DataFrame, max_competitors: int = 12) -> go.Figure:
    """Win rate against each competitor (columns) per segment (rows), deals in each cell."""
    data = table[table["segment"] != "all"]
    top = (
        table[table["segment"] == "all"]
        .sort_values("deals", ascending=False)["competitor"]
        .head(max_competitors)
        .tolist()
    )
    data = data[data["competitor"].isin(top)]
    rate = data.pivot_table(
        index="segment", columns="competitor", values="win_rate", aggfunc="first"
    )
    deals = data.pivot_table(index="segment", columns="competitor", values="deals", aggfunc="first")
    rate = rate.reindex(columns=[c for c in top if c in rate.columns])
    deals = deals.reindex(index=rate.index, columns=rate.columns)
    text = [
        ["" if pd.isna(r) else f"{r:.0%} ({int(d)})" for r, d in zip(rr, dd)]
        for rr, dd in zip(rate.to_numpy(), deals.to_numpy())
    ]
    fig = go.Figure(
        go.Heatmap(
            z=rate.to_numpy(dtype=float), x=[shorten(str(c), 20) for c in rate.columns],
            y=[shorten(str(s), 48) for s in rate.index], text=text, texttemplate="%{text}",
            colorscale="RdYlGn", zmin=0, zmax=1, colorbar={"title": "Win rate", "tickformat": ".0%"},
            hovertemplate="%{y} vs %{x}: %{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    return style_figure(fig, height=max(300, 34 * len(rate) + 120), legend=False)
