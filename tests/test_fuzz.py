"""Fuzzing: whatever a user uploads, the engine returns a plan that keeps its promises or says
what is wrong with an :class:`~segmentation.errors.InputError` — nothing else escapes.

Arbitrary bytes, broken workbooks and arbitrary DataFrames (mixed types, NaN, empty strings,
huge and negative numbers, unicode, formula triggers) go through reading, mapping, cleaning and
the whole pipeline (:func:`segmentation.pipeline.run` on CSV bytes). Example counts are bounded
and derandomized so the file runs in under a minute on a 2-core machine; set ``FUZZ_SCALE`` to
explore (see :data:`SCALE`). Each bug the fuzzing found has a regression test at the end.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import math
import os
import re
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from segmentation.cells import guard_text, unguard_text
from segmentation.errors import InputError
from segmentation.export import excel_workbook, to_csv_bytes
from segmentation.fields import FIELD_NAMES, STATUSES
from segmentation.ingest import read_table
from segmentation.json_report import report_json
from segmentation.pipeline import load_accounts, plan_teams, run, segment_accounts
from segmentation.playbook import load_playbook

MOTIONS = {"field", "inside", "digital"}
ROLES = {"hunter", "farmer", "generalist"}
TRIGGERS = "=+-@\t\r\n|%\x00＝＋－＠"
INVISIBLE = " \u00a0\u200b\u200c\u200d\u2060\ufeff"
EXECUTABLE = re.compile(f"^[{re.escape(INVISIBLE)}]*[{re.escape(TRIGGERS)}]")
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^-?inf$")

SCALE = float(os.environ.get("FUZZ_SCALE", "0"))
"""``FUZZ_SCALE=20 python -m pytest tests/test_fuzz.py`` searches twenty times longer, with fresh
random examples each run (and Hypothesis' example database). Unset, the suite runs a fixed,
derandomized set of examples: CI stays fast and never fails on a lucky draw; exploring is a
deliberate act, and what it finds becomes a regression test at the end of this file."""


def fuzz(examples: int) -> settings:
    """Bounded examples, no per-example deadline (a pipeline run takes a fraction of a second)."""
    explore = SCALE > 0
    return settings(
        max_examples=max(1, int(examples * (SCALE if explore else 1))),
        deadline=None,
        derandomize=not explore,
        database=settings.default.database if explore else None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- strategies

HEADERS = [
    "Account Name", "Account ID", "Industry", "Type", "Employees", "Annual Revenue",
    "Average Deal Size", "Account Owner", "Billing Country", "Billing State/Province",
    "Created Date", "Website", "Parent Account ID", "Notes", "Région", "=cmd", "Amount", "x",
]  # fmt: skip

_unicode = st.text(st.characters(blacklist_categories=("Cs",)), max_size=14)
_printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=14)
_numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e7),
    st.integers(min_value=0, max_value=50_000),
)
_tokens = st.sampled_from(
    [
        "", " ", "N/A", "null", "-", "999999", "-1", "1,234.00", "$1.2M", "USD 52,000.00",
        "1.234,56 €", "51-200", "10000+", "customer", "Prospect", "Former Customer", "partner",
        "2021-01-01", "13/02/2020", "6/7/2020", "Software", "Banking", "Retail", "hospital",
        "=1+1", "'=1+1", "@x", "－1", "\u200b=1", "Acme, Inc.", 'Say "hi"', "a\nb",
        "1e300", "9e307", "1e309", "-1e308", "NaN", "Infinity", "0", "0.0000001",
    ]
)  # fmt: skip
_cell = st.one_of(st.none(), _tokens, _printable, _unicode, _numbers)


@st.composite
def accounts_frames(draw, min_rows: int = 0, max_rows: int = 60) -> pd.DataFrame:
    """A CRM-like table: known and unknown headers, each column mostly one kind, some noise."""
    columns = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7, unique=True))
    if draw(st.booleans()):  # most real files have a name column
        columns = ["Account Name", *[c for c in columns if c != "Account Name"]]
    n = draw(st.integers(min_value=min_rows, max_value=max_rows))
    data = {}
    for column in columns:
        kind = draw(st.sampled_from([_numbers, _printable, _tokens, _numbers, _tokens, _unicode]))
        data[column] = draw(st.lists(st.one_of(kind, kind, kind, _cell), min_size=n, max_size=n))
    return pd.DataFrame(data, columns=columns, dtype=object)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


# --------------------------------------------------------------------------- invariants


def _executable(cell: str) -> bool:
    return bool(EXECUTABLE.match(cell)) and not NUMBER.match(cell)


def check_loaded(loaded) -> None:
    accounts = loaded.accounts
    assert list(accounts.columns) == list(FIELD_NAMES)
    assert len(accounts) == loaded.read_info.rows == len(loaded.raw)
    assert isinstance(accounts.index, pd.RangeIndex)
    assert accounts["account_id"].notna().all()
    for field in ("employees", "annual_revenue", "deal_size"):
        values = accounts[field].dropna()
        assert values.dtype == np.float64 and (values >= 0).all(), field
    assert set(accounts["status"].dropna()) <= set(STATUSES)


def check_run(result) -> None:
    check_loaded(result.loaded)
    accounts = result.loaded.accounts
    assignments = result.team_plan.assignments
    teams = result.team_plan.plan.teams
    # one assignment per account, in input order
    assert len(assignments) == len(accounts)
    assert assignments["account_id"].tolist() == accounts["account_id"].tolist()
    # every account in exactly one team, and that team is in the plan
    assert assignments["team"].notna().all()
    assert set(assignments["team"]) <= set(teams["team"])
    assert int(teams["accounts"].sum()) == len(accounts)
    # vocabularies
    assert set(assignments["motion"]) <= MOTIONS and set(assignments["role"]) <= ROLES
    assert set(teams["motion"]) <= MOTIONS and set(teams["role"]) <= ROLES
    segments = result.team_plan.plan.segments
    assert set(segments["motion"]) <= MOTIONS and set(segments["role"]) <= ROLES
    # the files a user downloads carry no live formula
    for name, data in result.files().items():
        if name.endswith(".csv"):
            cells = [c for row in csv.reader(io.StringIO(data.decode(), newline="")) for c in row]
            assert not [c for c in cells if _executable(c)], name


def _attempt(function, *args, **kwargs):
    """Call, allowing only InputError; return the result or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's convergence notes on degenerate data
        try:
            result = function(*args, **kwargs)
        except InputError as error:
            assert str(error).strip(), "an InputError must say what is wrong"
            _event(f"InputError: {' '.join(str(error).split()[1:5])}")
            return None
    _event("accepted")
    return result


def _event(text: str) -> None:
    with contextlib.suppress(InvalidArgument):  # called outside a hypothesis test
        event(text)  # shown with --hypothesis-show-statistics


# --------------------------------------------------------------------------- reading


@fuzz(150)
@given(st.binary(max_size=3000), st.sampled_from(["upload", "a.csv", "a.xlsx", "a.txt"]))
def test_arbitrary_bytes_read_or_raise_input_error(data, name):
    result = _attempt(read_table, data, name=name)
    if result is not None:
        df, info = result
        assert info.rows == len(df) > 0 and df.shape[1] == info.columns > 0
        assert all(str(dtype) == "str" for dtype in df.dtypes)


_WORKBOOK = excel_workbook(
    {
        "Accounts": pd.DataFrame(
            {"Account Name": ["Acme", "=1+1", "Beta"], "Employees": [5, 50, 500]}
        )
    }
)


@fuzz(60)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(_WORKBOOK) - 1), st.integers(0, 255)),
        min_size=1, max_size=8,
    ),
    st.integers(min_value=30, max_value=len(_WORKBOOK)),
)  # fmt: skip
def test_damaged_workbooks_read_or_raise_input_error(flips, keep):
    data = bytearray(_WORKBOOK[:keep])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    _attempt(read_table, bytes(data), name="accounts.xlsx")


