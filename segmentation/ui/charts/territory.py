"""Charts of the Territories page: each rep's book and the territory map.

How accounts and value fall to reps and places; plotly only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from segmentation.naming import format_money
from segmentation.ui.charts.style import shorten, style_figure


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
            go.Bar(x=order, y=part["value"], name=shorten(name, 40), marker_color=color,
                   legendgroup=name, customdata=money,
                   hovertemplate=f"%{{x}}<br>{name}: %{{customdata}}<extra></extra>"),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Bar(x=order, y=part["accounts"], name=shorten(name, 40), marker_color=color,
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
    fig = style_figure(fig, height=540, legend=False)
    fig.update_layout(margin={"t": 30})
    return fig


def _rep_label(rep: str) -> str:
    # Placeholder reps are "<team> rep N": the team is already chosen, keep "rep N".
    _, sep, tail = str(rep).rpartition(" rep ")
    return f"rep {tail}" if sep and tail.isdigit() else str(rep)


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
                    name=html.escape(shorten(team, 40)),
                    showlegend=True, text=hover, hovertemplate="%{text}<extra></extra>",
                )
            )  # fmt: skip
        else:
            fig.add_trace(
                go.Scattergeo(
                    lat=part["lat"], lon=part["lon"], mode="markers",
                    name=html.escape(shorten(team, 40)),
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
    return style_figure(fig, height=460)
