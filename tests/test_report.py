"""The executive report, Excel-ready CSVs, readable summary text and the territory places."""

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.export import UTF8_BOM
from segmentation.geo import locate, territory_summary
from segmentation.pipeline import run
from segmentation.report_html import (
    JARGON,
    chromium_path,
    executive_report,
    report_pdf,
    weighty_assumptions,
)
from segmentation.summary import inert

HOSTILE = [
    "<script>alert(1)</script>",
    "[click](https://evil.example/x)",
    "![img](http://evil.example/a.png)",
    "www.evil.example",
    "ceo@evil.example",
    '"><img src=http://evil.example/p.gif>',
]


def _small_file(tmp_path):
    # Too small to cluster (firmographic tiers), with names and industries a CRM could hold.
    rows = ["Account ID,Account Name,Industry,Employees,Annual Revenue,Country,State"]
    for i in range(12):
        name = HOSTILE[i % len(HOSTILE)].replace('"', '""')
        rows.append(
            f'A{i:03d},"{name} Zürich {i}","{HOSTILE[(i + 1) % len(HOSTILE)].replace(chr(34), chr(34) * 2)}",'
            f"{50 * (i + 1)},{1_000_000 * (i + 1)},United States,CA"
        )
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hostile_run(tmp_path):
    return run(_small_file(tmp_path))


def _runs(request, name):
    return request.getfixturevalue(name)