@fuzz(40)
@given(st.lists(st.sampled_from(["xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
                                 "xl/styles.xml", "[Content_Types].xml"]), min_size=1, max_size=3),
       st.binary(max_size=200))  # fmt: skip
def test_workbooks_with_garbage_parts_read_or_raise_input_error(members, garbage):
    source = zipfile.ZipFile(io.BytesIO(_WORKBOOK))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, garbage if name in members else source.read(name))
    _attempt(read_table, out.getvalue(), name="accounts.xlsx")


# --------------------------------------------------------------------------- mapping and cleaning


@fuzz(60)
@given(accounts_frames(max_rows=30))
def test_arbitrary_frames_load_or_raise_input_error(frame):
    loaded = _attempt(load_accounts, _csv(frame), name="fuzz.csv")
    if loaded is not None:
        check_loaded(loaded)


# --------------------------------------------------------------------------- the whole pipeline


@fuzz(25)
@given(accounts_frames(min_rows=20, max_rows=60))
def test_arbitrary_frames_through_the_whole_pipeline(frame):
    result = _attempt(run, _csv(frame), name="fuzz.csv")
    if result is not None:
        check_run(result)


def _realistic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Account Name": [f"Company {i}" for i in range(n)],
            "Industry": rng.choice(["Software", "Banking", "Retail", "Hospital"], n),
            "Type": rng.choice(["Customer", "Prospect", "Former Customer"], n),
            "Employees": rng.choice([5, 40, 300, 5000], n).astype(object),
            "Annual Revenue": rng.choice([2e5, 4e6, 6e7, 9e8], n).astype(object),
        }
    )
    return frame.astype(object)


