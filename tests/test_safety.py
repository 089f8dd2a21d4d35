"""Safe with customer data (issue 7): exports never carry live formulas, uploads are checked,
the server is hardened, and one session never sees another's accounts.

``tests/fixtures/injection_accounts.csv`` holds account names, industries and owners that start
with every formula trigger (OWASP's ``= + - @`` tab CR LF, ``|`` ``%`` NUL, the full-width
``＝＋－＠``, behind spaces, NBSP and zero-width characters, and already-quoted ``'=1+1``).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import tomllib
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from segmentation import ingest, workbook
from segmentation.cells import guard_text, unguard_text
from segmentation.errors import InputError
from segmentation.export import excel_workbook, to_csv_bytes
from segmentation.ingest import read_table
from segmentation.pipeline import run
from tests.conftest import FIXTURES, ROOT, rewrite_member, shared_string_bomb

INJECTION = FIXTURES / "injection_accounts.csv"
TRIGGERS = "=+-@\t\r\n|%\x00＝＋－＠"
INVISIBLE = " \u00a0\u200b\u200c\u200d\u2060\ufeff"
# What a spreadsheet would run: a trigger after any invisible prefix. A guarded cell starts with '.
EXECUTABLE = re.compile(f"^[{re.escape(INVISIBLE)}]*[{re.escape(TRIGGERS)}]")
# Numbers we write ourselves ("-5.0", "1e+20") are numbers, not formulas.
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^-?inf$")


def _executable(cell: str) -> bool:
    return bool(EXECUTABLE.match(cell)) and not NUMBER.match(cell)


def _csv_cells(data: bytes) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for cell in row
    ]


def _assert_csv_safe(data: bytes, where: str) -> None:
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # every field quoted: the number of fields equals the number of quoted fields
    assert all(len(r) == len(rows[0]) for r in rows), where
    bad = [cell for cell in _csv_cells(data) if _executable(cell)]
    assert not bad, f"{where}: executable cells {bad[:5]}"


def _assert_workbook_safe(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (sheet.title, cell.coordinate)
                if isinstance(cell.value, str):
                    assert not _executable(cell.value), (sheet.title, cell.coordinate, cell.value)


@pytest.fixture(scope="module")
def injection_run():
    return run(INJECTION)


# --------------------------------------------------------------------------- the fixture


@pytest.mark.parametrize("column", ["Account Name", "Industry", "Account Owner"])
def test_fixture_has_every_trigger_in_names_industries_and_owners(column):
    raw = pd.read_csv(INJECTION, dtype=str, keep_default_na=False)[column]
    starts = {re.match(f"^['{INVISIBLE}]*(.)", v, re.DOTALL).group(1) for v in raw if v}
    assert set(TRIGGERS) <= starts, set(TRIGGERS) - starts
    assert any(v.startswith(tuple(INVISIBLE)) for v in raw)  # the invisible-prefix bypass


# --------------------------------------------------------------------------- every export path


def test_injection_fixture_runs_and_assignments_carry_the_payloads(injection_run):
    assignments = injection_run.team_plan.assignments
    assert len(assignments) == 78
    names = assignments["account_name"].dropna()
    owners = assignments["current_owner"].dropna()
    assert names.str.contains("HYPERLINK").any() and owners.str.startswith("＠").any()
    raw_industry = injection_run.loaded.accounts["industry"].dropna()
    assert raw_industry.str.startswith("|").any()


def test_run_files_have_no_executable_cell(injection_run):
    files = injection_run.files()
    for name, data in files.items():
        if name.endswith(".csv"):
            _assert_csv_safe(data, name)
    guarded = _csv_cells(files["assignments.csv"])
    assert "'=1+1" in guarded and "'＠SUM(A1)" in guarded and "'|calc!A0" in guarded
    assert "'\u200b=1+1" in guarded  # the zero-width bypass is caught


def test_teams_zip_has_no_executable_cell_in_any_team_file(injection_run):
    with zipfile.ZipFile(io.BytesIO(injection_run.teams_zip())) as archive:
        members = archive.namelist()
        assert len(members) == injection_run.team_plan.assignments["team"].nunique()
        for member in members:
            _assert_csv_safe(archive.read(member), member)


def test_excel_has_no_formula_url_or_executable_text_and_numbers_stay_numbers(injection_run):
    data = injection_run.excel()
    _assert_workbook_safe(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Teams"]
    header = [c.value for c in sheet[1]]
    accounts = [
        row[header.index("accounts")] for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert all(isinstance(v, (int, float)) for v in accounts)


def test_cli_run_on_the_fixture_writes_only_safe_files(tmp_path, injection_run):
    out = tmp_path / "out"
    result = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "segmentation", "run", str(INJECTION), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert {"assignments.csv", "segments.csv", "teams.csv"} <= set(written)
    for path in out.glob("*.csv"):
        _assert_csv_safe(path.read_bytes(), path.name)
    # lossless: our reader gives back exactly the names and owners the run cleaned
    back, _ = read_table(out / "assignments.csv")
    expected = injection_run.team_plan.assignments
    for column in ("account_name", "current_owner", "account_id"):
        assert back[column].tolist() == expected[column].astype("str").tolist(), column


@pytest.mark.parametrize("column", ["account_name", "current_owner", "team", "reason"])
def test_our_csv_zip_and_excel_read_back_losslessly(injection_run, column):
    expected = injection_run.team_plan.assignments[column].astype("str").tolist()
    back, _ = read_table(injection_run.files()["assignments.csv"], name="assignments.csv")
    assert back[column].tolist() == expected
    sheet, _ = read_table(injection_run.excel(), name="plan.xlsx", sheet="Assignments")
    assert sheet[column].tolist() == expected
    with zipfile.ZipFile(io.BytesIO(injection_run.teams_zip())) as archive:
        parts = [read_table(archive.read(m), name=m)[0] for m in archive.namelist()]
    merged = pd.concat(parts).set_index("account_id").loc[back["account_id"]]
    assert merged[column].tolist() == expected


def test_numbers_in_mixed_columns_stay_numbers():
    mixed = pd.Series([-5, "-5", 2.5, None, "=x"], dtype=object)
    assert guard_text(mixed).tolist() == [-5, "'-5", 2.5, None, "'=x"]
    book = openpyxl.load_workbook(io.BytesIO(excel_workbook({"S": pd.DataFrame({"v": mixed})})))
    assert [c.value for c in book["S"]["A"][1:]] == [-5, "'-5", 2.5, None, "'=x"]


@pytest.mark.parametrize(
    "text", ["'=1+1", "''=1+1", "' =1", "'\u200b@x", "'", "'plain", "=1", "O'Brien", "'-"]
)
def test_guard_is_lossless_for_text_that_already_starts_with_a_quote(text):
    series = pd.Series([text], dtype="str")
    guarded = guard_text(series)
    assert unguard_text(guarded).iloc[0] == text
    assert not _executable(guarded.iloc[0])


def test_reading_our_own_csv_strips_the_guard_from_cells_and_headers():
    frame = pd.DataFrame({"=Name": ["=1+1", "'=2", "Acme", "'plain", "@x"], "n": [1, 2, 3, 4, 5]})
    back, _ = read_table(to_csv_bytes(frame), name="ours.csv")
    assert back.columns.tolist() == ["=Name", "n"]
    assert back["=Name"].tolist() == ["=1+1", "'=2", "Acme", "'plain", "@x"]


def test_a_customer_file_quoted_by_hand_reads_without_the_quote():
    # A CRM export whose cells were already neutralised reads the same as our own export.
    back, _ = read_table(b"Name,Owner\n'=1+1,'@Jane\nAcme,O'Brien\n", name="crm.csv")
    assert back.to_dict("list") == {"Name": ["=1+1", "Acme"], "Owner": ["@Jane", "O'Brien"]}


# --------------------------------------------------------------------------- upload checks


def test_limits_are_the_documented_ones():
    assert ingest.MAX_BYTES == 200 * 1024 * 1024
    assert ingest.MAX_ROWS == 2_000_000
    assert ingest.MAX_COLUMNS == 500
    assert workbook.MAX_CELL_CHARS == 32_767  # Excel's own cell limit
    assert workbook.MAX_WORKBOOK_CHARS == ingest.MAX_BYTES  # no more text than the largest CSV


def test_too_many_rows_is_refused_with_the_limit_in_the_message():
    data = b"Name,Revenue\n" + b"".join(b"Acme %d,%d\n" % (i, i) for i in range(11))
    assert len(read_table(data, max_rows=11)[0]) == 11
    with pytest.raises(InputError, match=r"more than 10 rows, the limit.*Filter the report"):
        read_table(data, name="big.csv", max_rows=10)


def test_too_many_columns_is_refused_with_the_limit_in_the_message():
    data = b"a,b,c,d\n1,2,3,4\n"
    assert read_table(data, max_columns=4)[0].shape == (1, 4)
    with pytest.raises(InputError, match=r"4 columns, over the 3-column limit.*Export only"):
        read_table(data, name="wide.csv", max_columns=3)


@pytest.mark.parametrize("line", [b"x," * 500_000, b'"a\nb",' * 200_000])
def test_a_row_with_half_a_million_fields_is_refused_before_it_is_parsed(line):
    data = b"Name,Revenue\nAcme,1\n" + line + b"\n"
    message = r"a line with [\d,]+ fields, over 4 times the 500-column limit \(empty fields count\)"
    with pytest.raises(InputError, match=message):
        read_table(data, name="wide.csv")
    with pytest.raises(InputError, match=message):
        read_table(line + b"\nAcme,1\n", name="wide.csv")


@pytest.mark.parametrize(
    "data, message",
    [
        # two named columns and one line of 2,500 trailing commas: not "2,502 columns"
        (b"a,b\n1,2" + b"," * 2_500 + b"\n", "a line with 2,502 fields, over 4 times"),
        (
            ",".join(f"c{i}" for i in range(600)).encode() + b"\n" + b"1," * 599 + b"1\n",
            "has 600 columns, over the 500-column limit",
        ),
    ],
)
def test_the_too_many_columns_message_counts_what_it_names(data, message):
    with pytest.raises(InputError, match=re.escape(message)):
        read_table(data, name="wide.csv")


def test_excel_row_and_column_caps():
    wide = pd.DataFrame([[1] * 6, [2] * 6], columns=[f"c{i}" for i in range(6)])
    data = excel_workbook({"S": wide})
    assert read_table(data, name="w.xlsx")[0].shape == (2, 6)
    with pytest.raises(InputError, match="6 columns, over the 5-column limit"):
        read_table(data, name="w.xlsx", max_columns=5)
    with pytest.raises(InputError, match="more than 1 rows"):
        read_table(data, name="w.xlsx", max_rows=1)


def test_oversized_input_is_refused(tmp_path):
    with pytest.raises(InputError, match="over the 0 MB limit"):
        read_table(b"Name\nAcme\n", name="a.csv", max_bytes=5)
    path = tmp_path / "a.csv"
    path.write_bytes(b"Name\nAcme\n")
    with pytest.raises(InputError, match="MB limit"):
        read_table(path, max_bytes=5)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"%PDF-1.7\n...", "accounts.csv", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "accounts.csv", "a PNG image"),
        (b"\x1f\x8b\x08\x00" + bytes(64), "accounts.csv", "a gzip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "accounts.xls.csv", "Excel 97-2003"),
        (bytes(range(256)) * 8, "accounts.csv", "binary"),
        (b"Name,Revenue\nAcme,1\n", "accounts.xlsx", "named like an Excel workbook but is not one"),
    ],
)
def test_content_not_extension_decides(data, name, message):
    with pytest.raises(InputError, match=message):
        read_table(data, name=name)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("accounts.csv", "Name\nAcme\n")
    with pytest.raises(InputError, match="zip archive, not an Excel workbook"):
        read_table(buffer.getvalue(), name="accounts.xlsx")


def test_a_stray_nul_in_a_field_is_text_but_many_nuls_are_binary():
    df, _ = read_table(b'Name,Owner\n"\x00=1+1",Jane\nAcme,Sam\n')
    assert df["Name"].tolist() == ["\x00=1+1", "Acme"]
    with pytest.raises(InputError, match="binary"):
        read_table(b"N\x00a\x00m\x00e\x00\n\x00A\x00c\x00m\x00e\x00\n\x00")


def test_openpyxl_reads_through_defusedxml_and_entity_bombs_are_refused():
    import openpyxl.xml
    from defusedxml.common import EntitiesForbidden

    assert openpyxl.xml.DEFUSEDXML is True
    good = excel_workbook({"S": pd.DataFrame({"Account Name": ["a", "b"], "n": [1, 2]})})
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'

    def bomb(xml: bytes) -> bytes:
        head, rest = xml.split(b"\n", 1)
        return head + b"\n" + laughs + rest.replace(b"<t>a</t>", b"<t>&b;</t>")

    bad = rewrite_member(good, "xl/sharedStrings.xml", bomb)
    with pytest.raises(InputError, match="could not be opened as a workbook"):
        read_table(bad, name="bomb.xlsx")
    with pytest.raises(Exception) as caught:
        openpyxl.load_workbook(io.BytesIO(bad), read_only=True)
    chain, error = [], caught.value
    while error is not None:
        chain.append(type(error))
        error = error.__cause__ or error.__context__
    assert EntitiesForbidden in chain


def test_one_huge_shared_string_behind_many_cells_is_refused_by_its_cell_length():
    bomb = shared_string_bomb(5_000_000, 2_000)  # 20 GB of cell text from a few-KB file
    assert len(bomb) < 100_000
    with pytest.raises(InputError, match=r"5,000,000 characters, more than the 32,767"):
        read_table(bomb, name="bomb.xlsx")


def test_shared_strings_expanding_past_the_text_limit_are_refused_while_streaming(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_CHARS", 10_000_000)
    bomb = shared_string_bomb(30_000, 2_000)  # 120 M characters once every cell is a copy
    # Counted row by row: refused by the row where the running total passes the limit.
    with pytest.raises(InputError, match=r"more than 10 million characters of text by row 168,"):
        read_table(bomb, name="bomb.xlsx")


def test_a_full_excel_cell_and_a_sheet_just_under_the_text_limit_still_read(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_CHARS", 32_767 * 2 * 20 + 100)
    frame, _ = read_table(shared_string_bomb(32_767, 20), name="full.xlsx")
    assert frame.shape == (20, 2)
    assert frame["Industry"].str.len().eq(32_767).all()


def test_a_password_protected_workbook_is_called_encrypted_not_a_wrong_format():
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = excel_workbook({"S": pd.DataFrame({"Account Name": ["a", "b"], "n": [1, 2]})})
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("secret", encrypted)
    for name in ("accounts.xlsx", "accounts.csv"):
        with pytest.raises(
            InputError, match="password-protected .encrypted. workbook.*remove the password"
        ):
            read_table(encrypted.getvalue(), name=name)


def test_a_sheet_named_for_a_csv_file_is_said_not_ignored_silently():
    frame, info = read_table(b"Account Name,Employees\nAcme,5\n", name="a.csv", sheet="Accounts")
    assert len(frame) == 1
    assert info.warnings == [
        "Sheet 'Accounts' was not used: a.csv is a text (CSV) file with a single table."
    ]


def _accounts_with_ids(ids: list[str]) -> bytes:
    lines = ["Account ID,Account Name,Industry,Employees,Annual Revenue"]
    industries = ["Banking", "Retail", "Software", "Healthcare"]
    for i, account_id in enumerate(ids):
        size = 10 * (i % 7 + 1) ** 3
        lines.append(f"{account_id},Company {i},{industries[i % 4]},{size},{size * 150_000}")
    return ("\n".join(lines) + "\n").encode()


def test_ids_equal_only_once_trimmed_are_named_and_every_row_is_kept():
    ids = [" x1 ", "x1\u00a0", "x1", "x2\u200b", "x2"] + [f"a{i}" for i in range(20)]
    result = run(_accounts_with_ids(ids), name="ids.csv")
    named = [w for w in result.warnings if "differ only by spaces or invisible characters" in w]
    assert named == [
        "2 account ID(s) differ only by spaces or invisible characters around or inside them, so "
        "they look like one ID: ' x1 ' / 'x1\\xa0' / 'x1' (rows 1, 2, 3); 'x2\\u200b' / 'x2' "
        "(rows 4, 5). Every row was kept; check in the CRM whether each is one account entered twice."
    ]
    assignments = pd.read_csv(io.BytesIO(result.files()["assignments.csv"]), dtype=str)
    assert len(assignments) == len(ids)
    assert assignments["account_name"].tolist() == [f"Company {i}" for i in range(len(ids))]


def test_ids_that_really_repeat_are_not_called_invisible_differences():
    result = run(_accounts_with_ids(["x1", "x1"] + [f"a{i}" for i in range(20)]), name="ids.csv")
    assert not [w for w in result.warnings if "invisible characters" in w]


@pytest.mark.parametrize(
    "data, warning",
    [
        (
            b'Account ID,Account Name,Employees\nx1,Acme,10\nx2,"Beta Corp,20\nx3,Gamma,30\n'
            b'x4,"Delta",40\nx5,Eps,5\n',
            "Line 3: an unclosed quote in 'Account Name' swallowed the next 2 line(s) (lines 4-5, "
            "the first starting 'x3,Gamma,30') into one cell",
        ),
        (  # a title line and a real multi-line cell above it move the line number down
            b"Accounts report\nAccount ID,Account Name,Employees,Street\n"
            b'x0,Zed,3,"1 Main St\nSuite 4"\nx1,Acme,10,A\nx2,"Beta Corp,20,B\nx3,Gamma,30,C\n'
            b'x4,"Delta",40,D\n',
            "Line 6: an unclosed quote in 'Account Name' swallowed the next 2 line(s) (lines 7-8,",
        ),
    ],
)
def test_a_stray_quote_that_swallows_rows_is_reported_by_line(data, warning):
    _, info = read_table(data, name="quote.csv")
    assert [w[: len(warning)] for w in info.warnings if w.startswith("Line")] == [warning]


def test_multi_line_cells_are_not_taken_for_swallowed_rows():
    data = b'Account ID,Account Name,Street\nx1,Acme,"1 Main St\nSuite 4, Floor 2"\nx2,B,C\n'
    frame, info = read_table(data, name="multi.csv")
    assert len(frame) == 2
    assert info.warnings == []


def test_a_workbook_that_unzips_past_the_limit_is_refused(monkeypatch):
    data = excel_workbook({"S": pd.DataFrame({"Account Name": ["a", "b"], "n": [1, 2]})})
    monkeypatch.setattr(workbook, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to .* over the .* limit"):
        read_table(data, name="bomb.xlsx")


# --------------------------------------------------------------------------- server and caches


def test_streamlit_config_is_hardened():
    from streamlit import config as st_config

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["server"]["headless"] is True
    assert config["server"]["maxUploadSize"] == ingest.MAX_BYTES // (1024 * 1024)
    assert config["runner"]["magicEnabled"] is False
    # every key is a real Streamlit option: a typo would silently leave the default on
    st_config.get_config_options()
    for section, values in config.items():
        for key in values:
            assert f"{section}.{key}" in st_config._config_options, f"{section}.{key}"


def test_caches_are_per_session_bounded_and_in_memory():
    from streamlit.runtime.caching.cache_utils import CachedFunc

    from segmentation.ui import session, stages

    cached = {
        n: getattr(module, n)
        for module in (session, stages)
        for n in dir(module)
        if isinstance(getattr(module, n), CachedFunc)
    }
    # The shipped sample is the one thing shared by every session: it holds no customer data.
    assert cached.pop("_sample_upload")._info.scope == "global"
    assert {"_load", "_segment", "_plan", "_preview"} <= set(cached)
    for function in cached.values():
        info = function._info
        assert info.scope == "session", info.display_name
        assert info.max_entries is not None and info.max_entries <= 16, info.display_name
        assert info.ttl is not None, info.display_name
        assert getattr(info, "persist", None) is None, info.display_name


def test_only_the_export_module_writes_files_and_nothing_persists_or_logs_to_disk():
    writes = re.compile(
        r"\.write_(bytes|text)\(|open\([^)]*[\"'][wax]b?\+?[\"']|FileHandler|basicConfig"
    )
    sources = [
        ROOT / "app.py",
        *(ROOT / "app_pages").glob("*.py"),
        *(ROOT / "segmentation").rglob("*.py"),
    ]
    writers = set()
    for path in sources:
        text = path.read_text()
        assert "persist=" not in text, path  # st.cache_data(persist="disk") would pickle accounts
        if writes.search(text):
            writers.add(path.relative_to(ROOT).as_posix())
    # write_files: only when the command line is asked for files (--out)
    assert writers <= {"segmentation/export.py"}, writers


# --------------------------------------------------------------------------- sessions


def _accounts_csv(prefix: str) -> bytes:
    rng = np.random.default_rng(len(prefix))
    rows = ["Account ID,Account Name,Industry,Type,Employees,Annual Revenue,Account Owner"]
    for i in range(60):
        employees = int(rng.choice([8, 40, 300, 2500]))
        rows.append(
            f"{prefix[:2].upper()}-{i:03d},{prefix} Account {i:03d},Software,"
            f"{'Customer' if i % 2 else 'Prospect'},{employees},{employees * 120_000},{prefix} Owner"
        )
    return ("\n".join(rows) + "\n").encode()


def _tables_shown(at) -> str:
    return "\n".join(frame.value.astype("str").to_string() for frame in at.dataframe)


def _everything_shown(at) -> str:
    parts = [_tables_shown(at)]
    for kind in ("markdown", "caption", "metric", "info", "warning", "success", "error", "text"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    parts.append(repr(at.session_state.to_dict()))
    return "\n".join(parts)


def test_two_sessions_never_see_each_others_accounts(fresh_caches, warm_engine):
    from streamlit.testing.v1 import AppTest

    alpha, bravo = _accounts_csv("Alpha"), _accounts_csv("Bravo")
    assert len(alpha) == len(bravo)  # same name, same size: only the content tells them apart

    def session(data):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
        at.file_uploader(key="accounts_upload").set_value(("accounts.csv", data, "text/csv")).run()
        assert not at.exception, at.exception
        return at

    at_a = session(alpha)
    at_b = session(bravo)
    at_a.run()
    for at, mine, theirs in ((at_a, "Alpha", "Bravo"), (at_b, "Bravo", "Alpha")):
        assert f"{mine} Account 000" in _tables_shown(at)
        assert theirs not in _everything_shown(at)
        at.switch_page("app_pages/export.py").run()
        assert not at.exception, at.exception
        assert f"{mine} Account 000" in _tables_shown(at)  # the assignments preview
        assert theirs not in _everything_shown(at)
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    shown = _everything_shown(fresh)
    assert "Alpha" not in shown and "Bravo" not in shown


MARKDOWN_PAYLOADS = [
    "![x](https://evil.example/p.png)",
    "[click me](https://evil.example)",
    "<img src=x onerror=alert(1)>",
    "$\\\\frac{1}{0}$ Corp",
]


def _payload_accounts() -> bytes:
    rows = ['"Account Name","Industry","Employees","Annual Revenue","Type"']
    for i in range(60):
        payload = MARKDOWN_PAYLOADS[i % len(MARKDOWN_PAYLOADS)].replace('"', '""')
        rows.append(
            f'"{payload}","{payload}","{10 * (i % 7 + 1)}","USD {1_000_000 * (i % 5 + 1):,}.00",'
            f'"{"Prospect" if i % 2 else "Customer - Direct"}"'
        )
    return ("\n".join(rows) + "\n").encode()


def test_customer_text_never_renders_as_markdown_or_html(fresh_caches, warm_engine):
    from markdown_it import MarkdownIt
    from streamlit.testing.v1 import AppTest

    render = MarkdownIt("commonmark").enable("table")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    upload = ("accounts.csv", _payload_accounts(), "text/csv")
    at.file_uploader(key="accounts_upload").set_value(upload).run()
    shown = []
    for page in ["app_pages/data.py", "app_pages/segments.py", "app_pages/team_plan.py",
                 "app_pages/territories.py", "app_pages/export.py"]:  # fmt: skip
        at.switch_page(page).run()
        assert not at.exception, at.exception
        for kind in ("markdown", "caption", "warning", "info", "error", "success"):
            shown += [str(element.value) for element in at.get(kind)]
    assert any("evil" in text for text in shown)  # the payloads do reach the page (escaped)
    for text in shown:
        html_out = render.render(text)
        assert "<img" not in html_out and "<a " not in html_out, text
