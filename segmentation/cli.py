"""Command line: ``python -m segmentation run|inspect``.

A stable contract for scripts: exit 0 on success; on bad input exit 2 with one line on stderr
that starts with ``error:`` and says what to do — never a traceback, never a partial output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from segmentation import __version__
from segmentation.errors import InputError

EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    # argparse prints usage plus "prog: error: ..."; the contract is one "error:" line.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see 'python -m segmentation {self.prog.split()[-1]} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for both commands."""
    parser = _Parser(
        prog="python -m segmentation",
        description="Segment a CRM accounts export and recommend how to cover it with a sales team.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="segment accounts, plan teams, write the output files")
    run.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    run.add_argument("--opportunities", metavar="FILE", help="opportunities (deals) export")
    run.add_argument("--reps", metavar="FILE", help="rep roster CSV: rep, team or motion+role")
    run.add_argument("--playbook", metavar="FILE", help="TOML file overriding playbook values")
    run.add_argument(
        "--map",
        metavar="FIELD=COLUMN",
        action="append",
        default=[],
        help="map a canonical field to a column (repeatable)",
    )
    run.add_argument(
        "--ignore",
        metavar="COLUMN",
        action="append",
        default=[],
        help="keep a column out of the customer-type features (repeatable)",
    )
    run.add_argument("--k-types", type=int, metavar="N", help="fix the number of customer types")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_reading_options(run)
    run.add_argument(
        "--out", default="segmentation-output", metavar="DIR", help="output folder"
    )

    inspect = commands.add_parser("inspect", help="show how a file is read and mapped")
    inspect.add_argument("accounts", help="accounts export: CSV, TSV or Excel")
    inspect.add_argument("--map", metavar="FIELD=COLUMN", action="append", default=[])
    inspect.add_argument("--json", action="store_true", help="print JSON for machines")
    _add_reading_options(inspect)
    return parser


def _add_reading_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the accounts file (default: BOM, then UTF-8, then cp1252)",
    )
    command.add_argument("--sheet", metavar="NAME", help="Excel sheet to read (default: the first)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
        return _inspect(args)
    except InputError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours or the user's.
        sys.stderr.close()
        return 0


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """Turn ``FIELD=COLUMN`` strings into a mapping override."""
    overrides = {}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise InputError(f"--map takes FIELD=COLUMN, e.g. --map annual_revenue='Revenue'; got {pair!r}")
        overrides[field_name.strip()] = column.strip()
    return overrides


def _run(args: argparse.Namespace) -> int:
    from segmentation.pipeline import run
    from segmentation.playbook import load_playbook
    from segmentation.territories import read_roster

    if args.k_types is not None and args.k_types < 1:
        raise InputError("--k-types must be a whole number of 1 or more")
    accounts = _existing(args.accounts)
    playbook = load_playbook(_existing(args.playbook)) if args.playbook else load_playbook()
    roster = read_roster(_existing(args.reps)) if args.reps else None
    result = run(
        accounts,
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
        ignore=args.ignore,
        n_types=args.k_types,
        seed=args.seed,
        playbook=playbook,
        roster=roster,
        opportunities=_existing(args.opportunities) if args.opportunities else None,
    )
    files = result.files()
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    from segmentation.export import write_files

    written = write_files(files, out)
    summary = result.report()
    print(
        f"Read {summary['rows_read']:,} accounts: {len(summary['verticals'])} verticals, "
        f"{len(summary['customer_types'])} customer types ({summary['quality'].get('verdict')} structure), "
        f"{len(summary['teams'])} teams."
    )
    from segmentation.clustering import format_money

    hc = summary.get("headcount") or {}
    if hc.get("total_bookings"):
        print(
            f"{hc['total_headcount']:,} reps recommended: {format_money(hc['total_cost'])} a year for "
            f"{format_money(hc['total_bookings'])} of bookings ({hc['cost_of_sales']:.0%} cost of sales)."
        )
    for note in result.warnings:
        print(f"warning: {note}")
    for path in written:
        print(f"wrote {path}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from segmentation.pipeline import load_accounts

    loaded = load_accounts(
        _existing(args.accounts),
        encoding=args.encoding,
        sheet=args.sheet,
        overrides=parse_map(args.map),
    )
    report = {
        "read": loaded.read_info.to_dict(),
        "rows": int(len(loaded.accounts)),
        "mapping": loaded.mapping.to_dict(),
        "warnings": loaded.warnings,
        "changes": loaded.prepared.changes,
        "data_quality": loaded.quality,
    }
    if args.json:
        from segmentation.pipeline import report_json

        sys.stdout.write(report_json(report).decode("utf-8"))
        return 0
    print(_inspect_text(report))
    return 0


def _inspect_text(report: dict) -> str:
    read = report["read"]
    lines = [
        f"File: {read.get('source_name')}",
        f"Format: {read.get('format')}  encoding: {read.get('encoding')}  "
        f"delimiter: {json.dumps(read.get('delimiter'))}  sheet: {read.get('sheet')}",
        f"Rows: {report['rows']:,}  columns: {read.get('columns')}",
    ]
    if read.get("footer_rows_removed"):
        lines.append(f"Footer rows removed: {len(read['footer_rows_removed'])}")
    if read.get("blank_rows_removed"):
        lines.append(f"Blank rows removed: {read['blank_rows_removed']}")
    lines.append("")
    lines.append("Mapping (field <- column, confidence, evidence):")
    for field_name, match in report["mapping"].get("matches", {}).items():
        lines.append(
            f"  {field_name:<15} <- {match['column']!s:<28} {match['confidence']:.2f}  {match['evidence']}"
        )
    unmapped = report["mapping"].get("unmapped", [])
    if unmapped:
        lines.append(f"  not mapped: {', '.join(map(str, unmapped))}")
    findings = report["data_quality"].get("findings", [])
    if findings or report["warnings"]:
        lines.append("")
        lines.append("Data quality:")
        for note in [*report["warnings"], *findings]:
            lines.append(f"  - {note}")
    return "\n".join(lines)


def _existing(path: str) -> Path:
    candidate = Path(path)
    if not candidate.is_file():
        raise InputError(f"cannot find the file {path!r}; check the path")
    return candidate


def _one_line(message: str) -> str:
    return " ".join(message.split())
