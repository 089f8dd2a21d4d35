"""The command line contract: files, columns, vocabularies, determinism, exit codes."""

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segmentation.cli import main
from tests.conftest import FIXTURES, SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES

ASSIGNMENT_COLUMNS = [
    "account_id", "account_name", "vertical", "customer_type", "segment",
    "team", "motion", "role", "rep", "reason",
]  # fmt: skip


def test_run_writes_the_plan_files_and_both_reports(sample_cli_out):
    assert {p.name for p in sample_cli_out.iterdir()} >= {
        "assignments.csv", "segments.csv", "teams.csv", "report.json", "report.html",
    }  # fmt: skip


def test_assignments_has_one_row_per_account_in_input_order(sample_cli_out):
    source = pd.read_csv(SAMPLE_ACCOUNTS, dtype=str, keep_default_na=False)
    source = source[source["Account ID"].str.startswith("001")]  # drop the report footer
    assignments = pd.read_csv(sample_cli_out / "assignments.csv", dtype=str, keep_default_na=False)
    assert list(assignments.columns[: len(ASSIGNMENT_COLUMNS)]) == ASSIGNMENT_COLUMNS
    assert assignments["account_id"].tolist() == source["Account ID"].tolist()


def test_vocabularies_and_readable_reasons(sample_cli_out):
    assignments = pd.read_csv(sample_cli_out / "assignments.csv", dtype=str, keep_default_na=False)
    assert set(assignments["motion"]) <= {"field", "inside", "digital"}
    assert set(assignments["role"]) <= {"hunter", "farmer", "generalist"}
    assert (assignments["rep"] == "").all()  # no roster given
    assert assignments["reason"].str.len().min() > 20
    assert (assignments["team"] != "").all()


def test_segments_and_teams_tables(sample_cli_out):
    segments = pd.read_csv(sample_cli_out / "segments.csv")
    teams = pd.read_csv(sample_cli_out / "teams.csv")
    assignments = pd.read_csv(sample_cli_out / "assignments.csv")
    assert {"segment", "accounts", "motion", "role"} <= set(segments.columns)
    assert {"team", "motion", "role", "specialization", "accounts", "headcount"} <= set(
        teams.columns
    )
    assert segments["accounts"].sum() == len(assignments)
    assert teams["accounts"].sum() == len(assignments)
    assert set(assignments["team"]) == set(teams["team"])


def test_report_json_contract(sample_cli_out):
    report = json.loads((sample_cli_out / "report.json").read_text())
    for key in ("rows_read", "mapping", "warnings", "customer_types", "verticals", "quality"):
        assert key in report
    assert report["rows_read"] == 2000
    assert report["mapping"]["account_name"] == "Account Name"
    assert all(
        {"name", "accounts"} <= set(v) or {"vertical", "accounts"} <= set(v)
        for v in report["verticals"]
    )
    assert {"silhouette", "stability", "verdict"} <= set(report["quality"])