@fuzz(15)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.lists(st.tuples(st.integers(0, 59), st.sampled_from(["Account Name", "Industry", "Type",
             "Employees", "Annual Revenue"]), _cell), max_size=40),
)  # fmt: skip
def test_a_realistic_file_with_arbitrary_dirt_runs(seed, dirt):
    """Mostly clean data (so the plan is reached) with arbitrary cells sprinkled in."""
    frame = _realistic(60, seed)
    for row, column, value in dirt:
        frame.loc[row, column] = value
    result = _attempt(run, _csv(frame), name="dirty.csv")
    if result is not None:
        check_run(result)


@functools.lru_cache(maxsize=1)
def _segmented():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_accounts(_csv(_realistic(60, 3)), name="accounts.csv")
        return loaded, segment_accounts(loaded), load_playbook()


@st.composite
def rosters(draw) -> pd.DataFrame:
    """Mostly well-formed rosters (rep plus team or motion) with arbitrary cells and headers."""
    optional = ["role", "capacity", "region", "name", "x"]
    place = draw(st.sampled_from([["team"], ["motion"], ["team", "motion"]]))
    columns = ["rep", *place, *draw(st.lists(st.sampled_from(optional), max_size=3, unique=True))]
    if draw(st.integers(0, 9)) == 0:
        columns = columns[1:]
    n = draw(st.integers(min_value=0, max_value=12))
    kinds = {
        "rep": st.one_of(st.builds("Rep {}".format, st.integers(0, 500)), _cell),
        "team": st.one_of(st.sampled_from(["Field · Generalists", "Inside · Generalists",
                                           "Field · Farmers", "Nowhere"]), _cell),
        "motion": st.one_of(st.sampled_from(["field", "inside", "Field", "digital"]), _cell),
        "role": st.one_of(st.sampled_from(["hunter", "Farmers", "generalist", ""]), _cell),
        "capacity": st.one_of(st.sampled_from(["10", "250", "", "0", "-3", "1e9", "1,000"]), _cell),
    }  # fmt: skip
    clean = {c: draw(st.integers(0, 2)) > 0 for c in columns}  # a third of the columns dirty
    return pd.DataFrame(
        {
            c: draw(st.lists(kinds[c].branches[0] if clean[c] and c in kinds else kinds.get(c, _cell),
                             min_size=n, max_size=n, unique=c == "rep" and clean[c]))
            for c in columns
        },
        dtype=object,
    )  # fmt: skip


@fuzz(60)
@given(rosters())
def test_arbitrary_rosters_assign_reps_or_raise_input_error(frame):
    from segmentation.roster import read_roster

    roster = _attempt(read_roster, frame.to_csv(index=False).encode())
    if roster is None:
        return
    loaded, segments, playbook = _segmented()
    team_plan = _attempt(plan_teams, loaded, segments, playbook, roster)
    if team_plan is not None:
        assignments = team_plan.assignments
        assert len(assignments) == len(loaded.accounts) and assignments["team"].notna().all()
        assert set(assignments["rep"].dropna()) <= set(roster["rep"])


