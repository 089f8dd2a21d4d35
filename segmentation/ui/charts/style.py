"""Colours and layout every chart shares: one colour per customer type, the app's font, margins.

Each customer type keeps one colour on every chart (:func:`type_colors`): the map of accounts,
the treemap, the team mix and every rep's book.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE: tuple[str, ...] = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2",
    "#B279A2", "#EECA3B", "#9D755D", "#FF9DA6", "#2F4B7C",
    "#A05195", "#665191", "#D45087", "#00A6A6", "#8C6D31",
)  # fmt: skip
"""Customer-type colours in rank order (Tableau 10, then more); no grey: grey means "other"."""
FONT = "Source Sans, Source Sans Pro, Helvetica Neue, Arial, sans-serif"


def type_colors(names: pd.Series | list[str]) -> dict[str, str]:
    """A fixed colour per customer type, in the order the engine ranks them."""
    ordered = list(dict.fromkeys(str(n) for n in names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(ordered)}


def style_figure(fig: go.Figure, height: int = 380, legend: bool = True) -> go.Figure:
    """The app's look on a figure: white template, its font, tight margins, legend on top.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Changed in place.
    height : int
        In pixels.
    legend : bool
        Whether to show the legend (horizontal, above the plot).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``.
    """
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


def shorten(name: str, limit: int = 28) -> str:
    """A label cut to ``limit`` characters with an ellipsis, so long names keep axes readable.

    Parameters
    ----------
    name : str
    limit : int

    Returns
    -------
    str
    """
    return name if len(name) <= limit else name[: limit - 1] + "…"
