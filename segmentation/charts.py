"""Plotly figure builders: pure functions of engine results, shared by the app and reports.

Each customer type keeps one colour on every chart (:func:`type_colors`): the map of accounts,
the treemap, the team mix and every rep's book. Money reads as ``$1.2M`` everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from segmentation.fields import MOTION_LABELS, MOTIONS, ROLE_LABELS
from segmentation.naming import format_money

PALETTE: tuple[str, ...] = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
    "#B279A2", "#EECA3B", "#9D755D", "#FF9DA6", "#2F4B7C",
    "#A05195", "#665191", "#D45087", "#00A6A6", "#8C6D31",
)  # fmt: skip
"""Customer-type colours in rank order (Tableau 10, then more); no grey: grey means "other"."""
MOTION_COLORS = {"field": "#1f4e79", "inside": "#2e86c1", "digital": "#a9cce3"}
FONT = "Source Sans, Source Sans Pro, Helvetica Neue, Arial, sans-serif"
MAP_POINTS = 3000
"""Most points the map of accounts sends to the browser."""


def type_colors(names: pd.Series | list[str]) -> dict[str, str]:
    """A fixed colour per customer type, in the order the engine ranks them."""
    ordered = list(dict.fromkeys(str(n) for n in names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def _style(fig: go.Figure, height: int = 380, legend: bool = True) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        font={"family": FONT, "size": 13, "color": "#31333F"},
        margin={"t": 10, "l": 10, "r": 10, "b": 10},
        showlegend=legend,
        legend={
            "orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0,
            "title": None, "font": {"size": 12},
        },
        hoverlabel={"font_family": FONT},
    )  # fmt: skip
    return fig


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def customer_type_map(
    embedding: pd.DataFrame, colors: dict[str, str], *, max_points: int = MAP_POINTS, seed: int = 0
) -> go.Figure:
    """Accounts on a 2-D projection of their features, coloured by customer type.

    Parameters
    ----------
    embedding : pandas.DataFrame
        Columns ``x``, ``y``, ``customer_type`` (already sampled by the engine).
    colors : dict of str to str
        From :func:`type_colors`.
    max_points : int
        Larger embeddings are sampled down to this many points (the browser gets a small figure).
    seed : int
        Seed of that sample.
    """
    data = embedding
    if len(data) > max_points:
        data = data.sample(max_points, random_state=seed).sort_index()
    fig = go.Figure()
    for name, color in colors.items():
        part = data[data["customer_type"].astype(str) == name]
        if part.empty:
            continue
        fig.add_trace(
            go.Scattergl(
                x=part["x"], y=part["y"], mode="markers", name=_short(name, 40),
                marker={"color": color, "size": 5, "opacity": 0.55},
                hovertemplate=f"{name}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(showticklabels=False, title=None, zeroline=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, title=None, zeroline=False, showgrid=False)
    fig = _style(fig, height=400)
    fig.update_layout(legend={"itemsizing": "constant"})
    return fig


def segment_treemap(
    profiles: pd.DataFrame, colors: dict[str, str], size: str = "accounts"
) -> go.Figure:
    """Treemap of customer type → vertical, sized by accounts or a money column.

    Parameters
    ----------
    profiles : pandas.DataFrame
        One row per segment (see :func:`segmentation.profiles.segment_profiles`).
    colors : dict of str to str
    size : str
        Column to size the tiles by, e.g. ``"accounts"`` or ``"total_revenue"``.
    """
    data = profiles.assign(
        customer_type=profiles["customer_type"].astype(str),
        vertical=profiles["vertical"].astype(str),
        size_=pd.to_numeric(profiles[size], errors="coerce").fillna(0).clip(lower=0),
    )
    data = data[data["size_"] > 0]
    money = size != "accounts"
    ids, labels, parents, values, colours, texts, hovers = [], [], [], [], [], [], []
    total = float(data["size_"].sum())

    def text(v: float) -> str:
        share = v / total if total else 0.0
        return (format_money(v) if money else f"{int(v):,} accounts") + f" · {share:.0%}"

    for name in [c for c in colors if c in set(data["customer_type"])]:
        part = data[data["customer_type"] == name]
        ids.append(name)
        labels.append(name.split(" · ")[0])  # the tile header; hover shows the full name
        parents.append("")
        values.append(float(part["size_"].sum()))
        colours.append(colors[name])
        texts.append(text(values[-1]))
        hovers.append(name)
        for row in part.sort_values("size_", ascending=False).itertuples(index=False):
            ids.append(f"{name}/{row.vertical}")
            labels.append(row.vertical)
            parents.append(name)
            values.append(float(row.size_))
            colours.append(colors[name])
            texts.append(text(float(row.size_)))
            hovers.append(f"{row.vertical} · {name}")
    fig = go.Figure(
        go.Treemap(
            ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
            marker={"colors": colours, "line": {"color": "white", "width": 1}},
            customdata=texts, texttemplate="<b>%{label}</b><br>%{customdata}",
            hovertext=hovers, hovertemplate="%{hovertext}<br>%{customdata}<extra></extra>",
            tiling={"pad": 2}, pathbar={"visible": False},
        )
    )  # fmt: skip
    fig.update_layout(uniformtext={"minsize": 10, "mode": "hide"})
    return _style(fig, height=440, legend=False)


def _mark_chosen_k(fig: go.Figure, selection: pd.DataFrame, quality: dict | None) -> None:
    # The k the model chose: from the curve's own flag, else from the quality report.
    chosen = []
    if "chosen" in selection:
        chosen = selection.loc[selection["chosen"].astype(bool), "k"].astype(int).tolist()
    elif quality is not None:
        chosen = [int(quality["k"])]
    for value in chosen:
        fig.add_vline(
            x=value, line_dash="dash", line_color="#555555",
            annotation_text=f"chosen: {value}", annotation_position="top",
        )  # fmt: skip


def k_selection_chart(selection: pd.DataFrame, quality: dict | None = None) -> go.Figure:
    """Separation (silhouette) and stability by number of customer types, the chosen k marked.

    Parameters
    ----------
    selection : pandas.DataFrame
        ``k``, ``silhouette``, ``stability``, optionally ``null_silhouette`` and ``chosen``.
    quality : dict, optional
        The result's quality dict (its ``k`` is marked when ``chosen`` is absent).
    """
    fig = go.Figure()
    k = selection["k"].astype(int)
    fig.add_trace(
        go.Scatter(x=k, y=selection["stability"], name="Stability (same types on resampled data)",
                   mode="lines+markers", line={"color": "#2e86c1", "width": 3},
                   hovertemplate="k=%{x}: stability %{y:.2f}<extra></extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=k, y=selection["silhouette"], name="Separation (silhouette)",
                   mode="lines+markers", line={"color": "#1f4e79", "width": 3},
                   hovertemplate="k=%{x}: separation %{y:.2f}<extra></extra>")
    )  # fmt: skip
    if "null_silhouette" in selection:
        fig.add_trace(
            go.Scatter(x=k, y=selection["null_silhouette"], name="Separation of random data",
                       mode="lines", line={"color": "#aaaaaa", "dash": "dot", "width": 2},
                       hovertemplate="k=%{x}: random data %{y:.2f}<extra></extra>")
        )  # fmt: skip
    _mark_chosen_k(fig, selection, quality)
    low = min(0.0, float(np.nanmin(selection[["silhouette", "stability"]].to_numpy())))
    fig.update_yaxes(range=[low, 1.05], title=None, tickformat=".1f")
    fig.update_xaxes(title="Number of customer types", dtick=1)
    fig = _style(fig, height=340)
    fig.update_layout(margin={"t": 40})
    return fig


def k_choice_chart(selection: pd.DataFrame, quality: dict | None = None) -> go.Figure:
    """How the number of customer types is chosen: the gap curve, eligible k, the chosen k.

    The gap (tightness of k types over k types cut through random data of the same shape)
    climbs while real types are being separated and flattens once they are; k is the eligible
    number (stable, no tiny type) with the highest gap minus a fixed cost per type.

    Parameters
    ----------
    selection : pandas.DataFrame
        ``k``, ``gap``, ``score``, ``stability``, ``silhouette`` and optionally ``eligible``
        and ``chosen`` (see :attr:`segmentation.clustering.CustomerTypeModel.selection_`).
    quality : dict, optional
        The result's quality dict (its ``k`` is marked when ``chosen`` is absent).
    """
    k = selection["k"].astype(int)
    eligible = (
        selection["eligible"].astype(bool)
        if "eligible" in selection
        else pd.Series(True, index=selection.index)
    )
    stability = selection.get("stability", np.nan)
    custom = np.column_stack(
        [
            pd.to_numeric(selection.get("score", np.nan), errors="coerce"),
            pd.to_numeric(stability, errors="coerce"),
            np.where(eligible, "can be chosen", "not stable, or a type under 3% of accounts"),
        ]
    )
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=k, y=selection["gap"], name="Tighter than random data (gap)",
            mode="lines+markers", line={"color": "#1f4e79", "width": 3},
            marker={"size": 11, "color": np.where(eligible, "#1f4e79", "#ffffff"),
                    "line": {"color": "#1f4e79", "width": 2}},
            customdata=custom,
            hovertemplate="k=%{x}: gap %{y:.2f}, score %{customdata[0]:.2f}, "
            "stability %{customdata[1]:.2f}<br>%{customdata[2]}<extra></extra>",
        )
    )  # fmt: skip
    if (~eligible).any():
        # A legend entry for the hollow markers (the trace above draws them).
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", name="not stable, or a type under 3%",
                marker={"size": 11, "color": "#ffffff", "line": {"color": "#1f4e79", "width": 2}},
            )
        )  # fmt: skip
    _mark_chosen_k(fig, selection, quality)
    gaps = pd.to_numeric(selection["gap"], errors="coerce")
    low = min(0.0, float(np.nanmin(gaps))) if gaps.notna().any() else 0.0
    high = float(np.nanmax(gaps)) if gaps.notna().any() else 1.0
    fig.update_yaxes(range=[low, high * 1.15 + 0.05], title=None, tickformat=".1f")
    fig.update_xaxes(title="Number of customer types", dtick=1)
    fig = _style(fig, height=340)
    fig.update_layout(margin={"t": 40})
    return fig


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
    return _style(fig, height=420, legend=False)


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
    names = [_short(str(t), 40) for t in data["team"]]
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
    return _style(fig, height=max(300, 70 * len(data) + 80))


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
            go.Bar(y=[_short(t, 40) for t in order], x=part["accounts"], orientation="h",
                   name=_short(name, 40), marker_color=color,
                   hovertemplate=f"%{{y}}<br>{name}: %{{x:,}} accounts<extra></extra>")
        )  # fmt: skip
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(title="Accounts", tickformat=",")
    fig.update_yaxes(automargin=True)
    return _style(fig, height=max(300, 50 * len(order) + 80), legend=False)


def rep_book(book: pd.DataFrame, rep: pd.Series) -> pd.DataFrame:
    """Each rep's book by customer type: ``rep, team, customer_type, accounts, value``.

    Parameters
    ----------
    book : pandas.DataFrame
        :attr:`segmentation.pipeline.TeamPlan.book` (``team``, ``customer_type``, ``value``).
    rep : pandas.Series
        Rep per account (same index); accounts without a rep are left out.
    """
    frame = pd.DataFrame(
        {
            "rep": rep.astype("str"),
            "team": book["team"].astype("str"),
            "customer_type": book["customer_type"].astype("str"),
            "value": pd.to_numeric(book["value"], errors="coerce").fillna(0.0),
        },
        index=book.index,
    )
    frame = frame[rep.notna().to_numpy()]
    return (
        frame.groupby(["rep", "team", "customer_type"], observed=True)
        .agg(accounts=("value", "size"), value=("value", "sum"))
        .reset_index()
    )


def rep_balance_chart(
    books: pd.DataFrame, colors: dict[str, str], *, labels_up_to: int = 40
) -> go.Figure:
    """Book value and account count per rep (one team), stacked by customer type.

    Parameters
    ----------
    books : pandas.DataFrame
        Rows of :func:`rep_book` for the reps to show.
    colors : dict of str to str
    labels_up_to : int
        With more reps than this, rep names are left off the axis (hover shows them).
    """
    totals = books.groupby("rep")["value"].sum().sort_values(ascending=False)
    order = totals.index.tolist()
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
        subplot_titles=("Book value per rep", "Accounts per rep"),
    )  # fmt: skip
    for name, color in colors.items():
        part = books[books["customer_type"] == name].set_index("rep").reindex(order)
        if part["accounts"].fillna(0).sum() == 0:
            continue
        money = [format_money(v) if pd.notna(v) else "" for v in part["value"]]
        fig.add_trace(
            go.Bar(x=order, y=part["value"], name=_short(name, 40), marker_color=color,
                   legendgroup=name, customdata=money,
                   hovertemplate=f"%{{x}}<br>{name}: %{{customdata}}<extra></extra>"),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Bar(x=order, y=part["accounts"], name=_short(name, 40), marker_color=color,
                   legendgroup=name, showlegend=False,
                   hovertemplate=f"%{{x}}<br>{name}: %{{y:,}} accounts<extra></extra>"),
            row=2, col=1,
        )  # fmt: skip
    mean_value = float(totals.mean()) if len(totals) else 0.0
    mean_count = float(books.groupby("rep")["accounts"].sum().mean()) if len(totals) else 0.0
    fig.add_hline(
        y=mean_value,
        line_dash="dot",
        line_color="#555555",
        row=1,
        col=1,
        annotation_text=f"mean {format_money(mean_value)}",
        annotation_position="top right",
    )
    fig.add_hline(
        y=mean_count,
        line_dash="dot",
        line_color="#555555",
        row=2,
        col=1,
        annotation_text=f"mean {mean_count:,.0f}",
        annotation_position="top right",
    )
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(tickprefix="$", tickformat="~s", row=1, col=1)
    fig.update_yaxes(tickformat=",", row=2, col=1)
    ticks = [_rep_label(r) for r in order]
    fig.update_xaxes(showticklabels=len(order) <= labels_up_to, tickangle=-40 if len(order) > 12 else 0,
                     tickvals=order, ticktext=ticks, row=2, col=1)  # fmt: skip
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig = _style(fig, height=540, legend=False)
    fig.update_layout(margin={"t": 30})
    return fig


def _rep_label(rep: str) -> str:
    # Placeholder reps are "<team> rep N": the team is already chosen, keep "rep N".
    _, sep, tail = str(rep).rpartition(" rep ")
    return f"rep {tail}" if sep and tail.isdigit() else str(rep)


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
    return _style(fig, height=440)


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
            z=rate.to_numpy(dtype=float), x=[_short(str(c), 20) for c in rate.columns],
            y=[_short(str(s), 48) for s in rate.index], text=text, texttemplate="%{text}",
            colorscale="RdYlGn", zmin=0, zmax=1, colorbar={"title": "Win rate", "tickformat": ".0%"},
            hovertemplate="%{y} vs %{x}: %{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    return _style(fig, height=max(300, 34 * len(rate) + 120), legend=False)


TEAM_PALETTE: tuple[str, ...] = (
    "#1f4e79", "#E45756", "#54A24B", "#F58518", "#72B7B2", "#B279A2",
    "#EECA3B", "#9D755D", "#FF9DA6", "#4C78A8", "#A05195", "#00A6A6",
)  # fmt: skip
"""Team colours on the territory map, in the plan's team order."""