@st.composite
def deal_frames(draw) -> pd.DataFrame:
    """Deals with a name and an amount (mostly), arbitrary stages, dates, products and dirt."""
    optional = ["Account ID", "Stage", "Close Date", "Created Date", "Product", "Won", "x"]
    columns = [
        "Account Name",
        "Amount",
        *draw(st.lists(st.sampled_from(optional), max_size=5, unique=True)),
    ]
    if draw(st.integers(0, 9)) == 0:
        columns = columns[1:]
    n = draw(st.integers(min_value=1, max_value=40))
    kinds = {
        "Account Name": st.one_of(st.builds("Company {}".format, st.integers(0, 70)), _cell),
        "Account ID": st.one_of(st.builds("CO-{:03d}".format, st.integers(0, 70)), _cell),
        "Amount": st.one_of(_numbers, _tokens),
        "Stage": st.one_of(st.sampled_from(["Closed Won", "Closed Lost", "Prospecting", "Won"]), _cell),
        "Close Date": st.one_of(st.sampled_from(["2022-01-01", "3/4/2023", "31.12.2021"]), _cell),
        "Created Date": st.one_of(st.sampled_from(["2021-06-01", "1/2/2020"]), _cell),
        "Product": st.one_of(st.sampled_from(["Core", "Add-on", "Services"]), _cell),
    }  # fmt: skip
    return pd.DataFrame(
        {c: draw(st.lists(kinds.get(c, _cell), min_size=n, max_size=n)) for c in columns},
        dtype=object,
    )


@fuzz(20)
@given(deal_frames())
def test_arbitrary_opportunities_join_or_raise_input_error(deals):
    loaded = _attempt(
        load_accounts, _csv(_realistic(60, 3)), name="accounts.csv", opportunities=_csv(deals),
        opportunities_name="deals.csv",
    )  # fmt: skip
    if loaded is not None:
        check_loaded(loaded)
        assert len(loaded.opportunities.per_account) == len(loaded.accounts)


# --------------------------------------------------------------------------- exports


_header = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10).filter(
    lambda h: h == h.strip() and h.replace("\ufeff", "") == h
)
_text_cell = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["=1+1", "'=1+1", "''@x", "\t=1", "\u00a0+1", "＝1", "-", "'", "a\r\nb"]),
)


@st.composite
def text_frames(draw) -> pd.DataFrame:
    headers = draw(st.lists(_header, min_size=2, max_size=4, unique_by=str.casefold))
    n = draw(st.integers(min_value=1, max_value=12))
    data = {h: draw(st.lists(_text_cell, min_size=n, max_size=n)) for h in headers}
    return pd.DataFrame(data, columns=headers, dtype="str")


def _expected(frame: pd.DataFrame, *, blank_is_missing: bool) -> pd.DataFrame:
    # What reading is documented to do: empty cells are missing, blank rows are dropped.
    missing = frame.isna() | frame.eq("")
    if blank_is_missing:  # an .xlsx cell of spaces is no value
        missing |= frame.fillna("").apply(lambda c: c.str.strip().eq(""))
    out = frame.mask(missing)
    return out.loc[~out.isna().all(axis=1)].reset_index(drop=True)


def _footer_like(frame: pd.DataFrame) -> bool:
    text = " ".join(frame.fillna("").to_numpy().ravel().tolist()).lower()
    return any(
        w in text for w in ("total", "confidential", "copyright", "generated by", "salesforce")
    )


@fuzz(80)
@given(text_frames())
def test_csv_export_round_trips_through_our_reader(frame):
    expected = _expected(frame, blank_is_missing=False)
    if expected.empty or _footer_like(frame):
        return
    data = to_csv_bytes(frame)
    cells = [c for row in csv.reader(io.StringIO(data.decode(), newline="")) for c in row]
    assert not [c for c in cells if _executable(c)]
    back, _ = read_table(data, name="ours.csv")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


