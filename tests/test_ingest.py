"""read_table: real exports, each tool's format, and every bad input a user can upload."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation.errors import InputError
from segmentation.ingest import ReadInfo, read_table, sniff_delimiter

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real"
TOOLS = FIX / "tools"
SHARED = Path("/work/shared/data")


@pytest.mark.parametrize(
    "name, rows, cols, encoding, delimiter",
    [
        ("wholesale.csv", 440, 8, "utf-8", ","),
        ("wholesale_with_CustomerID.csv", 440, 9, "utf-8", ","),
        ("wholesale_semicolon_delimited.csv", 440, 8, "utf-8", ";"),
        ("wholesale_dirty_outliers_blanks.csv", 500, 8, "utf-8", ","),
        ("wholesale_latin1_trailing_notes_cols.csv", 440, 8, "cp1252", ","),
        ("wholesale_renamed_headers.csv", 440, 8, "utf-8", ","),
        ("sf_devorg_Account.csv", 18, 17, "utf-8", ","),
        ("sf_devorg_Opportunity.csv", 36, 19, "utf-8", ","),
        ("sf_devorg_OpportunityHistory.csv", 48, 13, "utf-8", ","),
        ("sf_datacloud_Account.csv", 22, 56, "utf-8-sig", ","),
        ("sf_datacloud_Lead.csv", 60, 55, "utf-8-sig", ","),
        ("adventureworks_resellers.csv", 701, 25, "utf-8", ","),
    ],
)
def test_real_files_read_with_expected_shape(name, rows, cols, encoding, delimiter):
    df, info = read_table(REAL / name)
    assert df.shape == (rows, cols)
    assert (info.rows, info.columns, info.encoding, info.delimiter) == (rows, cols, encoding, delimiter)
    assert all(str(dt) == "str" for dt in df.dtypes)
    assert isinstance(df.index, pd.RangeIndex)


def test_every_shared_csv_reads():
    """Every real export in the shared data folder (not just the copied ones) reads cleanly."""
    files = sorted(SHARED.glob("**/*.csv"))
    if not files:
        pytest.skip("shared data folder not present")
    for f in files:
        df, info = read_table(f)
        assert len(df) > 0 and info.ragged_rows == 0, f


def test_latin1_variant_drops_notes_column_and_keeps_nbsp_text():
    df, info = read_table(REAL / "wholesale_latin1_trailing_notes_cols.csv")
    assert info.empty_columns_removed == ["column 9", "column 10", "column 11", "column 12"]
    assert any("notes" in w for w in info.warnings)
    assert list(df.columns)[-1] == "Delicassen"


def test_values_are_text_and_na_text_is_kept():
    data = b"Name,Revenue,Note\nAcme,NA,null\nBeta,,N/A\n"
    df, _ = read_table(data)
    assert df.loc[0, "Revenue"] == "NA" and df.loc[0, "Note"] == "null"
    assert pd.isna(df.loc[1, "Revenue"]) and df.loc[1, "Note"] == "N/A"


@pytest.mark.parametrize(
    "file, encoding, delimiter, rows, first_header",
    [
        ("salesforce_report_accounts.csv", "utf-8", ",", 6, "Account Name"),
        ("salesforce_dataloader_accounts.csv", "utf-8-sig", ",", 3, "Id"),
        ("dynamics365_accounts_eu.csv", "cp1252", ";", 4, "(Do Not Modify) Account"),
        ("excel_unicode_text.txt", "utf-16", "\t", 4, "Company"),
        ("pipedrive_organizations.csv", "utf-8", ",", 3, "Organization - ID"),
        ("zoho_accounts.csv", "utf-8", ",", 3, "Record Id"),
        ("hubspot_companies.xlsx", None, None, 4, "Record ID"),
    ],
)
def test_tool_exports(file, encoding, delimiter, rows, first_header):
    df, info = read_table(TOOLS / file)
    assert (info.encoding, info.delimiter, info.rows) == (encoding, delimiter, rows)
    assert df.columns[0] == first_header


def test_salesforce_report_footer_removed_and_listed():
    df, info = read_table(TOOLS / "salesforce_report_accounts.csv")
    assert info.footer_rows_removed == [
        "Grand Totals (6 records)",
        "Confidential Information - Do Not Distribute",
        "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
    ]
    assert info.blank_rows_removed == 3
    assert df["Account Name"].iloc[-1] == "Evergreen Foods"
    assert df.loc[0, "Account Name"] == "Acme Robotics, Inc."


def test_dataloader_embedded_newline_and_quotes():
    df, _ = read_table(TOOLS / "salesforce_dataloader_accounts.csv")
    assert df.loc[0, "BillingStreet"] == "Hauptstraße 5\r\n2. OG" or df.loc[0, "BillingStreet"].startswith("Hauptstraße 5")
    assert df.loc[2, "Name"] == 'The "Quoted" Company'
    assert df.columns[0] == "Id"  # BOM not glued to the first header


def test_unicode_text_keeps_tab_inside_quotes():
    df, _ = read_table(TOOLS / "excel_unicode_text.txt")
    assert df.loc[2, "Company"] == "Tab\tInside Ltd"
    assert df.loc[1, "Company"] == "株式会社サンプル"


def test_xlsx_counts_formula_without_cached_value():
    df, info = read_table(TOOLS / "hubspot_companies.xlsx")
    assert info.sheet == "Companies" and info.format == "xlsx"
    assert any("1 formula cell" in w for w in info.warnings)
    assert df.loc[0, "Record ID"] == "5012345678"  # whole numbers not written as 5012345678.0


def test_xlsx_named_sheet_and_title_rows():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    ws = wb.create_sheet("Data")
    ws.append(["Accounts by owner"])
    ws.append([])
    ws.append(["Account Name", "Revenue"])
    ws.append(["Acme", 1200.5])
    buf = io.BytesIO()
    wb.save(buf)
    df, info = read_table(buf.getvalue(), name="r.xlsx", sheet="Data")
    assert list(df.columns) == ["Account Name", "Revenue"]
    assert df.loc[0, "Revenue"] == "1200.5"
    with pytest.raises(InputError, match="Sheets: Summary, Data"):
        read_table(buf.getvalue(), name="r.xlsx", sheet="Nope")


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"a,b\n1,2\n\n3,4\n,\n", {"rows": 2, "blank_rows_removed": 2}),
        (b"a,a,b\n1,2,3\n", {"columns": 3}),
        (b"a,b,,\n1,2,,\n", {"columns": 2, "empty_columns_removed": ["column 3", "column 4"]}),
        (b"a;b;c\n1;2;3\n", {"delimiter": ";"}),
        (b"a|b\n1|2\n", {"delimiter": "|"}),
        (b"a\tb\n1\t2\n", {"delimiter": "\t"}),
        (b"a,b\n1,2,3\n4\n5,6\n", {"rows": 3, "ragged_rows": 2}),
        (b"Name\nAcme\nBeta\n", {"rows": 2, "columns": 1}),
        (b"\xef\xbb\xbfName,X\nA\xc3\xa9,1\n", {"encoding": "utf-8-sig"}),
        (b"Name,X\nCaf\xe9,1\n", {"encoding": "cp1252"}),
    ],
)
def test_dialects_and_counts(data, expected):
    df, info = read_table(data)
    got = info.to_dict()
    for key, value in expected.items():
        assert got[key] == value, key


def test_duplicate_headers_renamed():
    df, info = read_table(b"Name, Name ,name\n1,2,3\n")
    assert list(df.columns) == ["Name", "Name (2)", "name (3)"]
    assert any("Duplicate column header" in w for w in info.warnings)


def test_ragged_rows_are_kept_not_dropped():
    df, info = read_table(b"a,b\n1,2,3\n4\n5,6\n")
    assert info.ragged_rows == 2
    assert df["a"].tolist() == ["1", "4", "5"]


def test_encoding_override():
    df, info = read_table("Name\nJosé\n".encode("latin-1"), encoding="latin-1")
    assert df.loc[0, "Name"] == "José" and info.encoding == "latin-1"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("accounts.csv", "a,b\n1,2\n")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "x.csv", "is empty"),
        (b"   \r\n\n", "x.csv", "is empty"),
        (b"Name,Revenue\n", "x.csv", "no data rows"),
        (b"Name,Revenue\n\n,\n", "x.csv", "no data rows"),
        (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "report.csv", "PDF"),
        (_zip_bytes(), "accounts.csv", "zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.csv", "Excel 97-2003"),
        (b"\x00\x01\x02\x03binary\x00\x00", "x.csv", "binary"),
        (b"Name\x01\x02\x03\x04\x05\x06\x07\x08" * 20, "x.csv", "binary"),
        (b"not a workbook", "accounts.xlsx", "not one"),
        (b"Name:Revenue:Owner\nAcme:1:Jo\n", "x.csv", "single column"),
        ("Name\nCafé\n".encode("utf-8"), "x.csv", None),
    ],
)
def test_bad_inputs_raise_useful_errors(data, name, message):
    if message is None:
        read_table(data, name=name)
        return
    with pytest.raises(InputError, match=message) as exc:
        read_table(data, name=name)
    assert name in str(exc.value) or "Sheets" in str(exc.value)


def test_over_max_bytes_refused_for_bytes_and_paths(tmp_path):
    with pytest.raises(InputError, match="over the"):
        read_table(b"a,b\n1,2\n", max_bytes=4)
    p = tmp_path / "big.csv"
    p.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    with pytest.raises(InputError, match="MB limit"):
        read_table(p, max_bytes=100)


def test_missing_path_and_bad_source_type():
    with pytest.raises(InputError, match="no such file"):
        read_table("/nonexistent/accounts.csv")
    with pytest.raises(InputError, match="file path or the file's bytes"):
        read_table(12345)


def test_bad_encoding_override():
    with pytest.raises(InputError, match="Unknown encoding"):
        read_table(b"a\n1\n", encoding="klingon")
    with pytest.raises(InputError, match="not valid utf-8"):
        read_table(b"a\n\xff\n", encoding="utf-8")


def test_xlsx_without_openpyxl(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "openpyxl":
            raise ImportError("no openpyxl")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(InputError, match="openpyxl"):
        read_table(TOOLS / "hubspot_companies.xlsx")


@pytest.mark.parametrize(
    "sample, expected",
    [
        ('a,b,c\n1,2,3\n', ","),
        ('"Acme, Inc.";5\n"B, C";6\n', ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ("justone\nvalue\n", None),
    ],
)
def test_sniff_delimiter(sample, expected):
    assert sniff_delimiter(sample) == expected


def test_readinfo_to_dict_is_plain():
    _, info = read_table(TOOLS / "salesforce_report_accounts.csv")
    assert isinstance(info, ReadInfo)
    d = info.to_dict()
    assert d["source_name"] == "salesforce_report_accounts.csv" and d["format"] == "csv"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_return_or_raise_input_error(data):
    try:
        df, info = read_table(data)
    except InputError:
        return
    assert info.rows == len(df) > 0


_cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\t|1.é€')), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=1, max_size=6))
def test_csv_like_text_returns_or_raises_input_error(rows):
    text = "\n".join(",".join(r) for r in rows)
    try:
        df, _ = read_table(text.encode("utf-8"))
    except InputError:
        return
    assert isinstance(df.index, pd.RangeIndex)