def team_colors(teams: pd.Series | list[str]) -> dict[str, str]:
    """A fixed colour per team, in the order the plan lists them."""
    ordered = list(dict.fromkeys(str(t) for t in teams))
    return {name: TEAM_PALETTE[i % len(TEAM_PALETTE)] for i, name in enumerate(ordered)}


def _place_hover(frame: pd.DataFrame, currency: str = "$") -> list[str]:
    # Plotly reads hover text and legend names as HTML (links included): team names can hold a
    # user's vertical renames, so they are escaped.
    import html

    lines = []
    for row in frame.itertuples(index=False):
        balance = (
            f"{row.balance:.2f}× the average load per rep" if pd.notna(row.balance) else "no rep"
        )
        lines.append(
            f"<b>{html.escape(str(row.place))}</b><br>{int(row.accounts):,} accounts · "
            f"{format_money(row.value).replace('$', currency, 1)} potential<br>"
            f"{int(row.reps):,} reps ({row.rep_equivalents:.1f} full-time) · {balance}<br>"
            f"Most value: {html.escape(str(row.team))} ({row.team_share:.0%})"
        )
    return lines


def territory_map(
    places: pd.DataFrame, colors: dict[str, str], *, scope: str = "world", currency: str = "$"
) -> go.Figure:
    """Accounts by place, coloured by the team holding most of each place's value.

    Countries (``scope="world"``) are filled shapes keyed by ISO alpha-3; US states and Canadian
    provinces (``scope="north america"``) are bubbles sized by accounts at each centroid. The
    base map is read from the figure config's ``topojsonURL`` (see
    :data:`segmentation.geo.TOPOJSON_ROUTE`): pass it to ``st.plotly_chart(config=...)``.

    Parameters
    ----------
    places : pandas.DataFrame
        :class:`segmentation.geo.Territories` ``countries`` or ``subdivisions``.
    colors : dict of str to str
        Team → colour (:func:`team_colors`).
    scope : {"world", "north america"}
    currency : str
        The symbol money is shown with.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import html

    fig = go.Figure()
    size_ref = float(places["accounts"].max()) if len(places) else 1.0
    for team in [t for t in colors if t in set(places["team"].astype(str))]:
        part = places[places["team"].astype(str) == team]
        hover = _place_hover(part, currency)
        if scope == "world":
            fig.add_trace(
                go.Choropleth(
                    locations=part["code"], locationmode="ISO-3", z=[1] * len(part),
                    colorscale=[[0, colors[team]], [1, colors[team]]], showscale=False,
                    marker_line_color="white", marker_line_width=0.5,
                    name=html.escape(_short(team, 40)),
                    showlegend=True, text=hover, hovertemplate="%{text}<extra></extra>",
                )
            )  # fmt: skip
        else:
            fig.add_trace(
                go.Scattergeo(
                    lat=part["lat"], lon=part["lon"], mode="markers",
                    name=html.escape(_short(team, 40)),
                    marker={"size": 8 + 34 * np.sqrt(part["accounts"] / size_ref),
                            "color": colors[team], "opacity": 0.8,
                            "line": {"color": "white", "width": 1}},
                    text=hover, hovertemplate="%{text}<extra></extra>",
                )
            )  # fmt: skip
    geo = {
        "scope": scope, "resolution": 110, "showcountries": True, "countrycolor": "#bbbbbb",
        "showland": True, "landcolor": "#f2f2f2", "showframe": False, "showlakes": False,
        "projection_type": "natural earth" if scope == "world" else "conic conformal",
    }  # fmt: skip
    if scope == "world":
        # Whole world, centred on Greenwich: plotly otherwise centres on the first shapes drawn.
        geo.update(lonaxis_range=[-180, 180], lataxis_range=[-60, 85], center={"lon": 0, "lat": 20},
                   projection_rotation={"lon": 0})  # fmt: skip
    if scope != "world":
        geo.update(showsubunits=True, subunitcolor="#cccccc", lataxis_range=[22, 65],
                   lonaxis_range=[-135, -55], projection_type="albers usa"
                   if not places["code"].astype(str).str.startswith("CA-").any() else "conic conformal")  # fmt: skip
        if geo["projection_type"] == "albers usa":
            geo["scope"] = "usa"
    fig.update_layout(geo=geo)
    return _style(fig, height=460)


def sizing_chart(teams: pd.DataFrame) -> go.Figure:
    """Reps per team: capacity, the coverage floor and the affordability ceiling, with the recommendation."""
    named = teams[teams["motion"] != "digital"]
    data = named.iloc[::-1]  # plotly draws horizontal bars bottom-up
    names = [_short(str(t), 40) for t in data["team"]]
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
    return _style(fig, height=max(300, 80 * len(data) + 80))


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
    return _style(fig, height=380)


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
    return _style(fig, height=max(260, 70 * len(params) + 110))
