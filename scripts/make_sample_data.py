"""Write the sample CRM exports shipped in ``data/`` (deterministic: same bytes every run).

``data/sample_accounts.csv`` is shaped like a Salesforce report export: UTF-8, comma-delimited,
every field quoted, followed by Salesforce's footer rows. ``data/sample_opportunities.csv`` is a
plain CSV of the accounts' deals. See :mod:`scripts.sample_crm` for what is planted in them.

Usage::

    python scripts/make_sample_data.py [--out-dir data] [--n 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere, without installing the package
    sys.path.insert(0, str(ROOT))

from scripts.sample_crm import generate_accounts, generate_opportunities  # noqa: E402

ACCOUNTS_FILE = "sample_accounts.csv"
OPPORTUNITIES_FILE = "sample_opportunities.csv"
COPYRIGHT = "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."


def salesforce_footer(records: int) -> str:
    """The rows Salesforce appends to a report export, each preceded by an empty line."""
    rows = (
        f"Grand Totals ({records} records)",
        "Confidential Information - Do Not Distribute",
        COPYRIGHT,
    )
    return "".join(f'\n"{row}"\n' for row in rows)


def accounts_csv(export) -> bytes:
    """The accounts export as a Salesforce report CSV (all fields quoted, footer rows)."""
    body = export.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")
    return (body + salesforce_footer(len(export))).encode("utf-8")


def opportunities_csv(opportunities) -> bytes:
    """The opportunities as a plain CSV (quoted only where needed)."""
    return opportunities.to_csv(index=False, lineterminator="\n").encode("utf-8")


def build(n: int = 2000, seed: int = 7) -> dict[str, bytes]:
    """File name -> bytes of both sample files."""
    export, truth = generate_accounts(n, seed=seed, dirty=True)
    opportunities = generate_opportunities(export, truth, seed=seed)
    return {
        ACCOUNTS_FILE: accounts_csv(export),
        OPPORTUNITIES_FILE: opportunities_csv(opportunities),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--n", type=int, default=2000, help="number of accounts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in build(args.n, args.seed).items():
        path = args.out_dir / name
        path.write_bytes(data)
        lines = data.count(b"\n")
        print(f"wrote {path} ({lines:,} lines, {len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
