"""Charts of the Segments page: the map of accounts, the segment treemap, the choice of k.

What the customer types are and how their number was chosen; plotly only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from segmentation.naming import format_money
from segmentation.ui.charts.style import shorten, style_figure

MAP_POINTS = 3000
"""Most points the map of accounts sends to the browser."""


def customer_type_map(
    embedding: pd.DataFrame, colors: dict[str, str], *, max_points: int = MAP_POINTS, seed: int = 0
) -> go.Figure:
    """Accounts on a 2-D projection of their features, coloured by customer type.

    Parameters
    ----------
    embedding : pandas.DataFrame
        Columns ``x``, ``y``, ``customer_type`` (already sampled by the engine).
    colors : dict of str to str
        From :func:`~segmentation.ui.charts.style.type_colors`.
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
                x=part["x"], y=part["y"], mode="markers", name=shorten(name, 40),
                marker={"color": color, "size": 5, "opacity": 0.55},
                hovertemplate=f"{name}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(showticklabels=False, title=None, zeroline=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, title=None, zeroline=False, showgrid=False)
    fig = style_figure(fig, height=400)
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
    return style_figure(fig, height=440, legend=False)


def _mark_chosen_k(fig: go.Figure, selection: pd.DataFrame, quality: dict | None) -> None:
    # The k the model chose: from the curve's own flag, else from the quality report.
    chosen = []
    if "chosen" in selection:
        chosen = selection.loc[selection["chosen"].astype(bool), "k"].astype(int).tolist()
    elif quality is not None:
        chosen = [int(quality["k"])]
    # The label sits at the foot of the line: at its top it ran into the legend above the plot.
    for value in chosen:
        fig.add_vline(
            x=value, line_dash="dash", line_color="#555555",
            annotation_text=f"chosen: {value}", annotation_position="bottom right",
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
    fig = style_figure(fig, height=340)
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
    fig = style_figure(fig, height=340)
    fig.update_layout(margin={"t": 40})
    return fig
