"""Write realistic CRM exports for the benchmarks: 10k, 100k and 1M accounts.

Each size is a Salesforce report CSV shaped like ``data/sample_accounts.csv`` (every field
quoted, money strings such as "USD 1,234.00" and "$1.2M", blanks, sentinels, typos, the report
footer) from :func:`scripts.sample_crm.generate_accounts` (dirty, seed 7), with its planted truth
(``account_id, customer_type, vertical, status``) alongside:

    <DIR>/accounts_10k.csv   <DIR>/truth_10k.csv
    <DIR>/accounts_100k.csv  <DIR>/truth_100k.csv
    <DIR>/accounts_1m.csv    <DIR>/truth_1m.csv

Usage::

    python benchmarks/generate.py [DIR] [--sizes 10k,100k,1m] [--seed 7]

DIR defaults to ``$TMPDIR/segmentation-bench``; a folder inside the repository is refused.
"""

from __future__ import annotations

import argparse
import sys

from common import SEED, SIZES, accounts_path, data_dir, parse_sizes, table, write_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dir", nargs="?", help="output folder (default: $TMPDIR/segmentation-bench)"
    )
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: 10k,100k,1m")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    folder = data_dir(args.dir)
    rows = []
    for label in parse_sizes(args.sizes):
        info = write_size(folder, label, seed=args.seed)
        rows.append(
            [label, info["rows"], f"{info['bytes'] / 1e6:.1f}", info["generate_s"], info["write_s"]]
        )
        print(f"wrote {accounts_path(folder, label)}", file=sys.stderr)
    print(table(["size", "accounts", "MB", "generate s", "write CSV s"], rows))
    print(f"\nfolder: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
