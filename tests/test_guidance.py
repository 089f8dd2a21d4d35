"""The first look at an upload: key fields missing and mappings that look wrong are said first."""

import io
import json

import pytest

from segmentation.cli import main
from segmentation.guidance import key_fields_alert, mapping_doubts, missing_key_fields
from segmentation.pipeline import load_accounts
from tests.conftest import FIXTURES, SAMPLE_ACCOUNTS


def _csv(header: str, rows: list[str]) -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


NAMES_AND_SIZES = _csv(
    "Account Name,Employees", [f"Acme {i},{10 * (i % 7 + 1)}" for i in range(30)]
)
# An "Employees" column that holds checksums (unique 7-digit numbers), revenue mostly blank.
DOUBTFUL = _csv(
    "Account Name,Industry,Employees,Annual Revenue,Type",
    [
        f"Acme {i},Retail,{7_000_000 + (245_489 * i) % 2_000_000},{'' if i % 10 else 5_000_000},Customer"
        for i in range(30)
    ],
)


@pytest.mark.parametrize(
    "source, missing",
    [
        (SAMPLE_ACCOUNTS, []),
        (NAMES_AND_SIZES, ["industry", "revenue or deal size", "status (customer / prospect)"]),
        (FIXTURES / "real" / "sf_devorg_Opportunity.csv",
         ["industry", "company size (employees)", "status (customer / prospect)"]),
    ],
)  # fmt: skip
def test_missing_key_fields_are_named_and_alerted_below_four(source, missing):
    mapping = load_accounts(source, name="x.csv").mapping
    assert missing_key_fields(mapping) == missing
    alert = key_fields_alert(mapping)
    assert (alert is None) is (len(missing) <= 1)
    if alert:
        assert alert.startswith(f"Only {5 - len(missing)} of the 5 fields a plan leans on")


@pytest.mark.parametrize(
    "source, doubts",
    [
        (SAMPLE_ACCOUNTS, []),
        # real revenue figures of one order of magnitude are not called codes
        (FIXTURES / "real" / "sf_datacloud_Account.csv", []),
        (
            DOUBTFUL,
            [
                "Employees is read from 'Employees': code (7 digits). Check the mapping.",
                "Annual revenue is read from 'Annual Revenue': mostly blank (90% empty). "
                "Check the mapping.",
            ],
        ),
    ],
)
def test_mappings_that_look_wrong_by_content_are_named(source, doubts):
    loaded = load_accounts(source, name="x.csv")
    assert mapping_doubts(loaded.raw, loaded.mapping, loaded.accounts) == doubts


def test_inspect_says_the_checks_first(tmp_path, capsys):
    path = tmp_path / "doubtful.csv"
    path.write_bytes(DOUBTFUL)
    assert main(["inspect", str(path), "--json"]) == 0
    checks = json.load(io.StringIO(capsys.readouterr().out))["mapping_checks"]
    assert [c.split(":")[0] for c in checks] == [
        "Employees is read from 'Employees'",
        "Annual revenue is read from 'Annual Revenue'",
    ]
    assert main(["inspect", str(path)]) == 0
    assert "  check: Employees is read from 'Employees': code (7 digits)" in capsys.readouterr().out
