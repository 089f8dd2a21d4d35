"""The executive report: one self-contained HTML page a VP reads, prints to PDF and forwards.

Written for a sales leader, not an analyst: what the market looks like, the recommended
organisation with its headcount (and cost and hiring when the plan has them), what changes for
the current reps, and the assumptions that carry the most weight. The technical detail (scores,
tests, every rule) stays in ``report.json``; :data:`JARGON` lists the words this page never uses.

The page needs nothing from outside: styles are inline, charts are inline SVG, there are no
scripts, images, fonts or links. Every text that comes from the customer's files (account,
team, vertical and customer-type names, warnings quoting them) is HTML-escaped, so it reads as
itself and can never become a tag or a link.
"""

from __future__ import annotations

import html
import http.server
import math
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from segmentation.naming import format_money
from segmentation.summary import group_warnings, playbook_changes, value_in_unit

if TYPE_CHECKING:
    from segmentation.run_result import Run

JARGON: tuple[str, ...] = (
    "silhouette", "ARI", "KMeans", "k-means", "bootstrap", "p-value", "Bonferroni",
    "Mann-Whitney", "chi-square", "Cramer", "Cramér", "TF-IDF", "cluster",
)  # fmt: skip
"""Words the executive report never prints (they belong in report.json)."""

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}

MAX_ROWS = 12
"""Rows of a table before the rest is summed up in one line (the page stays a few pages long)."""

MAX_REPS = 30
"""Reps listed by name; a larger team's remaining reps are counted (all are in the workbook)."""

MAX_NOTES = 6
"""Data notes shown; the rest are counted (all are in report.json)."""

_STYLE = """
:root { --ink: #1d2733; --muted: #5b6672; --accent: #1f4e79; --rule: #d9dee4; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; font-size: 15px; }
h1 { color: var(--accent); font-size: 1.9rem; margin: 0 0 .2rem; }
h2 { color: var(--accent); font-size: 1.3rem; border-bottom: 2px solid var(--accent);
     padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.lead { color: var(--muted); margin-top: 0; }
.kpis { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1.2rem 0; }
.kpi { border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .9rem; min-width: 9rem; flex: 1; }
.kpi b { display: block; font-size: 1.5rem; color: var(--accent); }
.kpi span { color: var(--muted); font-size: .85rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.note { color: var(--muted); font-size: .88rem; }
.callout { background: #f3f7fb; border-left: 4px solid var(--accent); padding: .6rem .9rem; margin: 1rem 0; }
.warn { background: #fff8e6; border-left: 4px solid #d4a017; padding: .6rem .9rem; margin: 1rem 0; }
svg { max-width: 100%; height: auto; }
svg text { font-family: "Segoe UI", Helvetica, Arial, sans-serif; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, svg, .kpis, .callout, .warn { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; }
  section { break-before: auto; }
}
"""


def currency_symbol(run) -> str:
    """The symbol money is shown with: the file's currency when it names one, else ``$``.

    Parameters
    ----------
    run : segmentation.run_result.Run or segmentation.pipeline.LoadedAccounts

    Returns
    -------
    str
        ``$``, ``€``, ``£``... or the ISO code and a space (``CHF ``) for other currencies.
    """
    loaded = getattr(run, "loaded", run)
    units = getattr(loaded.prepared, "units", None) or {}
    for name in ("deal_size", "annual_revenue"):
        entry = units.get(name) if isinstance(units, dict) else None
        code = entry.get("currency") if isinstance(entry, dict) else None
        if code:
            return CURRENCY_SYMBOLS.get(str(code).upper(), f"{code} ")
    return "$"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _money(value: float, symbol: str) -> str:
    return format_money(value, missing="—").replace("$", symbol, 1)