class _Tags(HTMLParser):
    """Every tag and attribute of a page, as the browser parses it (escaped text is not a tag)."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


@pytest.mark.parametrize("which", ["sample_run", "hostile_run"])
def test_report_requests_nothing_from_outside(request, which):
    page = executive_report(_runs(request, which))
    tags = _Tags()
    tags.feed(page)
    # Nothing that loads or links: no scripts, images, frames, stylesheets or anchors at all...
    assert not tags.tags & {
        "script",
        "img",
        "link",
        "iframe",
        "a",
        "object",
        "embed",
        "image",
        "use",
    }
    # ...and no attribute that names another host (the SVG namespace is an identifier, not a fetch).
    for name, value in tags.attrs:
        if name == "xmlns":
            continue
        assert not re.search(r"(https?:)?//", value, re.IGNORECASE), (name, value)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page.split("</style>")[0], re.IGNORECASE)
    assert "default-src 'none'" in page  # and the page forbids any request a later edit adds


@pytest.mark.parametrize("which", ["sample_run", "hostile_run"])
def test_report_has_no_jargon(request, which):
    page = executive_report(_runs(request, which))
    text = re.sub(r"<[^>]+>", " ", page.split("</style>")[1])
    for word in ("silhouette", "ARI", "KMeans", "bootstrap", *JARGON):
        assert not re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.IGNORECASE), (
            word
        )


def test_report_shows_customer_text_as_text(hostile_run):
    page = executive_report(hostile_run)
    # The industry labels reach the page in a data note: as text, never as a tag or a link.
    assert "&quot;&gt;&lt;img src=http://evil.example/p.gif&gt;" in page
    assert "<script>" not in page and "<img" not in page
    assert "[click](https://evil.example/x)" in page  # shown as written, not a link


def test_report_covers_what_a_vp_asks(sample_run):
    page = executive_report(sample_run)
    for heading in (
        "The market", "The recommended organisation", "What changes for the current reps",
        "The assumptions that matter most",
    ):  # fmt: skip
        assert f"<h2>{heading}</h2>" in page
    for team in sample_run.team_plan.plan.teams["team"]:
        assert str(team).replace("&", "&amp;") in page
    assert "@media print" in page and "<svg" in page


def test_weighty_assumptions_are_low_confidence_rules(sample_run):
    weighty = weighty_assumptions(sample_run)
    frame = sample_run.playbook.to_frame().set_index("id")
    assert len(weighty) > 0
    assert (frame.loc[weighty["id"], "confidence"] == "LC").all()
    assert weighty["accounts"].is_monotonic_decreasing


def test_run_files_include_the_report(sample_run):
    files = sample_run.files()
    assert files["report.html"].decode("utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.skipif(chromium_path() is None, reason="no local Chromium to print with")
def test_pdf_is_printed_locally(sample_run):
    pdf = report_pdf(executive_report(sample_run))
    assert pdf is not None and pdf.startswith(b"%PDF")


def test_excel_csv_keeps_non_ascii_names(hostile_run):
    plain, excel = hostile_run.files(), hostile_run.files(excel_csv=True)
    for name in ("assignments.csv", "segments.csv", "teams.csv"):
        assert not plain[name].startswith(UTF8_BOM)  # the CLI contract's bytes, unchanged
        assert excel[name] == UTF8_BOM + plain[name]
    assert "Zürich" in excel["assignments.csv"].decode("utf-8-sig")
    assert excel["report.json"] == plain["report.json"]


@pytest.mark.parametrize("flag, bom", [([], False), (["--excel-csv"], True)])
def test_cli_excel_csv_flag(tmp_path, flag, bom):
    out = tmp_path / "out"
    assert main(["run", str(_small_file(tmp_path)), "--out", str(out), *flag]) == 0
    assert (out / "assignments.csv").read_bytes().startswith(UTF8_BOM) is bom
    assert (out / "report.html").is_file()


@pytest.mark.parametrize(
    "text, plain",
    [
        ("Acme, Inc.", True),
        ("Healthcare & Life Sciences", True),
        ("sample_accounts.csv", True),
        ("Enterprise customers · ~$193K deals", True),
        ("Field · Farmers: 17 segment(s), 535 accounts.", True),
        ("a *b*", False),
        ("_x_", False),
        ("[x](http://evil.example)", False),
        ("http://evil.example", False),
        ("www.evil.example", False),
        ("ceo@evil.example", False),
        ("<b>bold</b>", False),
        ("from $1 to $2", False),
        ("a|b", False),
        ("AT&amp;T", False),
        ("Ops :rocket: team", False),
        ("Region: EMEA", True),
    ],
)
def test_summary_text_is_plain_unless_markdown_would_act(text, plain):
    assert (inert(text) == text) is plain
    if not plain:  # escaped: no live link, tag or markup survives
        out = inert(text)
        assert "://" not in out and "<" not in out and "@" not in out


@pytest.mark.parametrize(
    "country, region, code, sub",
    [
        ("United States", "CA", "USA", "US-CA"),
        ("U.S.A.", "California", "USA", "US-CA"),
        ("USA", "Georgia", "USA", "US-GA"),
        ("Georgia", None, "GEO", None),
        (None, "Ontario", "CAN", "CA-ON"),
        ("Canada", "QC", "CAN", "CA-QC"),
        ("Deutschland", "Bayern", "DEU", None),
        ("UK", "England", "GBR", None),
        (None, "TX", "USA", "US-TX"),
        ("Atlantis", "CA", None, None),
        (None, None, None, None),
    ],
)
def test_places_are_matched_or_left_out(country, region, code, sub):
    frame = locate(pd.Series([country], dtype="str"), pd.Series([region], dtype="str"))
    got = frame.iloc[0]
    assert (None if pd.isna(got["country"]) else got["country"]) == code
    assert (None if pd.isna(got["subdivision"]) else got["subdivision"]) == sub


def test_territory_summary_counts_every_account():
    book = pd.DataFrame(
        {
            "country": ["United States", "USA", "Canada", "Atlantis", None],
            "region": ["NY", "CA", "ON", "", ""],
            "team": ["A", "A", "B", "A", "B"],
            "value": [100.0, 300.0, 200.0, 50.0, 10.0],
        }
    )
    rep = pd.Series(["r1", "r1", "r2", "r1", "r2"], dtype="str")
    places = territory_summary(book, rep)
    assert places.countries["accounts"].sum() + places.unplaced == len(book)
    assert places.unplaced == 2 and places.examples == ["Atlantis"]
    usa = places.countries.set_index("code").loc["USA"]
    assert (usa["accounts"], usa["value"], usa["reps"], usa["team"]) == (2, 400.0, 1, "A")
    assert set(places.subdivisions["code"]) == {"US-NY", "US-CA", "CA-ON"}
    assert "2 accounts are not on the map" in places.warnings[0]


@pytest.mark.parametrize(
    "values, expected",
    [
        ([5e6, 20e6, 1.03e9], (1e9, "$%.2fB")),  # $1.03B, not $1030.0M
        ([5e3, 2e4, 3e4], (1e3, "$%.1fK")),
        ([1e3, 1e3, 999.9e6], (1e6, "$%.2fM")),  # $0.00B would hide the small ones
    ],
)
def test_money_column_never_reads_a_thousand_of_its_unit(values, expected):
    from segmentation.ui.tables import money_format

    assert money_format(values) == expected
    assert money_format(values, "€")[1] == expected[1].replace("$", "€")


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (25_000, "USD", "$25,000"),
        (500_000, "USD per rep per year", "$500,000 per rep per year"),
        (0.5, "share of accounts", "50% of accounts"),
        (0.001, "share of annual revenue", "0.1% of annual revenue"),
        (4, "months", "4 months"),
        (0, "flag", "no"),
        (20, "accounts per rep", "20 accounts per rep"),
    ],
)
def test_playbook_values_read_in_their_unit(value, unit, text):
    from segmentation.summary import value_in_unit

    assert value_in_unit(value, unit) == text


@pytest.mark.parametrize("count, lines", [(2, 4), (3, 3), (40, 3)])
def test_per_rep_warnings_are_grouped(count, lines):
    from segmentation.summary import group_warnings

    notes = ["first", *(
        f"Rep {i} loses 10 of 20 accounts (50%, above the 25% per-quarter guideline): phase the change."
        for i in range(count)
    ), "last"]  # fmt: skip
    grouped = group_warnings(notes)
    assert grouped[0] == "first" and grouped[-1] == "last"
    assert len(grouped) == (count + 2 if count < 3 else lines)
    if count >= 3:
        assert grouped[1].startswith(f"{count} reps would lose more than 25% of their accounts")


class _Swap:
    """A run with some attributes replaced (the plan as another helper's headcount model shapes it)."""

    def __init__(self, base, **parts):
        self._base = base
        self.__dict__.update(parts)

    def __getattr__(self, name):
        return getattr(self._base, name)


@pytest.mark.parametrize("with_money", [False, True])
def test_cost_and_hiring_appear_only_when_the_plan_has_them(sample_run, with_money):
    plan = sample_run.team_plan.plan
    teams = plan.teams
    # Without: a plan from before the headcount model (no money columns, no hiring table).
    teams = teams.drop(columns=["bookings", "cost", "cost_of_sales"], errors="ignore")
    extra = {"hiring": None}
    if with_money:
        teams = teams.assign(
            bookings=teams["headcount"] * 900_000.0,
            cost=teams["headcount"] * 250_000.0,
            cost_of_sales=0.28,
        )
        extra["hiring"] = pd.DataFrame(
            {"team": ["Field · Farmers"] * 2, "month": [1, 2], "hires": [3.0, 1.0],
             "reps": [20.0, 21.0], "ramped_reps": [18.0, 19.0], "capacity": [1e6, 1.1e6],
             "bookings_target": [1.2e6, 1.2e6]}
        )  # fmt: skip
    fake_plan = _Swap(plan, teams=teams, **extra)
    fake = _Swap(sample_run, team_plan=_Swap(sample_run.team_plan, plan=fake_plan))
    page = executive_report(fake)
    assert ("Yearly cost" in page) is with_money
    assert ("yearly cost of the reps" in page) is with_money
    assert ("<h3>Hiring plan</h3>" in page) is with_money
    if with_money:
        assert "28%" in page and "Reps after 2 months" in page


@pytest.mark.parametrize(
    "units, symbol",
    [
        (None, "$"),
        ({"deal_size": {"currency": "EUR"}}, "€"),
        ({"annual_revenue": {"currency": "GBP"}}, "£"),
        ({"deal_size": {"currency": "CHF"}}, "CHF "),
        ({"deal_size": {"currency": None}}, "$"),
    ],
)
def test_money_uses_the_files_currency(sample_run, units, symbol):
    from segmentation.report_html import currency_symbol

    prepared = _Swap(sample_run.loaded.prepared, units=units)
    fake = _Swap(sample_run, loaded=_Swap(sample_run.loaded, prepared=prepared))
    assert currency_symbol(fake) == symbol
    page = executive_report(fake)
    assert re.search(
        re.escape(symbol) + r"\d[\d.]*[KMB]</td>", page
    )  # typical deals in that currency
    if symbol != "$":
        assert not re.search(r"\$\d[\d.]*[KMB]</td>", page)


def test_territory_map_shows_team_names_as_text():
    from segmentation.ui.charts.territory import territory_map

    places = pd.DataFrame(
        {"code": ["USA"], "place": ["United States"], "lat": [39.5], "lon": [-99.0],
         "accounts": [3], "value": [1e6], "reps": [1], "rep_equivalents": [1.0],
         "team": ['<a href="https://evil.example">Field</a>'], "team_share": [1.0],
         "value_per_rep": [1e6], "balance": [1.0]}
    )  # fmt: skip
    fig = territory_map(places, {'<a href="https://evil.example">Field</a>': "#123456"})
    assert "<a " not in fig.data[0].name and "<a " not in fig.data[0].text[0]
    assert "&lt;a href" in fig.data[0].text[0]