@fuzz(30)
@given(text_frames())
def test_excel_export_round_trips_through_our_reader(frame):
    expected = _expected(frame, blank_is_missing=True)
    if expected.empty or _footer_like(frame):
        return
    if frame.apply(lambda c: c.str.contains("_x", na=False)).to_numpy().any():
        return  # OOXML's _xHHHH_ escapes: see ingest._OOXML_ESCAPE
    back, _ = read_table(excel_workbook({"S": frame}), name="ours.xlsx")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


@fuzz(300)
@given(
    st.lists(st.one_of(st.none(), _unicode, st.text(st.sampled_from("'= \u200b@+-\t"), max_size=5)))
)
def test_guard_never_leaves_a_formula_and_unguard_undoes_it(values):
    series = pd.Series(values, dtype="str")
    guarded = guard_text(series)
    assert not any(_executable(v) for v in guarded.dropna())
    pd.testing.assert_series_equal(unguard_text(guarded), series)


@fuzz(60)
@given(st.lists(st.one_of(_numbers, st.none()), min_size=1, max_size=10))
@example([1.7e308, -1e305, 123456789.123456789, 2.5e-5])  # round(4) overflowed to "inf"
def test_numbers_stay_numbers_in_every_export(values):
    frame = pd.DataFrame({"n": pd.array(values, dtype="float64"), "name": "Acme"})
    cells = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode(), newline="")))[1:]
    for (number, _), value in zip(cells, frame["n"]):
        if math.isnan(value):
            assert number == ""
        else:
            assert NUMBER.match(number) and float(number) == pytest.approx(round(value, 4))


# --------------------------------------------------------------------------- regressions found


def test_regression_a_record_with_quoted_line_breaks_keeps_every_field():
    # The fallback parser sized rows by separators per physical line; a quoted line break with
    # separators on both sides has more fields than any of its lines, and pandas dropped one.
    df, _ = read_table(b'1","\n",1\n1')
    assert df.columns.tolist() == ['1"', "1"]


def test_regression_absurd_magnitudes_do_not_overflow_the_outlier_threshold():
    # 10**limit on a Python float raised OverflowError once the log-scale fence passed 308.
    values = ["1", "2", "1", "3", "5", "1", "3e150", "5e200", "7e300", "2e305"]
    data = "Account Name,Employees\n" + "".join(f"Acme {i},{v}\n" for i, v in enumerate(values))
    loaded = load_accounts(data.encode(), name="huge.csv")
    outliers = loaded.quality["columns"]["employees"]["outliers"]
    assert outliers["threshold"] is None or outliers["threshold"] > 1e308
    assert b'"threshold": null' in report_json(loaded.quality)


def test_regression_roster_headers_that_differ_only_in_case_are_refused():
    from segmentation.roster import read_roster

    with pytest.raises(InputError, match="differ only in case"):
        read_roster(b"Rep,rep,team\nAna,Bo,Field\n")


def test_regression_roster_with_a_blank_and_a_bad_capacity_names_the_bad_one():
    from segmentation.roster import read_roster

    # Nullable comparison left NA for the blank capacity and the mask raised ValueError.
    with pytest.raises(InputError, match="check rep\\(s\\) Bo"):
        read_roster(b"rep,team,capacity\nAna,Field,\nBo,Field,abc\n")


def test_regression_deals_whose_account_name_column_is_empty_still_join():
    # normalise_name on an all-blank column: str.split() gave float NaN and .str failed.
    deals = b"Amount,Stage,Account Name\n500,Closed Won,\n700,Closed Lost,\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(_csv(_realistic(60, 1)), name="accounts.csv", opportunities=deals)
    assert result.loaded.opportunities.unmatched == 2
    check_run(result)


def test_regression_a_median_ratio_that_underflows_to_zero():
    # Found by test_arbitrary_frames_through_the_whole_pipeline at FUZZ_SCALE=10 (a revenue
    # of 5e-324 beside 8e15), reduced to: half the accounts at 1e-320 dollars, half at 5e10.
    rows = ["Account Name,Annual Revenue"]
    rows += [f"Acme {i},{'1e-320' if i % 2 else '5e10'}" for i in range(40)]
    result = _attempt(run, ("\n".join(rows) + "\n").encode(), name="tiny.csv")
    if result is not None:
        check_run(result)