def _num(value: float, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{decimals}f}"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    # Cells arrive escaped (or built from numbers): the table adds no text of its own.
    head = "".join(
        f"<th{' class=num' if i in numeric else ''}>{h}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join(
            f'<td{" class=num" if i in numeric else ""}>{cell}</td>' for i, cell in enumerate(row)
        ) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart_svg(
    labels: list[str], values: list[float], texts: list[str], *, title: str, color: str = "#1f4e79"
) -> str:
    """A horizontal bar chart as inline SVG (no script, prints as vectors).

    Parameters
    ----------
    labels : list of str
        Bar names (escaped here; long names are shortened, the full name is the bar's tooltip).
    values : list of float
        Bar lengths.
    texts : list of str
        What each bar reads at its end (escaped here).
    title : str
        The chart's accessible name.
    color : str

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    label_w, bar_w, row_h, text_w = 260, 380, 26, 110
    width, height = label_w + bar_w + text_w, row_h * len(labels) + 10
    top = max([v for v in values if np.isfinite(v)] + [0.0]) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">'
    ]
    for i, (label, value, text) in enumerate(zip(labels, values, texts)):
        y = 5 + i * row_h
        short = label if len(label) <= 38 else label[:37] + "…"
        length = (
            0.0 if not np.isfinite(value) else max(value / top * bar_w, 1.0 if value > 0 else 0.0)
        )
        parts.append(
            f'<g><title>{_e(label)}</title>'
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1d2733">{_e(short)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" fill="{color}" rx="2"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 17}" font-size="12" fill="#5b6672">{_e(text)}</text></g>'
        )  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _plain(note: str) -> bool:
    """True when a note has none of the :data:`JARGON` words (whole words, any case)."""
    return not any(
        re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", note, re.IGNORECASE)
        for word in JARGON
    )


def executive_report(run: Run) -> str:
    """The executive report of a run, as one self-contained HTML page.

    Parameters
    ----------
    run : segmentation.run_result.Run

    Returns
    -------
    str
        HTML with inline styles and SVG charts; no scripts and no external references.
    """
    sym = currency_symbol(run)
    accounts = run.loaded.accounts
    seg = run.segmentation
    plan = run.team_plan.plan
    teams = plan.teams
    reps_total = int(teams["headcount"].sum())
    verdict = str(seg.types.quality.get("verdict", ""))
    clarity = {
        "strong": "The market splits into clearly different customer types: plan coverage around them.",
        "moderate": "The customer types are real but overlap at the edges: use them as a guide.",
        "weak": "The customer types overlap a lot: treat them as rough groupings and lean on "
        "size and status.",
        "tiers": "The file is small, so customers are grouped by company size (enterprise, "
        "mid-market, small business) rather than by patterns in the data.",
    }.get(verdict, "")
    cost = _col_sum(teams, "cost")
    bookings = _col_sum(teams, "bookings")

    kpis = [
        (_num(len(accounts)), "accounts planned"),
        (_num(int(seg.types.quality.get("k", len(seg.types.table)))), "customer types"),
        (_num(len(seg.verticals.table)), "industries (verticals)"),
        (_num(len(teams)), "teams"),
        (_num(reps_total), "reps recommended"),
    ]
    if cost is not None:
        kpis.append((_money(cost, sym), "yearly cost of the reps"))
    if bookings is not None:
        kpis.append((_money(bookings, sym), "yearly bookings the plan expects"))

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No request may leave the page: the policy blocks any that a future edit might add.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        "<title>Sales coverage plan</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<header><h1>Sales coverage plan</h1>",
        f'<p class="lead">From {_e(run.loaded.read_info.source_name)}: '
        f"{_num(len(accounts))} accounts.</p></header>",
        '<div class="kpis">'
        + "".join(f"<div class=kpi><b>{v}</b><span>{_e(k)}</span></div>" for v, k in kpis)
        + "</div>",
    ]
    out += _market(run, sym, clarity)
    out += _organisation(run, sym)
    out += _reps(run, sym)
    out += _assumptions(run)
    out += _notes(run)
    out += [
        '<p class="note">The full detail behind this page (how the customer types were found and '
        "how firm they are, every rule with its source) is in report.json and the Excel "
        "workbook.</p>",
        "</body></html>",
    ]
    return "\n".join(out) + "\n"


def _col_sum(frame: pd.DataFrame, column: str) -> float | None:
    if column not in frame.columns:
        return None
    values = pd.to_numeric(frame[column], errors="coerce")
    return float(values.sum()) if values.notna().any() else None


def _market(run: Run, sym: str, clarity: str) -> list[str]:
    seg = run.segmentation
    types = seg.types.table
    out = ["<section><h2>The market</h2>"]
    if clarity:
        out.append(f'<div class="callout">{_e(clarity)}</div>')
    out.append("<h3>Customer types</h3>")
    out.append(
        bar_chart_svg(
            [str(n) for n in types["customer_type"]],
            types["accounts"].astype(float).tolist(),
            [f"{int(a):,} ({s:.0%})" for a, s in zip(types["accounts"], types["share"])],
            title="Accounts per customer type",
        )
    )
    rows = []
    for row in types.itertuples(index=False):
        rows.append([
            _e(row.customer_type), _num(row.accounts), f"{row.share:.0%}",
            _num(getattr(row, "median_employees", np.nan)),
            _money(getattr(row, "median_revenue", np.nan), sym),
            _money(getattr(row, "median_deal_size", np.nan), sym),
        ])  # fmt: skip
    out.append(_table(
        ["Customer type", "Accounts", "Share", "Typical employees", "Typical revenue", "Typical deal"],
        rows, numeric={1, 2, 3, 4, 5},
    ))  # fmt: skip
    verticals = seg.verticals.table
    if len(verticals):
        out.append("<h3>Industries</h3>")
        top = verticals.head(MAX_ROWS)
        rows = [
            [_e(r.vertical), _num(r.accounts), f"{r.share:.0%}"]
            for r in top.itertuples(index=False)
        ]
        if len(verticals) > len(top):
            rest = verticals.iloc[len(top) :]
            rows.append(
                [f"{len(rest)} more", _num(rest["accounts"].sum()), f"{rest['share'].sum():.0%}"]
            )
        out.append(_table(["Industry", "Accounts", "Share"], rows, numeric={1, 2}))
    out.append("</section>")
    return out


_MOTION_WORDS = {
    "field": "field (in person)", "inside": "inside (phone and video)", "digital": "self-serve",
}  # fmt: skip
_ROLE_WORDS = {
    "hunter": "win new customers", "farmer": "grow current customers",
    "generalist": "win and grow",
}  # fmt: skip


def _organisation(run: Run, sym: str) -> list[str]:
    teams = run.team_plan.plan.teams
    out = ["<section><h2>The recommended organisation</h2>"]
    by_motion = teams.groupby("motion")["headcount"].sum()
    parts = [
        f"{int(by_motion.get(m, 0)):,} {w}{'s' if by_motion.get(m, 0) != 1 else ''}"
        for m, w in (("field", "field rep"), ("inside", "inside rep"))
        if by_motion.get(m, 0) > 0
    ]  # fmt: skip
    digital = teams.loc[teams["motion"] == "digital", "accounts"].sum()
    reps = int(teams["headcount"].sum())
    text = f"{reps:,} {'rep' if reps == 1 else 'reps'} in {len(teams)} {'team' if len(teams) == 1 else 'teams'}"
    if parts:
        text += ": " + " and ".join(parts)
    if digital:
        text += f"; {int(digital):,} accounts are served self-serve, without a named rep"
    out.append(f'<div class="callout">{_e(text)}.</div>')
    shown = teams[teams["headcount"] > 0]
    if len(shown):
        out.append(bar_chart_svg(
            [str(t) for t in shown["team"]], shown["headcount"].astype(float).tolist(),
            [f"{int(h)} rep{'s' if h != 1 else ''}" for h in shown["headcount"]], title="Reps per team",
            color="#2e86c1",
        ))  # fmt: skip
    extra = [c for c in ("bookings", "cost", "cost_of_sales") if c in teams.columns]
    headers = ["Team", "How it sells", "Focus", "Accounts", "Reps", "Accounts per rep"] + [
        {"bookings": "Yearly bookings", "cost": "Yearly cost", "cost_of_sales": "Cost of sales"}[c]
        for c in extra
    ]
    rows = []
    for row in teams.itertuples(index=False):
        cells = [
            _e(row.team), _e(_MOTION_WORDS.get(str(row.motion), row.motion)),
            _e(_ROLE_WORDS.get(str(row.role), row.role)), _num(row.accounts), _num(row.headcount),
            _num(row.accounts / row.headcount) if row.headcount else "—",
        ]  # fmt: skip
        for col in extra:
            value = getattr(row, col)
            cells.append(
                f"{value:.0%}" if col == "cost_of_sales" and pd.notna(value) else _money(value, sym)
            )
        rows.append(cells)
    out.append(_table(headers, rows, numeric=set(range(3, len(headers)))))
    out += _hiring(run)
    out.append("</section>")
    return out


def _hiring(run: Run) -> list[str]:
    hiring = getattr(run.team_plan.plan, "hiring", None)
    if not isinstance(hiring, pd.DataFrame) or hiring.empty or "hires" not in hiring.columns:
        return []
    per_team = hiring.groupby("team", sort=False).agg(
        hires=("hires", "sum"), reps=("reps", "last"), months=("month", "max")
    )
    rows = [
        [_e(team), _num(r.hires, 1 if r.hires % 1 else 0), _num(r.reps, 1 if r.reps % 1 else 0)]
        for team, r in per_team.iterrows()
    ]
    months = int(per_team["months"].max()) if len(per_team) else 12
    return [
        "<h3>Hiring plan</h3>",
        f'<p class="note">Hires over the next {months} months, new seats and backfills for '
        "reps who leave, and the reps in seat at the end.</p>",
        _table(["Team", "Hires", f"Reps after {months} months"], rows, numeric={1, 2}),
    ]


def _reps(run: Run, sym: str) -> list[str]:
    out = ["<section><h2>What changes for the current reps</h2>"]
    territories = run.team_plan.territories
    owners = run.loaded.accounts["owner"] if "owner" in run.loaded.accounts.columns else None
    known = int(owners.notna().sum()) if owners is not None else 0
    if territories is None:
        text = "No rep list was given, so no account has a named rep yet. " + (
            f"{known:,} accounts have an owner today; with the rep list, the plan keeps "
            "each with their owner wherever the team and a fair split allow."
            if known
            else "The file names no current owners."
        )
        out.append(f'<div class="callout">{_e(text)}</div></section>')
        return out
    reps = territories.reps
    moved = territories.disruption
    kept = int(reps["kept"].sum()) if "kept" in reps.columns else 0
    text = (
        f"{len(reps):,} reps. {kept:,} accounts stay with their current owner; "
        f"{len(moved):,} change owner"
        + (
            f" ({_money(float(moved['value'].sum()), sym)} of yearly potential)"
            if len(moved)
            else ""
        )
        + "."
    )
    out.append(f'<div class="callout">{_e(text)}</div>')
    cols = [c for c in ("kept", "moved_in", "moved_out") if c in reps.columns]
    ordered = reps.sort_values(cols[-1], ascending=False) if cols else reps
    rows = [
        [_e(r["rep"]), _e(r["team"]), _num(r["accounts"]), _money(r["value"], sym)]
        + [_num(r[c]) for c in cols]
        for _, r in ordered.head(MAX_REPS).iterrows()
    ]
    labels = {"kept": "Kept", "moved_in": "New to them", "moved_out": "Handed on"}
    out.append(_table(
        ["Rep", "Team", "Accounts", "Yearly potential", *[labels[c] for c in cols]],
        rows, numeric=set(range(2, 4 + len(cols))),
    ))  # fmt: skip
    if len(reps) > MAX_REPS:
        rest = len(reps) - MAX_REPS
        out.append(
            f'<p class="note">{rest} more {"rep" if rest == 1 else "reps"} in the Excel workbook.</p>'
        )
    warnings = [w for w in group_warnings(territories.warnings) if _plain(w)]
    if warnings:
        out.append(
            '<div class="warn"><ul>'
            + "".join(f"<li>{_e(w)}</li>" for w in warnings[:MAX_NOTES])
            + "</ul></div>"
        )
    out.append("</section>")
    return out


def weighty_assumptions(run: Run, limit: int = 8) -> pd.DataFrame:
    """The low-confidence rules behind the most accounts' recommendations.

    Parameters
    ----------
    run : segmentation.run_result.Run
    limit : int

    Returns
    -------
    pandas.DataFrame
        ``id, label, value, unit, accounts`` (accounts whose segment's recommendation used the
        rule), most accounts first.
    """
    segments = run.team_plan.plan.segments
    frame = run.playbook.to_frame()
    low = frame[frame["confidence"] == "LC"].set_index("id")
    weight: dict[str, int] = {}
    for rules, count in zip(segments.get("rules", []), segments["accounts"]):
        names = rules if isinstance(rules, (list, tuple)) else str(rules).split(",")
        for name in (n.strip() for n in names):
            if name in low.index:
                weight[name] = weight.get(name, 0) + int(count)
    ranked = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return pd.DataFrame(
        [
            {"id": rid, "label": low.at[rid, "label"], "value": low.at[rid, "value"],
             "unit": low.at[rid, "unit"], "accounts": n}
            for rid, n in ranked
        ],
        columns=["id", "label", "value", "unit", "accounts"],
    )  # fmt: skip


def _assumptions(run: Run) -> list[str]:
    out = ["<section><h2>The assumptions that matter most</h2>"]
    weighty = weighty_assumptions(run)
    if len(weighty):
        out.append(
            "<p>These settings are our own estimates, not published figures, and they shape "
            "the recommendation for many accounts. Check them against your own numbers: each "
            "can be changed on the app's Team plan page.</p>"
        )
        rows = [
            [_e(r.label), f"{_e(_value_text(r.value, r.unit))}", _num(r.accounts)]
            for r in weighty.itertuples(index=False)
        ]
        out.append(_table(["Assumption", "Value used", "Accounts it shapes"], rows, numeric={2}))
    changed = playbook_changes(run.playbook)
    if changed:
        out.append("<h3>Changed from the defaults</h3><ul>")
        out += [
            f"<li>{_e(rule.label)}: {_e(_value_text(rule.value, rule.unit))} "
            f"(default {_e(_value_text(default, rule.unit))})</li>"
            for rule, default in changed
        ]
        out.append("</ul>")
    out.append("</section>")
    return out


def _value_text(value: float, unit: str) -> str:
    return value_in_unit(value, unit)


def _notes(run: Run) -> list[str]:
    notes = [n for n in run.warnings if _plain(n)]
    if not notes:
        return []
    shown = notes[:MAX_NOTES]
    out = ["<section><h2>About the data</h2><ul>"]
    out += [f"<li>{_e(n)}</li>" for n in shown]
    out.append("</ul>")
    if len(notes) > len(shown):
        out.append(f'<p class="note">{len(notes) - len(shown)} more notes in report.json.</p>')
    out.append("</section>")
    return out


def chromium_path() -> str | None:
    """A headless Chromium (or Chrome) on this machine, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def report_pdf(page: str, *, timeout: float = 120.0) -> bytes | None:
    """Print the report to PDF with a local headless Chromium; ``None`` when there is none.

    Parameters
    ----------
    page : str
        The HTML of :func:`executive_report`.
    timeout : float
        Seconds before giving up (then ``None``).

    Returns
    -------
    bytes or None
    """
    browser = chromium_path()
    if browser is None:
        return None
    # The page is served once from memory on the loopback interface, at a random path, and the
    # PDF comes back on stdout: the report (customer names) never touches the disk nor the
    # process list. (Chromium reads a file:// URL by its size and extension, so neither a pipe
    # nor an in-memory file works.) The profile folder holds only the browser's own state.
    body = page.encode("utf-8")
    token = secrets.token_urlsafe(16)

    class _Once(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # the http.server API names it so
            if self.path != f"/{token}/report.html":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # nothing about the request reaches a log
            pass

    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Once)
    except OSError:
        return None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory(prefix="segmentation-pdf-") as profile:
            command = [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-extensions", f"--user-data-dir={profile}", "--print-to-pdf=/dev/stdout",
                f"http://127.0.0.1:{server.server_address[1]}/{token}/report.html",
            ]  # fmt: skip
            try:
                done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
            except (OSError, subprocess.TimeoutExpired):
                return None
    finally:
        server.shutdown()
        server.server_close()
    pdf = done.stdout
    start = pdf.find(b"%PDF-")
    return pdf[start:] if start >= 0 and b"%%EOF" in pdf[-1024:] else None