def test_two_runs_give_identical_bytes(sample_cli_out, tmp_path):
    assert main(["run", str(SAMPLE_ACCOUNTS), "--out", str(tmp_path)]) == 0
    for path in sample_cli_out.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_run_with_opportunities_and_roster(tmp_path):
    roster = tmp_path / "reps.csv"
    roster.write_text(
        "rep,motion,role\n"
        + "".join(f"Field rep {i},field,farmer\n" for i in range(4))
        + "".join(f"Inside rep {i},inside,hunter\n" for i in range(4))
        + "".join(f"Generalist {i},inside,generalist\n" for i in range(2))
    )
    out = tmp_path / "out"
    code = main([
        "run", str(SAMPLE_ACCOUNTS), "--opportunities", str(SAMPLE_OPPORTUNITIES),
        "--reps", str(roster), "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["opportunities"]["deals_read"] > 0
    assert report["opportunities"]["unmatched"] > 0  # the sample plants orphan deals
    assignments = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
    assert (assignments["rep"] != "").any()


@pytest.mark.parametrize(
    ("content", "extra_args", "expected"),
    [
        (b"", [], "empty"),
        (b"Account Name,Industry\n", [], "no data rows"),
        (b"%PDF-1.7\n\x00\x01binary", [], "PDF"),
        (None, ["--k-types", "0"], "--k-types"),
        (None, ["--map", "nonsense"], "FIELD=COLUMN"),
        (None, ["--map", "annual_revenue=No Such Column"], "No Such Column"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(tmp_path, capsys, content, extra_args, expected):
    path = tmp_path / "accounts.csv"
    if content is None:
        path.write_bytes(SAMPLE_ACCOUNTS.read_bytes())
    else:
        path.write_bytes(content)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), *extra_args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert expected.lower() in err[0].lower()
    assert not out.exists()  # never a partial output


def test_missing_file_is_an_input_error(capsys):
    assert main(["run", "no/such/file.csv"]) == 2
    assert "cannot find" in capsys.readouterr().err


def test_process_exit_code_and_no_traceback(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "segmentation", "run", str(empty), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_inspect_prints_format_mapping_and_quality(capsys):
    assert main(["inspect", str(SAMPLE_ACCOUNTS)]) == 0
    text = capsys.readouterr().out
    assert "Footer rows removed" in text
    assert "account_name" in text and "Account Name" in text


def test_inspect_json_is_machine_readable(capsys):
    assert main(["inspect", str(SAMPLE_ACCOUNTS), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == 2000  # the name report.json uses
    assert report["rows"] == 2000  # deprecated, kept for scripts written against it
    assert report["read"]["delimiter"] == ","
    assert report["mapping"]["matches"]["annual_revenue"]["column"] == "Annual Revenue"


@pytest.mark.parametrize(
    ("fixture", "args", "encoding"),
    [
        ("real/wholesale_latin1_trailing_notes_cols.csv", [], "cp1252"),
        ("real/wholesale_latin1_trailing_notes_cols.csv", ["--encoding", "latin-1"], "latin-1"),
        ("tools/excel_unicode_text.txt", [], "utf-16"),
    ],
)
def test_inspect_reports_and_accepts_an_encoding(capsys, fixture, args, encoding):
    assert main(["inspect", str(FIXTURES / fixture), "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["read"]["encoding"] == encoding


def test_unknown_encoding_is_an_input_error(capsys):
    assert main(["inspect", str(SAMPLE_ACCOUNTS), "--encoding", "no-such-codec"]) == 2
    assert capsys.readouterr().err.startswith("error:")


# --------------------------------------------------------------------------- issue 19: outputs
@pytest.fixture(scope="module")
def small_accounts(tmp_path_factory):
    """60 accounts, owned by 'Own', written in the test: a run takes a second, not ten."""
    path = tmp_path_factory.mktemp("small") / "accounts.csv"
    rows = ["Account ID,Account Name,Industry,Type,Employees,Annual Revenue,Account Owner"]
    for i in range(60):
        employees = (8, 40, 300, 2500)[i % 4]
        kind = "Customer" if i % 2 else "Prospect"
        rows.append(f"A-{i:03d},Account {i},Software,{kind},{employees},{employees * 120_000},Own")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def _small_out(small_accounts, tmp_path_factory):
    out = tmp_path_factory.mktemp("small-out")
    assert main(["run", str(small_accounts), "--out", str(out)]) == 0
    return out


@pytest.fixture
def small_out(_small_out, tmp_path):
    """A copy of the folder a run on ``small_accounts`` wrote (the run is done once)."""
    return Path(shutil.copytree(_small_out, tmp_path / "out"))


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--seed", "-1"], "--seed: must be a whole number from 0 to 2,147,483,647"),
        (
            ["--seed", "99999999999999999999"],
            "--seed: must be a whole number from 0 to 2,147,483,647",
        ),
        (["--seed", "1.5"], "--seed: must be a whole number"),
        (["--seed", "2147483648"], "--seed: must be a whole number from 0 to 2,147,483,647"),
        (["--k-types", "-3"], "--k-types: must be a whole number of 1 or more"),
        (["--k-types", "9" * 5000], "--k-types: must be a whole number of 1 or more"),
        (["--k-types", "99999999999999999999"], "fewer types"),
        (["--out", "/dev/null/x"], "not a folder"),
        (["--out", "/proc/x"], "cannot create the output folder /proc/x"),
    ],
)
def test_bad_numbers_and_unwritable_folders_exit_2_with_one_error_line(
    small_accounts, capsys, args, expected
):
    if "/proc/x" in args and not Path("/proc/self").exists():
        pytest.skip("no /proc on this platform")
    assert main(["run", str(small_accounts), *args]) == 2
    assert expected in _one_error_line(capsys)


def test_the_largest_seed_is_accepted(small_accounts, tmp_path):
    assert main(["run", str(small_accounts), "--seed", "2147483647", "--out", str(tmp_path)]) == 0


def test_run_replaces_a_link_in_the_out_folder_instead_of_writing_through_it(
    small_accounts, tmp_path
):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "assignments.csv").symlink_to(precious)
    assert main(["run", str(small_accounts), "--out", str(out)]) == 0
    assert precious.read_bytes() == b"keep me\n"
    assert not (out / "assignments.csv").is_symlink()
    assert (out / "assignments.csv").read_bytes().startswith(b'"account_id"')


def test_a_rerun_without_reps_removes_the_disruption_file_of_the_run_with_reps(
    small_accounts, tmp_path, capsys
):
    roster = tmp_path / "reps.csv"
    roster.write_text("rep,motion,role\nR1,inside,generalist\nR2,field,generalist\n")
    out = tmp_path / "out"
    assert main(["run", str(small_accounts), "--reps", str(roster), "--out", str(out)]) == 0
    assert (out / "disruption.csv").is_file()  # 'Own' is not in the roster: every account moves
    (out / "my notes.txt").write_text("mine")
    assert main(["run", str(small_accounts), "--out", str(out)]) == 0
    assert not (out / "disruption.csv").exists()
    assert (out / "my notes.txt").read_text() == "mine"
    assert f"removed {out / 'disruption.csv'}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "code", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), 2, "is full"),
        (OSError(errno.EROFS, "Read-only file system"), 2, "give --out a folder you can write to"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_a_write_that_fails_or_is_interrupted_keeps_the_previous_files_whole(
    small_accounts, small_out, capsys, monkeypatch, error, code, expected
):
    from segmentation import export

    out = small_out
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = export._write_file

    def fail_on_teams(path, data):
        if path.name == "teams.csv":
            path.write_bytes(data[:10])  # half written, as a full disk or a kill would leave it
            raise error
        real(path, data)

    monkeypatch.setattr(export, "_write_file", fail_on_teams)
    capsys.readouterr()
    assert main(["run", str(small_accounts), "--seed", "7", "--out", str(out)]) == code
    assert expected in _one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_ctrl_c_before_the_files_exits_130_and_writes_nothing(
    small_accounts, tmp_path, capsys, monkeypatch
):
    import segmentation.pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(segmentation.pipeline, "run", interrupted)
    out = tmp_path / "out"
    assert main(["run", str(small_accounts), "--out", str(out)]) == 130
    assert _one_error_line(capsys) == (
        "error: interrupted; no output file was left half written (run again for the full set)"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[rules]\nattainment = 0\n",
            "Rule 'attainment' in the playbook file is 0, outside its valid range (0, 1]",
        ),
        (
            "[rules.selling_hours_per_rep]\nvalue = 0\n",
            "Rule 'selling_hours_per_rep' in the playbook file is 0, outside its valid range (0, 8760]",
        ),
        ("[rules]\nuse_conservative_field_line = 2\n", "valid range 0 or 1"),
    ],
)
def test_a_playbook_value_out_of_range_exits_2_naming_rule_value_and_range(
    small_accounts, tmp_path, capsys, text, expected
):
    playbook = tmp_path / "playbook.toml"
    playbook.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(small_accounts), "--playbook", str(playbook), "--out", str(out)]) == 2
    assert expected in _one_error_line(capsys)
    assert not out.exists()
