"""build_features: log scaling, median imputation, status as category, drops and ignores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.features import build_features, signed_expm1, signed_log1p


def _accounts(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"account_id": [str(i) for i in range(n)], "account_name": [f"a{i}" for i in range(n)]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    "x, expected",
    [(0.0, 0.0), (np.e - 1, 1.0), (-(np.e - 1), -1.0), (np.nan, np.nan)],
)
def test_signed_log1p(x, expected):
    np.testing.assert_allclose(signed_log1p(np.array([x])), [expected])


def test_signed_expm1_inverts_signed_log1p():
    x = np.array([-1e6, -3.0, 0.0, 0.5, 42.0, 1e9])
    np.testing.assert_allclose(signed_expm1(signed_log1p(x)), x)


def test_log1p_of_canonical_numbers_and_extra_columns():
    accounts = _accounts(
        employees=[9.0, 99.0, 999.0], annual_revenue=[0.0, 1e6, 1e9], deal_size=[1e3, 1e4, 1e5]
    )
    extra = pd.DataFrame({"Fresh": [10.0, 100.0, 1000.0]})
    X = build_features(accounts, extra, features=["Fresh"])
    assert list(X.columns) == ["employees", "annual_revenue", "deal_size", "Fresh"]
    np.testing.assert_allclose(X["employees"], np.log1p([9, 99, 999]))
    np.testing.assert_allclose(X["Fresh"], np.log1p([10, 100, 1000]))
    assert X.attrs["transform"]["Fresh"] == "log1p"
    assert X.attrs["source"] == {
        "employees": "accounts",
        "annual_revenue": "accounts",
        "deal_size": "accounts",
        "Fresh": "extra",
    }
    assert X.attrs["chosen"] == ["Fresh"] and X.attrs["offered"] == {}


def test_missing_values_take_the_median_and_are_counted():
    accounts = _accounts(employees=[1.0, np.nan, 99.0, np.nan], deal_size=[1.0, 2.0, 3.0, 4.0])
    X = build_features(accounts)
    assert X.attrs["imputed"] == {"employees": 2}
    median = np.median(np.log1p([1.0, 99.0]))
    assert X["employees"].tolist()[1] == pytest.approx(median)
    assert not X.isna().any().any()


@pytest.mark.parametrize(
    "column, values, reason",
    [
        ("employees", [np.nan] * 4, "all missing"),
        ("employees", [5.0] * 4, "constant"),
        ("employees", [5.0, 5.0, np.nan, 5.0], "constant"),
    ],
)
def test_useless_columns_are_dropped_with_a_reason(column, values, reason):
    accounts = _accounts(**{column: values}, deal_size=[1.0, 2.0, 3.0, 4.0])
    X = build_features(accounts)
    assert column not in X.columns
    assert X.attrs["dropped"][column] == reason
    assert column not in X.attrs["imputed"]


def test_status_is_categorical_with_unknown_for_missing():
    accounts = _accounts(
        deal_size=[1.0, 2.0, 3.0], status=pd.array(["customer", None, "prospect"], dtype="str")
    )
    X = build_features(accounts)
    assert isinstance(X["status"].dtype, pd.CategoricalDtype)
    assert X["status"].tolist() == ["customer", "unknown", "prospect"]


@pytest.mark.parametrize(
    "status, reason",
    [([None, None, None], "all missing"), (["customer"] * 3, "constant")],
)
def test_useless_status_is_dropped(status, reason):
    accounts = _accounts(deal_size=[1.0, 2.0, 3.0], status=pd.array(status, dtype="str"))
    X = build_features(accounts)
    assert "status" not in X.columns and X.attrs["dropped"]["status"] == reason


@pytest.mark.parametrize("ignore", [["employees"], ["Channel"], ["status", "Region"]])
def test_ignore_leaves_columns_out(ignore):
    accounts = _accounts(
        employees=[1.0, 2.0, 3.0],
        deal_size=[3.0, 2.0, 5.0],
        status=pd.array(["customer", "prospect", "former"], dtype="str"),
    )
    extra = pd.DataFrame({"Channel": [1.0, 2.0, 1.0], "Region": [1.0, 2.0, 3.0]})
    X = build_features(accounts, extra, ignore=ignore)
    for name in ignore:
        assert name not in X.columns and X.attrs["dropped"][name] == "ignored"


def test_ignoring_a_column_that_is_not_there_is_recorded_not_fatal():
    # The pipeline passes the user's ignore list (source columns) after dropping them upstream.
    X = build_features(_accounts(deal_size=[1.0, 2.0]), ignore=["Channel"])
    assert list(X.columns) == ["deal_size"] and X.attrs["not_found"] == ["Channel"]


def test_extra_with_another_length_is_an_input_error():
    with pytest.raises(InputError, match="rows"):
        build_features(_accounts(deal_size=[1.0, 2.0]), pd.DataFrame({"x": [1.0]}))


def test_extra_named_like_a_canonical_field_does_not_overwrite_it():
    accounts = _accounts(employees=[1.0, 2.0, 3.0])
    extra = pd.DataFrame({"employees": [7.0, 8.0, 10.0]})
    assert "employees (extra)" in build_features(accounts, extra).attrs["offered"]
    X = build_features(accounts, extra, features=["employees (extra)"])
    assert {"employees", "employees (extra)"} <= set(X.columns)
    np.testing.assert_allclose(X["employees"], np.log1p([1, 2, 3]))


def test_negative_values_keep_their_sign_and_infinity_is_imputed():
    accounts = _accounts(deal_size=[-100.0, np.inf, 100.0, 50.0])
    X = build_features(accounts)
    assert X["deal_size"].iloc[0] == pytest.approx(-np.log1p(100))
    assert X.attrs["imputed"] == {"deal_size": 1}  # inf is treated as missing


def test_keeps_the_account_index_and_does_not_mutate_inputs():
    accounts = _accounts(employees=[1.0, np.nan, 3.0]).set_axis([7, 8, 9])
    before = accounts.copy()
    X = build_features(accounts)
    assert X.index.tolist() == [7, 8, 9]
    pd.testing.assert_frame_equal(accounts, before)


def test_no_extra_columns_is_fine():
    X = build_features(_accounts(deal_size=[1.0, 2.0]), pd.DataFrame(index=range(2)))
    assert list(X.columns) == ["deal_size"]


# -- which columns make customer types (issue 13, item 5) ----------------------------------------

from segmentation.features import never_offered, resolve_feature_names  # noqa: E402


def _ints(values) -> np.ndarray:
    return np.asarray(values, dtype="float64")


_RNG = np.random.default_rng(13)
_N = 400


def _zip_text() -> pd.Series:
    return pd.Series([f"{z:05d}" for z in _RNG.integers(501, 99950, _N)], dtype="str")


_ZIPS = _zip_text()
_SIC = pd.Series([f"{c:04d}" for c in _RNG.choice([111, 1311, 2834, 6021, 7372, 8062], _N)])


@pytest.mark.parametrize(
    "header, values, text, reason",
    [
        # by content alone, whatever the header says
        ("column 1", np.arange(_N), None, "row numbers or ranks"),
        ("Field 7", _RNG.permutation(_N) + 1, None, "row numbers or ranks"),
        ("Field 8", np.cumsum(_RNG.integers(1, 9, _N)) + 10_000, None, "sequence number"),
        ("Field 9", _RNG.integers(10**8, 2**32, _N), None, "identifier or checksum"),
        ("Area", _ZIPS.astype(float).to_numpy(), _ZIPS, "code (5 digits, leading zeros)"),
        ("Industry class", _SIC.astype(float).to_numpy(), _SIC, "code (4 digits, leading zeros)"),
        ("Contact", _RNG.integers(2_012_000_000, 9_899_999_999, _N), None, "code (10 digits)"),
        ("Score", np.where(np.arange(_N) < 32, 50.0, np.nan), None, "mostly blank (92% empty)"),
        # by header words
        ("(Do Not Modify) Row Checksum", _RNG.integers(0, 50, _N), None, "checksum"),
        ("Address 1: ZIP/Postal Code", _RNG.integers(0, 50, _N), None, "postal code"),
        ("Main Phone", _RNG.integers(0, 50, _N), None, "phone number"),
        ("Rank", _RNG.integers(0, 50, _N), None, "rank"),
        ("SIC", _RNG.integers(0, 50, _N), None, "industry code"),
        ("NAICS Code", _RNG.integers(0, 50, _N), None, "industry code"),
        ("Account Number", _RNG.integers(0, 50, _N), None, "identifier"),
        ("hs_object_id", _RNG.integers(0, 50, _N), None, "identifier"),
        ("#", _RNG.integers(0, 50, _N), None, "row number"),
        ("Version Number", _RNG.integers(0, 50, _N), None, "identifier"),
        ("Promo Code", _RNG.integers(0, 50, _N), None, "code"),
        ("Mobile", _RNG.integers(0, 50, _N), None, "phone number"),
    ],
)
def test_identifiers_codes_and_blank_columns_are_never_offered(header, values, text, reason):
    assert reason in (never_offered(header, _ints(values), text) or "")


@pytest.mark.parametrize(
    "header, values",
    [
        ("Fresh", np.round(10 ** _RNG.normal(3.8, 0.5, _N))),  # unique, skewed spend
        ("Annual Income", _RNG.integers(19_000, 150_000, _N)),  # unique, bounded, unrounded
        ("Credit Score", _RNG.integers(300, 851, _N)),  # fixed 3 digits, no leading zeros
        ("NPS", _RNG.integers(-100, 101, _N)),
        ("Number of Locations", _RNG.poisson(3, _N)),
        ("No. of Stores", _RNG.poisson(8, _N)),
        ("Credit Limit", np.round(10 ** _RNG.normal(4.5, 0.4, _N), -2)),
        ("Growth %", _RNG.normal(5, 3, _N)),
        ("Lead Score", np.where(np.arange(_N) < 250, 40.0, np.nan)),  # 38% blank: still offered
        ("Customer Satisfaction Index", _RNG.integers(1, 11, _N)),
        ("Key Account Revenue", np.round(10 ** _RNG.normal(6, 0.8, _N), -3)),
        ("Mobile Revenue", np.round(10 ** _RNG.normal(5, 0.8, _N), -2)),
        ("VAT Amount", np.round(10 ** _RNG.normal(4, 0.8, _N), 2)),
        ("Total Revenue", np.round(10 ** _RNG.normal(7, 0.8, _N), -3)),
    ],
)
def test_quantities_are_offered(header, values):
    assert never_offered(header, _ints(values)) is None


def test_extra_numbers_are_offered_but_off_while_canonical_fields_exist():
    accounts = _accounts(employees=[5.0, 50.0, 500.0, 20.0], deal_size=[1e3, 1e4, 1e5, 2e3])
    extra = pd.DataFrame({"Credit Limit": [1e3, 5e3, 2e4, 1e3], "Rank": [1.0, 2.0, 3.0, 4.0]})
    X = build_features(accounts, extra)
    assert list(X.columns) == ["employees", "deal_size"]
    assert list(X.attrs["offered"]) == ["Credit Limit"]
    assert X.attrs["not_offered"] == {"Rank": "rank, by its header"}
    assert X.attrs["defaults"] == ["employees", "deal_size"]
    # --feature brings in an offered column, and even one that is never offered.
    X = build_features(accounts, extra, features=["Credit Limit", "Rank"])
    assert list(X.columns) == ["employees", "deal_size", "Credit Limit", "Rank"]
    assert X.attrs["not_offered_chosen"] == {"Rank": "rank, by its header"}


def test_without_canonical_numbers_the_offered_columns_are_used():
    # A spend table (UCI wholesale style): nothing canonical, so its numbers make the types.
    accounts = _accounts(status=pd.array(["customer", "prospect"] * 15, dtype="str"))
    extra = pd.DataFrame(
        {
            "Fresh": np.round(10 ** _RNG.normal(3.8, 0.5, 30)),
            "Milk": np.round(10 ** _RNG.normal(3.5, 0.5, 30)),
            "Row": np.arange(1.0, 31.0),
        }
    )
    X = build_features(accounts, extra)
    assert list(X.columns) == ["Fresh", "Milk", "status"]
    assert X.attrs["defaults"] == ["Fresh", "Milk", "status"]
    assert "Row" in X.attrs["not_offered"]


@pytest.mark.parametrize(
    "features, ignore, message",
    [
        (["Nope"], [], "--feature Nope: no such numeric column"),
        (["Credit Limit"], ["Credit Limit"], "both chosen"),
    ],
)
def test_bad_feature_choices_are_input_errors(features, ignore, message):
    accounts = _accounts(employees=[5.0, 50.0, 500.0])
    extra = pd.DataFrame({"Credit Limit": [1e3, 5e3, 2e4]})
    with pytest.raises(InputError, match=message):
        build_features(accounts, extra, features=features, ignore=ignore)


_COLUMNS = ["Account Name", "Industry", "Number of Employees", "Main Phone", "Credit Limit"]
_MAPPING = {
    "account_name": "Account Name", "industry": "Industry", "employees": "Number of Employees",
}  # fmt: skip


@pytest.mark.parametrize(
    "option, names, expected",
    [
        ("--ignore", ["Number of Employees"], ["employees"]),  # a mapped column: its field
        ("--ignore", ["employees", "status"], ["employees", "status"]),  # canonical names
        ("--ignore", ["Credit Limit"], ["Credit Limit"]),
        ("--ignore", ["Industry"], ["Industry"]),  # no feature anyway: harmless
        ("--feature", ["Credit Limit", "Credit Limit"], ["Credit Limit"]),
        ("--feature", ["Number of Employees"], ["employees"]),
    ],
)
def test_names_the_user_gives_become_feature_names(option, names, expected):
    got = resolve_feature_names(
        names, option=option, columns=_COLUMNS, mapping=_MAPPING, extra_columns=["Credit Limit"],
        excluded={"Main Phone": "identifier"},
    )  # fmt: skip
    assert got == expected


@pytest.mark.parametrize(
    "option, name, message",
    [
        ("--ignore", "Nope", "--ignore Nope: there is no such column"),
        ("--feature", "Nope", "--feature Nope: there is no such column"),
        ("--feature", "Main Phone", r"cannot make customer types \(identifier\).*Credit Limit"),
        ("--feature", "Industry", r"read as industry"),
    ],
)
def test_names_that_cannot_be_features_are_input_errors(option, name, message):
    with pytest.raises(InputError, match=message):
        resolve_feature_names(
            [name], option=option, columns=_COLUMNS, mapping=_MAPPING,
            extra_columns=["Credit Limit"], excluded={"Main Phone": "identifier"},
        )  # fmt: skip


@pytest.mark.parametrize(
    "chosen, ignore, features",
    [
        (["employees", "status"], [], []),
        (["employees"], ["status"], []),
        (["employees", "status", "Credit Limit"], [], ["Credit Limit"]),
        (["Credit Limit"], ["employees", "status"], ["Credit Limit"]),
    ],
)
def test_app_checklist_becomes_ignore_and_features(chosen, ignore, features):
    from segmentation.ui import controls

    options = ["employees", "status", "Credit Limit"]
    got = controls.feature_settings(chosen, options, defaults=["employees", "status"])
    assert got == (ignore, features)


def test_app_checklist_offers_off_columns_and_explains_the_rest():
    from segmentation.ui import controls

    accounts = _accounts(employees=[5.0, 50.0, 500.0, 20.0], deal_size=[1e3, 1e4, 1e5, 2e3])
    extra = pd.DataFrame({"Credit Limit": [1e3, 5e3, 2e4, 1e3], "Rank": [1.0, 2.0, 3.0, 4.0]})
    X = build_features(accounts, extra, ignore=["deal_size"])
    assert list(controls.feature_options(X)) == ["employees", "deal_size", "Credit Limit"]
    assert controls.default_features(X) == ["employees", "deal_size"]
    assert controls.never_offered_features(X) == {"Rank": "rank, by its header"}


# -- a Dynamics 365 export, end to end --------------------------------------------------------


def dynamics_export(n: int = 600, seed: int = 3) -> tuple[bytes, np.ndarray]:
    """A Dynamics 365 "Export to Excel" accounts file saved as CSV, with its planted types.

    Three real types (enterprise customers, mid-market customers, small prospects) by size,
    revenue and relationship type; around them the columns such exports carry: a row number,
    the hidden GUID, row checksum and modified-on columns, a zip code, a phone number, a rank,
    a lead score that is 92% blank, and a credit limit (a real number, but no canonical field).
    """
    rng = np.random.default_rng(seed)
    types = [
        (0.25, 3.7, 9.0, "Customer"), (0.35, 2.5, 7.6, "Customer"), (0.40, 1.2, 6.2, "Prospect"),
    ]  # fmt: skip
    truth = rng.choice(3, n, p=[t[0] for t in types])
    emp = np.round(10 ** (np.array([t[1] for t in types])[truth] + rng.normal(0, 0.12, n)))
    rev = np.round(10 ** (np.array([t[2] for t in types])[truth] + rng.normal(0, 0.12, n)), -3)
    relationship = np.array([t[3] for t in types], dtype=object)[truth]
    relationship[rng.random(n) < 0.04] = "Competitor"
    hexes = rng.integers(0, 16, (n, 32))
    guid = ["".join("0123456789abcdef"[h] for h in row) for row in hexes]
    guid = [f"{g[:8]}-{g[8:12]}-{g[12:16]}-{g[16:20]}-{g[20:]}" for g in guid]
    score = np.full(n, "", dtype=object)
    scored = rng.choice(n, round(n * 0.08), replace=False)
    score[scored] = rng.integers(1, 100, len(scored)).astype(str)
    frame = pd.DataFrame(
        {
            "#": np.arange(1, n + 1),
            "(Do Not Modify) Account": guid,
            "(Do Not Modify) Row Checksum": rng.integers(10**8, 2**32, n),
            "(Do Not Modify) Modified On": [
                f"{m}/{d}/2025 {h}:15 PM"
                for m, d, h in zip(
                    rng.integers(1, 13, n), rng.integers(1, 29, n), rng.integers(1, 12, n)
                )
            ],
            "Account Name": [f"Contoso {i} Ltd" for i in range(n)],
            "Relationship Type": relationship,
            "Industry": rng.choice(["Accounting", "Business Services", "Consulting", "Retail"], n),
            "Number of Employees": emp.astype(int),
            "Annual Revenue": [f"${v:,.2f}" for v in rev],
            "Address 1: ZIP/Postal Code": [f"{z:05d}" for z in rng.integers(501, 99950, n)],
            "Main Phone": [
                f"{a}{b}{c:04d}"
                for a, b, c in zip(
                    rng.integers(201, 990, n), rng.integers(200, 999, n), rng.integers(0, 10000, n)
                )
            ],  # fmt: skip
            "Rank": rng.permutation(n) + 1,
            "Lead Score": score,
            "Credit Limit": np.round(10 ** rng.normal(4.5, 0.4, n), -2),
        }
    )
    return frame.to_csv(index=False).encode(), truth


JUNK = [
    "#",
    "(Do Not Modify) Row Checksum",
    "Rank",
    "Lead Score",
    "Address 1: ZIP/Postal Code",
    "Main Phone",
]


@pytest.fixture(scope="module")
def dynamics_run():
    from segmentation.pipeline import run

    data, truth = dynamics_export()
    return run(data, name="Accounts.csv"), truth


def test_dynamics_export_types_use_only_the_meaningful_columns(dynamics_run):
    from sklearn.metrics import adjusted_rand_score

    result, truth = dynamics_run
    report = result.report()
    seg = result.segmentation
    assert list(seg.features.columns) == ["employees", "annual_revenue", "status"]
    assert [u["column"] for u in report["features"]["used"]] == [
        "Number of Employees", "Annual Revenue", "Relationship Type",
    ]  # fmt: skip
    never = {row["column"]: row["why"] for row in report["features"]["not_offered"]}
    assert set(JUNK) <= set(never)
    assert never["Lead Score"] == "mostly blank (92% empty)"
    assert [row["column"] for row in report["features"]["offered"]] == ["Credit Limit"]
    # The planted types come back, named by what they are, not by a checksum or a rank.
    assert report["quality"]["k"] == 3 and report["quality"]["verdict"] == "strong"
    assert adjusted_rand_score(truth, seg.types.ids) >= 0.95
    names = " ".join(seg.types.table["customer_type"]).lower()
    assert not any(word in names for word in ("checksum", "rank", "score", "#", "phone", "zip"))
    assert any("credit limit" in note.lower() for note in result.warnings)


def test_feature_and_ignore_options_on_the_command_line(tmp_path):
    import json

    from segmentation.cli import main

    data, _ = dynamics_export()
    path = tmp_path / "Accounts.csv"
    path.write_bytes(data)
    out = tmp_path / "out"
    code = main(
        ["run", str(path), "--feature", "Credit Limit", "--ignore", "Number of Employees",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    used = {u["feature"]: u["why"] for u in report["features"]["used"]}
    assert used == {
        "annual_revenue": "canonical field",
        "Credit Limit": "chosen by you (--feature)",
        "status": "canonical field",
    }
    # --ignore keeps a column out of the customer types only: it stays mapped and in the plan.
    assert report["mapping"]["employees"] == "Number of Employees"
    assert report["settings"]["features"] == ["Credit Limit"]
    segments = pd.read_csv(out / "segments.csv")
    assert segments["median_employees"].notna().all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--feature", "Main Phone"], "error: --feature Main Phone: this column cannot make"),
        (["--feature", "Nope"], "error: --feature Nope: there is no such column"),
        (["--ignore", "Nope"], "error: --ignore Nope: there is no such column"),
    ],
)
def test_feature_choices_that_cannot_work_exit_2_with_one_line(tmp_path, capsys, args, message):
    from segmentation.cli import main

    data, _ = dynamics_export(n=60)
    path = tmp_path / "Accounts.csv"
    path.write_bytes(data)
    assert main(["run", str(path), *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("fresh_caches")
def test_app_offers_extra_numbers_off_and_lists_what_it_never_offers():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    data, _ = dynamics_export(n=300)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.file_uploader(key="accounts_upload").set_value(("Accounts.csv", data, "text/csv")).run()
    at.switch_page("app_pages/segments.py").run()
    assert not at.exception and not at.error
    pills = at.pills(key="features_in")
    assert pills.options == ["Employees", "Annual revenue", "Status", "Credit Limit"]
    assert pills.value == ["employees", "annual_revenue", "status"]
    captions = "\n".join(c.value for c in at.caption).replace("\\", "")
    assert "Not offered" in captions and "Row Checksum" in captions and "92% empty" in captions
    pills.select("Credit Limit")
    at.button(key="apply_segments").click().run()
    assert not at.exception and not at.error
    assert at.session_state["features"] == ["Credit Limit"] and at.session_state["ignore"] == []
    built_from = next(c.value for c in at.caption if c.value.startswith("Built from"))
    assert "Credit Limit" in built_from
