"""Units and status through the pipeline and the command line (issue 13, items 1, 2, 4 and 10)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.pipeline import run
from tests import realistic_exports as exports


def _accounts_without_status(n: int = 60) -> bytes:
    rng = np.random.default_rng(5)
    employees = np.round(10 ** rng.uniform(1.5, 4.5, n)).astype(int)
    frame = pd.DataFrame(
        {
            "Account ID": [f"A{i:03d}" for i in range(n)],
            "Account Name": [f"Company {i} Inc" for i in range(n)],
            "Industry": rng.choice(["Software", "Retail", "Banking"], n),
            "Employees": employees,
            "Annual Revenue": (employees * 2e5).round(),
        }
    )
    return frame.to_csv(index=False).encode()


def _deals(n_accounts: int = 60) -> bytes:
    rows = []
    for i in range(n_accounts):
        # every third account has won a deal; the others lost one or have none
        if i % 3 == 0:
            rows.append((f"O{i}", f"A{i:03d}", "Closed Won", f"{20000 + 100 * i}", "2024-03-01"))
        elif i % 3 == 1:
            rows.append((f"O{i}", f"A{i:03d}", "Closed Lost", "15000", "2024-04-01"))
    frame = pd.DataFrame(
        rows, columns=["Opportunity ID", "Account ID", "Stage", "Amount", "Close Date"]
    )
    return frame.to_csv(index=False).encode()


def test_without_a_status_column_won_deals_make_customers_and_the_report_says_so():
    result = run(_accounts_without_status(), name="accounts.csv", opportunities=_deals())
    status = result.loaded.accounts["status"]
    assert status.tolist() == ["customer" if i % 3 == 0 else "prospect" for i in range(60)]
    report = result.report()
    assert report["status"]["source"] == "won deals"
    assert report["status"]["customers_from_deals"] == 20
    assert any("No status column" in w for w in report["warnings"])
    # the plan sees them: customers are no longer unknown
    assert set(result.team_plan.assignments["status"]) == {"customer", "prospect"}


def test_report_units_for_every_money_field(tmp_path):
    path = tmp_path / "fortune.csv"
    path.write_bytes(exports.fortune_csv())
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    units = report["units"]
    assert set(units) == {"annual_revenue", "deal_size"}
    assert {k: units["annual_revenue"][k] for k in ("multiplier", "currency")} == {
        "multiplier": 1000000,
        "currency": "USD",
    }
    assert "'$M'" in units["annual_revenue"]["evidence"]
    assert units["deal_size"]["column"] is None
    assignments = pd.read_csv(out / "assignments.csv")
    assert set(assignments["motion"]) != {"digital"}


def test_unit_and_status_flags_change_the_run(tmp_path, capsys):
    path = tmp_path / "de.csv"
    path.write_bytes(exports.german_csv())
    assert main(["inspect", str(path), "--json", "--unit", "annual_revenue=1e3",
                 "--status", "ehemaliger Kunde=prospect"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["units"]["annual_revenue"]["multiplier"] == 1000
    assert report["units"]["annual_revenue"]["source"] == "you"
    how = {v["value"]: (v["status"], v["how"]) for v in report["status"]["values"]}
    assert how["ehemaliger Kunde"] == ("prospect", "set by you")
    assert how["Kunde"] == ("customer", "known word")


def test_inspect_text_shows_units_and_status_values(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_bytes(exports.plain_millions_csv())
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Units (field: multiplier, currency, evidence" in text
    assert "annual_revenue  x1,000,000" in text and "read as millions" in text
    assert "Status values in 'Type'" in text


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--unit", "annual_revenue"], "--unit takes FIELD=UNIT"),
        (["--unit", "employees=1e3"], "money fields only"),
        (["--unit", "annual_revenue=lots"], "is not a unit"),
        (["--status", "Kunde"], "--status takes VALUE=STATUS"),
        (["--status", "Kunde=vip"], "--status takes VALUE=STATUS"),
        (["--status", "Nope=customer"], "has no such value"),
        (["--unit", "deal_size=1e3"], "no column is mapped"),
    ],
)
def test_bad_unit_and_status_flags_exit_2_with_one_error_line(tmp_path, capsys, flags, message):
    path = tmp_path / "de.csv"
    path.write_bytes(exports.german_csv())
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not out.exists()
